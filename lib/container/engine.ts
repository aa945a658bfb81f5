/**
 * What the container commands share: the store's root, the caller's environment, where
 * warnings go, and the OCI runtime's context for this user (its state under
 * runtimeStateDir). Built once per command by the CLI (commands/container-context.ts).
 */
import path from 'node:path'
import { userRuntimeDir } from '../config/runtime-dir.js'
import { cockerProgram } from '../package-root.js'
import { isRootless } from '../rootless/identity.js'
import type { RuntimeContext } from '../runtime/lifecycle.js'
import type { ContainerRecord } from './record.js'
import { containerDirs } from './rootfs.js'

export interface Engine {
  storeRoot: string
  env: NodeJS.ProcessEnv
  rootless: boolean
  warn(message: string): void
}

export function engineFor(storeRoot: string, env: NodeJS.ProcessEnv, warn: (m: string) => void): Engine {
  return { storeRoot, env, rootless: isRootless(env), warn }
}

/** Where the runtime keeps the state of cocker's running containers. */
export function runtimeStateDir(env: NodeJS.ProcessEnv): string {
  if (!isRootless(env)) return '/run/cocker/runtime'
  return path.join(userRuntimeDir(env), 'cocker', 'runtime')
}

/** An external runtime's --root: beside cocker's own state dir `root`, by the runtime's name. */
export const externalStateDir = (root: string, name: string) => path.join(path.dirname(root), `runtime-${name}`)

export function runtimeContext(engine: Engine, record?: ContainerRecord): RuntimeContext {
  const root = runtimeStateDir(engine.env)
  const oci = record?.runtime
  return {
    root,
    // the runtime's own state dir beside ours; its log among the container's files
    ...(oci ? { external: { ...oci, root: externalStateDir(root, oci.name), pid: record.state.pid,
      logFile: path.join(containerDirs(engine.storeRoot, record.id).userdata, 'oci-log') } } : {}),
    rootless: engine.rootless,
    systemdCgroup: false,
    cgroupsDisabled: record?.cgroupsDisabled ?? false,
    trustedConfigs: true,
    dropUnavailableLimits: true,
    seccompCache: path.join(path.dirname(root), 'seccomp'),
    warn: engine.warn,
    debug: () => {},
  }
}

/** `cocker ARGS…` on this store, as a command line the monitor can run after the container ends. */
export function cockerCommand(engine: Engine, ...args: string[]): string[] {
  return [cockerProgram(), '--root', engine.storeRoot, ...args]
}
