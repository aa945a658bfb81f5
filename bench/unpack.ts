// Layer unpack speed against GNU tar on the same archive: busybox, 10k small files in 100
// directories and a few big files (~200 MB). Plain, gzip and zstd.
//
//   node dist/bench/unpack.js [runs]
import { spawnSync } from 'node:child_process'
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { decompress } from '../lib/image/decompress.js'
import { applyLayer } from '../lib/storage/unpack.js'

const runs = Number(process.argv[2] ?? 3)
const work = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'cocker-bench-unpack-'))
const src = path.join(work, 'src')

function sh(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], shell: false })
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed`)
}

mkdirSync(path.join(src, 'bin'), { recursive: true })
copyFileSync('/usr/bin/busybox', path.join(src, 'bin/busybox'))
let seed = 1
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed)
for (let d = 0; d < 100; d++) {
  mkdirSync(path.join(src, 'data', `d${d}`), { recursive: true })
  for (let f = 0; f < 100; f++) {
    const b = Buffer.alloc(500 + (rand() % 8000))
    for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(rand(), Math.min(i, b.length - 4))
    writeFileSync(path.join(src, 'data', `d${d}`, `f${f}`), b)
  }
}
const big = Buffer.alloc(60 << 20)
for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(rand(), i)
for (let i = 0; i < 2; i++) writeFileSync(path.join(src, `big${i}`), big)
writeFileSync(path.join(src, 'big2'), big.subarray(0, 40 << 20))

const tar = path.join(work, 'layer.tar')
sh(['tar', '-C', src, '--format=posix', '--sort=name', '-cf', tar, '.'])
sh(['sh', '-c', `gzip -1 -c ${tar} > ${tar}.gz && zstd -q -c ${tar} > ${tar}.zst`])
rmSync(src, { recursive: true })
const size = statSync(tar).size
console.log(`layer: ${(size / 1e6).toFixed(0)} MB, 10k small files; ${runs} runs each, best shown`)

async function time(fn: (dir: string) => Promise<void> | void): Promise<number> {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const dir = path.join(work, 'out')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    sh(['sync'])
    const t = process.hrtime.bigint()
    await fn(dir)
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6)
  }
  return best
}

const opts = { format: 'overlay', xattrNamespace: 'trusted' } as const
const read = (f: string) => createReadStream(f, { highWaterMark: 1 << 20 })
const cases: [string, (d: string) => Promise<void> | void, (d: string) => void][] = [
  ['tar', async d => void (await applyLayer(read(tar), d, opts)), d => sh(['tar', '-C', d, '-xpf', tar])],
  ['tar.gz', async d => void (await applyLayer(decompress(read(`${tar}.gz`)), d, opts)), d => sh(['tar', '-C', d, '-xpzf', `${tar}.gz`])],
  ['tar.zst', async d => void (await applyLayer(decompress(read(`${tar}.zst`)), d, opts)), d => sh(['sh', '-c', `zstd -dc ${tar}.zst | tar -C ${d} -xpf -`])],
]
for (const [name, ours, theirs] of cases) {
  const a = await time(ours)
  const b = await time(theirs)
  const mbs = (ms: number) => (size / 1e3 / ms).toFixed(0)
  console.log(`${name.padEnd(8)} cocker ${a.toFixed(0).padStart(5)} ms (${mbs(a)} MB/s)   GNU tar ${b.toFixed(0).padStart(5)} ms (${mbs(b)} MB/s)   ratio ${(a / b).toFixed(2)}`)
}
rmSync(work, { recursive: true, force: true })
