/**
 * Published ports relayed by c/cocker-netns forward: it listens on the host, joins the user and
 * network namespaces of a process (`target`), and connects each client to an address inside.
 * The server in the container then sees the connection come from inside its namespace, not
 * from the client: Podman's rootlesskit port handler. Rootless bridge networks publish their
 * ports so (the target is the rootless network namespace's holder), and slirp4netns with
 * port_handler=rootlesskit (the target is the container's init). It ends with its target, or
 * when killed.
 */
import path from 'node:path'
import { CockerError } from '../errors.js'
import { packageRoot } from '../package-root.js'
import { childProcess } from '../sys/child-process.js'
import { procStat } from '../sys/proc.js'
import type { NetworkProcess } from './programs.js'

export const netnsTool = () => path.join(packageRoot(), 'c', 'cocker-netns')

export interface ForwardedPort { hostIp: string; hostPort: number; containerPort: number; protocol: string }

/** Starts the forwarder for `ports` to `dest` in the namespaces of `target`; returned once it listens. */
export async function startForwarder(target: number, dest: string, ports: ForwardedPort[]): Promise<NetworkProcess> {
  const specs = ports.map(m => [m.hostIp === '0.0.0.0' ? '' : m.hostIp, m.hostPort, dest, m.containerPort, ...(m.protocol === 'tcp' ? [] : [m.protocol])].join(','))
  const child = childProcess().spawn(netnsTool(), ['forward', String(target), ...specs], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] })
  let errText = ''
  child.stderr!.on('data', (d: Buffer) => { errText += d })
  await new Promise<void>((resolve, reject) => {
    const ready = child.stdio[3] as NodeJS.ReadableStream
    ready.once('data', () => resolve())
    child.on('error', err => reject(new CockerError('NETWORK_FAILED', `cannot run ${netnsTool()}: ${err.message}`)))
    child.on('exit', () => {
      const why = errText.trim().split('\n').pop()?.replace(/^cocker-netns: /, '') ?? 'it exited'
      reject(new CockerError('NETWORK_FAILED', `cannot publish the container's ports: ${why}`, { hint: 'choose another host port, or see what listens on it' }))
    })
  })
  child.removeAllListeners()
  child.stderr!.destroy()
  ;(child.stdio[3] as { destroy?: () => void }).destroy?.()
  child.unref()
  const pid = child.pid!
  return { pid, startTime: procStat(pid)?.startTime ?? '' }
}
