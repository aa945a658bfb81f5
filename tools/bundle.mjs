// Build step: what bin/cocker and bin/cocker-runtime start.
//
// Every separate module costs node a resolve, a read and a compile, and the run path
// has ~35, so each program is bundled (esbuild), and started in one of two ways:
//
// cocker: dist/bundle/cocker.cjs, one CommonJS script (each command's modules set up
// only when that command runs), and dist/bundle/cocker.code-cache, the V8 code cache of
// that script, written by running it once with the warm-up of lib/cli/cocker-entry.ts.
// lib/cli/start.cts compiles the script with it. Why not a heap snapshot of the same
// code, as cocker-runtime has: a snapshot costs ~6 ms before any code runs
// (node reads and deserializes a whole heap instead of its built-in one) and keeps no
// compiled code (node makes it with kClear), so each command compiled again every
// function it called. Measured rootless, interleaved runs on a quiet machine, median
// above `node -e 0`, snapshot -> code cache: `ps -a` of 100 containers 28.6 -> 16.7 ms,
// `images` of 100 images 21.5 -> 12.8 ms, `version` 15.8 -> 11.4 ms, `inspect` 18.1 ->
// 15.5 ms; `run` and `exec` the same within the noise (they now load node:net and
// node:stream, which the snapshot held, with node:child_process).
//
// cocker-runtime: dist/snapshot/cocker-runtime.blob, a V8 heap snapshot (node
// --build-snapshot) of dist/snapshot/cocker-runtime.cjs with its modules loaded, which
// c/launch.c starts while it turns into the helper; or dist/bundle/cocker-runtime.js, an
// ES module with its commands in chunks, when node is newer than the blob (which node
// could not load).
//
// Bundles sit two directories below the package root, as the modules do, so paths
// computed from import.meta.url stay right (lib/package-root.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' }
// whatever node parses on every start: without blanks and with shorter syntax (a snapshot's
// source is part of its heap: 2.5 MB to 1.4 MB); names stay for stack traces
const minify = { minifyWhitespace: true, minifySyntax: true }
// V8 flags from NODE_OPTIONS would be baked into a snapshot, or make a code cache fit only them
const env = { ...process.env, NODE_OPTIONS: '' }

rmSync('dist/bundle', { recursive: true, force: true })
rmSync('dist/snapshot', { recursive: true, force: true })

// one function expression, which lib/cli/start.cts compiles and calls with what the module needs
await build({ ...common, ...minify, entryPoints: { cocker: 'dist/lib/cli/cocker-entry.js' }, outdir: 'dist/bundle', outExtension: { '.js': '.cjs' },
  format: 'cjs', define: { 'import.meta.url': '__cockerModuleUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname, __cockerModuleUrl) {' }, footer: { js: '})' } })
// Latin-1 bytes, read as such: a one-byte string for V8, half the size of the two-byte one that
// a single non-ASCII character (esbuild leaves them in regular expressions) makes of UTF-8
const text = readFileSync('dist/bundle/cocker.cjs', 'utf8')
const wide = /[^\x00-\xff]/.exec(text)
if (wide) throw new Error(`dist/bundle/cocker.cjs holds ${JSON.stringify(wide[0])}, beyond Latin-1: escape it in the source`)
writeFileSync('dist/bundle/cocker.cjs', text, 'latin1')
const cache = spawnSync(process.execPath, ['dist/lib/cli/start.cjs', '--write-code-cache'], { stdio: ['ignore', 'ignore', 'inherit'], env })
if (cache.status !== 0 || !existsSync('dist/bundle/cocker.code-cache')) {
  throw new Error(`writing the code cache failed (${cache.status ?? cache.signal}): see node dist/lib/cli/start.cjs --write-code-cache`)
}
// a cache that V8 refuses would go unnoticed (cocker compiles and runs, only slower)
if (spawnSync(process.execPath, ['dist/lib/cli/start.cjs', '--check-code-cache'], { env }).status !== 0) throw new Error('V8 refuses the code cache it has just written')

// the kube commands' packages, one file apart from cocker.cjs (tools/kube-vendor.cjs)
await build({ ...common, ...minify, entryPoints: { 'kube-vendor': 'tools/kube-vendor.cjs' }, outdir: 'dist/bundle', outExtension: { '.js': '.cjs' }, format: 'cjs' })

const runtime = { 'cocker-runtime': 'dist/lib/cli/runtime-entry.js' }
await build({ ...common, entryPoints: runtime, outdir: 'dist/bundle', splitting: true, format: 'esm', chunkNames: 'chunk-[hash]' })
await build({
  ...common,
  ...minify,
  entryPoints: runtime,
  outdir: 'dist/snapshot',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // never read: a snapshot sets the package root from the blob's path at start
  define: { 'import.meta.url': '"file:///snapshot/has/no/module/url.js"' },
})
const r = spawnSync(process.execPath, ['--snapshot-blob', 'dist/snapshot/cocker-runtime.blob', '--build-snapshot', 'dist/snapshot/cocker-runtime.cjs'],
  { stdio: 'inherit', env })
if (r.status !== 0) throw new Error(`node --build-snapshot for cocker-runtime failed (${r.status ?? r.signal})`)
