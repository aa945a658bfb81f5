// A podman-shaped program for tests: a group (`image`) holding a command that is also
// top level (`pull`), an alias (`image ls`), a command using -h for itself (`run`).
import type { CommandDef, ProgramDef } from '../../../lib/cli/command.js'
import { ENGINE_EXIT_STATUSES } from '../../../lib/cli/exit.js'

const load = async () => ({ run: async () => ({ stdout: 'ran\n' }) })

const pull: CommandDef = {
  name: 'pull',
  describe: 'pull an image from a registry',
  usage: 'pull [options] <image>',
  positionals: [{ name: 'image', required: true }],
  options: [{ name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress output' }],
  examples: [['cocker pull alpine', 'pull alpine']],
  load,
}

const list: CommandDef = {
  name: 'list',
  aliases: ['ls'],
  describe: 'list images in local storage',
  usage: 'list [options]',
  positionals: [],
  options: [{ name: 'format', type: 'string', choices: ['table', 'json'], describe: 'output format' }],
  examples: [],
  load,
}

const image: CommandDef = {
  name: 'image',
  describe: 'manage images',
  usage: 'image <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [list, pull],
}

const run: CommandDef = {
  name: 'run',
  describe: 'run a command in a new container',
  usage: 'run [options] <image> [command...]',
  positionals: [{ name: 'image', required: true }, { name: 'command', required: false, variadic: true, raw: true }],
  options: [
    { name: 'hostname', alias: 'h', type: 'string', describe: 'set the hostname' },
    { name: 'signal', type: 'string', complete: 'signal', describe: 'stop signal' },
  ],
  examples: [],
  manExitStatus: true,
  load,
}

export const FIXTURE: ProgramDef = {
  name: 'fixture',
  describe: 'a test program',
  usage: '[options] <command>',
  globalOptions: [
    { name: 'help', alias: 'h', type: 'boolean', describe: 'show help' },
    { name: 'log-level', type: 'string', choices: ['debug', 'info'], describe: 'log level' },
    { name: 'version', alias: 'v', type: 'boolean', describe: 'print the version' },
  ],
  commands: [image, pull, run],
  globalsAfterCommand: true,
  listContainers: 'fixture ps -q',
  exitStatuses: ENGINE_EXIT_STATUSES,
}
