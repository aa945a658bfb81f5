// /dev/fuse as a test needs it. fuse-overlayfs rootless needs it open to users: 666 on most
// distributions, 600 on this kind of machine. Root can give one command a /dev/fuse of
// either mode: the command runs in a mount namespace of its own where a node of that mode, on
// a tmpfs, is bound over /dev/fuse, so the host's node never changes, even when the run is killed.
import { statSync } from 'node:fs'
import { makeTempDir } from '../fixtures/bundle.js'
import { isRoot } from './requires.js'

/** Whether users can open the host's /dev/fuse. */
export const fuseOpenToUsers = () => (statSync('/dev/fuse').mode & 0o006) === 0o006

/**
 * A runCmd `prefix` that runs the command with /dev/fuse open to users (`open`) or closed to
 * them: [] when the host's is so already, undefined when changing it needs root and we are not.
 */
export function fusePrefix(open: boolean): string[] | undefined {
  if (fuseOpenToUsers() === open) return []
  if (!isRoot()) return undefined
  const rdev = statSync('/dev/fuse').rdev
  const script = 'mount -t tmpfs -o mode=0755,size=64k cocker-fuse "$1" && mknod -m "$4" "$1/fuse" c "$2" "$3" && ' +
    'mount --bind "$1/fuse" /dev/fuse && shift 4 && exec "$@"'
  return ['unshare', '--mount', '--', 'sh', '-c', script, 'sh', makeTempDir('cocker-fuse-'),
    String((rdev >> 8) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00)), open ? '666' : '600']
}
