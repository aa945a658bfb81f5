import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { CockerError } from '../../errors.js'
import { specTemplate } from '../../runtime/lifecycle.js'
import type { Outcome, ParsedArgs } from '../command.js'
import type { RuntimeCliContext } from '../runtime-context.js'

export async function run(args: ParsedArgs, ctx: RuntimeCliContext): Promise<Outcome> {
  const bundle = resolve(ctx.cwd, (args.bundle as string | undefined) ?? '.')
  const spec = specTemplate({ rootless: args.rootless === true, uid: process.geteuid!(), gid: process.getegid!() })
  try {
    // runc writes tab-indented JSON without a final newline.
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, '\t'), { flag: 'wx' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new CockerError('INVALID_ARGUMENT', 'File config.json exists. Remove it first')
    if (code === 'ENOENT') throw new CockerError('INVALID_ARGUMENT', `bundle directory ${bundle} does not exist`)
    throw new CockerError('INVALID_ARGUMENT', `writing ${join(bundle, 'config.json')}`, { cause: err })
  }
  return {}
}
