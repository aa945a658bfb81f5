/** Crash-safe file writes: write a temp file in the store's tmp/, fsync, rename over. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { randomBytes } from '../sys/random.js'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** n random lower-case letters and digits (podman's short link names are 26 upper-case). */
export function randomName(n: number): string {
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length]
  return s
}

/**
 * Replaces `file` with `data` so that readers see the old or the new content, never a
 * mix, even across a crash: the temp file is fsync'ed before the rename.
 */
export function writeFileAtomic(file: string, data: string | Buffer, tmpDir: string): void {
  const tmp = path.join(tmpDir, `${path.basename(file)}.${randomName(10)}`)
  const fd = openSync(tmp, 'wx', 0o644)
  try {
    writeFileSync(fd, data)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  try {
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
