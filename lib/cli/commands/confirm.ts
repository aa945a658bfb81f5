// podman's "Are you sure you want to continue? [y/N]": the one place a handler talks
// to the terminal, since the answer decides what the handler does.
import { readSync } from 'node:fs'

export function confirm(warning: string): boolean {
  process.stdout.write(`${warning}Are you sure you want to continue? [y/N] `)
  const buf = Buffer.alloc(1)
  let line = ''
  for (;;) {
    let n = 0
    try {
      n = readSync(0, buf, 0, 1, null)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue
      if ((err as NodeJS.ErrnoException).code === 'EOF') break
      throw err
    }
    if (n === 0 || buf[0] === 0x0a) break
    line += String.fromCharCode(buf[0]!)
  }
  return /^y(es)?$/i.test(line.trim())
}
