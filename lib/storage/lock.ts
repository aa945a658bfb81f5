/**
 * The store's one lock: an exclusive flock on <root>/storage.lock, held for metadata
 * transactions only (read, change, write by rename), never during downloads or unpacks.
 * Readers take no lock: the metadata file is replaced atomically. flock comes through
 * koffi (~90 ms to load), so it is imported on the first write, never by readers.
 * The kernel drops the lock when the process dies, so a kill -9 leaves nothing held.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs'
import path from 'node:path'

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
