// The same bundle under crun, runc and cocker-runtime, as root: what the
// container sees of itself must be the same. The peers are Debian's; a peer
// that fails fails the test, except crun on a hybrid host whose cgroup2 mount
// holds controllers, which it refuses (.ci/run mounts hugetlb as v1: PEERS.md).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir, type Bundle } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { runCmd, type RunResult } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { crunNormalized, devLine, parseSections, withoutCoreLink, type Observations } from '../support/observations.js'
import { RUNTIME_BIN } from '../support/paths.js'
import { crunRefusesHost, isRoot, skipUnless, which } from '../support/requires.js'

// One section per observation; each is compared on its own so a failure names it.
const PROBE = [
  'echo "## hostname"; hostname',
  'echo "## id"; id',
  'echo "## pid"; echo $$',
  'echo "## status"; grep -E "^(Cap|NoNewPrivs)" /proc/self/status',
  'echo "## mounts"; cat /proc/self/mountinfo',
  'echo "## dev"; ls -ln /dev /dev/pts /dev/shm /dev/mqueue',
  'echo "## rlimit"; ulimit -n; ulimit -Hn',
  'echo "## cwd"; pwd; umask',
].join('; ')

const SECTIONS = ['hostname', 'id', 'pid', 'status', 'mounts', 'dev', 'rlimit', 'cwd']

/** A mountinfo line as "TARGET FSTYPE PER-MOUNT-OPTIONS"; ids and sources differ between runtimes by design. */
function mountLine(line: string): string {
  const [pre, post] = line.split(' - ')
  const f = pre!.split(' ')
  return `${f[4]} ${post?.split(' ')[0]} ${f[5]}`
}

function parse(stdout: string): Observations {
  const obs = parseSections(stdout, { dev: devLine, mounts: mountLine })
  // the order of masks and read-only binds differs between runtimes; the set is what a process sees
  obs.mounts?.sort()
  return obs
}

function observationBundle(): Bundle {
  return makeBusyboxBundle(makeTempDir(), {
    args: ['sh', '-c', PROBE],
    config: s => {
      s.hostname = 'interop'
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }]
    },
  })
}

async function runUnder(bin: string, bundle: Bundle): Promise<{ result: RunResult; cleanup: () => Promise<void> }> {
  const root = makeTempDir('cocker-interop-root-')
  const id = safeName()
  const result = await runCmd([bin, '--root', root, 'run', '--bundle', bundle.dir, id])
  return { result, cleanup: async () => void await runCmd([bin, '--root', root, 'delete', '--force', id]) }
}

/** Runs the bundle under `peer` and under cocker-runtime and compares each observation. */
async function compareWith(peer: 'crun' | 'runc', title: string): Promise<void> {
  if (skipUnless(isRoot(), title, 'needs root')) return
  const bin = which(peer)
  if (skipUnless(bin !== undefined, title, `${peer} is not installed`)) return
  const refused = peer === 'crun' ? crunRefusesHost() : undefined
  if (skipUnless(!refused, title, refused!)) return
  const bundle = observationBundle()
  const theirs = await runUnder(bin!, bundle)
  const ours = await runUnder(RUNTIME_BIN, bundle)
  try {
    assert.is(theirs.result.status, 0, `${peer} exited ${theirs.result.status}: ${theirs.result.stderr}`)
    assert.is(ours.result.status, 0, `cocker-runtime exited ${ours.result.status}: ${ours.result.stderr}`)
    const normalize = (o: Observations) => peer === 'crun' ? crunNormalized(o, bundle.spec.linux.maskedPaths ?? []) : withoutCoreLink(o)
    const expected = normalize(parse(theirs.result.stdout))
    const actual = normalize(parse(ours.result.stdout))
    // a typo in the probe would leave both sides empty, and equal
    assert.equal(Object.keys(expected), SECTIONS, `${peer} printed: ${theirs.result.stdout}`)
    assert.equal(Object.keys(actual), SECTIONS, `cocker-runtime printed: ${ours.result.stdout}`)
    for (const key of Object.keys(expected)) assert.equal(actual[key], expected[key], `${key}: cocker-runtime vs ${peer}`)
    assert.is(ours.result.stderr, '', 'cocker-runtime warns about nothing the peer runs silently')
  } finally {
    await theirs.cleanup()
    await ours.cleanup()
  }
}

test('the same bundle under \'crun\' and cocker-runtime shows the same container (root)', async () => {
  await compareWith('crun', 'crun interop (root)')
})

test('the same bundle under \'runc\' and cocker-runtime shows the same container (root)', async () => {
  await compareWith('runc', 'runc interop (root)')
})

test.run()
