import { pullImage } from '../../image/pull.js'
import { hostPlatform, normalizePlatform, parsePlatform, type PlatformSpec } from '../../image/platform.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { pullProgress } from '../render/progress.js'
import { parseCreds } from './creds.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const progress = !args.quiet && process.stderr.isTTY ? pullProgress(t => process.stderr.write(t)) : undefined
  try {
    const { image } = await pullImage(args.image as string, {
      store: storeFor(ctx),
      env: ctx.env,
      tlsVerify: args.tlsVerify as boolean | undefined,
      authfile: args.authfile as string | undefined,
      ...(typeof args.creds === 'string' ? { credentials: parseCreds(args.creds) } : {}),
      platform: platformOf(args),
      onEvent: progress?.onEvent,
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
