// `cocker run`'s resource flags: -m, --cpus and --pids-limit in the container's cgroup (read
// inside the container, where its own cgroup is mounted, as the kernel shows it), the pids
// limit also by forking past it; rootless on cgroup v1 the one warning naming what is dropped;
// --ulimit in /proc/self/limits.
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cgroupLayout, skipUnless } from '../support/requires.js'
import { busyboxScenario, runSh } from '../support/run-scenario.js'

const LIMITS = ['-m', '64m', '--cpus', '0.5', '--pids-limit', '20']

// cgroup v1 files first, then v2's: on a hybrid host a controller lives in one or the other
const CGROUP_SCRIPT = [
  'cd /sys/fs/cgroup',
  'cat memory/memory.limit_in_bytes 2>/dev/null || cat memory.max',
  'cat cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us 2>/dev/null | tr "\\n" " " || cat cpu.max',
  'echo; cat pids/pids.max 2>/dev/null || cat pids.max',
].join('; ')

busyboxScenario('-m, --cpus and --pids-limit: the container\'s cgroup has the limits', async mode => {
  const layout = cgroupLayout()
  if (mode.name === 'rootless' && layout !== 'v2') {
    // cgroup v1 cannot be delegated: the container runs, without the limits, and says so once
    const r = await runSh(mode, LIMITS, 'cat /proc/self/cgroup')
    assert.is(r.stderr, 'WARN: cgroup v1 cannot be delegated to an unprivileged user: running without the requested limits (memory, cpu, pids)\n')
    return
  }
  const r = await runSh(mode, LIMITS, CGROUP_SCRIPT)
  if (mode.name === 'rootless' && skipUnless(!r.stderr.includes('no delegation'), '-m, --cpus and --pids-limit (rootless)', r.stderr.trim())) return
  assert.is(r.stdout.replace(/ +\n/g, '\n'), `${64 * 1024 * 1024}\n50000 100000\n20\n`)
  assert.is(r.stderr, '')
  // and without the flags, none of them
  const unlimited = await runSh(mode, [], CGROUP_SCRIPT)
  assert.not.match(unlimited.stdout, /^(67108864|50000 100000|20)$/m)
})

busyboxScenario('--pids-limit: forking past the limit fails (rootless on cgroup v1: it is dropped)', async mode => {
  // the shell and its 9 sleeps fit in 10; the 10th sleep does not
  const script = 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; kill $(jobs -p); wait; echo done'
  if (mode.name === 'rootless' && cgroupLayout() !== 'v2') {
    assert.is((await runSh(mode, ['--pids-limit', '10'], script)).stdout, 'done\n')
    return
  }
  const r = await runSh(mode, ['--pids-limit', '10'], script, { status: 2 })
  assert.match(r.stderr, /can't fork: Resource temporarily unavailable/)
  assert.is((await runSh(mode, ['--pids-limit', '20'], script)).stdout, 'done\n')
})

busyboxScenario('--ulimit sets soft and hard limits; above cocker\'s own hard limit it is refused', async mode => {
  const r = await runSh(mode, ['--ulimit', 'nofile=1000:2000', '--ulimit', 'core=0', '--ulimit', 'nproc=500'],
    'grep -E "^Max (open files|core file size|processes) " /proc/self/limits | tr -s " " | sed "s/ $//"; ulimit -n')
  assert.is(r.stdout, 'Max core file size 0 0 bytes\nMax processes 500 500 processes\nMax open files 1000 2000 files\n1000\n')
  // rootless, or root without CAP_SYS_RESOURCE (as here), cannot raise a hard limit
  const caps = BigInt(`0x${/^CapEff:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`)
  const canRaise = mode.name === 'root' && (caps >> 24n) & 1n
  const hard = Number(/^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1])
  if (skipUnless(!canRaise && Number.isFinite(hard), `--ulimit above the hard limit (${mode.name})`, 'cocker may raise the hard limit here')) return
  const refused = await runSh(mode, ['--ulimit', `nofile=${hard + 1}:${hard + 1}`], 'echo ran', { status: 125 })
  assert.is(refused.stderr, `Error: --ulimit nofile=${hard + 1}:${hard + 1}: the hard limit is above cocker's own, ${hard}, and raising it needs CAP_SYS_RESOURCE; use at most nofile=${hard}:${hard}\n`)
})

test.run()
