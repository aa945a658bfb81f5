import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodePlan, OPS, PROTOCOL_TAG, PROTOCOL_VERSION, type Op } from '../../../lib/runtime/protocol.js'
import { repoPath } from '../../support/paths.js'
import { skipUnless, which } from '../../support/requires.js'

interface HeaderOp { constant: string; name: string; phase: string; shape: string }

/** COCKER_PROTOCOL, the tag and the X(...) rows of c/protocol.h, in order. */
function readHeader(): { version: number; tag: string; ops: HeaderOp[] } {
  const text = readFileSync(repoPath('c/protocol.h'), 'utf8')
  const version = /^#define COCKER_PROTOCOL\s+(\d+)\s*$/m.exec(text)
  const tag = /^#define COCKER_PROTOCOL_TAG\s+"([^"]*)"/m.exec(text)
  if (!version || !tag) throw new Error('c/protocol.h: no COCKER_PROTOCOL or COCKER_PROTOCOL_TAG')
  const ops = [...text.matchAll(/X\((OP_\w+),\s*"([^"]+)",\s*'([A-Z])',\s*"([^"]*)"\)/g)]
    .map(m => ({ constant: m[1]!, name: m[2]!, phase: m[3]!, shape: m[4]! }))
  return { version: Number(version[1]), tag: tag[1]!, ops }
}

/** The bytes encodePlan should produce: each token followed by NUL. */
const tokens = (...t: string[]) => Buffer.from(t.map(s => s + '\0').join(''))

function throwsMessage(fn: () => unknown, message: RegExp) {
  try {
    fn()
  } catch (err) {
    assert.instance(err, Error)
    assert.match((err as Error).message, message)
    return
  }
  assert.unreachable(`expected an error matching ${message}`)
}

test('drift: protocol version and tag match c/protocol.h', () => {
  const h = readHeader()
  assert.is(h.version, PROTOCOL_VERSION)
  assert.is(h.tag, PROTOCOL_TAG)
  assert.is(PROTOCOL_TAG, `cocker-helper/${PROTOCOL_VERSION}`)
})

test('drift: the op table matches c/protocol.h row for row', () => {
  const h = readHeader()
  assert.ok(h.ops.length > 40, `only ${h.ops.length} X(...) rows found in c/protocol.h`)
  const fromHeader = h.ops.map(o => `${o.name} ${o.phase} "${o.shape}"`)
  const fromTs = Object.entries(OPS).map(([name, [phase, shape]]) => `${name} ${phase} "${shape}"`)
  // same names, phases, shapes, in the same order
  assert.equal(fromTs, fromHeader)
})

test('drift: header constants are named after their ops, shapes use s and v only', () => {
  for (const o of readHeader().ops) {
    assert.is(o.constant, `OP_${o.name.toUpperCase().replaceAll('-', '_')}`, o.name)
    assert.ok(o.phase === 'P' || o.phase === 'C', `${o.name}: phase ${o.phase}`)
    assert.match(o.shape, /^[sv]{0,6}$/, `${o.name}: shape "${o.shape}"`)
  }
})

test('drift: stage 0 ops all come before stage 1 ops in the table', () => {
  const phases = Object.values(OPS).map(([phase]) => phase).join('')
  assert.match(phases, /^P+C+$/)
})

test('encodePlan: an empty plan is the tag alone, NUL-terminated', () => {
  assert.equal(encodePlan([]), tokens(PROTOCOL_TAG))
})

test('encodePlan: tokens, numbers and ops without arguments', () => {
  const ops: Op[] = [['mode', 'wait'], ['uid-map', 0, 100000, 65536], ['setgroups-deny'], ['exec']]
  assert.equal(encodePlan(ops),
    tokens(PROTOCOL_TAG, 'mode', 'wait', 'uid-map', '0', '100000', '65536', 'setgroups-deny', 'exec'))
})

test('encodePlan: bigints keep every digit', () => {
  assert.equal(encodePlan([['rlimit', 7, 1024n, 18446744073709551615n]]),
    tokens(PROTOCOL_TAG, 'rlimit', '7', '1024', '18446744073709551615'))
})

test('encodePlan: counted lists, including empty ones and two in one op', () => {
  assert.equal(encodePlan([['argv', ['sh', '-c', 'echo a b']]]),
    tokens(PROTOCOL_TAG, 'argv', '3', 'sh', '-c', 'echo a b'))
  assert.equal(encodePlan([['groups', []]]), tokens(PROTOCOL_TAG, 'groups', '0'))
  assert.equal(encodePlan([['hook', 'createContainer', '/bin/hook', 5, ['hook', 'x'], ['A=1']]]),
    tokens(PROTOCOL_TAG, 'hook', 'createContainer', '/bin/hook', '5', '2', 'hook', 'x', '1', 'A=1'))
})

test('encodePlan: empty tokens stay tokens', () => {
  assert.equal(encodePlan([['mount', 'proc', '/proc', 'proc', 14, 0, '']]),
    tokens(PROTOCOL_TAG, 'mount', 'proc', '/proc', 'proc', '14', '0', ''))
  assert.equal(encodePlan([['argv', ['']]]), tokens(PROTOCOL_TAG, 'argv', '1', ''))
})

test('encodePlan: rejects the wrong number of arguments', () => {
  throwsMessage(() => encodePlan([['mode'] as unknown as Op]), /op mode takes 1 arguments, got 0/)
  throwsMessage(() => encodePlan([['exec', 'x'] as unknown as Op]), /op exec takes 0 arguments, got 1/)
  throwsMessage(() => encodePlan([['uid-map', 0, 1000] as unknown as Op]), /op uid-map takes 3 arguments, got 2/)
})

test('encodePlan: rejects a list where a token goes and a token where a list goes', () => {
  throwsMessage(() => encodePlan([['hostname', ['a']]]), /op hostname: argument 1 must be a token/)
  throwsMessage(() => encodePlan([['argv', 'sh' as unknown as string[]]]), /op argv: argument 1 must be a list/)
  throwsMessage(() => encodePlan([['hook', 'createContainer', '/h', 0, [], 'A=1' as unknown as string[]]]),
    /op hook: argument 5 must be a list/)
})

test('encodePlan: rejects NUL bytes in tokens and list items', () => {
  throwsMessage(() => encodePlan([['env', 'A=1\0B=2']]), /NUL byte/)
  throwsMessage(() => encodePlan([['argv', ['sh', 'a\0b']]]), /NUL byte/)
})

test('c unit tests: make -s -C c check exits 0', () => {
  if (skipUnless(which('cc') !== undefined, 'make -C c check', 'no C compiler (cc)')) return
  if (skipUnless(which('make') !== undefined, 'make -C c check', 'no make')) return
  const r = spawnSync('make', ['-s', '-C', repoPath('c'), 'check'], { encoding: 'utf8', timeout: 300_000 })
  const output = `${r.stdout}\n${r.stderr}`
  assert.is(r.status, 0, `make check exited ${r.status ?? r.signal}:\n${output}`)
  assert.not.match(r.stdout, /^not ok/m)
  const plan = /^1\.\.(\d+)$/m.exec(r.stdout)
  assert.ok(plan, `no TAP plan line in:\n${output}`)
  assert.is((r.stdout.match(/^ok \d+ - /gm) ?? []).length, Number(plan[1]))
})

test.run()
