/** `generate`: units made from containers and pods (podman's `generate systemd`). Data only, like index.ts. */
import type { CommandDef } from '../command.js'

const generateSystemd: CommandDef = {
  name: 'systemd',
  describe: 'generate systemd units',
  description: 'Prints (or with --files writes to the current directory) a systemd service unit that runs the container, or for a pod one unit for the pod and one per container, bound to it. The units are of Type=notify: the container\'s monitor tells systemd it is ready and becomes the main process (--sdnotify). With --new the unit creates the container (or pod) at each start and removes it at each stop, from the command that created it. Rootless, units under ~/.config/systemd/user/ run while the user is logged in unless lingering is enabled ("loginctl enable-linger").',
  usage: 'systemd [options] <container|pod>',
  positionals: [{ name: 'target', required: true, complete: 'container' }],
  options: [
    { name: 'after', type: 'array', valueName: 'unit', describe: 'add After= for the unit (may be given several times)' },
    { name: 'container-prefix', type: 'string', default: 'container', valueName: 'prefix', describe: "the prefix of containers' unit names" },
    { name: 'env', alias: 'e', type: 'array', valueName: 'key=value', describe: 'set an Environment= variable of the unit' },
    { name: 'files', alias: 'f', type: 'boolean', describe: 'write the units to files in the current directory and print their paths' },
    { name: 'format', type: 'string', choices: ['json'], valueName: 'format', describe: 'print the units as a JSON object, name to text' },
    { name: 'name', alias: 'n', type: 'boolean', describe: 'use the names of the container and pod, not their IDs, in units and commands' },
    { name: 'new', type: 'boolean', describe: 'create the container (or pod) at each start and remove it at each stop' },
    { name: 'no-header', type: 'boolean', describe: 'leave out the header (name, version, date)' },
    { name: 'pod-prefix', type: 'string', default: 'pod', valueName: 'prefix', describe: "the prefix of pods' unit names" },
    { name: 'requires', type: 'array', valueName: 'unit', describe: 'add Requires= for the unit (may be given several times)' },
    { name: 'restart-policy', type: 'string', default: 'on-failure', valueName: 'policy', describe: 'the units\' Restart=: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort or always' },
    { name: 'restart-sec', type: 'number', valueName: 'seconds', describe: 'the units\' RestartSec=' },
    { name: 'separator', type: 'string', default: '-', valueName: 'separator', describe: 'between the prefix and the name or ID in unit names' },
    { name: 'start-timeout', type: 'number', valueName: 'seconds', describe: 'the units\' TimeoutStartSec=' },
    { name: 'stop-timeout', type: 'number', valueName: 'seconds', describe: "seconds the container has to stop (default: its --stop-timeout); TimeoutStopSec= is that plus 60" },
    { name: 'wants', type: 'array', valueName: 'unit', describe: 'add Wants= for the unit (may be given several times)' },
  ],
  examples: [
    ['cocker generate systemd --new --name web', 'a unit that runs a new container like web at each start'],
    ['cd ~/.config/systemd/user && cocker generate systemd --files --name web && systemctl --user daemon-reload && systemctl --user start container-web', 'install and start it'],
  ],
  load: () => import('./generate.js'),
}

export const generate: CommandDef = {
  name: 'generate',
  describe: 'generate structured data based on containers and pods',
  usage: 'generate <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [generateSystemd],
}
