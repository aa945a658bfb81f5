import { constants } from 'node:os'
import { CockerError } from '../errors.js'

/** Linux signal names for completions; numbers come from the running platform. */
export const SIGNAL_NAMES = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO',
  'SIGKILL', 'SIGPIPE', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP', 'SIGSYS',
  'SIGTERM', 'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM',
  'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
] as const

const SIGRTMIN = 34
const SIGRTMAX = 64

/**
 * "KILL", "SIGKILL", "kill" and "9" all give "SIGKILL". Real-time signals give
 * "SIGRTMIN+N"; numbers without a name stay numbers.
 */
export function parseSignal(text: string): string {
  const byNumber = constants.signals as Record<string, number>
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n < 1 || n > SIGRTMAX) throw invalid(text)
    if (n >= SIGRTMIN) return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`
    const name = Object.keys(byNumber).find(k => byNumber[k] === n && SIGNAL_NAMES.includes(k as never))
    return name ?? String(n)
  }
  const upper = text.toUpperCase()
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name)
  if (rt) {
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1)
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + offset
    if (n < SIGRTMIN || n > SIGRTMAX) throw invalid(text)
    return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`
  }
  if (name in byNumber) return name
  throw invalid(text)
}

function invalid(text: string): CockerError {
  return new CockerError('INVALID_ARGUMENT', `invalid signal "${text}"`, { hint: 'use a name such as TERM or KILL, or a number from 1 to 64' })
}
