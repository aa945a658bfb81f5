/**
 * sd_notify for containers run by systemd units (podman's --sdnotify). systemd hands a service
 * NOTIFY_SOCKET; cocker passes it to the container's monitor alone (the monitor-notify op,
 * c/monitor.c), which says MAINPID=<itself> and READY=1 (conmon), READY=1 once the health check
 * first passes (healthy), or relays what the container's own process sends to a socket of its
 * own bound for it at /run/notify/notify.sock (container). No other process gets the variable.
 */
import path from 'node:path'
import type { SdNotifyMode } from '../container/record.js'
import type { Mount, Spec } from '../runtime/oci-spec.js'

/** Where a container run with --sdnotify=container finds its socket. */
export const CONTAINER_NOTIFY_DIR = '/run/notify'
export const CONTAINER_NOTIFY_SOCKET = `${CONTAINER_NOTIFY_DIR}/notify.sock`

/** The container's side of --sdnotify container: a directory of its userdata, where the monitor binds the socket. */
export function notifyProxyDir(userdata: string): string {
  return path.join(userdata, 'notify')
}

/**
 * NOTIFY_SOCKET, taken out of `env` (the caller's, which its children inherit): the first
 * monitor started is the one that speaks to systemd (a pod's infra before its containers).
 */
export function takeNotifySocket(env: NodeJS.ProcessEnv): string | undefined {
  const socket = env.NOTIFY_SOCKET
  delete env.NOTIFY_SOCKET
  return socket || undefined
}

/** The monitor's notify settings for a container of this mode; undefined: it says nothing. */
export function monitorNotify(mode: SdNotifyMode, socket: string | undefined, userdata: string): { socket: string; mode: SdNotifyMode; proxyDir: string } | undefined {
  if (mode === 'ignore') return undefined
  // the container's socket is made even without systemd: its bind mount needs it
  if (mode === 'container') return { socket: socket ?? '', mode, proxyDir: notifyProxyDir(userdata) }
  return socket ? { socket, mode, proxyDir: '' } : undefined
}

/** --sdnotify container: the spec gets the socket's directory and NOTIFY_SOCKET; without it, never the variable. */
export function withNotify(spec: Spec, mode: SdNotifyMode, userdata: string): Spec {
  const env = (spec.process?.env ?? []).filter(e => !e.startsWith('NOTIFY_SOCKET='))
  if (mode !== 'container') return spec.process ? { ...spec, process: { ...spec.process, env } } : spec
  const mount: Mount = { destination: CONTAINER_NOTIFY_DIR, type: 'bind', source: notifyProxyDir(userdata), options: ['bind', 'rw', 'nosuid', 'nodev', 'noexec'] }
  return {
    ...spec,
    process: { ...spec.process!, env: [...env, `NOTIFY_SOCKET=${CONTAINER_NOTIFY_SOCKET}`] },
    mounts: [...(spec.mounts ?? []).filter(m => m.destination !== CONTAINER_NOTIFY_DIR), mount],
  }
}
