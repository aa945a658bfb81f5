/**
 * cocker: podman's nouns and verbs. Keep every list sorted; each entry is also a man page
 * and a completion entry. A command that podman registers twice (`pull` and `image pull`)
 * is the same object placed in both lists.
 */
import type { CommandDef, ProgramDef } from '../command.js'
import { ENGINE_EXIT_STATUSES } from '../exit.js'
import { TLS_VERIFY } from '../flags/registry.js'
import { runOptions, runPositionals } from '../flags/run.js'
import { attach, containerCleanup, create, exec, healthcheck, kill, LATEST, logs, pause, restart, rm, start, stop, unpause, wait } from './container-defs.js'
import { containerExists, containerLs, containerPrune, port, ps, rename, stats, top } from './view-defs.js'
import { CHANGE, commit, cp, diff, exportCmd } from './files-defs.js'
import { generate } from './generate-defs.js'
import { kube, play } from './kube-defs.js'
import { mount, unmount } from './mount-defs.js'
import { network } from './network-defs.js'
import { pod } from './pod-defs.js'
import { volume } from './volume-defs.js'

const FORMAT_OPTION = { name: 'format', type: 'string', valueName: 'format', describe: "change the output format to JSON or a Go template (e.g. '{{.Repository}}:{{.Tag}}')" } as const

const autoUpdate: CommandDef = {
  name: 'auto-update',
  describe: 'auto update containers according to their auto-update policy',
  description: 'Updates the running containers labelled io.containers.autoupdate, as Podman does: `registry` (or `image`) when the registry has another image under the fully qualified name the container was created with (it is pulled, once per name), `local` when that name gives another image in the store. A container made by a systemd unit (its PODMAN_SYSTEMD_UNIT label, which cocker sets at create from the environment of a unit) is updated by `systemctl [--user] restart UNIT`; any other is made again by cocker on the new image with its name, options, host ports and volumes: the old one is stopped and kept aside until the new one has run 3 seconds (and passed its health check, if it has one), then removed. With --rollback (the default), a failed update brings the old container (or the old image, for a unit) back. A table of what was done goes to standard output (UPDATED: true, false, pending with --dry-run, failed, rolled back), an Error: line per failure to standard error; the exit status is 125 when anything failed.',
  usage: 'auto-update [options]',
  positionals: [],
  options: [
    { name: 'authfile', type: 'string', valueName: 'path', describe: 'path of the authentication file (a container\'s io.containers.autoupdate.authfile label comes first)', complete: 'file' },
    { name: 'dry-run', type: 'boolean', describe: 'check for pending updates, change nothing' },
    { ...FORMAT_OPTION, describe: "change the output format to JSON or a Go template (e.g. '{{.Container}} {{.Updated}}')" },
    { name: 'rollback', type: 'boolean', default: true, describe: 'roll back to the previous image if the update fails' },
    TLS_VERIFY,
  ],
  examples: [
    ['cocker auto-update --dry-run', 'show which containers have an update pending'],
    ['cocker auto-update --authfile ~/auth.json', 'update them, with these registry credentials'],
  ],
  load: () => import('./auto-update.js'),
}

const login: CommandDef = {
  name: 'login',
  describe: 'log in to a container registry',
  description: 'Checks the credentials against the registry, then stores them in ${XDG_RUNTIME_DIR}/containers/auth.json (or --authfile, or $REGISTRY_AUTH_FILE) for later pulls and pushes, as podman does. Credentials are looked up in that file, then ~/.config/containers/auth.json, then ~/.docker/config.json. Without a registry, the first of the unqualified-search-registries in registries.conf is used.',
  usage: 'login [options] [registry]',
  positionals: [{ name: 'registry', required: false }],
  options: [
    { name: 'authfile', type: 'string', valueName: 'path', describe: 'path of the authentication file', complete: 'file' },
    { name: 'get-login', type: 'boolean', describe: 'print the username stored for the registry' },
    { name: 'password', alias: 'p', type: 'string', valueName: 'password', describe: 'password for the registry' },
    { name: 'password-stdin', type: 'boolean', describe: 'read the password from standard input' },
    TLS_VERIFY,
    { name: 'username', alias: 'u', type: 'string', valueName: 'name', describe: 'username for the registry' },
  ],
  examples: [
    ['cocker login -u alice quay.io --password-stdin < pw.txt', 'log in to quay.io with the password from a file'],
    ['cocker login --get-login quay.io', 'show who is logged in to quay.io'],
  ],
  load: () => import('./login.js'),
}

const logout: CommandDef = {
  name: 'logout',
  describe: 'log out of a container registry',
  description: 'Removes the credentials stored for the registry by `cocker login`. Credentials in ~/.docker/config.json are never changed.',
  usage: 'logout [options] [registry]',
  positionals: [{ name: 'registry', required: false }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'remove the credentials of every registry' },
    { name: 'authfile', type: 'string', valueName: 'path', describe: 'path of the authentication file', complete: 'file' },
  ],
  examples: [
    ['cocker logout quay.io', 'forget the credentials for quay.io'],
    ['cocker logout --all', 'forget all credentials'],
  ],
  load: () => import('./logout.js'),
}

const pull: CommandDef = {
  name: 'pull',
  describe: 'pull an image from a registry',
  description: 'Downloads the image from its registry into the local store, verifying every byte: a short name such as `alpine` is looked up in the unqualified-search-registries of registries.conf (docker.io by default), a multi-platform image gives the manifest for this machine (or --platform). Layers already in the store are not fetched again. Rootless, the layers are unpacked in the user namespace of /etc/subuid and /etc/subgid. On a terminal each layer shows its progress on standard error; the image ID is printed on standard output.',
  usage: 'pull [options] <image>',
  positionals: [{ name: 'image', required: true }],
  options: [
    { name: 'arch', type: 'string', valueName: 'arch', describe: 'use ARCH instead of the architecture of the machine for choosing images' },
    { name: 'authfile', type: 'string', valueName: 'path', describe: 'path of the authentication file', complete: 'file' },
    { name: 'creds', type: 'string', valueName: 'username:password', describe: 'credentials to use instead of those of the authentication file' },
    { name: 'os', type: 'string', valueName: 'os', describe: 'use OS instead of the running OS for choosing images' },
    { name: 'platform', type: 'string', valueName: 'os/arch[/variant]', describe: 'choose this platform from a multi-platform image' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
    TLS_VERIFY,
    { name: 'variant', type: 'string', valueName: 'variant', describe: 'use VARIANT instead of the default architecture variant' },
  ],
  examples: [
    ['cocker pull alpine', 'pull docker.io/library/alpine:latest'],
    ['cocker pull --platform linux/arm64 quay.io/podman/hello', 'pull the arm64 image of a multi-platform image'],
  ],
  userNamespace: true,
  load: () => import('./pull.js'),
}

const push: CommandDef = {
  name: 'push',
  describe: 'push an image to a specified destination',
  description: 'Sends an image of the local store to a registry: to DESTINATION (a registry reference, `docker://` allowed), or to the name the image was given by. Each layer the registry lacks is mounted from the repository of that registry the image came from, when there is one, or else uploaded; a layer stored uncompressed (as `commit` stores it) is gzip-compressed as it is sent, and the compressed blob remembered, so that a later push of the layer finds it in the registry instead of compressing it again. Then the config and the manifest: byte for byte as stored when no layer was compressed and --format asks for no other type, so that a pulled image keeps the digest it was pulled with; else a new manifest names the compressed blobs, in the type --format asks for. On a terminal each blob shows its progress on standard error; nothing is printed on standard output.',
  usage: 'push [options] <image> [destination]',
  positionals: [{ name: 'image', required: true }, { name: 'destination', required: false }],
  options: [
    { name: 'authfile', type: 'string', valueName: 'path', describe: 'path of the authentication file', complete: 'file' },
    { name: 'creds', type: 'string', valueName: 'username:password', describe: 'credentials to use instead of those of the authentication file' },
    { name: 'compress', type: 'boolean', describe: 'compress layers when pushing to a dir: destination (Podman\'s); cocker pushes to registries only, which always get compressed layers' },
    { name: 'compression-format', type: 'string', valueName: 'format', choices: ['gzip', 'zstd', 'zstd:chunked'], describe: 'compress layers with this format, recompressing layers compressed otherwise (cocker makes gzip only)' },
    { name: 'digestfile', type: 'string', valueName: 'path', describe: 'write the digest of the pushed manifest to this file', complete: 'file' },
    { name: 'format', alias: 'f', type: 'string', valueName: 'format', choices: ['oci', 'v2s2'], describe: 'manifest type to push (oci or v2s2), converted from the stored one (default: the stored type)' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
    { name: 'remove-signatures', type: 'boolean', describe: 'discard any signatures (cocker stores none)' },
    TLS_VERIFY,
  ],
  examples: [
    ['cocker push quay.io/team/app:1', 'push the image named quay.io/team/app:1 to its registry'],
    ['cocker push alpine registry.local:5000/alpine:3 --digestfile d.txt', 'push alpine under another name, and write its digest to d.txt'],
    ['cocker push --format v2s2 localhost/app quay.io/team/app:1', 'push a committed image as a Docker v2s2 image, its layers gzip-compressed'],
  ],
  load: () => import('./push.js'),
}

const run: CommandDef = {
  name: 'run',
  describe: 'run a command in a new container',
  description: 'Creates a container from the image (pulled first when it is not in the store, as --pull says) and runs its entrypoint and command, or the command given, under a monitor of its own: in the foreground, where the exit status is the command\'s (125 is an error of cocker, 126 a command that cannot be invoked, 127 a command that is not found), or with --detach in the background, printing its ID. The container stays, visible to `cocker ps -a` and `cocker logs`, until `cocker rm` (or --rm) removes it; ctrl-p ctrl-q detaches from a foreground container with -it. The container\'s root is made by the store\'s storage driver (see --storage-driver and `cocker info`): an overlay of the image\'s layers and a fresh upper dir (overlay, fuse-overlayfs), or a copy of the image (vfs); it has its own network namespace with only a loopback interface.',
  usage: 'run [options] <image> [command [arg ...]]',
  positionals: runPositionals,
  options: runOptions,
  examples: [
    ['cocker run --rm alpine echo hello', 'print hello from an alpine container'],
    ['cocker run --rm -it -v "$PWD:/src" -w /src debian bash', 'a shell in the current directory'],
  ],
  manExitStatus: true,
  load: () => import('./run.js'),
}

const images: CommandDef = {
  name: 'images',
  describe: 'list images in local storage',
  description: 'Lists the images in local storage, newest first: one line per name, <none> for an image without one.',
  usage: 'images [options] [image]',
  positionals: [],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'show all images (default hides intermediate images)' },
    { name: 'digests', type: 'boolean', describe: 'show digests' },
    { name: 'filter', alias: 'f', type: 'array', valueName: 'filter', describe: 'filter output based on conditions provided (dangling=true|false, reference=PATTERN)' },
    FORMAT_OPTION,
    { name: 'noheading', alias: 'n', type: 'boolean', describe: 'do not print column headings' },
    { name: 'no-trunc', type: 'boolean', describe: 'do not truncate output' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'display only image IDs' },
  ],
  examples: [
    ['cocker images', 'list the images'],
    ["cocker images --format '{{.Repository}}:{{.Tag}}'", 'list the names only'],
    ['cocker images -f dangling=true -q', 'IDs of the images without a name'],
  ],
  load: () => import('./images.js'),
}

const imageLs: CommandDef = { ...images, name: 'ls', aliases: ['list'], usage: 'ls [options]' }

const info: CommandDef = {
  name: 'info',
  describe: 'display cocker system information',
  description: 'Shows the host (kernel, rootless, id mappings), the store (its storage driver, graphDriverName, where it lives, how many images) and versions, as podman info does: YAML by default, or JSON, or a Go template over podman\'s field names. Like any use of the store, the first one chooses its storage driver and records it.',
  usage: 'info [options]',
  positionals: [],
  options: [{ ...FORMAT_OPTION, alias: 'f', describe: "change the output format to JSON or a Go template (e.g. '{{.Store.GraphDriverName}}')" }],
  examples: [
    ['cocker info', 'show the host, the store and versions'],
    ["cocker info --format '{{.Store.GraphDriverName}}'", 'the storage driver in use'],
  ],
  load: () => import('./info.js'),
}

const INSPECT_FORMAT = { ...FORMAT_OPTION, alias: 'f', describe: "format the output using the given Go template (e.g. '{{.State.Status}}')" } as const

const inspect: CommandDef = {
  name: 'inspect',
  describe: 'display the configuration of object denoted by ID',
  description: 'Prints a JSON array describing each container, image or volume, as podman inspect does: a name is looked up among the containers first, then the images, then the volumes (--type chooses one kind). A container shows its state as it is now (a container whose monitor is gone has exited), its config, mounts and host config; an image its names, digests, config, layers and history. What was found is printed, and a name that was not makes the exit status 125.',
  usage: 'inspect [options] [names...]',
  positionals: [{ name: 'names', required: false, variadic: true, complete: 'container' }],
  options: [
    INSPECT_FORMAT,
    LATEST,
    { name: 'size', alias: 's', type: 'boolean', describe: "display the container's total file size (SizeRw, SizeRootFs)" },
    { name: 'type', alias: 't', type: 'string', valueName: 'type', choices: ['all', 'container', 'image', 'volume'], describe: 'the kind of object to inspect (default all: containers, then images, then volumes)' },
  ],
  examples: [
    ['cocker inspect web', 'show the container web (or the image web, if there is no such container)'],
    ["cocker inspect --format '{{.State.Status}} {{.State.ExitCode}}' web", 'its state and exit code'],
    ["cocker inspect --type image --format '{{.Id}}' alpine", 'the ID of the image alpine'],
  ],
  load: () => import('./inspect.js'),
}

const containerInspect: CommandDef = {
  ...inspect,
  describe: 'display the configuration of a container',
  description: "Prints a JSON array describing each container, as podman container inspect does: its state as it is now, config, mounts and host config. What was found is printed, and a name that was not makes the exit status 125.",
  options: inspect.options.filter(o => o.name !== 'type'),
  examples: [['cocker container inspect web', 'show the container web'], ["cocker container inspect -l --format '{{.State.Pid}}'", 'the host pid of the latest container']],
}

const imageInspect: CommandDef = {
  ...inspect,
  describe: 'display the configuration of an image',
  description: 'Prints a JSON array describing each image: its names, digests, config, layers and history, as podman image inspect does.',
  usage: 'inspect [options] <names...>',
  positionals: [{ name: 'names', required: true, variadic: true }],
  options: [{ ...FORMAT_OPTION, alias: 'f', describe: "format the output using the given Go template (e.g. '{{.Id}}')" }],
  examples: [['cocker image inspect alpine', 'show the image alpine'], ["cocker image inspect --format '{{.Id}}' alpine", 'its ID']],
}

const rmi: CommandDef = {
  name: 'rmi',
  describe: 'remove one or more images from local storage',
  description: 'Removes a name of an image that has other names; otherwise removes the image, with its layers and blobs no other image needs. Exit status 1 when some image was not found, 2 when one is used by a container.',
  usage: 'rmi [options] <images...>',
  positionals: [{ name: 'images', required: false, variadic: true }],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'remove all images' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'force removal of the image (also by ID when it has several names)' },
    { name: 'ignore', alias: 'i', type: 'boolean', describe: 'ignore errors if a specified image does not exist' },
    { name: 'no-prune', type: 'boolean', describe: 'do not remove dangling images' },
  ],
  examples: [['cocker rmi alpine', 'remove the image alpine'], ['cocker rmi -a', 'remove every image']],
  userNamespace: true,
  load: () => import('./rmi.js'),
}

const imageRm: CommandDef = { ...rmi, name: 'rm', usage: 'rm [options] <images...>' }

const tag: CommandDef = {
  name: 'tag',
  describe: 'add an additional name to a local image',
  description: 'Gives an image more names. A name without a registry goes to localhost/ (foo is localhost/foo:latest).',
  usage: 'tag <image> <names...>',
  positionals: [{ name: 'image', required: true }, { name: 'names', required: true, variadic: true }],
  options: [],
  examples: [['cocker tag alpine myalpine:1', 'name alpine also localhost/myalpine:1']],
  load: () => import('./tag.js'),
}

const untag: CommandDef = {
  name: 'untag',
  describe: 'remove a name from a local image',
  description: 'Removes the given names from an image, or all of its names when none is given; the image stays.',
  usage: 'untag <image> [names...]',
  positionals: [{ name: 'image', required: true }, { name: 'names', required: false, variadic: true }],
  options: [],
  examples: [['cocker untag alpine', 'remove every name of alpine']],
  load: () => import('./untag.js'),
}

const imageExists: CommandDef = {
  name: 'exists',
  describe: 'check if an image exists in local storage',
  description: 'Exit status 0 when the image is in local storage, 1 when it is not; prints nothing.',
  usage: 'exists <image>',
  positionals: [{ name: 'image', required: true }],
  options: [],
  examples: [['cocker image exists alpine && echo present', 'test for an image']],
  load: () => import('./image-exists.js'),
}

const imagePrune: CommandDef = {
  name: 'prune',
  describe: 'remove unused images',
  description: 'Removes dangling images (with --all, every image no container uses) and prints their IDs.',
  usage: 'prune [options]',
  positionals: [],
  options: [
    { name: 'all', alias: 'a', type: 'boolean', describe: 'remove all images not in use by containers, not just dangling ones' },
    { name: 'force', alias: 'f', type: 'boolean', describe: 'do not prompt for confirmation' },
  ],
  examples: [['cocker image prune -f', 'remove the dangling images without asking']],
  userNamespace: true,
  load: () => import('./image-prune.js'),
}

const history: CommandDef = {
  name: 'history',
  describe: 'show history of a specified image',
  description: "Lists the steps recorded in the image's config, newest first: the image ID a step made (<missing> when no local image is that step), when, the command, the size of the layer it added and its comment. Sizes are of the unpacked content.",
  usage: 'history [options] <image>',
  positionals: [{ name: 'image', required: true }],
  options: [
    { ...FORMAT_OPTION, describe: "change the output to JSON or a Go template (e.g. '{{.ID}} {{.CreatedBy}}')" },
    { name: 'human', alias: 'H', type: 'boolean', default: true, describe: 'display sizes and dates in human readable format' },
    { name: 'no-trunc', type: 'boolean', describe: 'do not truncate the output' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'display the numeric IDs only' },
  ],
  examples: [['cocker history alpine', 'how the image alpine was made'], ['cocker history --no-trunc -q alpine', 'the full IDs of its steps']],
  load: () => import('./history.js'),
}

const importCmd: CommandDef = {
  name: 'import',
  describe: 'import a tarball to create a filesystem image',
  description: 'Makes a one-layer image of a root filesystem tarball (plain, gzip or zstd): a file, or - for standard input. --change sets the config as the Containerfile instruction would (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR). A reference without a registry goes to localhost/. Prints the image ID. Importing from a URL is not supported.',
  usage: 'import [options] <file> [reference]',
  positionals: [{ name: 'file', required: true, complete: 'file' }, { name: 'reference', required: false }],
  options: [
    CHANGE,
    { name: 'message', alias: 'm', type: 'string', valueName: 'message', describe: "set the commit message of the image's history" },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
  ],
  examples: [
    ['cocker import rootfs.tar myimage:1', 'make localhost/myimage:1 of a tarball'],
    ["tar -C rootfs -c . | cocker import -c 'CMD [\"/bin/sh\"]' - mine", 'from standard input, with a command'],
  ],
  userNamespace: true,
  load: () => import('./import.js'),
}

const load: CommandDef = {
  name: 'load',
  describe: 'load image(s) from a tar archive',
  description: 'Loads every image of a docker-archive (what `docker save` and `cocker save` write) or an oci-archive, plain or compressed, from a file or standard input. The archive is read as a stream and never extracted by its own names; archives with absolute names, ".." or links out of the archive are refused. Layers are verified against the image config. A name without a registry goes to localhost/.',
  usage: 'load [options]',
  positionals: [],
  options: [
    { name: 'input', alias: 'i', type: 'string', valueName: 'file', complete: 'file', describe: 'read from the archive file instead of standard input' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
  ],
  examples: [['cocker load -i alpine.tar', 'load the images of alpine.tar'], ['zcat images.tar.gz | cocker load', 'from standard input']],
  userNamespace: true,
  load: () => import('./load.js'),
}

const save: CommandDef = {
  name: 'save',
  describe: 'save image(s) to an archive',
  description: 'Writes images to a docker-archive (the default; what `docker load` reads, layers uncompressed), an oci-archive, or as a directory with oci-dir or docker-dir, to the -o file or directory, or to standard output when that is not a terminal. Blobs are written as stored, so layer digests survive. Without -m, names after the first image are more names for it in the archive; with -m (docker-archive only) each is an image.',
  usage: 'save [options] <images...>',
  positionals: [{ name: 'images', required: true, variadic: true }],
  options: [
    { name: 'format', type: 'string', valueName: 'format', choices: ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir'], describe: 'the format to write (default docker-archive)' },
    { name: 'multi-image-archive', alias: 'm', type: 'boolean', describe: 'write every image given into one docker-archive' },
    { name: 'output', alias: 'o', type: 'string', valueName: 'file', complete: 'file', describe: 'write to the file (or directory) instead of standard output' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
  ],
  examples: [
    ['cocker save -o alpine.tar alpine', 'alpine as a docker-archive'],
    ['cocker save --format oci-archive alpine > alpine-oci.tar', 'as an oci-archive on standard output'],
    ['cocker save -m -o both.tar alpine busybox', 'two images in one archive'],
  ],
  load: () => import('./save.js'),
}

const imageTree: CommandDef = {
  name: 'tree',
  describe: 'print the layer hierarchy of an image in a tree format',
  description: "Shows the image's layers, base first, with their sizes and the images whose top layer each is. With --whatrequires, the image's top layer and every layer stacked on it: the images built on this one.",
  usage: 'tree [options] <image>',
  positionals: [{ name: 'image', required: true }],
  options: [{ name: 'whatrequires', type: 'boolean', describe: 'show the layers and images built on top of the image' }],
  examples: [['cocker image tree alpine', 'the layers of alpine'], ['cocker image tree --whatrequires alpine', 'what is built on it']],
  load: () => import('./image-tree.js'),
}

const image: CommandDef = {
  name: 'image',
  describe: 'manage images',
  usage: 'image <command>',
  positionals: [],
  options: [],
  examples: [],
  // Copies, not the same objects: groff cannot follow a .so link between sections here.
  subcommands: [imageExists, { ...history }, { ...importCmd }, imageInspect, { ...load }, imageLs, imagePrune, { ...pull }, { ...push }, imageRm, { ...save }, { ...tag }, imageTree, { ...untag }],
}

const systemCheck: CommandDef = {
  name: 'check',
  describe: 'check storage consistency',
  description: 'Finds leftovers of interrupted operations, unrecorded or missing layers, and images whose layers or blobs are missing or corrupt. With --repair removes them (damaged images included). Exit status 125 while damage remains.',
  usage: 'check [options]',
  positionals: [],
  options: [
    { name: 'force', alias: 'f', type: 'boolean', describe: 'remove inconsistent images and containers' },
    { name: 'max', alias: 'm', type: 'string', default: '24h', valueName: 'duration', describe: 'maximum allowed age of unreferenced layers and leftovers' },
    { name: 'quick', alias: 'q', type: 'boolean', describe: 'skip time-consuming checks (blob digests)' },
    { name: 'repair', alias: 'r', type: 'boolean', describe: 'remove inconsistent images' },
  ],
  examples: [['cocker system check', 'report problems'], ['cocker system check --repair', 'and fix them']],
  userNamespace: true,
  load: () => import('./system-check.js'),
}

const systemDf: CommandDef = {
  name: 'df',
  describe: 'show cocker disk usage',
  usage: 'df',
  positionals: [],
  options: [],
  examples: [['cocker system df', 'how much space images, containers and volumes take']],
  load: () => import('./system-df.js'),
}

const systemReset: CommandDef = {
  name: 'reset',
  describe: 'reset cocker storage',
  description: 'Removes all images, containers, volumes and their content: the store back to empty.',
  usage: 'reset [options]',
  positionals: [],
  options: [{ name: 'force', alias: 'f', type: 'boolean', describe: 'do not prompt for confirmation' }],
  examples: [['cocker system reset -f', 'empty the store without asking']],
  userNamespace: true,
  load: () => import('./system-reset.js'),
}

const container: CommandDef = {
  name: 'container',
  describe: 'manage containers',
  usage: 'container <command>',
  positionals: [],
  options: [],
  examples: [],
  // Copies, not the same objects: groff cannot follow a .so link between sections here.
  subcommands: [{ ...attach }, containerCleanup, { ...commit }, { ...cp }, { ...create }, { ...diff }, { ...exec }, containerExists, { ...exportCmd }, containerInspect, { ...kill }, { ...logs }, containerLs, { ...mount }, { ...pause },
    { ...port }, containerPrune, { ...rename }, { ...restart }, { ...rm }, { ...start }, { ...stats }, { ...stop }, { ...top }, { ...unmount }, { ...unpause }, { ...wait }],
}

const system: CommandDef = {
  name: 'system',
  describe: 'manage cocker',
  usage: 'system <command>',
  positionals: [],
  options: [],
  examples: [],
  subcommands: [systemCheck, systemDf, systemReset],
}

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
    { name: 'log-level', type: 'string', valueName: 'level', choices: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'], describe: 'show messages of this level and above (default: warn); info adds what a pull left out (device nodes, rootless)' },
    { name: 'root', type: 'string', valueName: 'path', complete: 'dir', describe: 'path to the root directory in which data, including images, is stored' },
    { name: 'runtime', type: 'string', valueName: 'name|path', complete: 'file', describe: "the OCI runtime for the containers that run and create make: crun, runc or any runc-compatible binary, by name or path (default: containers.conf's runtime, else cocker's own)" },
    { name: 'storage-driver', type: 'string', valueName: 'driver', choices: ['overlay', 'fuse-overlayfs', 'vfs'], describe: "the store's storage driver (chosen at its first use, then recorded: changing it needs \"cocker system reset\"); default: $STORAGE_DRIVER, storage.conf's, else overlay when it works here" },
    { name: 'version', alias: 'v', type: 'boolean', describe: 'print the version' },
  ],
  commands: [attach, autoUpdate, commit, container, cp, create, diff, exec, exportCmd, generate, healthcheck, history, image, images, importCmd, info, inspect, kill, kube, load, login, logout, logs, mount, network, pause, play, pod, port, ps, pull, push,
    rename, restart, rm, rmi, run, save, start, stats, stop, system, tag, top, unmount, unpause, unshare, untag, version, volume, wait],
  globalsAfterCommand: true,
  listContainers: "cocker ps --all --format '{{.Names}}'",
  exitStatuses: ENGINE_EXIT_STATUSES,
}
