/**
 * The options of `cocker run` (and later `create`): podman's names, short flags and meanings,
 * for the ones cocker implements. Data only: every command line loads the command table,
 * which holds these (their parser is lib/cli/commands/run-options.ts, loaded by `run`).
 */
import type { OptionDef, PositionalDef } from '../command.js'
import { TLS_VERIFY } from './registry.js'

export const runPositionals: PositionalDef[] = [
  { name: 'image', required: true },
  { name: 'command', required: false, variadic: true, raw: true },
]

/** Sorted by name. */
export const runOptions: OptionDef[] = [
  { name: 'annotation', type: 'array', valueName: 'key=value', describe: 'add an annotation to the container (passed through to the OCI runtime)' },
  { name: 'arch', type: 'string', valueName: 'arch', describe: 'use ARCH instead of the architecture of the machine for choosing images' },
  { name: 'cap-add', type: 'array', valueName: 'capability', describe: 'add capabilities to the container (ALL for all of them)' },
  { name: 'cap-drop', type: 'array', valueName: 'capability', describe: 'drop capabilities from the container (ALL for all of them)' },
  { name: 'cgroups', type: 'string', choices: ['enabled', 'disabled'], default: 'enabled', describe: 'control the container\'s cgroup creation' },
  { name: 'cpus', type: 'string', valueName: 'number', describe: 'number of CPUs the container may use, e.g. 1.5' },
  { name: 'detach', alias: 'd', type: 'boolean', describe: 'run the container in the background and print its id' },
  { name: 'entrypoint', type: 'string', valueName: 'command', describe: 'overwrite the image\'s ENTRYPOINT: a command or a JSON array; "" clears it' },
  { name: 'env', alias: 'e', type: 'array', valueName: 'key=value', describe: 'set an environment variable; a KEY alone takes its value from the host' },
  { name: 'env-file', type: 'array', valueName: 'file', complete: 'file', describe: 'read environment variables from a file, one KEY=VALUE per line' },
  { name: 'hostname', alias: 'h', type: 'string', valueName: 'name', describe: 'set the container\'s hostname (default: the first 12 characters of its id)' },
  { name: 'init', type: 'boolean', describe: 'run an init inside the container that forwards signals and reaps processes' },
  { name: 'init-path', type: 'string', valueName: 'path', complete: 'file', describe: 'path to the container init binary (default: cocker\'s own)' },
  { name: 'interactive', alias: 'i', type: 'boolean', describe: 'keep stdin open even if not attached' },
  { name: 'ipc', type: 'string', valueName: 'mode', describe: 'IPC namespace: private (default), host or ns:PATH' },
  { name: 'label', alias: 'l', type: 'array', valueName: 'key=value', describe: 'set metadata on the container' },
  { name: 'memory', alias: 'm', type: 'string', valueName: 'size', describe: 'memory limit, a number with an optional b, k, m or g suffix' },
  { name: 'memory-swap', type: 'string', valueName: 'size', describe: 'memory plus swap limit; -1 for unlimited swap' },
  { name: 'mount', type: 'array', valueName: 'spec', describe: 'attach a filesystem: type=bind,source=/a,target=/b[,readonly] or type=tmpfs,target=/t' },
  { name: 'name', type: 'string', valueName: 'name', describe: 'assign a name to the container' },
  { name: 'net', type: 'string', hidden: true, describe: 'alias of --network' },
  { name: 'network', type: 'string', valueName: 'mode', describe: 'network namespace: none (loopback only, the default for now), host or ns:PATH' },
  { name: 'os', type: 'string', valueName: 'os', describe: 'use OS instead of the running OS for choosing images' },
  { name: 'pid', type: 'string', valueName: 'mode', describe: 'PID namespace: private (default), host or ns:PATH' },
  { name: 'pids-limit', type: 'number', valueName: 'n', describe: 'limit the number of processes; -1 for unlimited' },
  { name: 'platform', type: 'string', valueName: 'os/arch[/variant]', describe: 'choose this platform from a multi-platform image' },
  { name: 'privileged', type: 'boolean', describe: 'give the container all capabilities, the host\'s devices and no seccomp filter or masked paths' },
  { name: 'pull', type: 'string', choices: ['always', 'missing', 'never', 'newer'], default: 'missing', describe: 'pull the image before running' },
  { name: 'read-only', type: 'boolean', describe: 'mount the container\'s root filesystem read-only' },
  { name: 'read-only-tmpfs', type: 'boolean', default: true, describe: 'with --read-only, mount tmpfs on /run, /tmp and /var/tmp' },
  { name: 'rm', type: 'boolean', describe: 'remove the container when it exits' },
  { name: 'security-opt', type: 'array', valueName: 'option', describe: 'seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges, mask=PATHS, unmask=PATHS' },
  { name: 'stop-signal', type: 'string', valueName: 'signal', describe: 'signal that stops the container (default: the image\'s, else SIGTERM)' },
  { name: 'sysctl', type: 'array', valueName: 'key=value', describe: 'set a namespaced kernel parameter' },
  TLS_VERIFY,
  { name: 'tmpfs', type: 'array', valueName: 'path[:options]', describe: 'mount a tmpfs at PATH' },
  { name: 'tty', alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' },
  { name: 'ulimit', type: 'array', valueName: 'name=soft[:hard]', describe: 'set a resource limit, e.g. nofile=1024:2048' },
  { name: 'user', alias: 'u', type: 'string', valueName: 'user[:group]', describe: 'run as this user and group, by name or id' },
  { name: 'uts', type: 'string', valueName: 'mode', describe: 'UTS namespace: private (default), host or ns:PATH' },
  { name: 'variant', type: 'string', valueName: 'variant', describe: 'use VARIANT instead of the default architecture variant for choosing images' },
  { name: 'volume', alias: 'v', type: 'array', valueName: 'host:container[:options]', complete: 'dir', describe: 'bind-mount a host directory; options ro, rw, z, Z, and mount options' },
  { name: 'workdir', alias: 'w', type: 'string', valueName: 'dir', describe: 'working directory inside the container' },
]
