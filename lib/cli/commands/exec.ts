import { readFileSync } from 'node:fs'
import { runtimeContext } from '../../container/engine.js'
import { observe } from '../../container/record.js'
import { CockerError } from '../../errors.js'
import { CAPABILITIES } from '../../runtime/linux.js'
import { execProcess } from '../../runtime/lifecycle.js'
import { parseDetachKeys } from '../../runtime/monitor.js'
import { resolveUser } from '../../spec/user.js'
import { type CliContext, type Outcome, type ParsedArgs, strings } from '../command.js'
import { engineOf, requireContainer } from './container-context.js'
import { envEntry, readEnvFile } from './run-options.js'


/**
 * `exec`: a process in a running container, joining its namespaces and cgroups: its status is
 * ours (126 cannot invoke, 127 not found, as podman); -d prints nothing and returns. With -t the
 * detach keys (the container's, or --detach-keys) leave the process running and return 0.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const engine = engineOf(ctx)
  const { record, dir } = requireContainer(engine.storeRoot, args.container as string)
  const status = observe(record, dir).status
  if (status !== 'running') {
    throw new CockerError('CONTAINER_STATE_INVALID', `can only create exec sessions on running containers: container ${record.name} is ${status}`,
      { hint: `start it first with "cocker start ${record.name}"` })
  }
  const command = strings(args.command)
  if (!command.length) throw new CockerError('INVALID_ARGUMENT', 'exec needs a command to run', { hint: `e.g. "cocker exec -it ${record.name} sh"` })
  const env = [...strings(args.envFile).flatMap(f => readEnvFile(f)), ...strings(args.env).flatMap(e => envEntry('--env', e, ctx.env))]
  const user = typeof args.user === 'string' ? userIds(args.user, record.state.pid) : undefined
  const detachKeys = parseDetachKeys(typeof args.detachKeys === 'string' ? args.detachKeys : record.detachKeys)
  const exitCode = await execProcess(runtimeContext(engine, record), {
    id: record.id,
    args: command,
    tty: args.tty === true,
    detach: args.detach === true,
    detachKeys,
    ...(args.interactive === true ? {} : { stdin: 'ignore' as const }),
    ...(typeof args.workdir === 'string' ? { cwd: args.workdir } : {}),
    env,
    ...(user ? { user: `${user.uid}:${user.gid}`, additionalGids: user.additionalGids } : {}),
    ...(args.privileged === true ? { caps: [...CAPABILITIES] } : {}),
  })
  return { exitCode }
}

/** --user by name or id, looked up in the container's own /etc/passwd and /etc/group. */
function userIds(spec: string, pid: number) {
  const read = (p: string) => {
    try {
      return readFileSync(`/proc/${pid}/root${p}`, 'utf8')
    } catch {
      return undefined
    }
  }
  return resolveUser(spec, read)
}
