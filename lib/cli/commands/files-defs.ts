/**
 * The commands on a container's files (cp, diff, export): data only, like index.ts, which
 * places each in the top-level list and in the `container` group.
 */
import type { CommandDef, OptionDef } from '../command.js'

/** --change of commit and import. */
export const CHANGE: OptionDef = { name: 'change', alias: 'c', type: 'array', valueName: 'instruction', describe: 'apply the Containerfile instruction to the image (e.g. \'CMD ["/bin/sh"]\')' }

export const cp: CommandDef = {
  name: 'cp',
  describe: 'copy files/folders between a container and the local filesystem',
  description: 'Copies SRC to DEST, where one of them is a container\'s path written CONTAINER:PATH, the container running or not. A directory is copied with everything in it; SRC ending in "/." copies what the directory holds. DEST that exists as a directory receives SRC under its own name; DEST that does not exist (its parent must) becomes the copy. "-" as DEST writes a tar stream of SRC to stdout; "-" as SRC reads one from stdin and unpacks it in the container\'s directory DEST. Modes and times are kept; owners only with --archive, else what is copied in belongs to the container\'s root and what is copied out to the caller. Every path in the container is resolved inside its root: a symlink there never leads out of it.',
  usage: 'cp [options] <src> <dest>',
  positionals: [{ name: 'src', required: true, complete: 'file' }, { name: 'dest', required: true, complete: 'file' }],
  options: [
    { name: 'archive', alias: 'a', type: 'boolean', describe: 'keep the owners (uid and gid) of what is copied' },
  ],
  examples: [
    ['cocker cp ./app.conf web:/etc/app.conf', 'copy a file into the container web'],
    ['cocker cp web:/var/log ./logs', "copy the container's /var/log to ./logs"],
    ['cocker cp web:/etc - | tar t', "list the container's /etc as a tar stream"],
    ['tar c data | cocker cp - web:/srv', 'unpack a tar stream in /srv'],
  ],
  load: () => import('./cp.js'),
}

export const diff: CommandDef = {
  name: 'diff',
  describe: "inspect changes to the container's file systems",
  description: "Lists what the container changed against its image, one path a line, sorted: A added, C changed, D deleted, read from its overlay's upper directory as podman does (a directory the container wrote in is changed too). --format json gives {\"added\": [...], \"changed\": [...], \"deleted\": [...]}.",
  usage: 'diff [options] <container>',
  positionals: [{ name: 'container', required: true, complete: 'container' }],
  options: [{ name: 'format', type: 'string', valueName: 'format', choices: ['json'], describe: 'print the changes as JSON' }],
  examples: [['cocker diff web', "what web changed"], ['cocker diff --format json web', 'the same as JSON']],
  userNamespace: true,
  load: () => import('./diff.js'),
}

export const exportCmd: CommandDef = {
  name: 'export',
  describe: "export a container's file system contents as a tar archive",
  description: "Writes the container's root file system, running or not, as a tar stream to standard output (as it is: a pipe is never reopened) or to the file of -o: the image's files with the container's changes, without what is mounted in it (/proc, /sys, volumes).",
  usage: 'export [options] <container>',
  positionals: [{ name: 'container', required: true, complete: 'container' }],
  options: [{ name: 'output', alias: 'o', type: 'string', valueName: 'file', complete: 'file', describe: 'write to a file instead of standard output' }],
  examples: [['cocker export web > web.tar', "web's files as a tar archive"], ['cocker export -o web.tar web', 'the same, to a file']],
  load: () => import('./export.js'),
}

export const commit: CommandDef = {
  name: 'commit',
  describe: 'create new image based on the changed container',
  description: "Makes an image of the container's changes: a new layer from its overlay's upper directory (deleted files stay deleted: whiteouts become .wh. entries) on top of its image's layers, or with --squash one layer of its whole root. --change sets the config as the Containerfile instruction would (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR). A name without a registry goes to localhost/. Prints the image ID.",
  usage: 'commit [options] <container> [image]',
  positionals: [{ name: 'container', required: true, complete: 'container' }, { name: 'image', required: false }],
  options: [
    { name: 'author', alias: 'a', type: 'string', valueName: 'author', describe: 'set the author of the image' },
    CHANGE,
    { name: 'format', alias: 'f', type: 'string', valueName: 'format', choices: ['oci', 'docker'], describe: 'the format of the image manifest and config (default oci)' },
    { name: 'message', alias: 'm', type: 'string', valueName: 'message', describe: "set the comment of the image's new history entry" },
    { name: 'pause', alias: 'p', type: 'boolean', describe: 'pause the container while its files are read' },
    { name: 'quiet', alias: 'q', type: 'boolean', describe: 'suppress the progress output' },
    { name: 'squash', type: 'boolean', describe: "make one layer of the container's whole root" },
  ],
  examples: [
    ['cocker commit web mywebimage:1', "web's changes as localhost/mywebimage:1"],
    ["cocker commit -c 'CMD [\"httpd\", \"-f\"]' -m 'configured' web web:configured", 'with another command and a comment'],
  ],
  load: () => import('./commit.js'),
}
