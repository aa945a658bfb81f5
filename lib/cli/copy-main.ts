// node copy-main.js ROOT pack SRC | ROOT unpack DEST copy|archive keep|UID:GID | ROOT export,
// each followed by SHIFT (an IdShift as JSON) where the root's files are owned by shifted ids:
// `cp`'s and `export`'s worker (lib/container/copy.ts), started by the helper where the
// container's root is reachable.
// It loads what it needs, chroots into ROOT, and only then looks at a name: every path,
// and every symlink on it, resolves inside the container's root. pack writes SRC as a tar
// stream (SRC itself first, named by its basename, `.` for `SRC/.`) on stdout; unpack reads
// one on stdin and places it at DEST by placeCopy; export writes the whole root, without
// what is mounted in it (a running container's /proc, volumes: read from its mountinfo). A failure is one JSON line on stderr
// ({code, message, hint}) and status 1. Not bundled.
import { lstatSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { copyNameMap, destinationAt } from '../container/copy.js'
import { CockerError } from '../errors.js'
import { packDirectory } from '../image/tar-writer.js'
import { chroot, setNotDumpable } from '../sys/libc.js'
import { shiftId, unshiftId, type IdShift } from '../storage/copy-tree.js'
import { applyLayer } from '../storage/unpack.js'

let shift: IdShift | undefined

async function pack(src: string): Promise<void> {
  const p = path.posix.normalize(`/${src}`)
  const contents = /(^|\/)\.$/.test(src)
  const follow = contents || src.endsWith('/')
  // the last component is copied as it is, a symlink included, unless the path asks for a directory
  const st = (follow ? statSync : lstatSync)(p, { throwIfNoEntry: false })
  if (!st) throw new CockerError('FILE_NOT_FOUND', `"${src}" does not exist in the container`)
  if (follow && !st.isDirectory()) throw new CockerError('INVALID_ARGUMENT', `"${src}" is not a directory in the container`)
  const top = contents ? '.' : path.posix.basename(p) || '.'
  const mapOwner = shift && ((uid: number, gid: number): [number, number] => [unshiftId(shift!.uid, uid), unshiftId(shift!.gid, gid)])
  await pipeline(Readable.from(packDirectory(p, { self: top, xattrs: false, ...(mapOwner ? { mapOwner } : {}) })), process.stdout)
}

async function unpack(dest: string, kind: string, ownerArg: string): Promise<void> {
  const target = destinationAt(path.posix.join('/', dest) + (dest.endsWith('/') ? '/' : ''))
  const { dir, map } = copyNameMap(target, kind === 'archive')
  const [uid, gid] = ownerArg.split(':').map(Number)
  await applyLayer(process.stdin, dir, {
    format: 'plain', xattrNamespace: 'user', mapName: map, layerName: `copy to ${dest}`,
    ...(ownerArg === 'keep' ? {} : { owner: { uid: uid!, gid: gid! } }),
    ...(ownerArg === 'keep' && shift ? { mapOwner: (u: number, g: number): [number, number] => [shiftId(shift!.uid, u), shiftId(shift!.gid, g)] } : {}),
  })
}

/** Mount points below the root of the process whose root ROOT is (/proc/PID/root), as paths relative to it. */
function mountPoints(root: string): Set<string> {
  const pid = /^\/proc\/(\d+)\/root$/.exec(root)?.[1]
  if (!pid) return new Set()
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  return new Set(readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean)
    .map(l => unescape(l.split(' ')[4]!).replace(/^\/+/, '')).filter(Boolean))
}

async function exportRoot(prune: Set<string>): Promise<void> {
  const mapOwner = shift && ((uid: number, gid: number): [number, number] => [unshiftId(shift!.uid, uid), unshiftId(shift!.gid, gid)])
  await pipeline(Readable.from(packDirectory('/', { prune, xattrs: false, ...(mapOwner ? { mapOwner } : {}) })), process.stdout)
}

const [root, verb, ...args] = process.argv.slice(2)
try {
  setNotDumpable() // it may run in the container's user namespace, next to its processes (as runc's init)
  const arity = verb === 'pack' ? 1 : verb === 'unpack' ? 3 : verb === 'export' ? 0 : -1
  if (args.length === arity + 1) shift = JSON.parse(args.pop()!) as IdShift
  if (!root || arity < 0 || args.length !== arity) {
    throw new CockerError('INVALID_ARGUMENT', 'usage: copy-main.js ROOT pack SRC | ROOT unpack DEST copy|archive keep|UID:GID | ROOT export')
  }
  const prune = verb === 'export' ? mountPoints(root) : new Set<string>()
  chroot(root)
  process.chdir('/')
  if (verb === 'pack') await pack(args[0]!)
  else if (verb === 'export') await exportRoot(prune)
  else await unpack(args[0]!, args[1]!, args[2]!)
} catch (err) {
  const e = err as Error & { code?: string; hint?: string }
  const code = err instanceof CockerError ? err.code : e.code === 'EPIPE' ? 'EPIPE' : 'HELPER_FAILED'
  if (code !== 'EPIPE') process.stderr.write(`${JSON.stringify({ code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) })}\n`)
  process.exitCode = 1
}
