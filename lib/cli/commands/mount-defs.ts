/**
 * mount and unmount: data only, like index.ts, which places each in the top-level list and in
 * the `container` group.
 */
import type { CommandDef } from '../command.js'

export const mount: CommandDef = {
  name: 'mount',
  describe: "mount a working container's root filesystem",
  description: "Mounts each container's root file system, the image's files with the container's changes, and prints where: what is written there is the container's. Mounts are counted: the root stays mounted until as many unmounts. Without a container it lists the mounted ones, ID and path. As root the mount is the host's; rootless it exists only in the mount namespace of \"cocker unshare\", and mount and unmount must run there, as Podman's do. A running container is not mounted (its root is in its own mount namespace).",
  usage: 'mount [options] [container ...]',
  positionals: [{ name: 'containers', required: false, variadic: true, complete: 'container' }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'mount every container' },
    { name: 'format', type: 'string', valueName: 'format', choices: ['json'], describe: 'list the mounted containers as JSON' },
    { name: 'notruncate', type: 'boolean', describe: 'do not truncate the IDs in the list' },
  ],
  examples: [
    ['cocker mount web', "mount web's root (as root) and print its path"],
    ["cocker unshare sh -c 'cat \"$(cocker mount web)\"/etc/os-release; cocker unmount web'", 'the same rootless, inside cocker unshare'],
    ['cocker mount', 'list the mounted containers'],
  ],
  load: async () => ({ run: (await import('./mount.js')).runMount }),
}

export const unmount: CommandDef = {
  name: 'unmount',
  aliases: ['umount'],
  describe: "unmount a working container's root filesystem",
  description: 'Undoes one mount of each container: its root is unmounted when no mount is left (at once with --force). Prints the ID of each container. Rootless it must run inside "cocker unshare", where the mount was made.',
  usage: 'unmount [options] [container ...]',
  positionals: [{ name: 'containers', required: false, variadic: true, complete: 'container' }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'unmount every mounted container' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'unmount even if other mounts of the container are counted' },
  ],
  examples: [['cocker unmount web', 'undo one mount of web'], ['cocker umount -a', 'unmount every container']],
  load: async () => ({ run: (await import('./mount.js')).runUnmount }),
}
