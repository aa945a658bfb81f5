import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  checkId, containerStatus, fifoPath, isAlive, listIds, ociState, procStat, readRecord, removeContainerDir, userName, writeRecord,
  type ContainerRecord,
} from '../../../lib/runtime/state.js'
import { throwsCode } from '../../support/assert.js'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocker-state-test-'))
test.after(() => rmSync(tmp, { recursive: true, force: true }))


function record(o: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id: 'c1', pid: 0, pidStartTime: '', bundle: '/bundles/c1', rootfs: '/bundles/c1/rootfs',
    created: '2024-01-02T03:04:05.000Z', ownerUid: 1000, rootless: true, cgroupDirs: ['/sys/fs/cgroup/c1'],
    config: { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] } },
    ...o,
  }
}

/** Field 22 of /proc/PID/stat, read the long way round. */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19]!
}

test('checkId: valid ids', () => {
  for (const id of ['a', 'abc', 'C1', '0', 'my-container_1.2+x', '...', 'a..b', '-x']) checkId(id)
})

test('checkId: invalid ids are INVALID_ARGUMENT naming the id', () => {
  for (const id of ['', '.', '..', 'a/b', '/abs', '../x', 'a b', 'a\nb', 'a\0b', 'é', 'a:b', 'a*']) {
    throwsCode(() => checkId(id), 'INVALID_ARGUMENT', `"${id}"`)
  }
})

test('readRecord: a missing container is CONTAINER_NOT_FOUND', () => {
  throwsCode(() => readRecord(tmp, 'nope'), 'CONTAINER_NOT_FOUND', '"nope"')
  throwsCode(() => readRecord(path.join(tmp, 'no-such-root'), 'c1'), 'CONTAINER_NOT_FOUND')
})

test('readRecord: the id is checked before any path is built', () => {
  throwsCode(() => readRecord(tmp, '../etc'), 'INVALID_ARGUMENT')
  throwsCode(() => readRecord(tmp, '..'), 'INVALID_ARGUMENT')
})

test('writeRecord/readRecord: round trip, replaced atomically, no temp file left', () => {
  const root = path.join(tmp, 'roundtrip')
  const first = record({ id: 'rt', config: { ociVersion: '1.0.2', annotations: { a: 'b' } } })
  mkdirSync(path.join(root, 'rt'), { recursive: true })
  writeRecord(root, first)
  assert.equal(readRecord(root, 'rt'), first)
  const second = { ...first, pid: 1234, pidStartTime: '5678' }
  writeRecord(root, second)
  assert.equal(readRecord(root, 'rt'), second)
  assert.equal(readdirSync(path.join(root, 'rt')), ['state.json'])
  assert.equal(listIds(root), ['rt'])
})

test('listIds: only directories with a state.json, sorted; a missing root is empty', () => {
  const root = path.join(tmp, 'list')
  for (const id of ['b', 'a', 'half']) mkdirSync(path.join(root, id), { recursive: true })
  writeRecord(root, record({ id: 'b' }))
  writeRecord(root, record({ id: 'a' }))
  assert.equal(listIds(root), ['a', 'b'])
  assert.equal(listIds(path.join(tmp, 'absent')), [])
})

test('procStat: our own process', () => {
  const st = procStat(process.pid)
  assert.ok(st)
  assert.ok(['R', 'S'].includes(st.state), `state ${st.state}`)
  assert.match(st.startTime, /^\d+$/)
  assert.is(st.startTime, startTimeOf(process.pid))
})

test('procStat: pid 0 and a pid that does not exist', () => {
  assert.is(procStat(0), undefined)
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))
  assert.is(procStat(max + 1), undefined)
})

test('procStat: a command name with spaces and parentheses', async () => {
  const dir = path.join(tmp, 'comm')
  mkdirSync(dir)
  // comm is the executable's name (15 chars kept): ") S 1 (x y" imitates the fields after it
  const exe = path.join(dir, 'a) S 1 (x y')
  copyFileSync('/bin/sleep', exe)
  const child = spawn(exe, ['30'], { stdio: 'ignore' })
  try {
    await once(child, 'spawn')
    const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    // until execve, the child is still a copy of node
    for (let i = 0; i < 100 && !stat().includes('(a) S 1 (x y)'); i++) await new Promise(r => setTimeout(r, 20))
    assert.match(stat(), '(a) S 1 (x y) ')
    const st = procStat(child.pid!)
    assert.ok(st)
    assert.match(st.state, /^[RSD]$/) // just exec'd: sleeping soon, maybe not yet
    assert.is(st.startTime, startTimeOf(child.pid!))
  } finally {
    child.kill('SIGKILL')
  }
})

test('isAlive: the start time tells our process from a recycled pid', () => {
  const start = procStat(process.pid)!.startTime
  assert.ok(isAlive(record({ pid: process.pid, pidStartTime: start })))
  assert.not.ok(isAlive(record({ pid: process.pid, pidStartTime: String(Number(start) + 1) })))
  assert.not.ok(isAlive(record({ pid: process.pid, pidStartTime: '' })))
  assert.not.ok(isAlive(record({ pid: 0, pidStartTime: '' })))
})

test('containerStatus: creating, stopped, created, running, paused', () => {
  const root = path.join(tmp, 'status')
  const alive = record({ id: 's1', pid: process.pid, pidStartTime: procStat(process.pid)!.startTime })
  mkdirSync(path.join(root, 's1'), { recursive: true })
  const creator = { pid: process.pid, startTime: procStat(process.pid)!.startTime }
  assert.is(containerStatus(root, record({ id: 's1', creator }), () => false), 'creating')
  // a create that died before its init existed left only this record
  assert.is(containerStatus(root, record({ id: 's1', creator: { ...creator, startTime: '1' } }), () => false), 'stopped')
  assert.is(containerStatus(root, { ...alive, pidStartTime: '1' }, () => false), 'stopped')
  assert.is(containerStatus(root, alive, () => false), 'running')
  assert.is(containerStatus(root, alive, () => true), 'paused')
  writeFileSync(fifoPath(root, 's1'), '')
  assert.is(containerStatus(root, alive, () => false), 'created')
})

test('ociState: running state carries the pid and the annotations', () => {
  const r = record({ pid: 4321, config: { ociVersion: '1.0.2', annotations: { 'org.example/key': 'value' } } })
  assert.equal(ociState(r, 'running'), {
    ociVersion: '1.0.2', id: 'c1', status: 'running', pid: 4321, bundle: '/bundles/c1',
    annotations: { 'org.example/key': 'value' },
  })
})

test('ociState: a stopped container reports no pid, keeps its annotations', () => {
  const r = record({ pid: 4321, config: { ociVersion: '1.1.0', annotations: { a: 'b' } } })
  const state = ociState(r, 'stopped')
  assert.not.ok(state.pid, `pid ${state.pid}`)
  assert.is(state.status, 'stopped')
  assert.is(state.ociVersion, '1.1.0')
  assert.equal(state.annotations, { a: 'b' })
  assert.not.match(JSON.stringify(state), '4321')
})

test('ociState: no annotations key without annotations', () => {
  const state = ociState(record({ pid: 7 }), 'created')
  assert.is(state.pid, 7)
  assert.not.ok('annotations' in state)
})

test('userName: the passwd name of a uid, else the number', () => {
  assert.is(userName(0), 'root')
  assert.is(userName(4242424), '4242424')
})

test('removeContainerDir: known files, then the directory; leftovers too', () => {
  const root = path.join(tmp, 'rm')
  mkdirSync(path.join(root, 'a'), { recursive: true })
  writeFileSync(path.join(root, 'a', 'state.json'), '{}')
  removeContainerDir(root, 'a')
  assert.not.ok(existsSync(path.join(root, 'a')))
  mkdirSync(path.join(root, 'b'), { recursive: true })
  writeFileSync(path.join(root, 'b', '.state.json.123'), 'half written')
  removeContainerDir(root, 'b')
  assert.not.ok(existsSync(path.join(root, 'b')))
  removeContainerDir(root, 'never-there')
})

test.run()
