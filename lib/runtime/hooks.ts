/**
 * The hooks the runtime itself runs, in the runtime's namespaces (prestart,
 * createRuntime, poststart, poststop); createContainer and startContainer run
 * inside the container, in the helper. Each gets the state JSON on stdin.
 */
import { CockerError } from '../errors.js'
import { childProcess } from '../sys/child-process.js'
import type { Hook, State } from './oci-spec.js'

export function runHook(stage: string, hook: Hook, state: State): Promise<void> {
  const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path]
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(hook.path, args, { argv0, env: Object.fromEntries((hook.env ?? []).map(kv => {
      const eq = kv.indexOf('=')
      return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)]
    })), stdio: ['pipe', 'inherit', 'inherit'] })
    const timer = hook.timeout ? setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000) : undefined
    let timedOut = false
    if (timer) timer.unref()
    child.stdin.on('error', () => { /* a hook need not read its stdin */ })
    child.stdin.end(JSON.stringify(state))
    child.on('error', err => reject(new CockerError('HOOK_FAILED', `${stage} hook ${hook.path}: ${err.message}`)))
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      timedOut = signal === 'SIGKILL' && hook.timeout !== undefined
      if (code === 0) return resolve()
      reject(new CockerError('HOOK_FAILED', timedOut
        ? `${stage} hook ${hook.path} timed out after ${hook.timeout} s`
        : `${stage} hook ${hook.path} failed with ${signal ? `signal ${signal}` : `exit status ${code}`}`))
    })
  })
}

/** Runs hooks in order, stopping at the first failure. */
export async function runHooks(stage: string, hooks: Hook[] | undefined, state: State): Promise<void> {
  for (const hook of hooks ?? []) await runHook(stage, hook, state)
}

/** Runs every hook even if some fail (poststart, poststop): failures become warnings. */
export async function runHooksWarn(stage: string, hooks: Hook[] | undefined, state: State, warn: (m: string) => void): Promise<void> {
  for (const hook of hooks ?? []) {
    try {
      await runHook(stage, hook, state)
    } catch (err) {
      warn((err as Error).message)
    }
  }
}
