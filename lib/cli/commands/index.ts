/**
 * cocker: podman's nouns and verbs. Keep every list sorted; each entry is also a man page
 * and a completion entry. A command that podman registers twice (`pull` and `image pull`)
 * is the same object placed in both lists.
 */
import type { CommandDef, ProgramDef } from '../command.js'
import { ENGINE_EXIT_STATUSES } from '../exit.js'
import { runOptions, runPositionals } from './run-options.js'

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
    { name: 'tls-verify', type: 'boolean', describe: 'require HTTPS and verify certificates (default: yes, except for insecure and loopback registries)' },
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
    { name: 'os', type: 'string', valueName: 'os', describe: 'use OS instead of the running OS for choosing images' },
    { name: 'platform', type: 'string', valueName: 'os/arch[/variant]', describe: 'choose this platform from a multi-platform image' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
    { name: 'tls-verify', type: 'boolean', describe: 'require HTTPS and verify certificates (default: yes, except for insecure and loopback registries)' },
    { name: 'variant', type: 'string', valueName: 'variant', describe: 'use VARIANT instead of the default architecture variant' },
  ],
  examples: [
    ['cocker pull alpine', 'pull docker.io/library/alpine:latest'],
    ['cocker pull --platform linux/arm64 quay.io/podman/hello', 'pull the arm64 image of a multi-platform image'],
  ],
  userNamespace: true,
  load: () => import('./pull.js'),
}

const run: CommandDef = {
  name: 'run',
  describe: 'run a command in a new container',
  description: 'Creates a container from the image (pulled first when it is not in the store, as --pull says), runs its entrypoint and command, or the command given, in the foreground, and removes the container when it ends. The exit status is the command\'s; 125 is an error of cocker, 126 a command that cannot be invoked, 127 a command that is not found. The container\'s root is an overlay of the image\'s layers and a fresh upper dir; it has its own network namespace with only a loopback interface.',
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
  commands: [login, logout, pull, run, unshare, version],
  globalsAfterCommand: true,
  listContainers: "cocker ps --all --format '{{.Names}}'",
  exitStatuses: ENGINE_EXIT_STATUSES,
}
