// `cocker stats` of real containers, root and rootless: Podman's columns, the memory limit of -m
// where the host applies it, PIDS, --format json and templates, -a, an unknown container. A
// rootless container on cgroup v1 (or v2 without delegation) has no cgroup to read: its figures
// come from its processes, and one line says so.
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker } from '../support/cocker-modes.js'
import { safeName } from '../support/names.js'
import { busyboxScenario, type BusyboxMode } from '../support/run-scenario.js'

const HEADER = ['ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET IO', 'BLOCK IO', 'PIDS', 'CPU TIME', 'AVG CPU %']
const JSON_KEYS = ['id', 'name', 'cpu_time', 'cpu_percent', 'avg_cpu', 'mem_usage', 'mem_percent', 'net_io', 'block_io', 'pids']
const NO_CGROUP = /^WARN: (cgroup v1 cannot be delegated to an unprivileged user|no cgroup v2 subtree is delegated to this user), so there is no cgroup to read: the figures are summed over the container's processes in \/proc \(MEM USAGE is their proportional set size, LIMIT the host's memory\)\n$/
// a shell that uses some CPU, then waits on two sleeps: three processes
const BUSY = 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 1000 & sleep 1000 & wait'

/** go-units HumanSize of the host's memory: what Podman shows as the limit of a container without one. */
function hostMemory(): string {
  let size = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  for (; size >= 1000; i++) size /= 1000
  return `${Number(size.toPrecision(4))}${units[i]}`
}

async function withContainer(mode: BusyboxMode, flags: string[], script: string, body: (name: string, runStderr: string) => Promise<void>) {
  const name = safeName()
  const run = await cocker(mode, ['run', '-d', '--name', name, ...flags, mode.image, 'sh', '-c', script], { status: 0 })
  try {
    await body(name, run.stderr)
  } finally {
    await cocker(mode, ['rm', '-f', '-t', '0', name])
  }
}

/** Polls `stats --no-stream --format TEMPLATE NAME` until it prints `want` (the container is still starting its processes). */
async function statsUntil(mode: BusyboxMode, name: string, template: string, want: string): Promise<void> {
  let out = ''
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise(r => setTimeout(r, 200))) {
    out = (await cocker(mode, ['stats', '--no-stream', '--format', template, name], { status: 0 })).stdout
    if (out === want) return
  }
  assert.is(out, want)
}

busyboxScenario('stats --no-stream: Podman\'s columns, the limit of -m where the host applies it, PIDS, CPU time', async mode => {
  await withContainer(mode, ['-m', '64m', '--network', 'none'], BUSY, async (name, runStderr) => {
    // rootless on cgroup v1, or v2 without delegation, the limit is dropped (run says so once)
    const limited = !runStderr.includes('running without the requested limits')
    await statsUntil(mode, name, '{{.PIDS}}', '3\n')
    const r = await cocker(mode, ['stats', '--no-stream', name], { status: 0 })
    const [header, row, ...more] = r.stdout.split('\n').map(l => l.split(/\s{2,}/))
    assert.equal(header, HEADER)
    assert.equal(more, [['']])
    const id = (await cocker(mode, ['inspect', '--format', '{{.Id}}', name], { status: 0 })).stdout.trim()
    const [shortId, shown, cpu, mem, memPerc, net, , pids, cpuTime, avg] = row!
    assert.equal([shortId, shown, net, pids], [id.slice(0, 12), name, '0B / 0B', '3'])
    assert.match(mem!, new RegExp(`^[\\d.]+[kM]B / ${limited ? '67.11MB' : hostMemory()}$`))
    assert.match(memPerc!, /^\d+\.\d\d%$/)
    // the first report's CPU % is the average since the start, as Podman's
    assert.match(cpu!, /^\d+\.\d\d%$/)
    assert.is(cpu, avg)
    assert.match(cpuTime!, /^[\d.]+(ms|s)$/)
    if (limited) assert.is(r.stderr, '')
    else assert.match(r.stderr, NO_CGROUP)
  })
})

busyboxScenario('stats --format json: Podman\'s keys, all strings; -a shows a container that does not run as zeros, the default leaves it out', async mode => {
  const stopped = safeName()
  await cocker(mode, ['create', '--name', stopped, mode.image, 'true'], { status: 0 })
  try {
    await withContainer(mode, ['--network', 'none'], BUSY, async name => {
      await statsUntil(mode, name, '{{.Name}} {{.PIDs}}', `${name} 3\n`)
      const ours = (out: string) => (JSON.parse(out) as Record<string, string>[]).filter(s => [name, stopped].includes(s.name!))
      const running = ours((await cocker(mode, ['stats', '--no-stream', '--format', 'json'], { status: 0 })).stdout)
      assert.equal(running.map(s => s.name), [name])
      assert.equal(Object.keys(running[0]!), JSON_KEYS)
      assert.ok(Object.values(running[0]!).every(v => typeof v === 'string'))
      assert.is(running[0]!.pids, '3')
      assert.match(running[0]!.mem_usage!, /^[\d.]+[kM]B \/ [\d.]+[MG]B$/)
      const all = ours((await cocker(mode, ['container', 'stats', '--no-stream', '-a', '--format', '{{json .}}'], { status: 0 })).stdout)
      // oldest first, as ps
      assert.equal(all.map(s => s.name), [stopped, name])
      const { id, name: _, ...zeros } = all[0]!
      assert.equal(zeros, { cpu_time: '0s', cpu_percent: '0.00%', avg_cpu: '0.00%', mem_usage: '0B / 0B', mem_percent: '0.00%', net_io: '0B / 0B', block_io: '0B / 0B', pids: '0' })
      // a template, as a table and as lines
      const table = await cocker(mode, ['stats', '--no-stream', '--format', 'table {{.Name}} {{.PIDS}}', stopped], { status: 0 })
      assert.is(table.stdout, `NAME${' '.repeat(Math.max(12, stopped.length + 2) - 4)}PIDS\n${stopped}  0\n`)
    })
  } finally {
    await cocker(mode, ['rm', '-f', stopped])
  }
})

busyboxScenario('stats: an unknown container, or a name with --all, is one line and 125', async mode => {
  const missing = safeName()
  const r = await cocker(mode, ['stats', '--no-stream', missing], { status: 125 })
  assert.is(r.stdout, '')
  assert.is(r.stderr, `Error: no container with name or ID "${missing}" found: no such container\n`)
  const both = await cocker(mode, ['stats', '--no-stream', '-a', missing], { status: 125 })
  assert.is(both.stderr, 'Error: --all, --latest and containers cannot be used together\n')
})
test.run()
