import { chmodSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { containerNetwork, networkAddresses, resolveNetwork } from '../../../lib/network/index.js'
import { checkTun, pastaArgs, slirpArgs } from '../../../lib/network/programs.js'
import { portBindings, portText } from '../../../lib/network/ports.js'
import { makeTempDir } from '../../fixtures/bundle.js'

const ports = [
  { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' as const },
  { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' as const },
]

test('pasta: published TCP and UDP ports, nothing else forwarded, no host loopback unless --map-gw; root enters by fd', () => {
  const base = { pidFile: '/c/network.pid', target: '42' }
  assert.equal(pastaArgs({ mode: 'pasta', args: [] }, { ...base, rootless: true, ports }),
    ['--config-net', '-f', '--quiet', '--pid', '/c/network.pid', '--no-map-gw', '-t', '8080:80', '-u', '127.0.0.1/5353:53',
      '-T', 'none', '-U', 'none', '--dns-forward', '169.254.1.1', '42'])
  const root = pastaArgs({ mode: 'pasta', args: ['--map-gw', '-4'] }, { ...base, rootless: false, ports: [] })
  assert.ok(!root.includes('--no-map-gw') && !root.includes('--map-gw'), root.join(' '))
  assert.equal(root.slice(-5), ['-4', '--runas', '0', '--netns', '/proc/self/fd/3'])
  assert.equal(root.slice(5, 9), ['-t', 'none', '-u', 'none'])
})

test('slirp4netns: host loopback off unless allowed, the API socket only with ports', () => {
  const options = { allowHostLoopback: false, enableIpv6: false, mtu: 65520 }
  assert.equal(slirpArgs({ mode: 'slirp4netns', options }, { target: '42' }),
    ['--configure', '--mtu=65520', '--ready-fd=3', '--disable-host-loopback', '42', 'tap0'])
  assert.equal(slirpArgs({ mode: 'slirp4netns', options: { ...options, allowHostLoopback: true, cidr: '10.9.0.0/24' } }, { target: '42', apiSocket: 's.sock' }),
    ['--configure', '--mtu=65520', '--ready-fd=3', '--cidr=10.9.0.0/24', '--api-socket=s.sock', '42', 'tap0'])
})

test('addresses: slirp4netns\'s .100, .3 and the host\'s own address; pasta\'s gateway only with --map-gw', () => {
  const slirp = networkAddresses({ mode: 'slirp4netns', options: { allowHostLoopback: true, enableIpv6: false, mtu: 65520, cidr: '10.9.0.0/24' } })
  assert.is(slirp.containerIp, '10.9.0.100')
  assert.equal(slirp.resolver, { address: '10.9.0.3', always: true })
  assert.is(networkAddresses({ mode: 'pasta', args: [] }).hostAddress, undefined)
  assert.equal(networkAddresses({ mode: 'none' }), {})
})

test('the default: root takes the default bridge network; rootless takes pasta, else slirp4netns, else none', () => {
  const dir = makeTempDir('cocker-net-')
  const env = (...programs: string[]) => {
    for (const p of programs) { writeFileSync(`${dir}/${p}`, ''); chmodSync(`${dir}/${p}`, 0o755) }
    return { PATH: dir }
  }
  assert.equal(resolveNetwork({ mode: 'default' }, false, env('pasta')), { mode: 'bridge', network: 'podman' })
  assert.equal(resolveNetwork({ mode: 'default' }, true, env()), { mode: 'pasta', args: [] })
  assert.equal(resolveNetwork({ mode: 'default' }, true, { PATH: '/nonexistent' }), { mode: 'none' })
  assert.equal(resolveNetwork({ mode: 'host' }, true, env()), { mode: 'host' })
  // without a hook point of cocker's (--runtime) or rootless with a nested user namespace: loopback by default, pasta refused
  const o = { rootless: true, env: env(), publishes: false }
  assert.equal(containerNetwork({ mode: 'default' }, { ...o, nestedUserns: true }), { mode: 'none' })
  assert.equal(containerNetwork({ mode: 'default' }, { ...o, externalRuntime: 'crun' }), { mode: 'none' })
  assert.throws(() => containerNetwork({ mode: 'pasta', args: [] }, { ...o, nestedUserns: true }), /with --userns or --uidmap is not supported rootless/)
  assert.throws(() => containerNetwork({ mode: 'slirp4netns', options: { allowHostLoopback: false, enableIpv6: false, mtu: 65520 } }, { ...o, externalRuntime: 'crun' }), /with --runtime crun is not supported/)
  assert.throws(() => containerNetwork({ mode: 'none' }, { ...o, publishes: true }), /cannot publish ports/)
  // bridge networks: rootless too (in the rootless network namespace), but not with a nested user
  // namespace; a --runtime of its own has no hook point for them either
  assert.equal(containerNetwork({ mode: 'bridge', network: 'podman' }, o), { mode: 'bridge', network: 'podman' })
  assert.throws(() => containerNetwork({ mode: 'bridge', network: 'n' }, { ...o, nestedUserns: true }), /--network n with --userns or --uidmap is not supported rootless/)
  assert.equal(containerNetwork({ mode: 'default' }, { ...o, rootless: false, externalRuntime: 'crun' }), { mode: 'none' })
  assert.equal(containerNetwork({ mode: 'default' }, { ...o, rootless: false, publishes: true }), { mode: 'bridge', network: 'podman' })
})

test('a tun device that cannot be opened: one line saying what to do (rootless only)', () => {
  // a missing device: access() refuses it to root too, which runs these tests
  const device = `${makeTempDir('cocker-tun-')}/tun`
  checkTun(false, device)
  try {
    checkTun(true, device)
    assert.unreachable('refused')
  } catch (err) {
    assert.is((err as { code?: string }).code, 'NETWORK_FAILED')
    assert.is((err as Error).message, `${device} cannot be opened by this user, and the container's network (pasta or slirp4netns) needs it`)
    assert.is((err as { hint?: string }).hint, `as root, chmod 666 ${device} (most distributions ship it so), or run with --network none`)
  }
})

test('ports as ps and inspect show them', () => {
  assert.equal(ports.map(portText), ['0.0.0.0:8080->80/tcp', '127.0.0.1:5353->53/udp'])
  assert.equal(portBindings(ports), { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }] })
})

test.run()
