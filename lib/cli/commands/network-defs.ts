/**
 * The `network` group (Podman's `podman network`): bridge networks, lib/network/bridge. Data
 * only, like index.ts, which places the group in the top-level list. Every subcommand's
 * handler is in network.ts.
 */
import type { CommandDef } from '../command.js'

const handler = (name: 'connect' | 'create' | 'disconnect' | 'exists' | 'inspect' | 'ls' | 'prune' | 'rm') =>
  () => import('./network.js').then(m => ({ run: m[name] }))

const FILTER = { name: 'filter', type: 'array', valueName: 'filter', describe: 'only the networks that match (name=, id=, driver=, label=KEY[=VALUE])' } as const

const networkConnect: CommandDef = {
  name: 'connect',
  describe: 'add a container to a network',
  description: 'The container joins the network: at once when it runs, else when it starts. A container is on one bridge network at most for now.',
  usage: 'connect [options] <network> <container>',
  positionals: [{ name: 'network', required: true }, { name: 'container', required: true, complete: 'container' }],
  options: [
    { name: 'alias', type: 'array', valueName: 'name', describe: 'another name by which the containers of the network reach it' },
    { name: 'ip', type: 'string', valueName: 'address', describe: 'its IPv4 address on the network' },
    { name: 'mac-address', type: 'string', valueName: 'address', describe: 'its MAC address on the network' },
  ],
  examples: [['cocker network connect web app', 'put the container app on the network web']],
  load: handler('connect'),
}

const networkCreate: CommandDef = {
  name: 'create',
  describe: 'create a network',
  description: 'Creates a bridge network that containers join with `--network NAME`, and prints its name. Without --subnet it takes the first free /24 of 10.89.0.0/16, and its first address is the gateway. Its containers reach each other by name and --network-alias (aardvark-dns on the gateway, unless --disable-dns), reach the outside through masquerading (unless --internal), and are isolated from other networks (unless -o isolate=false). The default network, `podman` (10.86.0.0/16, beside Podman\'s own 10.88.0.0/16; no DNS), always exists. Root only for now.',
  usage: 'create [options] [name]',
  positionals: [{ name: 'name', required: false }],
  options: [
    { name: 'disable-dns', type: 'boolean', describe: 'no name resolution between the containers of the network' },
    { name: 'driver', alias: 'd', type: 'string', valueName: 'driver', describe: 'the network\'s driver: bridge (the only one)' },
    { name: 'gateway', type: 'array', valueName: 'address', describe: 'the gateway of the subnet (default: its first address)' },
    { name: 'ignore', type: 'boolean', describe: 'a network of that name exists already: print its name and succeed' },
    { name: 'internal', type: 'boolean', describe: 'no route to the outside: the containers reach only each other' },
    { name: 'ipv6', type: 'boolean', describe: 'IPv6 networking (not supported yet)' },
    { name: 'label', type: 'array', valueName: 'key=value', describe: 'set metadata on the network' },
    { name: 'opt', alias: 'o', type: 'array', valueName: 'key=value', describe: 'driver options: isolate=true|false (default true: no traffic from or to other networks), mtu=BYTES' },
    { name: 'subnet', type: 'array', valueName: 'cidr', describe: 'the network\'s IPv4 subnet, e.g. 10.90.0.0/24' },
  ],
  examples: [['cocker network create web', 'a network named web on a free subnet'], ['cocker network create --subnet 10.90.0.0/24 db', 'on this subnet']],
  load: handler('create'),
}

const networkDisconnect: CommandDef = {
  name: 'disconnect',
  describe: 'disconnect a container from a network',
  description: 'The container leaves the network: at once when it runs, and it does not join it at its next start.',
  usage: 'disconnect [options] <network> <container>',
  positionals: [{ name: 'network', required: true }, { name: 'container', required: true, complete: 'container' }],
  options: [],
  examples: [['cocker network disconnect web app', 'take the container app off the network web']],
  load: handler('disconnect'),
}

const networkExists: CommandDef = {
  name: 'exists',
  describe: 'check if a network exists',
  description: 'Exit status 0 when a network has this name or ID (or unique ID prefix), 1 when none has; prints nothing.',
  usage: 'exists <network>',
  positionals: [{ name: 'network', required: true }],
  options: [],
  examples: [['cocker network exists web && echo present', 'test for a network']],
  load: handler('exists'),
}

const networkInspect: CommandDef = {
  name: 'inspect',
  describe: 'display detailed information on one or more networks',
  description: 'Prints the networks\' definitions as a JSON array, as Podman does, or each through a Go template.',
  usage: 'inspect [options] <networks...>',
  positionals: [{ name: 'networks', required: true, variadic: true }],
  options: [{ name: 'format', alias: 'f', type: 'string', valueName: 'format', describe: "a Go template for each network (e.g. '{{.name}}'), or json" }],
  examples: [['cocker network inspect podman', 'the default network']],
  load: handler('inspect'),
}

const networkLs: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  describe: 'list networks',
  description: 'Lists the networks, the default one included, sorted by name.',
  usage: 'ls [options]',
  positionals: [],
  options: [
    FILTER,
    { name: 'format', type: 'string', valueName: 'format', describe: "json, or a Go template (e.g. '{{.Name}}')" },
    { name: 'noheading', type: 'boolean', describe: 'do not print the headings' },
    { name: 'no-trunc', type: 'boolean', describe: 'do not truncate the network IDs' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'print the names only' },
  ],
  examples: [['cocker network ls', 'every network'], ['cocker network ls -q --filter label=app=web', 'the names of those with this label']],
  load: handler('ls'),
}

const networkPrune: CommandDef = {
  name: 'prune',
  describe: 'remove unused networks',
  description: 'Removes every network but the default one that no container uses, and prints their names.',
  usage: 'prune [options]',
  positionals: [],
  options: [FILTER, { name: 'force', alias: 'f', type: 'boolean', describe: 'do not prompt for confirmation' }],
  examples: [['cocker network prune -f', 'without asking']],
  load: handler('prune'),
}

const networkRm: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  describe: 'remove one or more networks',
  description: 'Removes the networks, and prints their names. A network that containers use is refused (status 2) unless --force, which removes those containers first; a network that does not exist gives status 1.',
  usage: 'rm [options] <networks...>',
  positionals: [{ name: 'networks', required: true, variadic: true }],
  options: [
    { name: 'force', alias: 'f', type: 'boolean', describe: 'remove the containers that use the network' },
    { name: 'time', alias: 't', type: 'number', valueName: 'seconds', describe: 'seconds to wait for those containers to stop before killing them (default 10)' },
  ],
  examples: [['cocker network rm web', 'remove the network web'], ['cocker network rm -f web', 'and its containers']],
  load: handler('rm'),
}

export const network: CommandDef = {
  name: 'network',
  describe: 'manage networks',
  description: 'Bridge networks that containers join with `cocker run --network NAME` (root only for now).',
  usage: 'network <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [networkConnect, networkCreate, networkDisconnect, networkExists, networkInspect, networkLs, networkPrune, networkRm],
}
