import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { applyCgroupPlan, cgroupDirs, detectCgroups, freeze, listPids, planCgroup, removeCgroup } from '../../lib/cgroups/index.js'

const isRoot = process.getuid?.() === 0
const stateOf = (pid: number): string => /^State:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?'

test('a real cgroup: limits, join, listPids, freeze, thaw, remove', async () => {
  if (!isRoot) {
    console.log('# SKIP cgroups integration: needs root')
    return
  }
  const layout = detectCgroups()
  console.log(`# cgroups: ${layout.version}, v1 ${Object.keys(layout.v1).join(',') || '-'}, cgroup2 ${layout.unified ?? '-'} (${layout.unifiedControllers.join(' ') || 'no controllers'})`)
  const id = `cocker-test-${randomBytes(4).toString('hex')}`
  const resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 32 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }] }
  const opts = { layout, cgroupsPath: `/${id}`, id, resources, rootless: false, systemd: false }
  const plan = planCgroup(opts)
  const dirs = cgroupDirs(layout, opts.cgroupsPath, id, false, false)
  assert.equal(plan.dirs, dirs)
  for (const w of plan.warnings) console.log(`# warning: ${w}`)
  const child = spawn('sleep', ['5'], { stdio: 'ignore' })
  try {
    applyCgroupPlan(plan)
    const written = new Map(plan.writes)
    const limitFile = [...written.keys()].find(f => /memory\.(max|limit_in_bytes)$/.test(f))
    assert.ok(limitFile, 'the plan sets a memory limit')
    assert.is(readFileSync(limitFile!, 'utf8').trim(), '67108864')
    const pidsFile = [...written.keys()].find(f => f.endsWith('/pids.max'))
    assert.is(readFileSync(pidsFile!, 'utf8').trim(), '32')
    const hugetlb = [...written.keys()].find(f => f.includes('hugetlb.2MB.'))
    if (hugetlb) assert.is(readFileSync(hugetlb, 'utf8').trim(), '0')

    // Joining a v1 cpuset cgroup fails with ENOSPC unless the plan copied cpus/mems down.
    for (const procs of plan.procs) writeFileSync(procs, String(child.pid))
    assert.equal(listPids(dirs), [child.pid!])

    await freeze(dirs, true)
    // Frozen tasks sleep in the freezer: since Linux 6.1 (TASK_FROZEN) they show as "D", not "T".
    const frozen = stateOf(child.pid!)
    console.log(`# frozen task state: ${frozen}`)
    assert.match(frozen, /^(D|T) /)
    await freeze(dirs, false)
    assert.match(stateOf(child.pid!), /^S /)
  } finally {
    child.kill('SIGKILL')
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
    removeCgroup(dirs)
  }
  for (const d of dirs) assert.not.ok(existsSync(d), `${d} is gone`)
})

test.run()
