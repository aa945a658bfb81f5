import { spawn } from 'node:child_process'
import path from 'node:path'
import { runImage } from '../../container/run-image.js'
import { CockerError } from '../../errors.js'
import { packageRoot } from '../../package-root.js'
import { needsUserNamespace } from '../../rootless/identity.js'
import type { RunOptions } from '../../spec/run-options.js'
import { findImage } from '../../storage/images.js'
import type { ImageRecord } from '../../storage/metadata.js'
import type { Store } from '../../storage/store.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { readRunOptions } from './run-options.js'
import { driverFor, storeFor } from './store-context.js'

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const options = await readRunOptions(args, ctx.env)
  if (options.detach) {
    throw new CockerError('NOT_SUPPORTED', 'cocker run --detach is not supported yet: containers run in the foreground',
      { hint: 'run it in the foreground, or under `nohup cocker run ... &`' })
  }
  const input = args.image as string
  const store = storeFor(ctx)
  const driver = await driverFor(ctx, store)
  const image = await imageToRun(store, input, options, ctx)
  if (typeof image === 'number') return { exitCode: image }
  const exitCode = await runImage({
    store, image, imageName: input, options, driver, env: ctx.env,
    warn: m => process.stderr.write(`WARN: ${m}\n`),
  })
  return { exitCode }
}

/**
 * The image from the store, pulled first as --pull says (podman's default: when missing);
 * or the exit status of a pull that failed and said why.
 */
async function imageToRun(store: Store, input: string, o: RunOptions, ctx: CliContext): Promise<ImageRecord | number> {
  const local = findImage(store.metadata(), input)?.image
  if (o.pull === 'never' || (local && o.pull === 'missing')) {
    if (local) return local
    throw new CockerError('IMAGE_NOT_FOUND', `${input}: image not known`, { hint: `pull it first with "cocker pull ${input}", or drop --pull=never` })
  }
  const pullStatus = await pullFirst(input, o, ctx)
  if (pullStatus !== 0) return pullStatus
  const pulled = findImage(store.metadata(), input)?.image
  if (!pulled) throw new CockerError('IMAGE_NOT_FOUND', `${input}: image not known after pulling it`)
  return pulled
}

/**
 * `cocker pull`, as its own process: rootless, pulling needs the user namespace (a re-exec),
 * while `run` itself must not pay for one. Its progress goes to our stderr, as podman's does.
 */
async function pullFirst(input: string, o: RunOptions, ctx: CliContext): Promise<number> {
  const argv = ['pull']
  if (ctx.globals.root) argv.push('--root', String(ctx.globals.root))
  if (ctx.globals.storageDriver) argv.push('--storage-driver', String(ctx.globals.storageDriver))
  if (o.tlsVerify !== undefined) argv.push(`--tls-verify=${o.tlsVerify}`)
  if (o.platform.os) argv.push('--os', o.platform.os)
  if (o.platform.architecture) argv.push('--arch', o.platform.architecture)
  if (o.platform.variant) argv.push('--variant', o.platform.variant)
  argv.push(input)
  if (!needsUserNamespace()) {
    // root needs no namespace: pull in this process
    const { run: pull } = await import('./pull.js')
    await pull({ image: input, tlsVerify: o.tlsVerify, os: o.platform.os, arch: o.platform.architecture, variant: o.platform.variant }, ctx)
    return 0
  }
  return new Promise<number>((resolve, reject) => {
    const child = spawn(path.join(packageRoot(), 'bin', 'cocker'), argv, { stdio: ['ignore', 'ignore', 'inherit'], env: ctx.env, cwd: ctx.cwd })
    child.on('error', reject)
    child.on('exit', code => resolve(code ?? 125))
  })
}
