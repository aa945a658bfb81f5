import { pullImage } from '../../image/pull.js'
import { hostPlatform, normalizePlatform, parsePlatform, type PlatformSpec } from '../../image/platform.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { pullProgress } from '../render/progress.js'
import { parseCreds } from './creds.js'
import { driverFor, storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const progress = !args.quiet && process.stderr.isTTY ? pullProgress(t => process.stderr.write(t)) : undefined
  const devices = skippedDevices(ctx.globals.logLevel as string | undefined)
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
        if (e.kind !== 'skipped') progress?.onEvent(e)
        else if (e.what === 'device') devices.add(e.digest, e.name, e.reason)
        // what else a layer could not have is said even with -q: the image differs from what it asks
        else process.stderr.write(`WARN: layer ${e.digest.slice(7, 19)}: /${e.name}: ${e.reason}; skipped\n`)
      },
    })
    progress?.finish()
    devices.report()
    return { stdout: `${image.id}\n` }
  } catch (err) {
    progress?.finish()
    throw err
  }
}

/**
 * Device nodes a rootless pull could not make: the runtime gives a container its /dev, so,
 * as Podman, nothing is said at the default level. --log-level info tells the count per
 * layer, debug each node.
 */
function skippedDevices(level = 'warn') {
  const perLayer = new Map<string, number>()
  const debug = level === 'debug' || level === 'trace'
  const layer = (digest: string) => `layer ${digest.slice(7, 19)}`
  return {
    add(digest: string, name: string, reason: string) {
      perLayer.set(digest, (perLayer.get(digest) ?? 0) + 1)
      if (debug) process.stderr.write(`DEBUG: ${layer(digest)}: /${name}: ${reason}; skipped\n`)
    },
    report() {
      if (!debug && level !== 'info') return
      for (const [digest, n] of perLayer) {
        process.stderr.write(`INFO: ${layer(digest)}: ${n} device node${n === 1 ? '' : 's'} skipped: they cannot be created rootless, and the runtime provides /dev\n`)
      }
    },
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
