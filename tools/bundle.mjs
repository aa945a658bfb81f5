// Bundles each program's compiled entry point into dist/lib/bundle/ (build step).
// Why: every ES module costs node a resolve, a read and a compile (~0.5 ms each
// here), and the run path has ~35 of them; one file per program, with each
// command's code in a chunk loaded only when that command runs, cuts start-up.
// The bundles sit at the same depth as the modules they come from, so paths
// computed from import.meta.url (the helper, package.json) stay right.
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist/lib/bundle', { recursive: true, force: true })

await build({
  entryPoints: { 'cocker-runtime': 'dist/lib/cli/runtime-main.js', cocker: 'dist/lib/cli/main.js' },
  outdir: 'dist/lib/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
})
