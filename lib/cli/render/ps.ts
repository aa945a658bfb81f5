import { CockerError } from '../../errors.js'

/** Keeps ps(1)'s header and the lines whose PID column is one of `pids`, as runc does. */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n')
  const header = lines[0] ?? ''
  const pidIndex = header.trim().split(/\s+/).indexOf('PID')
  if (pidIndex < 0) throw new CockerError('INVALID_ARGUMENT', "couldn't find PID field in ps output", { hint: 'include pid in the ps -o columns' })
  const wanted = new Set(pids)
  const kept = [header]
  for (const line of lines.slice(1)) {
    if (line === '') continue
    const field = line.trim().split(/\s+/)[pidIndex]
    const pid = Number(field)
    if (!/^\d+$/.test(field ?? '')) throw new CockerError('INVALID_ARGUMENT', `unable to parse pid "${field}" in ps output`)
    if (wanted.has(pid)) kept.push(line)
  }
  return kept.join('\n') + '\n'
}
