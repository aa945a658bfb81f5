/**
 * Containers as `podman ps` shows them: the STATUS and CREATED texts, the JSON of
 * `--format json`, and the fields a `--format` template can name.
 */
import { GO_ZERO_UNIX, stateName, unixSeconds, userMounts, type ContainerView } from '../../container/view.js'
import { portRuns, portsText } from '../../network/ports.js'
import { goTimeNano, humanDuration, psSize } from './units.js'

/** "Up 5 seconds ago" (Podman 4.3's words, which scripts parse), "Exited (0) 3 seconds ago", "Created", "Paused", "Up 2 minutes ago (healthy)". */
export function statusText(v: ContainerView, now: number): string {
  const s = v.state
  const ago = (iso: string | undefined) => `${humanDuration(Math.max(0, now - Date.parse(iso ?? v.record.created)))}`
  let text: string
  switch (stateName(s)) {
    case 'running':
      text = `Up ${ago(s.startedAt)} ago`
      break
    case 'paused':
      text = 'Paused'
      break
    case 'exited':
      text = `Exited (${s.exitCode ?? 0}) ${ago(s.finishedAt)} ago`
      break
    case 'stopping':
      text = 'Stopping'
      break
    case 'removing':
      text = 'Removing'
      break
    default:
      text = 'Created'
  }
  return s.status === 'running' && s.health && v.record.healthcheck ? `${text} (${s.health.status})` : text
}

export function createdText(v: ContainerView, now: number): string {
  return `${humanDuration(Math.max(0, now - Date.parse(v.record.created)))} ago`
}

export interface PsSizes {
  rwSize: number
  rootFsSize: number
}

/** One entry of `ps --format json`, keys in podman's order. */
export function psJson(v: ContainerView, now: number, size?: PsSizes, podName = '') {
  const { record: r, state: s } = v
  const exited = stateName(s) === 'exited'
  return {
    AutoRemove: r.autoRemove,
    Command: r.command,
    CreatedAt: createdText(v, now),
    Exited: exited,
    ExitedAt: exited ? unixSeconds(s.finishedAt) : GO_ZERO_UNIX,
    ExitCode: s.exitCode ?? 0,
    Id: r.id,
    Image: r.imageName,
    ImageID: r.imageId,
    IsInfra: r.infra === true,
    Labels: Object.keys(r.labels).length ? r.labels : null,
    Mounts: userMounts(v).map(m => m.destination),
    Names: [r.name],
    Namespaces: {},
    Networks: [] as string[],
    Pid: s.status === 'running' || s.status === 'paused' ? s.pid : 0,
    Pod: r.pod ?? '',
    PodName: podName,
    Ports: r.ports?.length ? portRuns(r.ports).map(p => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: p.range, protocol: p.protocol })) : null,
    Size: size ?? null,
    StartedAt: unixSeconds(s.startedAt),
    State: stateName(s),
    Status: statusText(v, now),
    Created: unixSeconds(r.created),
  }
}

export interface PsRowOptions {
  noTrunc: boolean
  size?: PsSizes
  /** The name of the container's pod, if it is in one. */
  podName?: string
}

/**
 * The fields of a `ps --format` template ({{.ID}}, {{.Names}}, {{.Status}} …), as podman names
 * them; getters, so a row computes only what the template shows.
 */
export function psRow(v: ContainerView, now: number, o: PsRowOptions) {
  const { record: r } = v
  const json = () => psJson(v, now, o.size, o.podName)
  return {
    get AutoRemove() { return r.autoRemove },
    get ID() { return o.noTrunc ? r.id : r.id.slice(0, 12) },
    get Id() { return r.id },
    get Image() { return r.imageName },
    get ImageID() { return o.noTrunc ? r.imageId : r.imageId.slice(0, 12) },
    get Command() {
      const command = r.command.join(' ')
      return o.noTrunc || command.length <= 17 ? command : `${command.slice(0, 17)}...`
    },
    get Created() { return goTimeNano(r.created) },
    get CreatedAt() { return goTimeNano(r.created) },
    get CreatedHuman() { return createdText(v, now) },
    get RunningFor() { return createdText(v, now) },
    get Status() { return statusText(v, now) },
    get State() { return stateName(v.state) },
    get Names() { return r.name },
    get Labels() { return r.labels },
    get Mounts() { return json().Mounts },
    get Ports() { return portsText(r.ports ?? []) },
    get Networks() { return '' },
    get Size() { return o.size ? `${psSize(o.size.rwSize)} (virtual ${psSize(o.size.rootFsSize)})` : '' },
    get Pid() { return json().Pid },
    get ExitCode() { return json().ExitCode },
    get Exited() { return json().Exited },
    get ExitedAt() { return json().ExitedAt },
    get StartedAt() { return json().StartedAt },
    get IsInfra() { return r.infra === true },
    get Pod() { return r.pod ? (o.noTrunc ? r.pod : r.pod.slice(0, 12)) : '' },
    get PodName() { return o.podName ?? '' },
    get Namespaces() { return {} },
  }
}

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Id: 'CONTAINER ID', Image: 'IMAGE', ImageID: 'IMAGE ID', Command: 'COMMAND', CreatedHuman: 'CREATED',
  Created: 'CREATED', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Status: 'STATUS', State: 'STATE', Ports: 'PORTS',
  Names: 'NAMES', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', Pid: 'PID', ExitCode: 'EXIT CODE',
  StartedAt: 'STARTED AT', ExitedAt: 'EXITED AT', AutoRemove: 'AUTO REMOVE', IsInfra: 'IS INFRA', Pod: 'POD ID', PodName: 'POD NAME',
}

/** podman's default columns, with SIZE after NAMES for -s, then POD ID and PODNAME for --pod. */
export function defaultPsFormat(size: boolean, pod = false): string {
  return `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${size ? '\t{{.Size}}' : ''}${pod ? '\t{{.Pod}}\t{{.PodName}}' : ''}`
}

/** `ps --pod`'s header for the pod's name, one word as podman prints it there. */
export const PS_POD_HEADERS: Record<string, string> = { ...PS_HEADERS, PodName: 'PODNAME' }
