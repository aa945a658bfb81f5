import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { CockerError } from '../../errors.js'
import { containerPids } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import { filterPsOutput } from '../render/ps.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const pids = await containerPids(ctx.runtime, args.containerId as string)
  if (args.format === 'json') return { json: pids }
  const psArgs = (args.psOptions as string[]).length ? (args.psOptions as string[]) : ['-ef']
  let output: string
  try {
    output = (await promisify(execFile)('ps', psArgs, { maxBuffer: 64 << 20 })).stdout
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    const detail = e.code === 'ENOENT' ? 'ps(1) is not installed' : (e.stderr ?? '').trim() || e.message
    throw new CockerError('INVALID_ARGUMENT', `ps ${psArgs.join(' ')}: ${detail}`)
  }
  return { stdout: filterPsOutput(output, pids) }
}
