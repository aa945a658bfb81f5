/**
 * Types of the OCI runtime specification 1.x (config.json and state), as far as cocker
 * reads them. The JSON schema in schema/ is the authority on what is accepted; these
 * types describe what a validated document looks like.
 */

export interface Spec {
  ociVersion: string
  process?: Process
  root?: Root
  hostname?: string
  domainname?: string
  mounts?: Mount[]
  hooks?: Hooks
  annotations?: Record<string, string>
  linux?: Linux
}

export interface Root { path: string; readonly?: boolean }

export interface Process {
  terminal?: boolean
  consoleSize?: { height: number; width: number }
  user: User
  args?: string[]
  commandLine?: string
  env?: string[]
  cwd: string
  capabilities?: Capabilities
  rlimits?: Rlimit[]
  noNewPrivileges?: boolean
  apparmorProfile?: string
  oomScoreAdj?: number
  selinuxLabel?: string
  ioPriority?: { class: string; priority: number }
  scheduler?: Record<string, unknown>
}

export interface User {
  uid: number
  gid: number
  umask?: number
  additionalGids?: number[]
  username?: string
}

export interface Capabilities {
  bounding?: string[]
  effective?: string[]
  inheritable?: string[]
  permitted?: string[]
  ambient?: string[]
}

export interface Rlimit { type: string; soft: number; hard: number }

export interface Mount {
  destination: string
  source?: string
  type?: string
  options?: string[]
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
}

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface Hooks {
  prestart?: Hook[]
  createRuntime?: Hook[]
  createContainer?: Hook[]
  startContainer?: Hook[]
  poststart?: Hook[]
  poststop?: Hook[]
}

export interface IdMapping { containerID: number; hostID: number; size: number }

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time'

export interface Namespace { type: NamespaceType; path?: string }

export interface Device {
  type: 'c' | 'b' | 'u' | 'p'
  path: string
  major?: number
  minor?: number
  fileMode?: number
  uid?: number
  gid?: number
}

export interface DeviceCgroup { allow: boolean; type?: string; major?: number; minor?: number; access?: string }

export interface Resources {
  devices?: DeviceCgroup[]
  memory?: {
    limit?: number; reservation?: number; swap?: number; kernel?: number; kernelTCP?: number
    swappiness?: number; disableOOMKiller?: boolean; useHierarchy?: boolean; checkBeforeUpdate?: boolean
  }
  cpu?: {
    shares?: number; quota?: number; burst?: number; period?: number; realtimeRuntime?: number
    realtimePeriod?: number; cpus?: string; mems?: string; idle?: number
  }
  pids?: { limit: number }
  blockIO?: {
    weight?: number; leafWeight?: number
    weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[]
    throttleReadBpsDevice?: ThrottleDevice[]; throttleWriteBpsDevice?: ThrottleDevice[]
    throttleReadIOPSDevice?: ThrottleDevice[]; throttleWriteIOPSDevice?: ThrottleDevice[]
  }
  hugepageLimits?: { pageSize: string; limit: number }[]
  network?: { classID?: number; priorities?: { name: string; priority: number }[] }
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>
  unified?: Record<string, string>
}

export interface ThrottleDevice { major: number; minor: number; rate: number }

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY'

export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ'

export interface SeccompArg { index: number; value: number; valueTwo?: number; op: SeccompOperator }

export interface SeccompSyscall {
  names: string[]
  action: SeccompAction
  errnoRet?: number
  args?: SeccompArg[]
}

export interface Seccomp {
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  architectures?: string[]
  flags?: string[]
  listenerPath?: string
  listenerMetadata?: string
  syscalls?: SeccompSyscall[]
}

export interface Linux {
  namespaces?: Namespace[]
  uidMappings?: IdMapping[]
  gidMappings?: IdMapping[]
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>
  devices?: Device[]
  cgroupsPath?: string
  resources?: Resources
  rootfsPropagation?: string
  seccomp?: Seccomp
  sysctl?: Record<string, string>
  maskedPaths?: string[]
  readonlyPaths?: string[]
  mountLabel?: string
  intelRdt?: Record<string, unknown>
  personality?: { domain: string; flags?: string[] }
}

export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused'

/** The state document of the runtime spec, exactly (`state` prints it; hooks read it on stdin). */
export interface State {
  ociVersion: string
  id: string
  status: Status
  pid?: number
  bundle: string
  annotations?: Record<string, string>
}
