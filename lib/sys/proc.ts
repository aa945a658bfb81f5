/** Processes by pid and start time: a pid alone may have been reused. */
import { readFileSync } from 'node:fs'

/** Start time and state letter of a process, or undefined if it does not exist. */
export function procStat(pid: number): { startTime: string; state: string } | undefined {
  if (!pid) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name can hold spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], startTime: fields[19] }
  } catch {
    return undefined
  }
}

/** Whether the process that had this pid and start time still runs (a zombie has exited). */
export function isProcessAlive(pid: number, startTime: string): boolean {
  const st = procStat(pid)
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X'
}

/** Whether a process with this pid runs (a zombie has exited), whatever its start time. */
export function pidRunning(pid: number): boolean {
  const st = procStat(pid)
  return st !== undefined && st.state !== 'Z' && st.state !== 'X'
}

/** "PID STARTTIME" of this process, to write where a later command checks whether we still run. */
export function selfStamp(): string {
  // read once: a run takes and writes several locks and stamps
  ownStamp ??= `${process.pid} ${procStat(process.pid)?.startTime ?? ''}`
  return ownStamp
}
let ownStamp: string | undefined

/** Whether the process a selfStamp() names still runs. */
export function stampAlive(stamp: string): boolean {
  const [pid, startTime] = stamp.trim().split(' ')
  return isProcessAlive(Number(pid), startTime ?? '')
}
