import { chmodSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { assignPorts, containerNetwork, networkAddresses, resolveNetwork } from '../../../lib/network/index.js'
import { checkTun, defaultRouteFamilies, forwardsPorts, pastaArgs, pastaProgram, slirpArgs, udpPublishCaveat } from '../../../lib/network/programs.js'
import { orderPorts, portBindings, portsText, portText } from '../../../lib/network/ports.js'
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

test('default routes read from /proc/net/route and ipv6_route, as pasta copies them into the namespace', () => {
  const route = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
  const v6 = (dev: string) => `${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00 fd000000000000000000000000000001 00000400 00000001 00000000 00000003     ${dev}\n`
  const v6net = `fd000000000000000000000000000000 40 ${'0'.repeat(32)} 00 ${'0'.repeat(32)} 00000100 00000001 00000000 00000001     eth0\n`
  assert.equal(defaultRouteFamilies(route, v6net + v6('eth0')), [4, 6])
  assert.equal(defaultRouteFamilies(route.split('\n').filter(l => !l.includes('\t00000000\t01')).join('\n'), v6net), [])
  // the kernel's unreachable default on lo is no route out
  assert.equal(defaultRouteFamilies('', v6('lo')), [])
  // a container whose pasta forwards nothing starts once the routes are there; one that forwards waits for pasta
  assert.is(forwardsPorts({ mode: 'pasta', args: ['--map-gw', '-4'] }, []), false)
  assert.is(forwardsPorts({ mode: 'pasta', args: [] }, ports), true)
  assert.is(forwardsPorts({ mode: 'pasta', args: ['-T', '5000'] }, []), true)
  assert.is(forwardsPorts({ mode: 'pasta', args: ['--tcp-ports', '8080'] }, []), true)
})

test('pasta: its .avx2 build at once where the CPU has AVX2 and the build is there, else pasta', () => {
  if (process.arch !== 'x64') return
  const dir = makeTempDir('pasta-bin')
  const env = { PATH: dir }
  for (const name of ['pasta', 'pasta.avx2']) writeFileSync(`${dir}/${name}`, '#!/bin/sh\n', { mode: 0o755 })
  assert.is(pastaProgram(env, () => 'processor\t: 0\nflags\t\t: fpu sse2 avx avx2 bmi2\n'), `${dir}/pasta.avx2`)
  assert.is(pastaProgram(env, () => 'processor\t: 0\nflags\t\t: fpu sse2 avx\n'), `${dir}/pasta`)
  chmodSync(`${dir}/pasta.avx2`, 0o644)
  assert.is(pastaProgram(env, () => 'flags\t\t: avx2\n'), `${dir}/pasta`)
  assert.is(pastaProgram({ PATH: `${dir}/none` }), undefined)
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
  assert.is(slirp.resolver, '10.9.0.3')
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
  // Go's JSON sorts the keys as strings
  assert.equal(Object.keys(portBindings(ports)), ['53/udp', '80/tcp'])
  // what the image exposes and the container does not publish: null
  assert.equal(portBindings(ports, ['80/tcp', '9000', '53/udp', '7/udp']),
    { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }], '7/udp': null, '80/tcp': [{ HostIp: '', HostPort: '8080' }], '9000/tcp': null })
})

const tcp = (hostPort: number, containerPort: number, hostIp = '') => ({ hostIp, hostPort, containerPort, protocol: 'tcp' as const })
const udp = (hostPort: number, containerPort: number, hostIp = '') => ({ hostIp, hostPort, containerPort, protocol: 'udp' as const })

test('Podman\'s order: by host address as given, TCP first, host ports ascending, those without one last; ps joins runs', () => {
  const given = [udp(9202, 81), tcp(0, 53), tcp(9211, 91, ''), tcp(9201, 80, '127.0.0.1'), tcp(9210, 90)]
  assert.equal(orderPorts(given), [tcp(9210, 90), tcp(9211, 91), tcp(0, 53), udp(9202, 81), tcp(9201, 80, '127.0.0.1')])
  assert.is(portsText([tcp(9201, 80, '127.0.0.1'), tcp(9210, 90), tcp(9211, 91), tcp(9212, 92), tcp(9300, 93), udp(9202, 81)]),
    '127.0.0.1:9201->80/tcp, 0.0.0.0:9210-9212->90-92/tcp, 0.0.0.0:9300->93/tcp, 0.0.0.0:9202->81/udp')
})

test('assignPorts: a range without host ports gets consecutive free ones; pasta\'s UDP its own number where free; -P the exposed ports', async () => {
  const run = await assignPorts([tcp(0, 7000), tcp(0, 7001), tcp(0, 7002)], { publishAll: false, exposed: [] })
  assert.equal(run.map(p => p.hostPort - run[0]!.hostPort), [0, 1, 2])
  const dgram = process.getBuiltinModule('node:dgram')
  const taken = dgram.createSocket('udp4')
  await new Promise<void>(resolve => taken.bind(0, '127.0.0.1', resolve))
  const busy = taken.address().port
  try {
    const pasta = { mode: 'pasta' as const, args: [] }
    const same = await assignPorts([udp(0, 39411, '127.0.0.1')], { publishAll: false, exposed: [], network: pasta })
    assert.is(same[0]!.hostPort, 39411)
    const moved = await assignPorts([udp(0, busy, '127.0.0.1')], { publishAll: false, exposed: [], network: pasta })
    assert.is.not(moved[0]!.hostPort, busy)
  } finally {
    taken.close()
  }
  const all = await assignPorts([tcp(8080, 80)], { publishAll: true, exposed: ['80/tcp', '53/udp', '9/sctp'] })
  assert.equal(all.map(p => `${p.containerPort}/${p.protocol}`), ['80/tcp', '53/udp'])
  try {
    await assignPorts([tcp(8080, 80), tcp(8080, 81)], { publishAll: false, exposed: [] })
    assert.unreachable('refused')
  } catch (err) {
    assert.is((err as Error).message, '--publish: host port 8080/tcp is published twice')
  }
})

test('UDP caveats: slirp4netns without allow_host_loopback; pasta of 2023 with a host port not the container\'s', () => {
  const slirp = (allowHostLoopback: boolean) => ({ mode: 'slirp4netns' as const, options: { allowHostLoopback, enableIpv6: false, mtu: 65520 } })
  assert.match(udpPublishCaveat(slirp(false), [udp(5000, 5000)], {}) ?? '', 'allow_host_loopback=true')
  assert.is(udpPublishCaveat(slirp(true), [udp(5000, 5000)], {}), undefined)
  assert.is(udpPublishCaveat(slirp(false), [tcp(5000, 5000)], {}), undefined)
  const pasta = { mode: 'pasta' as const, args: [] }
  assert.is(udpPublishCaveat(pasta, [udp(5000, 5000), tcp(8080, 80)], {}), undefined)
  // a pasta that says no version (a PATH without it) counts as the old one
  assert.is(udpPublishCaveat(pasta, [udp(5353, 53)], { PATH: '/nonexistent' }),
    'pasta (unknown version) loses UDP replies to clients on the host\'s loopback when the host port is not the container\'s (-p 5353:53/udp); other hosts get them; for both publish -p 53:53/udp')
})

test.run()
