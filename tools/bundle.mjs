// Build step: what bin/cocker and bin/cocker-runtime start.
//
// dist/bundle/<program>.js: one ES module per program (esbuild), each command's
// code in a chunk loaded only when that command runs. Every separate module
// costs node a resolve, a read and a compile, and the run path has ~35.
//
// dist/snapshot/<program>.blob: a V8 heap snapshot (node --build-snapshot) of
// the same program with all its code loaded, from a CommonJS bundle, since a
// snapshot is made from one script. Starting from it spares node the loading
// altogether. It fits only the node that made it: the bin scripts fall back to
// the bundle when node is newer than the blob.
//
// Bundles sit two directories below the package root, as the modules do, so
// paths computed from import.meta.url stay right (lib/package-root.ts).
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

const entryPoints = { 'cocker-runtime': 'dist/lib/cli/runtime-entry.js', cocker: 'dist/lib/cli/cocker-entry.js' }
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' }

rmSync('dist/bundle', { recursive: true, force: true })
rmSync('dist/snapshot', { recursive: true, force: true })
await build({ ...common, entryPoints, outdir: 'dist/bundle', splitting: true, format: 'esm', chunkNames: 'chunk-[hash]' })
await build({
  ...common,
  entryPoints,
  outdir: 'dist/snapshot',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // never read: a snapshot sets the package root from the blob's path at start
  define: { 'import.meta.url': '"file:///snapshot/has/no/module/url.js"' },
  // the source is part of the heap that every start deserializes: without blanks and with
  // shorter syntax the blob's isolate part halves (2.5 MB to 1.4 MB); names stay for stack traces
  minifyWhitespace: true,
  minifySyntax: true,
})
for (const name of Object.keys(entryPoints)) {
  // V8 flags from NODE_OPTIONS would be baked into the blob, and the bin scripts start node without them
  const r = spawnSync(process.execPath, ['--snapshot-blob', `dist/snapshot/${name}.blob`, '--build-snapshot', `dist/snapshot/${name}.cjs`],
    { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } })
  if (r.status !== 0) throw new Error(`node --build-snapshot for ${name} failed (${r.status ?? r.signal})`)
}
