/**
 * The systemd unit a container is made by, kept as its PODMAN_SYSTEMD_UNIT label as Podman
 * keeps it: auto-update restarts that unit instead of re-creating the container itself.
 */
import { CockerError } from '../errors.js'
import { childProcess } from '../sys/child-process.js'
import { readIfPresent } from '../sys/read.js'

export const SYSTEMD_UNIT_LABEL = 'PODMAN_SYSTEMD_UNIT'

/**
 * PODMAN_SYSTEMD_UNIT of the environment (what generated units set, `%n`); else, under a
 * notify service (NOTIFY_SOCKET set), the service whose cgroup this process is in.
 */
export function systemdUnitLabels(env: NodeJS.ProcessEnv): Record<string, string> {
  const named = env[SYSTEMD_UNIT_LABEL]
  if (named) return { [SYSTEMD_UNIT_LABEL]: named }
  if (!env.NOTIFY_SOCKET) return {}
  const unit = serviceOfCgroup(readIfPresent('/proc/self/cgroup') ?? '')
  return unit ? { [SYSTEMD_UNIT_LABEL]: unit } : {}
}

/** "0::/user.slice/user-1000.slice/user@1000.service/app.slice/web.service" → "web.service". */
export function serviceOfCgroup(text: string): string | undefined {
  const line = text.split('\n').find(l => l.startsWith('0::')) ?? text.split('\n').find(l => /^\d+:name=systemd:/.test(l))
  const last = line?.slice(line.lastIndexOf('/') + 1).trim()
  return last && /^[\w:.@\\-]+\.service$/.test(last) ? last : undefined
}

/**
 * `systemctl [--user] restart UNIT`, which waits for the restart job: resolves once the unit
 * runs again, rejects with what systemctl said when it did not.
 */
export function restartSystemdUnit(unit: string, o: { user: boolean; env: NodeJS.ProcessEnv }): Promise<void> {
  const args = [...(o.user ? ['--user'] : []), 'restart', '--', unit]
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn('systemctl', args, { stdio: ['ignore', 'ignore', 'pipe'], env: o.env })
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', err => reject(new CockerError('AUTO_UPDATE_FAILED', `cannot run systemctl to restart unit ${unit}: ${err.message}`)))
    child.on('close', code => code === 0 ? resolve()
      : reject(new CockerError('AUTO_UPDATE_FAILED', `restarting systemd unit ${unit} failed: systemctl ${args.join(' ')} exited ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`)))
  })
}
