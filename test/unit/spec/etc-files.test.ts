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
  assert.is(resolvConf('nameserver 127.0.0.53\noptions edns0\n', false), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n')
  assert.is(resolvConf('nameserver 10.255.255.53\n', false), 'nameserver 10.255.255.53\n')
  assert.is(resolvConf('nameserver ::1\nnameserver 1.1.1.1\nsearch lan', false), 'nameserver 1.1.1.1\nsearch lan\n')
  assert.is(resolvConf('', false), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n')
  assert.is(resolvConf('nameserver 127.0.0.53\n', true), 'nameserver 127.0.0.53\n')
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
