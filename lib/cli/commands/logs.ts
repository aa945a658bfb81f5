import { readLogFrom, parseLog, parseLogTime, selectEntries, timestamped, type LogEntry, type LogFilter } from '../../container/logs.js'
import { readRecordFile, type FoundContainer } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { isProcessAlive } from '../../sys/proc.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, requireContainer, targets } from './container-context.js'

/**
 * `logs`: what the containers wrote, from their k8s-file logs. Several containers: each line
 * starts with the container's short id, as podman's. --follow streams (the one command that
 * writes as it goes, since the output has no end it could return) until each container's
 * monitor is gone.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const names = targets(engine, args.containers as string[], { latest: args.latest === true })
  const found = names.map(n => requireContainer(engine.storeRoot, n))
  for (const f of found) {
    if (f.record.log.driver !== 'k8s-file') {
      throw new CockerError('NOT_SUPPORTED', `container ${f.record.name} logs with the ${f.record.log.driver} driver, which keeps no log to read`,
        { hint: 'run it with --log-driver k8s-file (the default) to read its output later' })
    }
  }
  const filter: LogFilter = {}
  if (typeof args.since === 'string') filter.since = parseLogTime('--since', args.since)
  if (typeof args.until === 'string') filter.until = parseLogTime('--until', args.until)
  if (args.tail !== undefined) filter.tail = Number(args.tail)
  const prefix = (f: FoundContainer) => (found.length > 1 || args.names === true ? `${args.names === true ? f.record.name : f.record.id.slice(0, 12)} ` : '')
  const format = (f: FoundContainer, entries: LogEntry[]) => {
    const out = { stdout: '', stderr: '' }
    for (const e of entries) out[e.stream] += prefix(f) + (args.timestamps === true ? timestamped(e) : e.text)
    return out
  }
  if (args.follow !== true) {
    let stdout = ''
    let stderr = ''
    for (const f of found) {
      const out = format(f, selectEntries(parseLog(readLogFrom(f.record.log.path, 0).text), filter))
      stdout += out.stdout
      stderr += out.stderr
    }
    return { stdout, stderr }
  }
  await Promise.all(found.map(f => follow(f, filter, entries => {
    const out = format(f, entries)
    if (out.stdout) process.stdout.write(out.stdout)
    if (out.stderr) process.stderr.write(out.stderr)
  })))
  return {}
}

/** Reads the log as it grows, until the container's monitor (the log's writer) is gone. */
async function follow(f: FoundContainer, filter: LogFilter, emit: (entries: LogEntry[]) => void): Promise<void> {
  const first = readLogFrom(f.record.log.path, 0)
  emit(selectEntries(parseLog(first.text), filter))
  const later = { ...filter, tail: undefined }
  let offset = first.next
  for (;;) {
    const record = readRecordFile(f.dir)
    const m = record?.state.monitor
    const writing = record !== undefined && m !== undefined && isProcessAlive(m.pid, m.startTime) && record.state.status !== 'exited'
    const next = readLogFrom(f.record.log.path, offset)
    if (next.text) emit(selectEntries(parseLog(next.text), later))
    offset = next.next
    if (!writing) return
    await new Promise(r => setTimeout(r, 100))
  }
}
