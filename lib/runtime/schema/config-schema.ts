/**
 * JSON Schema (draft-07) for config.json, written from the text of the OCI runtime
 * spec 1.x (config.md, config-linux.md) for the Linux platform.
 *
 * Rules of thumb, in the order they were applied:
 * - Enforce what the spec says MUST / REQUIRED, and the JSON types it names. SHOULD is not enforced.
 * - Unknown properties are always allowed (config.md "Extensibility": runtimes MUST ignore them).
 * - Integer widths: uint32 / int32 / uint16 get their full range. uint64 / int64 get only their
 *   sign: JSON.parse turns large integers into doubles, so an exact bound cannot be checked.
 * - Value lists the spec gives as "valid values" are enums, since the spec also says runtimes
 *   MUST error on values they cannot map (config.md "Valid values").
 *
 * Only build-validator.ts imports this module: it compiles the schema to standalone code,
 * which also carries the schema itself for validate.ts's error wording.
 */

// A `description` on a schema with a `pattern` is the noun phrase validate.ts uses in
// "must be <description>" when the pattern does not match.
const semver = {
  type: 'string',
  // semver.org's reference regex, with the groups made non-capturing.
  pattern:
    '^(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)' +
    '(?:-(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?' +
    '(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$',
  description: 'a SemVer 2.0.0 version such as "1.2.0"',
}
const capability = { type: 'string', pattern: '^CAP_[A-Z0-9_]+$', description: 'a capability name such as "CAP_CHOWN"' }
const oneLine = { type: 'string', pattern: '^[^\\n]*$', description: 'a single line' }

// Leaf types shared by many fields are $refs: ajv then emits one function per leaf type
// instead of repeating the checks inline, which keeps the generated module small.
const leaves = {
  int32: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  int64: { type: 'integer' },
  uint16: { type: 'integer', minimum: 0, maximum: 65535 },
  uint32: { type: 'integer', minimum: 0, maximum: 4294967295 },
  uint64: { type: 'integer', minimum: 0 },
  strings: { type: 'array', items: { type: 'string' } },
  absolutePath: { type: 'string', pattern: '^/', description: 'an absolute path' },
  stringMap: { type: 'object', additionalProperties: { type: 'string' } },
}
const leaf = (name: keyof typeof leaves) => ({ $ref: `#/definitions/${name}` })
const string = { type: 'string' }
const boolean = { type: 'boolean' }
const int32 = leaf('int32')
const int64 = leaf('int64')
const uint16 = leaf('uint16')
const uint32 = leaf('uint32')
const uint64 = leaf('uint64')
const strings = leaf('strings')
const absolutePath = leaf('absolutePath')
const stringMap = leaf('stringMap')

const object = (properties: Record<string, unknown>, required: string[] = []) =>
  required.length > 0 ? { type: 'object', required, properties } : { type: 'object', properties }
const arrayOf = (items: unknown) => ({ type: 'array', items })
const oneOf = (...values: string[]) => ({ type: 'string', enum: values })

// An object that needs at least one of `fields` (blockIO weightDevice, rdma entries).
const atLeastOneOf = (fields: string[]) => ({ anyOf: fields.map(f => ({ required: [f] })) })

const seccompAction = oneOf(
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
)

const definitions = {
  ...leaves,
  idMapping: object({ containerID: uint32, hostID: uint32, size: uint32 }, ['containerID', 'hostID', 'size']),
  hookList: arrayOf(object({
    path: absolutePath,
    args: strings,
    env: strings,
    timeout: { type: 'integer', minimum: 1 },
  }, ['path'])),
  capabilities: arrayOf(capability),
  deviceNumbers: object({ major: int64, minor: int64, rate: uint64 }, ['major', 'minor', 'rate']),
}
const ref = (name: keyof typeof definitions) => ({ $ref: `#/definitions/${name}` })

const processSchema = object({
  terminal: boolean,
  consoleSize: object({ height: uint64, width: uint64 }, ['height', 'width']),
  cwd: absolutePath,
  env: strings,
  // "at least one entry is REQUIRED (non-Windows)"
  args: { type: 'array', items: string, minItems: 1 },
  commandLine: string,
  rlimits: arrayOf(object({
    // Linux getrlimit(2). The spec: values that cannot be mapped MUST be an error.
    type: oneOf(
      'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS',
      'RLIMIT_MEMLOCK', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS',
      'RLIMIT_RTPRIO', 'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
    ),
    soft: uint64,
    hard: uint64,
  }, ['type', 'soft', 'hard'])),
  apparmorProfile: string,
  capabilities: object({
    effective: ref('capabilities'),
    bounding: ref('capabilities'),
    inheritable: ref('capabilities'),
    permitted: ref('capabilities'),
    ambient: ref('capabilities'),
  }),
  noNewPrivileges: boolean,
  oomScoreAdj: int64,
  scheduler: object({
    policy: oneOf('SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'),
    nice: int32,
    priority: int32,
    flags: arrayOf(oneOf(
      'SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
      'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX',
    )),
    runtime: uint64,
    deadline: uint64,
    period: uint64,
  }, ['policy']),
  selinuxLabel: string,
  ioPriority: object({
    class: oneOf('IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'),
    priority: int64,
  }, ['class', 'priority']),
  execCPUAffinity: object({ initial: string, final: string }),
  user: object({
    uid: uint32,
    gid: uint32,
    umask: uint32,
    additionalGids: arrayOf(uint32),
    username: string,
  }, ['uid', 'gid']),
}, ['cwd', 'args'])

const resourcesSchema = object({
  devices: arrayOf(object({
    allow: boolean,
    type: oneOf('a', 'c', 'b'),
    major: int64,
    minor: int64,
    access: { type: 'string', pattern: '^[rwm]*$', description: 'made of the letters r, w and m' },
  }, ['allow'])),
  memory: object({
    limit: int64,
    reservation: int64,
    swap: int64,
    kernel: int64,
    kernelTCP: int64,
    swappiness: uint64,
    disableOOMKiller: boolean,
    useHierarchy: boolean,
    checkBeforeUpdate: boolean,
  }),
  cpu: object({
    shares: uint64,
    quota: int64,
    burst: uint64,
    period: uint64,
    realtimeRuntime: int64,
    realtimePeriod: uint64,
    cpus: string,
    mems: string,
    idle: int64,
  }),
  // limit became OPTIONAL in runtime-spec 1.3; it was REQUIRED before.
  pids: object({ limit: int64 }),
  blockIO: object({
    weight: uint16,
    leafWeight: uint16,
    weightDevice: arrayOf({
      ...object({ major: int64, minor: int64, weight: uint16, leafWeight: uint16 }, ['major', 'minor']),
      ...atLeastOneOf(['weight', 'leafWeight']),
    }),
    throttleReadBpsDevice: arrayOf(ref('deviceNumbers')),
    throttleWriteBpsDevice: arrayOf(ref('deviceNumbers')),
    throttleReadIOPSDevice: arrayOf(ref('deviceNumbers')),
    throttleWriteIOPSDevice: arrayOf(ref('deviceNumbers')),
  }),
  hugepageLimits: arrayOf(object({ pageSize: string, limit: uint64 }, ['pageSize', 'limit'])),
  network: object({
    classID: uint32,
    priorities: arrayOf(object({ name: string, priority: uint32 }, ['name', 'priority'])),
  }),
  rdma: {
    type: 'object',
    additionalProperties: { ...object({ hcaHandles: uint32, hcaObjects: uint32 }), ...atLeastOneOf(['hcaHandles', 'hcaObjects']) },
  },
  unified: stringMap,
})

const seccompSchema = {
  ...object({
    defaultAction: seccompAction,
    defaultErrnoRet: uint32,
    // libseccomp 2.6.0's list, as the spec gives it.
    architectures: arrayOf(oneOf(
      'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
      'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
      'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
      'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
      'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
    )),
    flags: arrayOf(oneOf(
      'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
      'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
    )),
    listenerPath: string,
    listenerMetadata: string,
    syscalls: arrayOf(object({
      names: { type: 'array', items: string, minItems: 1 },
      action: seccompAction,
      errnoRet: uint32,
      args: arrayOf(object({
        index: uint32,
        value: uint64,
        valueTwo: uint64,
        op: oneOf('SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'),
      }, ['index', 'value', 'op'])),
    }, ['names', 'action'])),
  }, ['defaultAction']),
  // "listenerMetadata ... MUST NOT be set if listenerPath is not set."
  dependencies: { listenerMetadata: ['listenerPath'] },
}

const linuxSchema = object({
  namespaces: arrayOf(object({
    type: oneOf('pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'),
    path: absolutePath,
  }, ['type'])),
  uidMappings: arrayOf(ref('idMapping')),
  gidMappings: arrayOf(ref('idMapping')),
  timeOffsets: { type: 'object', additionalProperties: object({ secs: int64, nanosecs: uint32 }) },
  devices: arrayOf({
    ...object({
      type: oneOf('c', 'b', 'u', 'p'),
      path: string,
      major: int64,
      minor: int64,
      fileMode: uint32,
      uid: uint32,
      gid: uint32,
    }, ['type', 'path']),
    // `required` in the `if`: without a type, report the missing type, not a missing major.
    if: { required: ['type'], properties: { type: { not: { const: 'p' } } } },
    then: { required: ['major', 'minor'], description: 'major and minor are required unless type is "p"' },
  }),
  netDevices: { type: 'object', additionalProperties: object({ name: string }) },
  cgroupsPath: string,
  resources: resourcesSchema,
  intelRdt: object({
    closID: string,
    l3CacheSchema: string,
    memBwSchema: { type: 'string', pattern: '^MB:[^\\n]*$', description: 'a single line starting with "MB:"' },
    schemata: arrayOf(oneLine),
    enableMonitoring: boolean,
  }),
  memoryPolicy: object({
    mode: oneOf(
      'MPOL_DEFAULT', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED',
      'MPOL_PREFERRED_MANY', 'MPOL_LOCAL',
    ),
    nodes: string,
    flags: arrayOf(oneOf('MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES')),
  }, ['mode']),
  sysctl: stringMap,
  seccomp: seccompSchema,
  // The spec lists four values, but runc, crun and runtime-tools (so Podman) also write and
  // accept the recursive forms, and "" for unset.
  rootfsPropagation: oneOf('shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable', ''),
  maskedPaths: arrayOf(absolutePath),
  readonlyPaths: arrayOf(absolutePath),
  mountLabel: string,
  personality: object({ domain: oneOf('LINUX', 'LINUX32'), flags: strings }, ['domain']),
})

export const configSchema = {
  $id: 'config',
  type: 'object',
  definitions,
  // root is REQUIRED on every platform but Windows. process is only REQUIRED for `start`,
  // but create/run always lead there, and runc refuses a config without it too.
  required: ['ociVersion', 'root', 'process'],
  properties: {
    ociVersion: semver,
    root: object({ path: string, readonly: boolean }, ['path']),
    mounts: arrayOf({
      ...object({
        // Relative destinations are deprecated on Linux but still allowed (taken relative to "/").
        destination: string,
        source: string,
        options: strings,
        type: string,
        uidMappings: arrayOf(ref('idMapping')),
        gidMappings: arrayOf(ref('idMapping')),
      }, ['destination']),
      dependencies: { uidMappings: ['gidMappings'], gidMappings: ['uidMappings'] },
    }),
    process: processSchema,
    hostname: string,
    domainname: string,
    hooks: object({
      prestart: ref('hookList'),
      createRuntime: ref('hookList'),
      createContainer: ref('hookList'),
      startContainer: ref('hookList'),
      poststart: ref('hookList'),
      poststop: ref('hookList'),
    }),
    annotations: { type: 'object', additionalProperties: string, propertyNames: { not: { const: '' } } },
    linux: linuxSchema,
  },
}
