/**
 * The TS side of the cocker-helper wire protocol; mirror of c/protocol.h (a
 * unit test compares them). Requests are NUL-separated tokens: the tag, then
 * ops whose argument shapes come from OPS ('s' a token, 'v' a counted list).
 * Events come back as JSON lines. c/PROTOCOL.md describes the stages.
 */

export const PROTOCOL_VERSION = 7
export const PROTOCOL_TAG = `cocker-helper/${PROTOCOL_VERSION}`

/** Op name → [phase, shape]. Phase P runs in stage 0, C in the container's init, in order. */
export const OPS = {
  'mode': ['P', 's'],
  'ns-join': ['P', 'ss'],
  'ns-new': ['P', 's'],
  'uid-map': ['P', 'sss'],
  'gid-map': ['P', 'sss'],
  'setgroups-deny': ['P', ''],
  'idmap-external': ['P', 'ss'],
  'cgroup-join': ['P', 's'],
  'console-socket': ['P', 's'],
  'console-relay': ['P', ''],
  'preserve-fds': ['P', 's'],
  'fifo': ['P', 's'],
  'time-offsets': ['P', 's'],
  'device-filter': ['P', 'ss'],
  'fuse-dev': ['P', ''],
  'monitor-exit': ['P', 's'],
  'monitor-log': ['P', 's'],
  'monitor-log-max': ['P', 's'],
  'monitor-socket': ['P', 's'],
  'monitor-stdin': ['P', ''],
  'monitor-passthrough': ['P', ''],
  'monitor-foreground': ['P', ''],
  'monitor-detach-keys': ['P', 's'],
  'monitor-cleanup': ['P', 'v'],
  'monitor-health': ['P', 'sv'],
  'monitor-release': ['P', 'ssv'],
  'monitor-kill-pidfile': ['P', 's'],
  'monitor-notify': ['P', 'sss'],
  'monitor-remove': ['P', 'v'],
  'runtime-pid-file': ['P', 's'],
  'console-listen': ['P', 's'],
  'host-overlay': ['P', 'sss'],
  'host-expose': ['P', 'sv'],
  'nest-uid-map': ['P', 'sss'],
  'nest-gid-map': ['P', 'sss'],
  'setid': ['C', 'ss'],
  'hostname': ['C', 's'],
  'domainname': ['C', 's'],
  'propagation': ['C', 'ss'],
  'rootfs': ['C', 's'],
  'tree-rootfs': ['C', 'ss'],
  'dir-rootfs': ['C', 's'],
  'overlay': ['C', 'sss'],
  'fuse-overlay': ['C', 'ssss'],
  'fuse-apart': ['C', ''],
  'mount': ['C', 'ssssss'],
  'mknod': ['C', 'ssssss'],
  'symlink': ['C', 'ss'],
  'mkdir': ['C', 'ss'],
  'write': ['C', 'ss'],
  'hook': ['C', 'sssvv'],
  'hooks-sync': ['C', 's'],
  'run-hooks': ['C', 's'],
  'pivot-root': ['C', ''],
  'chroot': ['C', ''],
  'enter-root': ['C', 's'],
  'mask': ['C', 's'],
  'readonly': ['C', 's'],
  'remount-ro': ['C', 's'],
  'rlimit': ['C', 'sss'],
  'umask': ['C', 's'],
  'cwd': ['C', 's'],
  'console': ['C', 'ss'],
  'keep-caps': ['C', ''],
  'bounding': ['C', 's'],
  'groups': ['C', 'v'],
  'capset': ['C', 'sss'],
  'ambient': ['C', 's'],
  'no-new-privs': ['C', ''],
  'personality': ['C', 's'],
  'seccomp': ['C', 'ss'],
  'env': ['C', 's'],
  'argv': ['C', 'v'],
  'check-exec': ['C', ''],
  'fifo-wait': ['C', ''],
  'die-with-parent': ['C', ''],
  'exec': ['C', ''],
  'spawn-wait': ['C', 'v'],
  'remove-tree': ['C', 's'],
  'chown': ['C', 'sss'],
  'exit': ['C', ''],
} as const satisfies Record<string, readonly ['P' | 'C', string]>

export type OpName = keyof typeof OPS
export type OpArg = string | number | bigint | readonly string[]
/** One op of a plan: its name and arguments, in the shape OPS gives. */
export type Op = [OpName, ...OpArg[]]

/** Stages an error can come from: an op's name, or a step of stage 0. */
export type Stage = OpName | 'request' | 'seal' | 'clone' | 'init' | 'uid_map' | 'gid_map' | 'setgroups'

export type HelperEvent =
  | { event: 'hello'; protocol: number; version: string }
  | { event: 'pid'; pid: number }
  | { event: 'hooks'; stage: string }
  | { event: 'created' }
  | { event: 'started'; pid: number }
  | { event: 'exit'; code: number; signal?: string }
  | { event: 'detached' }
  | { event: 'error'; stage: Stage; syscall: string; errno: number; path?: string; message: string }

/** Encodes ops as the helper reads them. Throws on a shape mismatch: that is a bug in cocker. */
export function encodePlan(ops: readonly Op[]): Buffer {
  const tokens: string[] = [PROTOCOL_TAG]
  for (const [name, ...args] of ops) {
    const shape = OPS[name][1]
    if (args.length !== shape.length) throw new Error(`op ${name} takes ${shape.length} arguments, got ${args.length}`)
    tokens.push(name)
    args.forEach((arg, i) => {
      if (shape[i] === 'v') {
        if (!Array.isArray(arg)) throw new Error(`op ${name}: argument ${i + 1} must be a list`)
        tokens.push(String(arg.length), ...arg)
      } else {
        if (Array.isArray(arg)) throw new Error(`op ${name}: argument ${i + 1} must be a token`)
        tokens.push(String(arg))
      }
    })
  }
  for (const t of tokens) if (t.includes('\0')) throw new Error(`a plan token contains a NUL byte: ${JSON.stringify(t)}`)
  return Buffer.from(tokens.join('\0') + '\0')
}
