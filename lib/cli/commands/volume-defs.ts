/**
 * The `volume` group (Podman's `podman volume`): lib/storage/volumes.ts. Data only, like
 * index.ts, which places the group in the top-level list. Every subcommand's handler is in
 * volume.ts.
 */
import type { CommandDef } from '../command.js'

const handler = (name: 'create' | 'exists' | 'exportVolume' | 'importVolume' | 'inspect' | 'ls' | 'prune' | 'rm') =>
  () => import('./volume.js').then(m => ({ run: m[name] }))

const volumeCreate: CommandDef = {
  name: 'create',
  describe: 'create a new volume',
  description: 'Creates a volume of the local driver and prints its name (64 random hex digits when none is given). Its content lives in the store, under volumes/NAME/_data; a container that mounts it with `-v NAME:/path` while it is empty gets the image\'s content there copied in, owners and modes kept (unless nocopy). With -o type=tmpfs each container gets a tmpfs of its own; with -o type=none -o device=/host/dir -o o=bind, the directory is bind-mounted.',
  usage: 'create [options] [name]',
  positionals: [{ name: 'name', required: false }],
  options: [
    { name: 'driver', alias: 'd', type: 'string', valueName: 'driver', describe: 'the volume\'s driver: local (the only one)' },
    { name: 'ignore', type: 'boolean', describe: 'a volume of that name exists already: print its name and succeed' },
    { name: 'label', alias: 'l', type: 'array', valueName: 'key=value', describe: 'set metadata on the volume' },
    { name: 'opt', alias: 'o', type: 'array', valueName: 'key=value', describe: 'driver options: type=tmpfs|none, device=PATH, o=MOUNT-OPTIONS (uid=N,gid=N: the owner of its root), nocopy' },
  ],
  examples: [['cocker volume create data', 'a volume named data'], ['cocker volume create -o o=uid=1000,gid=1000 home', 'whose root belongs to uid 1000 in the containers']],
  load: handler('create'),
}

const volumeExists: CommandDef = {
  name: 'exists',
  describe: 'check if a volume exists',
  description: 'Exit status 0 when a volume has this name, 1 when none has; prints nothing.',
  usage: 'exists <volume>',
  positionals: [{ name: 'volume', required: true }],
  options: [],
  examples: [['cocker volume exists data && echo present', 'test for a volume']],
  load: handler('exists'),
}

const volumeExport: CommandDef = {
  name: 'export',
  describe: 'export volumes',
  description: 'Writes the volume\'s content as a tar archive (owners, modes, xattrs and links kept) to the -o file, or to standard output when that is not a terminal.',
  usage: 'export [options] <volume>',
  positionals: [{ name: 'volume', required: true }],
  options: [{ name: 'output', alias: 'o', type: 'string', valueName: 'file', complete: 'file', describe: 'write to the file instead of standard output' }],
  examples: [['cocker volume export data > data.tar', 'the volume data as a tarball'], ['cocker volume export -o data.tar data', 'the same, into a file']],
  userNamespace: true,
  load: handler('exportVolume'),
}

const volumeImport: CommandDef = {
  name: 'import',
  describe: 'import a tarball contents into a volume',
  description: 'Unpacks a tar archive (plain, gzip or zstd), a file or - for standard input, into an existing volume, over what it holds. Entries are never written outside the volume, whatever their names or links say.',
  usage: 'import <volume> <source>',
  positionals: [{ name: 'volume', required: true }, { name: 'source', required: true, complete: 'file' }],
  options: [],
  examples: [['cocker volume import data data.tar', 'the content of data.tar into the volume data'], ['gunzip -c data.tgz | cocker volume import data -', 'from standard input']],
  userNamespace: true,
  load: handler('importVolume'),
}

const volumeInspect: CommandDef = {
  name: 'inspect',
  describe: 'display detailed information on one or more volumes',
  description: 'Prints the volumes as a JSON array with Podman\'s keys, or each through a Go template.',
  usage: 'inspect [options] [volumes...]',
  positionals: [{ name: 'volumes', required: false, variadic: true }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'inspect every volume' },
    { name: 'format', alias: 'f', type: 'string', valueName: 'format', describe: "a Go template for each volume (e.g. '{{.Mountpoint}}'), or json" },
  ],
  examples: [['cocker volume inspect data', 'the volume data'], ["cocker volume inspect -f '{{.Mountpoint}}' data", 'where its content is']],
  load: handler('inspect'),
}

const volumeLs: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  describe: 'list volumes',
  description: 'Lists the volumes, sorted by name.',
  usage: 'ls [options]',
  positionals: [],
  options: [
    { name: 'filter', alias: 'f', type: 'array', valueName: 'filter', describe: 'only the volumes that match: name=REGEX, label=KEY[=VALUE], label!=KEY[=VALUE], driver=local, dangling=true|false (used by no container)' },
    { name: 'format', type: 'string', valueName: 'format', describe: "json, or a Go template (e.g. '{{.Name}}')" },
    { name: 'noheading', alias: 'n', type: 'boolean', describe: 'do not print the headings' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'print the names only' },
  ],
  examples: [['cocker volume ls', 'every volume'], ['cocker volume ls -q --filter dangling=true', 'the names of those no container uses']],
  load: handler('ls'),
}

const volumePrune: CommandDef = {
  name: 'prune',
  describe: 'remove all unused volumes',
  description: 'Removes every volume that no container uses, and prints their names.',
  usage: 'prune [options]',
  positionals: [],
  options: [
    { name: 'filter', type: 'array', valueName: 'filter', describe: 'only the volumes that match: label=KEY[=VALUE], label!=KEY[=VALUE]' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'do not prompt for confirmation' },
  ],
  examples: [['cocker volume prune -f', 'without asking']],
  load: handler('prune'),
}

const volumeRm: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  describe: 'remove one or more volumes',
  description: 'Removes the volumes and their content, and prints their names. A volume that containers use is refused (status 2) unless --force, which removes those containers first; a volume that does not exist gives status 1.',
  usage: 'rm [options] [volumes...]',
  positionals: [{ name: 'volumes', required: false, variadic: true }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'remove every volume' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'remove the containers that use the volume first' },
    { name: 'time', alias: 't', type: 'number', valueName: 'seconds', describe: 'seconds to wait for those containers to stop before killing them (default 10)' },
  ],
  examples: [['cocker volume rm data', 'remove the volume data'], ['cocker volume rm -f data', 'and the containers that use it']],
  load: handler('rm'),
}

export const volume: CommandDef = {
  name: 'volume',
  describe: 'manage volumes',
  description: 'Volumes keep data apart from containers: `cocker run -v NAME:/path` mounts one (made at its first use), `-v /path` and the image\'s VOLUME entries make anonymous ones, which `rm -v` and `run --rm` remove with their container.',
  usage: 'volume <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [volumeCreate, volumeExists, volumeExport, volumeImport, volumeInspect, volumeLs, volumePrune, volumeRm],
}
