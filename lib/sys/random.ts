/**
 * Random bytes from the kernel's /dev/urandom: what `run` needs of randomness (an id, a
 * generated name, temp file names) without node:crypto, whose loading costs a few ms of
 * every `run` and `create`.
 */
import { closeSync, openSync, readSync } from 'node:fs'

export function randomBytes(n: number): Buffer {
  const buf = Buffer.alloc(n)
  const fd = openSync('/dev/urandom', 'r')
  try {
    // /dev/urandom never returns fewer bytes than asked for small reads (≤ 256)
    for (let got = 0; got < n;) got += readSync(fd, buf, got, n - got, null)
  } finally {
    closeSync(fd)
  }
  return buf
}

/** A random integer in [0, max), max ≤ 2^16: the bias of 32 bits modulo max is negligible. */
export function randomInt(max: number): number {
  return randomBytes(4).readUInt32LE() % max
}
