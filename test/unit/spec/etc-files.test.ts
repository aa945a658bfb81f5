import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hostsFile, resolvConf } from '../../../lib/spec/etc-files.js'
import { parseBoundingSet, parseProcLimits } from '../../../lib/spec/host.js'
import { hasEnv, mergeEnv } from '../../../lib/spec/image-config.js'

test('hosts: loopback names plus the hostname and the container name', () => {
  assert.is(hostsFile({ hostname: 'abc', name: 'web', hostNetwork: false }),
    '127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n127.0.1.1\tabc web\n')
  assert.match(hostsFile({ hostname: 'web', name: 'web', hostNetwork: false }), /127\.0\.1\.1\tweb\n$/)
  assert.is(hostsFile({ hostname: 'h', hostNetwork: true, hostHosts: '10.0.0.1 gw' }), '10.0.0.1 gw\n127.0.1.1\th\n')
})

test('resolv.conf: loopback resolvers dropped in a private network, fallback when none left', () => {
  assert.is(resolvConf('nameserver 127.0.0.53\noptions edns0\n', { hostNetwork: false }), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n')
  assert.is(resolvConf('nameserver 10.255.255.53\n', { hostNetwork: false }), 'nameserver 10.255.255.53\n')
  assert.is(resolvConf('nameserver ::1\nnameserver 1.1.1.1\nsearch lan', { hostNetwork: false }), 'nameserver 1.1.1.1\nsearch lan\n')
  assert.is(resolvConf('', { hostNetwork: false }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n')
  assert.is(resolvConf('nameserver 127.0.0.53\n', { hostNetwork: true }), 'nameserver 127.0.0.53\n')
})

test('hosts: a connected network names the host and the container\'s own address, --add-host first', () => {
  assert.is(hostsFile({ hostname: 'abc', name: 'web', hostNetwork: false, hostHosts: '127.0.0.1 localhost', addHosts: ['1.2.3.4\ta.b'],
    network: { containerIp: '10.0.2.100', hostAddress: '192.0.2.2' } }),
  '1.2.3.4\ta.b\n127.0.0.1 localhost\n192.0.2.2\thost.containers.internal\n10.0.2.100\tabc web\n')
  assert.is(hostsFile({ hostname: 'abc', hostNetwork: false, hostHosts: '', network: { containerIp: '192.0.2.2' } }), '192.0.2.2\tabc\n')
  // a rootless bridge network's container: its address comes at start, the host is at the host's gateway
  assert.is(hostsFile({ hostname: 'abc', hostNetwork: false, network: { hostAddress: '192.0.2.1' } }),
    '127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n192.0.2.1\thost.containers.internal\n127.0.1.1\tabc\n')
})

test('resolv.conf: the network\'s resolver first (slirp4netns, pasta), loopback ones left out; --dns flags replace their lines', () => {
  const slirp = '10.0.2.3'
  const pasta = '169.254.1.1'
  assert.is(resolvConf('nameserver 10.255.255.53\n', { hostNetwork: false, resolver: slirp }), 'nameserver 10.0.2.3\nnameserver 10.255.255.53\n')
  assert.is(resolvConf('nameserver 10.255.255.53\n', { hostNetwork: false, resolver: pasta }), 'nameserver 169.254.1.1\nnameserver 10.255.255.53\n')
  assert.is(resolvConf('nameserver 127.0.0.53\nsearch lan\n', { hostNetwork: false, resolver: pasta }), 'nameserver 169.254.1.1\nsearch lan\n')
  assert.is(resolvConf('nameserver 10.1.1.1\nsearch lan\noptions edns0\n', { hostNetwork: false, resolver: slirp,
    dns: { servers: ['9.9.9.9'], search: ['a.example', 'b.example'], options: ['ndots:2'] } }),
  'search a.example b.example\nnameserver 9.9.9.9\noptions ndots:2\n')
})

test('resolv.conf on a bridge network: its resolver alone, its domain searched first', () => {
  assert.is(resolvConf('nameserver 10.1.1.1\nsearch lan\noptions edns0\n', { hostNetwork: false, bridgeResolvers: ['10.88.0.1'] }),
    'search dns.podman lan\nnameserver 10.88.0.1\noptions edns0\n')
  assert.is(resolvConf('nameserver 10.1.1.1\n', { hostNetwork: false, bridgeResolvers: ['10.88.0.1'], dns: { servers: ['9.9.9.9'], search: [], options: [] } }),
    'search dns.podman\nnameserver 9.9.9.9\n')
})

test('parseProcLimits: hard limits by RLIMIT name, unlimited as Infinity', () => {
  const text = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max processes             96365                96365                processes ',
    'Max open files            1024                 20000                files     ',
  ].join('\n')
  assert.equal(parseProcLimits(text), { RLIMIT_CPU: Infinity, RLIMIT_NPROC: 96365, RLIMIT_NOFILE: 20000 })
})

test('parseBoundingSet: CapBnd as capability names', () => {
  const status = 'CapPrm:\t000001fffeffffff\nCapBnd:\t0000000000000005\nCapAmb:\t0000000000000000\n'
  assert.equal(parseBoundingSet(status), ['CAP_CHOWN', 'CAP_DAC_READ_SEARCH'])
  assert.is(parseBoundingSet('Name:\tnode\n'), undefined)
})

test('mergeEnv: later layers win, keys keep their first place', () => {
  assert.equal(mergeEnv(['A=1', 'B=2'], undefined, ['B=3', 'C=4'], ['A=5']), ['A=5', 'B=3', 'C=4'])
  assert.ok(hasEnv(['HOME=/'], 'HOME'))
  assert.not.ok(hasEnv(['HOMEDIR=/'], 'HOME'))
})

test.run()
