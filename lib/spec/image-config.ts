/**
 * The parts of an OCI image config that decide how its container starts, and podman's rules
 * for combining them with `run`'s options: the command line and the environment.
 */
import { CockerError } from '../errors.js'

/** The `config` object of an OCI image configuration (image-spec config.md); every field optional. */
export interface ImageRunConfig {
  User?: string
  ExposedPorts?: Record<string, object>
  Env?: string[]
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  Volumes?: Record<string, object>
  WorkingDir?: string
  Labels?: Record<string, string>
  StopSignal?: string
}

export interface ImageInfo {
  config?: ImageRunConfig
  os?: string
  architecture?: string
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The entrypoint and command a container runs; processArgs joins them. */
export function processParts(image: ImageRunConfig, entrypoint: string[] | undefined, command: string[]): { entrypoint: string[]; cmd: string[] } {
  return { entrypoint: entrypoint ?? image.Entrypoint ?? [], cmd: command.length || entrypoint ? command : image.Cmd ?? [] }
}

/**
 * Entrypoint + Cmd, as podman merges them: --entrypoint replaces the image's Entrypoint and,
 * even when empty, drops the image's Cmd (the image's Cmd was written for its Entrypoint);
 * arguments after the image replace Cmd.
 */
export function processArgs(image: ImageRunConfig, entrypoint: string[] | undefined, command: string[], imageName = 'the image'): string[] {
  const parts = processParts(image, entrypoint, command)
  const args = [...parts.entrypoint, ...parts.cmd]
  if (args.length === 0) {
    throw new CockerError('INVALID_ARGUMENT', `no command or entrypoint provided, and no CMD or ENTRYPOINT from image ${imageName}`,
      { hint: `give the command after the image: cocker run ${imageName} COMMAND` })
  }
  return args
}

const envKey = (entry: string) => {
  const eq = entry.indexOf('=')
  return eq < 0 ? entry : entry.slice(0, eq)
}

/**
 * Layers of KEY=VALUE lists, later ones overriding earlier ones by key. A key keeps the place
 * where it first appeared, so the result reads like podman's: defaults, image, user.
 */
export function mergeEnv(...layers: (readonly string[] | undefined)[]): string[] {
  const merged = new Map<string, string>()
  for (const layer of layers) {
    for (const entry of layer ?? []) merged.set(envKey(entry), entry)
  }
  return [...merged.values()]
}

export function hasEnv(env: readonly string[], key: string): boolean {
  return env.some(e => envKey(e) === key)
}
