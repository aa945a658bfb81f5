// What a probe script printed inside a container, split into the sections it announced with
// "## NAME" lines, so that tests can compare each section of two containers on its own.

export type Observations = Record<string, string[]>

/**
 * The sections of `stdout`, each line passed through `lineFor[section]` when there is one;
 * empty lines and ls's "total N" lines are dropped.
 */
export function parseSections(stdout: string, lineFor: Record<string, (line: string) => string> = {}): Observations {
  const obs: Observations = {}
  let section = ''
  for (const line of stdout.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3)
    else if (section && line !== '' && !/^total \d+$/.test(line)) (obs[section] ??= []).push(lineFor[section]?.(line) ?? line)
  }
  return obs
}

/** `ls -ln` lines without what differs from run to run (sizes, dates, link counts): "MODE UID:GID [MAJOR,MINOR] NAME". */
export function devLine(line: string): string {
  const f = line.trim().split(/\s+/)
  if (f.length < 8 || !/^[-dlcbps]/.test(f[0]!)) return line.trim()
  const device = /^[cb]/.test(f[0]!)
  return `${f[0]} ${f[2]}:${f[3]}${device ? ` ${f[4]}${f[5]}` : ''} ${f.slice(device ? 9 : 8).join(' ')}`
}

/**
 * crun (and so Podman, and cocker's runtime after it: run-env checks it against Podman) makes
 * /dev/core -> /proc/kcore even where the kernel has no /proc/kcore; runc only where it has.
 */
export function withoutCoreLink(obs: Observations): Observations {
  return { ...obs, dev: (obs.dev ?? []).filter(l => !/ core -> \/proc\/kcore$/.test(l)) }
}

/**
 * Where crun and runc differ from each other, so neither is the measure of cocker's runtime
 * (which does as runc does, but for /dev/core); applied to both sides of a comparison with crun
 * (or with Podman, whose runtime it is):
 * - /dev/core (withoutCoreLink);
 * - crun masks a file with a read-only bind of the host's /dev/null, runc with the container's
 *   own /dev/null: only the fact that the path is masked counts.
 */
export function crunNormalized(obs: Observations, maskedPaths: string[]): Observations {
  return {
    ...withoutCoreLink(obs),
    mounts: (obs.mounts ?? []).map(l => {
      const target = l.split(' ')[0]!
      return maskedPaths.includes(target) ? `${target} masked` : l
    }),
  }
}
