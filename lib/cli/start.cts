/**
 * What bin/cocker runs: cocker's bundle (dist/bundle/cocker.cjs, one script) compiled with
 * the V8 code cache the build wrote beside it, so that node compiles only what the build's
 * warm-up did not run (lib/cli/cocker-entry.ts). V8 checks the cache against its version,
 * its flags and the script, and compiles from the source when the cache does not fit
 * (another node, a V8 flag in NODE_OPTIONS): slower, never wrong.
 *
 *   node dist/lib/cli/start.cjs ARGS...                  run cocker
 *   node dist/lib/cli/start.cjs --write-code-cache       the build: run the warm-up, write the cache
 *   node dist/lib/cli/start.cjs --check-code-cache       exit 0 when V8 takes the cache, 1 when it compiles
 *
 * CommonJS and node:vm, since node 20 has no code cache for ES modules.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script } from 'node:vm'

const bundle = path.join(__dirname, '../../bundle/cocker.cjs')
const cacheFile = path.join(__dirname, '../../bundle/cocker.code-cache')
const writing = process.argv[2] === '--write-code-cache'
const checking = process.argv[2] === '--check-code-cache'

let cachedData: Buffer | undefined
try {
  if (!writing) cachedData = readFileSync(cacheFile)
} catch {
  // no cache (not built, or removed): compiled from the source
}
// a function expression (tools/bundle.mjs), in Latin-1
const script = new Script(readFileSync(bundle, 'latin1'), { filename: bundle, cachedData })

if (checking) {
  process.exitCode = cachedData && !script.cachedDataRejected ? 0 : 1
} else {
  // launch.ts's CODE_CACHE_WARM_UP: launch hands the warm-up here instead of running main
  if (writing) {
    ;(globalThis as Record<symbol, unknown>)[Symbol.for('cocker.code-cache.warm-up')] = async (warmUp?: () => Promise<void>) => {
      await warmUp?.()
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData())
      renameSync(`${cacheFile}.tmp`, cacheFile)
    }
  }
  const module_ = { exports: {} }
  script.runInThisContext()(module_.exports, require, module_, bundle, path.dirname(bundle), pathToFileURL(bundle).href)
}
