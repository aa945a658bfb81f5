import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { containersConf, type ContainersConf } from '../../config/containers-conf.js'
import { cleanupContainer } from '../../container/cleanup.js'
import { createContainer, type CreateOptions } from '../../container/create.js'
import type { Engine } from '../../container/engine.js'
import { findContainer } from '../../container/record.js'
import { removeContainer } from '../../container/remove.js'
import { startContainer } from '../../container/start.js'
import { CockerError } from '../../errors.js'
import { cockerProgram } from '../../package-root.js'
import { needsUserNamespace } from '../../rootless/identity.js'
import type { OciRuntime } from '../../runtime/external.js'
import type { RunOptions } from '../../spec/run-options.js'
import { findImage } from '../../storage/images.js'
import type { ImageRecord } from '../../storage/metadata.js'
import type { Store } from '../../storage/store.js'
import { childProcess } from '../../sys/child-process.js'
import type { DriverName } from '../../storage/driver.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { engineOf, infoLine } from './container-context.js'
import { parseLifecycleOptions } from './lifecycle-options.js'
import { readRunOptions } from './run-options.js'
import { driverFor, storeFor } from './store-context.js'

/** `run`: create, then start attached (the container's status is ours) or, with -d, print its id. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const created = await create(args, ctx)
  if (typeof created === 'number') return { exitCode: created }
  const { engine, id, dir, options } = created
  if (options.detach) {
    await startOrRemove(engine, id, dir, options, () => startContainer(engine, dir))
    return { stdout: `${id}\n` }
  }
  const r = await startOrRemove(engine, id, dir, options, () => startContainer(engine, dir, { foreground: true, sigProxy: args.sigProxy !== false }))
  if (r.cleanupPendingFrom !== undefined) await cleanupContainer(engine, id, { handedOverBy: r.cleanupPendingFrom })
  return { exitCode: r.detached ? 0 : r.exitCode }
}

/** A container that failed to start (its command not found…) is gone again with --rm. */
async function startOrRemove<T>(engine: Engine, id: string, dir: string, options: RunOptions, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    if (options.rm) {
      const found = findContainer(engine.storeRoot, id)
      if (found) await removeContainer(engine, found, { force: true, volumes: true }).catch(() => {})
    }
    throw err
  }
}

/** `run` and `create` alike: the image (pulled if needed), --replace, the container, --cidfile. */
export async function create(args: ParsedArgs, ctx: CliContext): Promise<{ engine: Engine; id: string; dir: string; options: RunOptions } | number> {
  const options = await readRunOptions(args, ctx.env)
  const conf = await containersConf(ctx.env)
  const lifecycle = parseLifecycleOptions(args, {
    autoRemove: options.rm,
    defaults: { stopTimeout: conf.engine.stopTimeout, detachKeys: conf.engine.detachKeys, logDriver: conf.containers.logDriver, logSizeMax: conf.containers.logSizeMax },
  })
  // refused before anything is pulled, replaced or written
  const runtime = await ociRuntime(args, ctx, conf)
  const cidfile = typeof args.cidfile === 'string' ? path.resolve(ctx.cwd, args.cidfile) : undefined
  if (args.replace === true && !options.name) throw new CockerError('INVALID_ARGUMENT', '--replace needs --name', { hint: 'name the container that is to be replaced' })
  const input = args.image as string
  const store = storeFor(ctx)
  const driver = await driverFor(ctx, store)
  // --rootfs: IMAGE is a directory, and there is no image to look up
  const image = options.rootfs ? undefined : await imageToRun(store, input, options, ctx)
  if (typeof image === 'number') return image
  const engine = engineOf(ctx)
  if (args.replace === true && options.name) {
    const old = findContainer(engine.storeRoot, options.name)
    if (old?.record.name === options.name) await removeContainer(engine, old, { force: true })
  }
  if (cidfile) {
    // before the container exists, as podman: an existing file is an error, not overwritten
    try {
      writeFileSync(cidfile, '', { flag: 'wx' })
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists already' : (err as Error).message
      throw new CockerError('INVALID_ARGUMENT', `--cidfile ${cidfile}: ${why}`, { hint: 'remove it, or give another path' })
    }
  }
  const pod = await podOf(args, ctx, engine, store, driver)
  const { record, dir } = await createContainer({ store, image, imageName: input, options, lifecycle, driver, env: ctx.env,
    ...(ctx.argv ? { createCommand: ['cocker', ...ctx.argv] } : {}), warn: engine.warn, info: infoLine(ctx), runtime, ...(pod ? { pod } : {}) })
  if (cidfile) writeFileSync(cidfile, record.id)
  return { engine, id: record.id, dir, options }
}

/** --pod NAME|ID, --pod new:NAME (the pod made first, as podman does) or --pod-id-file: the pod the container joins. */
async function podOf(args: ParsedArgs, ctx: CliContext, engine: Engine, store: Store, driver: DriverName): Promise<CreateOptions['pod']> {
  const given = typeof args.pod === 'string' ? args.pod
    : typeof args.podIdFile === 'string' ? readFileSync(path.resolve(ctx.cwd, args.podIdFile), 'utf8').trim() : undefined
  if (given === undefined) return undefined
  // loaded by the containers of a pod only: the run path stays small
  const { createPod, requirePod } = await import('../../pod/pods.js')
  const pod = given.startsWith('new:')
    ? await createPod(engine, store, driver, { name: given.slice(4), labels: {} })
    : requirePod(engine.storeRoot, given).record
  return { id: pod.id, infraId: pod.infraId, share: pod.share }
}

/** --runtime (run's, then the global one), else containers.conf's: an external runtime, or none for cocker's own. */
async function ociRuntime(args: ParsedArgs, ctx: CliContext, conf: ContainersConf): Promise<OciRuntime | undefined> {
  const flag = typeof args.runtime === 'string' ? args.runtime : typeof ctx.globals.runtime === 'string' ? ctx.globals.runtime : undefined
  const choice = flag ?? conf.engine.runtime
  if (!choice) return undefined
  const { resolveOciRuntime } = await import('../../runtime/external.js')
  return resolveOciRuntime(choice, { env: ctx.env, runtimes: conf.engine.runtimes, what: flag ? '--runtime' : 'containers.conf runtime' })
}

/**
 * The image from the store, pulled first as --pull says (podman's default: when missing);
 * or the exit status of a pull that failed and said why.
 */
export async function imageToRun(store: Store, input: string, o: RunOptions, ctx: CliContext): Promise<ImageRecord | number> {
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
export async function pullFirst(input: string, o: Pick<RunOptions, 'tlsVerify' | 'platform'> & { authfile?: string }, ctx: CliContext): Promise<number> {
  const argv = ['pull']
  if (ctx.globals.root) argv.push('--root', String(ctx.globals.root))
  if (ctx.globals.storageDriver) argv.push('--storage-driver', String(ctx.globals.storageDriver))
  if (o.tlsVerify !== undefined) argv.push(`--tls-verify=${o.tlsVerify}`)
  if (o.authfile !== undefined) argv.push('--authfile', o.authfile)
  if (o.platform.os) argv.push('--os', o.platform.os)
  if (o.platform.architecture) argv.push('--arch', o.platform.architecture)
  if (o.platform.variant) argv.push('--variant', o.platform.variant)
  argv.push(input)
  if (!needsUserNamespace()) {
    // root needs no namespace: pull in this process
    const { run: pull } = await import('./pull.js')
    await pull({ image: input, tlsVerify: o.tlsVerify, authfile: o.authfile, os: o.platform.os, arch: o.platform.architecture, variant: o.platform.variant }, ctx)
    return 0
  }
  return new Promise<number>((resolve, reject) => {
    const child = childProcess().spawn(cockerProgram(), argv, { stdio: ['ignore', 'ignore', 'inherit'], env: ctx.env, cwd: ctx.cwd })
    child.on('error', reject)
    child.on('exit', code => resolve(code ?? 125))
  })
}
