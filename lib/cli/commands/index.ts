/**
 * cocker: podman's nouns and verbs. Keep every list sorted; each entry is also a man page
 * and a completion entry. A command that podman registers twice (`pull` and `image pull`)
 * is the same object placed in both lists.
 */
import type { CommandDef, ProgramDef } from '../command.js'
import { ENGINE_EXIT_STATUSES } from '../exit.js'

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
  commands: [version],
  globalsAfterCommand: true,
  listContainers: "cocker ps --all --format '{{.Names}}'",
  exitStatuses: ENGINE_EXIT_STATUSES,
}
