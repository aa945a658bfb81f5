// Runs every compiled test file (dist/test/**/*.test.js) in its own node
// process, one after another: integration tests start containers and must
// not race each other. Prints the environment probes first, one line per
// file, the skipped tests with reasons, and last `N passed, N failed, N skipped`.
//
//   node dist/test/run.js [-v] [FILTER...]   only paths containing a FILTER; -v shows passing output too
//
// COCKER_TEST_TIMEOUT (seconds, default 600) bounds each file. With CI set, a
// missing sanitizer build of the helper is an error (see chooseHelper).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { constants } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { killGroup } from './support/exec.js'
import { probeReport } from './support/requires.js'
import { parseOutput, type FileSummary, type SkipMarker } from './support/summary.js'
import { rootlessUser, stageForRootless } from './support/rootless.js'

const DIST_TEST = path.dirname(fileURLToPath(import.meta.url))
const DIST = path.dirname(DIST_TEST)
const TIMEOUT_MS = Number(process.env.COCKER_TEST_TIMEOUT || 600) * 1000
// Cheap tiers first, so a broken parser fails before containers start.
const TIER_ORDER = ['unit', 'helper', 'integration']

interface FileResult extends FileSummary {
  output: string
}

// tsc never deletes output, so a test whose .ts is gone would still run from
// dist/; only files with a source beside them count.
function findTestFiles(dir: string): string[] {
  const srcDir = path.join(path.dirname(DIST), 'test')
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter(f => f.endsWith('.test.js') && existsSync(path.join(srcDir, f.replace(/\.js$/, '.ts'))))
    .map(f => path.join(dir, f))
}

function tierRank(file: string): number {
  const tier = path.relative(DIST_TEST, file).split(path.sep)[0] ?? ''
  const i = TIER_ORDER.indexOf(tier)
  return i < 0 ? TIER_ORDER.length : i
}

// The running file's process group, which a Ctrl-C at the terminal does not reach
// (it is detached): the runner ends it, then itself, with the signal it got.
let running: number | undefined
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    if (running !== undefined) killGroup(running)
    process.kill(process.pid, sig)
  })
}

function runFile(file: string): Promise<FileResult> {
  return new Promise(resolve => {
    // detached: the file leads its own process group, so a timeout kills
    // the containers and helpers it started along with it.
    const child = spawn(process.execPath, [file], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    running = child.pid
    let stdout = ''
    let output = ''
    child.stdout.on('data', (b: Buffer) => ((stdout += b), (output += b)))
    child.stderr.on('data', (b: Buffer) => (output += b))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid!)
    }, TIMEOUT_MS)
    let exitCode: number | undefined
    let open = 2
    let drain: NodeJS.Timeout | undefined
    const finish = () => {
      if (open > 0 || exitCode === undefined) return
      clearTimeout(timer)
      clearTimeout(drain)
      running = undefined
      if (timedOut) output += `\n[run.js] timed out after ${TIMEOUT_MS / 1000} s; process group killed\n`
      resolve({ ...parseOutput(stdout, exitCode, timedOut), output })
    }
    child.stdout.once('close', () => (open--, finish()))
    child.stderr.once('close', () => (open--, finish()))
    child.on('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0)
      if (signal && !timedOut) output += `\n[run.js] killed by ${signal}\n`
      // Whatever the file left running in its group is a leak; end it. A
      // process that left the group but holds our pipes gets 2 s.
      killGroup(child.pid!)
      drain = setTimeout(() => {
        console.log(`warning: ${path.relative(DIST, file)}: a process it started still holds its output 2 s after exit`)
        child.stdout.destroy()
        child.stderr.destroy()
      }, 2000)
      finish()
    })
  })
}

/**
 * The helper the tests' containers run through: COCKER_HELPER when set, else the sanitizer
 * build (npm test makes it), so memory errors in C fail the tests. Without that build the
 * plain helper runs and the log says so; in CI (CI set) its absence is an error.
 */
function chooseHelper(): { line: string } | { error: string } {
  if (process.env.COCKER_HELPER) return { line: `${process.env.COCKER_HELPER} (COCKER_HELPER)` }
  const asan = path.join(path.dirname(DIST), 'c/cocker-helper-asan')
  if (existsSync(asan)) {
    process.env.COCKER_HELPER = asan
    return { line: `${asan} (ASan/UBSan)` }
  }
  const missing = `${asan} is not built (make -C c asan)`
  if (process.env.CI) return { error: `${missing}: CI runs the tests through the sanitizer build only` }
  return { line: `c/cocker-helper, WITHOUT sanitizers: ${missing}` }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const verbose = args.includes('-v') || args.includes('--verbose')
  const filters = args.filter(a => a !== '-v' && a !== '--verbose')
  const files = findTestFiles(DIST_TEST)
    .filter(f => filters.length === 0 || filters.some(s => path.relative(DIST, f).includes(s)))
    .sort((a, b) => tierRank(a) - tierRank(b) || a.localeCompare(b))

  const helper = chooseHelper()
  if ('error' in helper) {
    console.log(`error: ${helper.error}`)
    console.log('0 passed, 1 failed, 0 skipped')
    return 1
  }
  process.env.ASAN_OPTIONS ??= 'abort_on_error=1'
  for (const line of probeReport()) console.log(`probe: ${line}`)
  console.log(`probe: helper: ${helper.line}`)
  // Stage once here so the test files find a fresh copy and do not race to make it.
  if (rootlessUser().user) {
    try {
      console.log(`probe: rootless stage: ${stageForRootless()}`)
    } catch (e) {
      console.log(`probe: rootless stage: failed: ${(e as Error).message}`)
    }
  }

  if (files.length === 0) {
    console.log(`no test files under ${DIST_TEST}${filters.length ? ` match ${filters.join(' ')}` : ''}`)
    console.log('0 passed, 1 failed, 0 skipped')
    return 1
  }

  let passed = 0
  let failed = 0
  // One line per skipped test (its markers joined), then markers printed outside any test.
  const skipped: string[] = []
  const stray: string[] = []
  const markers = (ms: SkipMarker[]) => ms.map(m => `${m.name}: ${m.reason}`).join('; ')
  for (const file of files) {
    const rel = path.relative(DIST, file)
    const r = await runFile(file)
    passed += r.passed
    failed += r.failed
    for (const s of r.skipped) skipped.push(`${rel}: ${markers(s)}`)
    if (r.stray.length) stray.push(`${rel}: ${markers(r.stray)}`)
    if (r.ok) {
      const extra = r.skipped.length ? `, ${r.skipped.length} skipped` : ''
      console.log(`ok   ${rel} (${r.passed} passed${extra})`)
      if (verbose) process.stdout.write(r.output)
    } else {
      console.log(`FAIL ${rel} (${r.passed} passed, ${r.failed} failed${r.problems.length ? `: ${r.problems.join('; ')}` : ''})`)
      process.stdout.write(r.output.trimEnd().replace(/^/gm, '    ').replace(/^ +$/gm, '') + '\n')
    }
  }

  if (skipped.length) {
    console.log(`\nskipped (${skipped.length}):`)
    for (const s of skipped) console.log(`  ${s}`)
  }
  if (stray.length) {
    console.log('\nskip markers printed outside any test (not counted):')
    for (const s of stray) console.log(`  ${s}`)
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`)
  return failed ? 1 : 0
}

process.exitCode = await main()
