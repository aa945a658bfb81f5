import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveUser } from '../../../lib/spec/user.js'
import { throwsCode } from '../../support/assert.js'

// podman 4.3 on the same files gave each expected value below (uid, gid, additionalGids, HOME)
const FILES: Record<string, string> = {
  '/etc/passwd': [
    'root:x:0:0:root:/root:/bin/sh',
    'alice:x:1001:1002:Alice:/home/alice:/bin/sh',
    'nohome:x:1003:1003:::/bin/sh',
    '# not an entry',
    'broken:x:abc:1:::',
  ].join('\n'),
  '/etc/group': 'root:x:0:\nstaff:x:1002:\nwheel:x:10:alice,bob\naudio:x:29: alice \n',
}
const read = (p: string) => FILES[p]
const none = () => undefined

const CASES: [string, { uid: number; gid: number; additionalGids?: number[]; home: string }][] = [
  ['', { uid: 0, gid: 0, home: '/root' }],
  ['root', { uid: 0, gid: 0, additionalGids: [0], home: '/root' }],
  ['alice', { uid: 1001, gid: 1002, additionalGids: [1002, 10, 29], home: '/home/alice' }],
  ['1001', { uid: 1001, gid: 1002, additionalGids: [1002, 10, 29], home: '/home/alice' }],
  ['alice:staff', { uid: 1001, gid: 1002, additionalGids: [1002], home: '/home/alice' }],
  ['alice:10', { uid: 1001, gid: 10, additionalGids: [10], home: '/home/alice' }],
  ['4242', { uid: 4242, gid: 0, additionalGids: [0], home: '/' }],
  ['4242:4343', { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' }],
  ['nohome', { uid: 1003, gid: 1003, additionalGids: [1003], home: '/' }],
  [':wheel', { uid: 0, gid: 10, additionalGids: [10], home: '/root' }],
]
for (const [spec, expected] of CASES) {
  test(`resolveUser "${spec}"`, () => assert.equal(resolveUser(spec, read), expected))
}

test('unknown names are errors in podman\'s words', () => {
  throwsCode(() => resolveUser('bob', read), 'INVALID_ARGUMENT', 'unable to find user bob: no matching entries in passwd file')
  throwsCode(() => resolveUser('alice:nogrp', read), 'INVALID_ARGUMENT', 'unable to find group nogrp: no matching entries in group file')
})

test('an image without /etc/passwd or /etc/group takes numbers only', () => {
  assert.equal(resolveUser('', none), { uid: 0, gid: 0, home: '/' })
  assert.equal(resolveUser('1000:1000', none), { uid: 1000, gid: 1000, additionalGids: [1000], home: '/' })
  throwsCode(() => resolveUser('nobody', none), 'INVALID_ARGUMENT', /unable to find user nobody/)
})

test('ids out of range are errors', () => {
  throwsCode(() => resolveUser('4294967295', none), 'INVALID_ARGUMENT', /out of range/)
})

test.run()
