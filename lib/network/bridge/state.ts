/**
 * What a container holds on a bridge network, under the run dir (attach.ts says why there):
 * the files' shapes and paths, read without loading netavark's side (inspect reads them).
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { readIfPresent } from '../../sys/read.js'
import type { NetworkDef } from './networks.js'

/** Podman's default network, which `--network bridge` names. */
export const DEFAULT_NETWORK = 'podman'

/** What the user asked of one container on one network: --network NAME, --network-alias, --ip, --mac-address. */
export interface NetworkAttachment {
  network: string
  aliases?: string[]
  ip?: string
  mac?: string
}

/** A published port (or `range` ports from there), as netavark takes it. */
export interface PortMapping {
  host_ip: string
  container_port: number
  host_port: number
  range: number
  protocol: 'tcp' | 'udp'
}

/** netavark's setup request (its types/network.rs NetworkOptions). */
export interface SetupRequest {
  container_id: string
  container_name: string
  networks: Record<string, { interface_name: string; static_ips: string[]; aliases: string[]; static_mac?: string }>
  network_info: Record<string, NetworkDef>
  port_mappings: PortMapping[]
}

/** The file of a container's attachment (networks/<id>.json). */
export interface Attached {
  storeRoot: string
  request: SetupRequest
  /** netavark's answer: the interface's MAC among it (inspect's NetworkSettings). */
  status?: NetavarkStatus
}

export type NetavarkStatus = Record<string, { interfaces?: Record<string, { mac_address: string; subnets?: { ipnet: string; gateway?: string }[] }> }>

export interface BridgePaths {
  /** /run/cocker as root. */
  runDir: string
  /** The networks live in the user's rootless network namespace (rootless-netns.ts). */
  rootless?: boolean
}

export const dirs = (p: BridgePaths) => ({
  attached: path.join(p.runDir, 'networks'),
  netns: path.join(p.runDir, 'netns'),
  config: path.join(p.runDir, 'netavark'),
})
export const attachedFile = (p: BridgePaths, id: string) => path.join(dirs(p).attached, `${id}.json`)
export const netnsFile = (p: BridgePaths, id: string) => path.join(dirs(p).netns, id)

/** What netavark said of the container's interface, for inspect; undefined when it is on no network now. */
export function attachedStatus(p: BridgePaths, id: string): { network: string; ip: string; prefix: number; gateway: string; mac: string; aliases: string[] } | undefined {
  const a = readAttached(p, id)
  if (!a) return undefined
  const [name, net] = Object.entries(a.request.networks)[0]!
  const iface = a.status?.[name]?.interfaces?.eth0
  const subnet = a.request.network_info[name]!.subnets[0]!
  return {
    network: name, ip: net.static_ips[0]!, prefix: Number(subnet.subnet.split('/')[1]), gateway: subnet.gateway,
    mac: iface?.mac_address ?? '', aliases: net.aliases,
  }
}

export function listAttached(p: BridgePaths): [string, Attached][] {
  let files: string[] = []
  try {
    files = readdirSync(dirs(p).attached).filter(f => /^[0-9a-f]{64}\.json$/.test(f))
  } catch { /* nothing attached yet */ }
  return files.flatMap(f => {
    const a = readAttached(p, f.slice(0, -5))
    return a ? [[f.slice(0, -5), a] as [string, Attached]] : []
  })
}

export function readAttached(p: BridgePaths, id: string): Attached | undefined {
  const text = readIfPresent(attachedFile(p, id))
  try {
    return text ? JSON.parse(text) as Attached : undefined
  } catch {
    return undefined
  }
}

export function writeAttached(p: BridgePaths, id: string, a: Attached): void {
  const file = attachedFile(p, id)
  writeFileSync(`${file}.tmp`, JSON.stringify(a))
  renameSync(`${file}.tmp`, file)
}

