import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { CockerError } from '../../errors.js'
import { pushImage, type PushOptions } from '../../image/push.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { pushProgress } from '../render/progress.js'
import { parseCreds } from './creds.js'
import { storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const format = args.format as string | undefined
  if (format !== undefined && format !== 'oci' && format !== 'v2s2') {
    throw new CockerError('INVALID_ARGUMENT', `--format: unknown manifest type "${format}"`, { hint: 'use oci or v2s2' })
  }
  const compression = args.compressionFormat as string | undefined
  if (compression !== undefined && compression !== 'gzip') {
    throw new CockerError('NOT_SUPPORTED', `--compression-format ${compression}: cocker compresses layers with gzip only`, { hint: 'use --compression-format gzip, or leave it out' })
  }
  const progress = !args.quiet && process.stderr.isTTY ? pushProgress(t => process.stderr.write(t)) : undefined
  try {
    const result = await pushImage(args.image as string, args.destination as string | undefined, {
      store: storeFor(ctx),
      env: ctx.env,
      tlsVerify: args.tlsVerify as boolean | undefined,
      authfile: args.authfile as string | undefined,
      ...(typeof args.creds === 'string' ? { credentials: parseCreds(args.creds) } : {}),
      ...(format ? { format: format as PushOptions['format'] } : {}),
      ...(compression ? { compressionFormat: 'gzip' as const } : {}),
      onEvent: progress?.onEvent,
    })
    progress?.finish()
    if (typeof args.digestfile === 'string') writeFileSync(path.resolve(ctx.cwd, args.digestfile), result.digest)
    return {}
  } catch (err) {
    progress?.finish()
    throw err
  }
}
