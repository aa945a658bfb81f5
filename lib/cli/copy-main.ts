// node copy-main.js ROOT pack SRC | ROOT unpack DEST copy|archive keep|UID:GID: `cp`'s worker
// (lib/container/copy.ts), started by the helper where the container's root is reachable.
// It loads what it needs, chroots into ROOT, and only then looks at a name: every path,
// and every symlink on it, resolves inside the container's root. pack writes SRC as a tar
// stream (SRC itself first, named by its basename, `.` for `SRC/.`) on stdout; unpack reads
// one on stdin and places it at DEST by placeCopy. A failure is one JSON line on stderr
// ({code, message, hint}) and status 1. Not bundled.
import { lstatSync, statSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { copyNameMap, destinationAt } from '../container/copy.js'
import { CockerError } from '../errors.js'
import { packDirectory } from '../image/tar-writer.js'
import { chroot } from '../sys/libc.js'
import { applyLayer } from '../storage/unpack.js'

async function pack(src: string): Promise<void> {
  const p = path.posix.normalize(`/${src}`)
  const contents = /(^|\/)\.$/.test(src)
  const follow = contents || src.endsWith('/')
  // the last component is copied as it is, a symlink included, unless the path asks for a directory
  const st = (follow ? statSync : lstatSync)(p, { throwIfNoEntry: false })
  if (!st) throw new CockerError('FILE_NOT_FOUND', `"${src}" does not exist in the container`)
  if (follow && !st.isDirectory()) throw new CockerError('INVALID_ARGUMENT', `"${src}" is not a directory in the container`)
  const top = contents ? '.' : path.posix.basename(p) || '.'
  await pipeline(Readable.from(packDirectory(p, { self: top, xattrs: false })), process.stdout)
}

async function unpack(dest: string, kind: string, ownerArg: string): Promise<void> {
  const target = destinationAt(path.posix.join('/', dest) + (dest.endsWith('/') ? '/' : ''))
  const { dir, map } = copyNameMap(target, kind === 'archive')
  const [uid, gid] = ownerArg.split(':').map(Number)
  await applyLayer(process.stdin, dir, {
    format: 'plain', xattrNamespace: 'user', mapName: map, layerName: `copy to ${dest}`,
    ...(ownerArg === 'keep' ? {} : { owner: { uid: uid!, gid: gid! } }),
  })
}

const [root, verb, ...args] = process.argv.slice(2)
try {
  if (!root || !((verb === 'pack' && args.length === 1) || (verb === 'unpack' && args.length === 3))) {
    throw new CockerError('INVALID_ARGUMENT', 'usage: copy-main.js ROOT pack SRC | ROOT unpack DEST copy|archive keep|UID:GID')
  }
  chroot(root)
  process.chdir('/')
  if (verb === 'pack') await pack(args[0]!)
  else await unpack(args[0]!, args[1]!, args[2]!)
} catch (err) {
  const e = err as Error & { code?: string; hint?: string }
  const code = err instanceof CockerError ? err.code : e.code === 'EPIPE' ? 'EPIPE' : 'HELPER_FAILED'
  if (code !== 'EPIPE') process.stderr.write(`${JSON.stringify({ code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) })}\n`)
  process.exitCode = 1
}
