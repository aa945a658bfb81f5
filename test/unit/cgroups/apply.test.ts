import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { applyCgroupPlan, freeze, listPids, removeCgroup } from '../../../lib/cgroups/apply.js'

// A plain directory stands in for cgroupfs: same calls, no root needed.
let root = ''
test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'cocker-cgroups-'))
})
test.after.each(() => rmSync(root, { recursive: true, force: true }))

function put(path: string, text: string): string {
  const file = join(root, path)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, text)
  return file
}

test('applyCgroupPlan makes the dirs and writes each value into the existing file', () => {
  const limit = put('memory.max', '')
  const dir = join(root, 'cocker/abc')
  applyCgroupPlan({ dirs: [dir], writes: [[limit, '1048576']], procs: [], warnings: [], unavailable: [] })
  assert.ok(existsSync(dir))
  assert.is(readFileSync(limit, 'utf8'), '1048576')
})

test('a failed write throws CGROUP_FAILED naming file and value, and removes the dirs it made', () => {
  mkdirSync(join(root, 'existing'))
  const dir = join(root, 'existing/cocker/abc')
  const file = join(dir, 'pids.max')
  try {
    applyCgroupPlan({ dirs: [dir], writes: [[file, '5']], procs: [], warnings: [], unavailable: [] })
    assert.unreachable('did not throw')
  } catch (err) {
    assert.instance(err, CockerError)
    const e = err as CockerError
    assert.is(e.code, 'CGROUP_FAILED')
    assert.is(e.message, `cgroup: writing 5 to ${file}: ENOENT: no such file or directory, open '${file}'`)
    assert.is(e.hint, 'this kernel or hierarchy does not provide that file')
  }
  assert.not.ok(existsSync(join(root, 'existing/cocker')))
  assert.ok(existsSync(join(root, 'existing')))
})

test('listPids reads cgroup.procs of the dirs and nested cgroups, skipping missing dirs', () => {
  put('c/cgroup.procs', '3\n1\n')
  put('c/sub/cgroup.procs', '7\n1\n')
  put('c/sub/deeper/cgroup.procs', '')
  assert.equal(listPids([join(root, 'c'), join(root, 'gone')]), [1, 3, 7])
})

test('removeCgroup removes nested cgroups deepest first; missing dirs are fine', () => {
  mkdirSync(join(root, 'r/a/b'), { recursive: true })
  mkdirSync(join(root, 'r/c'))
  removeCgroup([join(root, 'r'), join(root, 'gone')])
  assert.not.ok(existsSync(join(root, 'r')))
})

test('removeCgroup reports what it could not remove', () => {
  put('busy/file', 'x')
  try {
    removeCgroup([join(root, 'busy')])
    assert.unreachable('did not throw')
  } catch (err) {
    assert.is((err as CockerError).code, 'CGROUP_FAILED')
    assert.match((err as CockerError).message, `cgroup: removing ${join(root, 'busy')}: ENOTEMPTY`)
  }
})

test('v1 freeze writes freezer.state and waits until it reads back', async () => {
  const state = put('freezer/ctr/freezer.state', 'THAWED\n')
  await freeze([join(root, 'freezer/ctr')], true)
  assert.is(readFileSync(state, 'utf8').trim(), 'FROZEN')
  await freeze([join(root, 'freezer/ctr')], false)
  assert.is(readFileSync(state, 'utf8').trim(), 'THAWED')
})

test('v2 freeze writes cgroup.freeze and waits for "frozen 1" in cgroup.events', async () => {
  const ctl = put('unified/ctr/cgroup.freeze', '0')
  put('unified/ctr/cgroup.events', 'populated 1\nfrozen 1\n')
  await freeze([join(root, 'unified/ctr')], true)
  assert.is(readFileSync(ctl, 'utf8'), '1')
})

test('hybrid: the v1 freezer is used, not cgroup2', async () => {
  const ctl = put('unified/ctr/cgroup.freeze', '0')
  put('unified/ctr/cgroup.events', 'frozen 0\n')
  const state = put('freezer/ctr/freezer.state', 'THAWED\n')
  await freeze([join(root, 'unified/ctr'), join(root, 'freezer/ctr')], true)
  assert.is(readFileSync(state, 'utf8').trim(), 'FROZEN')
  assert.is(readFileSync(ctl, 'utf8'), '0')
})

test('freeze without a freezer fails with a hint', async () => {
  try {
    await freeze([], true)
    assert.unreachable('did not throw')
  } catch (err) {
    assert.is((err as CockerError).code, 'CGROUP_FAILED')
    assert.is((err as CockerError).message, 'cgroup: the container has no freezer (looked in no cgroup)')
  }
})

test.run()
