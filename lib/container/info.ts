/**
 * `info`: what podman's info reports, the part cocker has so far: the host (kernel, ids,
 * rootless), the store (driver, where it lives, what it holds) and versions. The keys are
 * podman's JSON keys, so `--format json` reads the same; the CLI renders YAML or templates.
 */
import { statfsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { storageConfPaths } from '../config/storage-conf.js'
import { findProgram, rootlessBackend } from '../network/programs.js'
import { isRootless } from '../rootless/identity.js'
import { usernsMapsForCaller } from '../rootless/userns.js'
import type { IdMapping } from '../runtime/oci-spec.js'
import type { DriverName } from '../storage/driver.js'
import type { Store } from '../storage/store.js'
import { runtimeStateDir } from './engine.js'

export interface IdMap { container_id: number; host_id: number; size: number }

export interface SystemInfo {
  host: {
    arch: string
    hostname: string
    idMappings: { gidmap: IdMap[] | null; uidmap: IdMap[] | null }
    kernel: string
    os: string
    security: { rootless: boolean }
    /** Podman 5's name: the program that connects a rootless container's network by default. */
    rootlessNetworkCmd: string
    pasta: { executable: string }
    slirp4netns: { executable: string }
  }
  store: {
    configFile: string
    containerStore: { number: number; paused: number; running: number; stopped: number }
    graphDriverName: DriverName
    graphOptions: Record<string, string>
    graphRoot: string
    graphStatus: Record<string, string>
    imageStore: { number: number }
    runRoot: string
  }
  version: { Os: string; OsArch: string; NodeVersion: string; Version: string }
}

/** Filesystem magic numbers (statfs f_type) → the names podman's graphStatus uses. */
const FILESYSTEMS: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs',
}

export function systemInfo(o: { store: Store; driver: DriverName; env: NodeJS.ProcessEnv; version: string }): SystemInfo {
  const rootless = isRootless(o.env)
  const maps = rootless ? usernsMapsForCaller() : undefined
  const idmap = (m: IdMapping[] | undefined) => m?.map(x => ({ container_id: x.containerID, host_id: x.hostID, size: x.size })) ?? null
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[os.arch() as string] ?? os.arch()
  return {
    host: {
      arch,
      hostname: os.hostname(),
      idMappings: { gidmap: idmap(maps?.gid), uidmap: idmap(maps?.uid) },
      kernel: os.release(),
      os: 'linux',
      security: { rootless },
      rootlessNetworkCmd: rootlessBackend(o.env) ?? '',
      pasta: { executable: findProgram('pasta', o.env) ?? '' },
      slirp4netns: { executable: findProgram('slirp4netns', o.env) ?? '' },
    },
    store: {
      configFile: storageConfPaths(o.env, rootless)[0]!,
      containerStore: { number: 0, paused: 0, running: 0, stopped: 0 },
      graphDriverName: o.driver,
      graphOptions: {},
      graphRoot: o.store.paths.root,
      graphStatus: graphStatus(o.store.paths.root, o.driver),
      imageStore: { number: o.store.metadata().images.length },
      runRoot: path.dirname(runtimeStateDir(o.env)),
    },
    version: { Os: 'linux', OsArch: `linux/${arch}`, NodeVersion: process.version, Version: o.version },
  }
}

function graphStatus(root: string, driver: DriverName): Record<string, string> {
  let fs = 'unknown'
  try {
    const type = Number(statfsSync(root).type)
    fs = FILESYSTEMS[type] ?? `0x${type.toString(16)}`
  } catch {
    // no store yet
  }
  if (driver === 'vfs') return {}
  return { 'Backing Filesystem': fs, 'Native Overlay Diff': String(driver === 'overlay'), 'Supports d_type': 'true', 'Using metacopy': 'false' }
}
