// bin/cocker-systemd-generator: the systemd generator (systemd.generator(7)) that turns
// quadlet files into services running cocker.
//
//   cocker-systemd-generator [--user] NORMAL-DIR [EARLY-DIR LATE-DIR]   as systemd calls it
//   cocker-systemd-generator [--user] --dryrun                          print, write nothing
//
// --user (also implied when systemd says SYSTEMD_SCOPE=user, or when the program is called
// by a name holding "user", e.g. a link named cocker-user-generator): the rootless search
// list. Units go to NORMAL-DIR. Each key cocker cannot serve is one line on stderr
// (FILE: KEY: not supported: WHY); a file that cannot be converted is one line naming it,
// the others are still written, and the status is then 1. A user's dry run also says when
// the user has no lingering (their units would stop at logout). Not bundled: systemd starts
// it once per daemon-reload.
import os from 'node:os'
import path from 'node:path'
import { cockerProgram } from '../package-root.js'
import { convertQuadlets } from '../quadlet/convert.js'
import { findQuadletFiles, quadletDirs, readQuadletFiles, writeServices } from '../quadlet/files.js'
import { lingerWarning } from '../systemd/linger.js'

const USAGE = 'usage: cocker-systemd-generator [--user] [--dryrun] NORMAL-DIR [EARLY-DIR LATE-DIR]'

function main(argv: string[]): number {
  let user = process.env.SYSTEMD_SCOPE === 'user' || /user/.test(path.basename(process.env.COCKER_GENERATOR_NAME ?? ''))
  let dryrun = false
  const dirs: string[] = []
  for (const arg of argv) {
    if (arg === '--user' || arg === '-user') user = true
    else if (arg === '--dryrun' || arg === '-dryrun' || arg === '--dry-run') dryrun = true
    else if (arg === '--no-kmsg-log' || arg === '-no-kmsg-log' || arg === '-v' || arg === '--verbose') continue
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`)
      return 0
    } else if (arg.startsWith('-')) {
      process.stderr.write(`cocker-systemd-generator: unknown option ${arg}\n${USAGE}\n`)
      return 1
    } else dirs.push(arg)
  }
  if (!dryrun && dirs.length !== 1 && dirs.length !== 3) {
    process.stderr.write(`cocker-systemd-generator: expected 1 or 3 output directories, got ${dirs.length}\n${USAGE}\n`)
    return 1
  }

  const searched = quadletDirs(user)
  const { files } = findQuadletFiles(searched, user)
  const read = readQuadletFiles(files, searched)
  const result = convertQuadlets(read.sources, { cocker: cockerProgram() })
  const errors = [...read.errors, ...result.errors]

  if (dryrun) {
    for (const s of result.services) process.stdout.write(`---${s.name}---\n${s.unit.toString()}\n`)
  } else {
    writeServices(dirs[0]!, result.services)
  }
  for (const u of result.unsupported) process.stderr.write(`${u.file}: ${u.key}: not supported: ${u.why}\n`)
  for (const e of errors) process.stderr.write(`cocker-systemd-generator: converting "${path.basename(e.file)}": ${e.message}\n`)
  if (dryrun && files.length === 0) process.stderr.write(`cocker-systemd-generator: no quadlet files in ${searched.join(', ')}\n`)
  const linger = dryrun && user && files.length ? lingerWarning({ uid: os.userInfo().uid, name: os.userInfo().username }) : undefined
  if (linger) process.stderr.write(`cocker-systemd-generator: ${linger}\n`)
  return errors.length ? 1 : 0
}

process.exitCode = main(process.argv.slice(2))
