// A file the user names for a command to read (load -i, import FILE, kube play FILE), opened
// before any work starts: a missing file or a directory is then one line saying so, where the
// stream would only fail later with node's own words (ENOENT, EISDIR).
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, type ReadStream } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../../errors.js'

export function openInputFile(file: string, cwd: string, what: string): ReadStream {
  return createReadStream('', { fd: openChecked(file, cwd, what) })
}

/** The whole text of such a file. */
export function readInputText(file: string, cwd: string, what: string): string {
  const fd = openChecked(file, cwd, what)
  try {
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

function openChecked(file: string, cwd: string, what: string): number {
  let fd: number
  try {
    fd = openSync(path.resolve(cwd, file), 'r')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message
    throw new CockerError('INVALID_ARGUMENT', `cannot read ${file}: ${why}`)
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd)
    throw new CockerError('INVALID_ARGUMENT', `${file} is a directory`, { hint: `give ${what}` })
  }
  return fd
}
