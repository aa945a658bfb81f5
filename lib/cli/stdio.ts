/**
 * What the CLI prints, written straight to fds 1 and 2. process.stdout is a stream whose
 * first use loads node:stream and, for a pipe, node:net (measured: ~5 ms of a `ps`); the
 * commands that stream as they go (logs -f, save) still use it, and once they have, the
 * rest goes through it too, to stay in order behind what it may still hold.
 */
import { writeSync } from 'node:fs'

let stdout: NodeJS.WriteStream | undefined

/**
 * `cocker ps | head -1` must not end in an EPIPE stack trace: the end of the reader ends
 * the command quietly, with its status. Hooks process.stdout's lazy getter, so the stream
 * is neither made nor loaded before a command uses it.
 */
export function ignoreEpipe(): void {
  const original = Object.getOwnPropertyDescriptor(process, 'stdout')
  if (!original?.get) return
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      const stream = original.get!.call(process) as NodeJS.WriteStream
      Object.defineProperty(process, 'stdout', { configurable: true, enumerable: original.enumerable, writable: true, value: stream })
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err
        process.exit(process.exitCode ?? 0)
      })
      stdout = stream
      return stream
    },
  })
}

export function writeOut(text: string): void {
  if (stdout) stdout.write(text)
  else writeFd(1, text)
}

export function writeErr(text: string): void {
  writeFd(2, text)
}

function writeFd(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EPIPE') process.exit(process.exitCode ?? 0)
    // a non-blocking fd that is full (shared with a parent that set O_NONBLOCK): the stream waits for it
    if (code !== 'EAGAIN') throw err
    ;(fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(done))
  }
}
