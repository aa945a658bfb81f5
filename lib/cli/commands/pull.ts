import { pullImage } from '../../image/pull.js'
import { hostPlatform, normalizePlatform, parsePlatform, type PlatformSpec } from '../../image/platform.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { pullProgress } from '../render/progress.js'
import { parseCreds } from './creds.js'
import { driverFor, storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const progress = !args.quiet && process.stderr.isTTY ? pullProgress(t => process.stderr.write(t)) : undefined
  const store = storeFor(ctx)
  const driver = await driverFor(ctx, store)
  try {
    const { image } = await pullImage(args.image as string, {
      store,
      driver,
      env: ctx.env,
      tlsVerify: args.tlsVerify as boolean | undefined,
      authfile: args.authfile as string | undefined,
      ...(typeof args.creds === 'string' ? { credentials: parseCreds(args.creds) } : {}),
      platform: platformOf(args),
      onEvent: e => {
        // what a layer could not have is said even with -q: the image differs from what it asks
        if (e.kind === 'skipped') process.stderr.write(`WARN: layer ${e.digest.slice(7, 19)}: /${e.name}: ${e.reason}; skipped\n`)
        else progress?.onEvent(e)
      },
    })
    progress?.finish()
    return { stdout: `${image.id}\n` }
  } catch (err) {
    progress?.finish()
    throw err
  }
}

/** --platform os/arch[/variant], or --os, --arch and --variant over the host's. */
export function platformOf(args: ParsedArgs): PlatformSpec | undefined {
  if (typeof args.platform === 'string') return parsePlatform(args.platform)
  if (args.os === undefined && args.arch === undefined && args.variant === undefined) return undefined
  const host = hostPlatform()
  return normalizePlatform({
    os: (args.os as string | undefined) ?? host.os,
    architecture: (args.arch as string | undefined) ?? host.architecture,
    ...(args.variant ? { variant: args.variant as string } : {}),
  })
}
