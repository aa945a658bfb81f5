/**
 * cocker: podman's nouns and verbs. Keep every list sorted; each entry is also a man page
 * and a completion entry. A command that podman registers twice (`pull` and `image pull`)
 * is the same object placed in both lists.
 */
import type { CommandDef, ProgramDef } from '../command.js'
import { ENGINE_EXIT_STATUSES } from '../exit.js'

const unshare: CommandDef = {
  name: 'unshare',
  describe: 'run a command in a modified user namespace',
  description: 'Runs a command in a new user and mount namespace where the caller is root and their /etc/subuid and /etc/subgid ranges are mapped from 1 up: the namespace that rootless containers and their storage live in. Without a command it runs $SHELL. The exit status is the command\'s.',
  usage: 'unshare [options] [command [arg ...]]',
  positionals: [{ name: 'command', required: false, variadic: true, raw: true }],
  options: [],
  examples: [
    ['cocker unshare id -u', 'prints 0: the caller is root in the namespace'],
    ['cocker unshare cat /proc/self/uid_map', 'shows how the ids are mapped'],
  ],
  load: () => import('./unshare.js'),
}

const version: CommandDef = {
  name: 'version',
  describe: 'display the cocker version information',
  usage: 'version',
  positionals: [],
  options: [],
  examples: [['cocker version', 'show the versions of cocker, node and the helper in use']],
  load: () => import('./version.js'),
}

export const cockerProgram: ProgramDef = {
  name: 'cocker',
  describe: 'manage pods, containers and images, without a daemon and without root',
  description: 'cocker runs OCI containers the way podman does: the same commands, flags, image references and exit statuses, with no daemon, as an unprivileged user.',
  usage: '[options] <command> [command options] [arguments...]',
  globalOptions: [
    { name: 'help', alias: 'h', type: 'boolean', describe: 'show help' },
    { name: 'version', alias: 'v', type: 'boolean', describe: 'print the version' },
  ],
  commands: [unshare, version],
  globalsAfterCommand: true,
  listContainers: "cocker ps --all --format '{{.Names}}'",
  exitStatuses: ENGINE_EXIT_STATUSES,
}
