/**
 * The store's one lock: an exclusive flock on <root>/storage.lock, held for metadata
 * transactions only (read, change, write by rename), never during downloads or unpacks.
 * Readers take no lock: the metadata file is replaced atomically. flock comes through
 * koffi (~90 ms to load), so it is imported on the first write, never by readers.
 * The kernel drops the lock when the process dies, so a kill -9 leaves nothing held.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../errors.js'
import { selfStamp, stampAlive } from '../sys/proc.js'
import { readIfPresent } from '../sys/read.js'
import { removeFile } from '../sys/remove.js'

// flock blocks the thread, and a second open of the file in this process would wait for
// the first forever: transactions of one process queue here before they reach flock.
const queues = new Map<string, Promise<unknown>>()

/** Runs fn with the store locked; the lock is released when fn's promise settles. */
export function withStoreLock<T>(lockFile: string, fn: () => T | Promise<T>): Promise<T> {
  const prev = queues.get(lockFile) ?? Promise.resolve()
  const next = prev.then(() => locked(lockFile, fn))
  const tail = next.catch(() => undefined)
  queues.set(lockFile, tail)
  void tail.then(() => {
    if (queues.get(lockFile) === tail) queues.delete(lockFile)
  })
  return next
}

async function locked<T>(lockFile: string, fn: () => T | Promise<T>): Promise<T> {
  const { flock, LOCK_EX, LOCK_UN } = await import('../sys/libc.js')
  mkdirSync(path.dirname(lockFile), { recursive: true })
  const fd = openSync(lockFile, 'a', 0o600)
  try {
    flock(fd, LOCK_EX)
    try {
      return await fn()
    } finally {
      flock(fd, LOCK_UN)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * A lock file created with O_EXCL holding its holder's stamp, for locks that a cheap command
 * takes (container/record.ts withContainerLock, volumes.ts withVolumeLock): no koffi to load.
 * A holder that died (kill -9) is seen by its stamp and its lock taken over. `missing`: the
 * error when the lock's directory is gone.
 */
export async function withStampLock<T>(lock: string, o: { what: string; missing: () => Error }, fn: () => T | Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 10) {
    try {
      writeFileSync(lock, selfStamp(), { flag: 'wx', mode: 0o600 })
      break
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') throw o.missing()
      if (code !== 'EEXIST') throw err
    }
    const holder = readIfPresent(lock)
    if (holder !== undefined && !stampAlive(holder)) {
      // taken over only if it still names the dead holder: another waiter may have been first
      if (readIfPresent(lock) === holder) removeFile(lock)
      continue
    }
    if (waited > 60_000) {
      throw new CockerError('CONTAINER_LOCKED', `${o.what} is locked by process ${holder?.split(' ')[0]}`,
        { hint: 'wait for that command to finish' })
    }
    await new Promise(r => setTimeout(r, 10))
  }
  try {
    return await fn()
  } finally {
    removeFile(lock)
  }
}
