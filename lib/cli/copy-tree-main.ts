// node copy-tree-main.js SRC DST [SHIFT]: copyTree as its own process, for a rootless `run` under
// the vfs driver to run inside the user namespace (lib/container/files.ts); SHIFT is an IdShift
// as JSON. node copy-tree-main.js --shifted JOBS SHIFT: the ID-shifted copies of layers
// (lib/storage/mapped-layers.ts), JOBS a JSON array of ShiftJob. node copy-tree-main.js --copy-up JOB:
// a volume's copy-up (lib/container/volumes.ts), JOB a CopyUpJob as JSON; --chown-tree DIR UID GID:
// a volume's U option. Not bundled.
import { chownTree, copyTree, copyUp, type CopyUpJob, type IdShift } from '../storage/copy-tree.js'
import { makeShiftedCopies, type ShiftJob } from '../storage/mapped-layers.js'

const args = process.argv.slice(2)
try {
  if (args[0] === '--shifted' && args.length === 3) {
    makeShiftedCopies(JSON.parse(args[1]!) as ShiftJob[], JSON.parse(args[2]!) as IdShift)
  } else if (args[0] === '--copy-up' && args.length === 2) {
    copyUp(JSON.parse(args[1]!) as CopyUpJob)
  } else if (args[0] === '--chown-tree' && args.length === 4) {
    chownTree(args[1]!, Number(args[2]), Number(args[3]))
  } else if (args.length === 2 || args.length === 3) {
    copyTree(args[0]!, args[1]!, args[2] ? JSON.parse(args[2]) as IdShift : undefined)
  } else {
    process.stderr.write('usage: copy-tree-main.js SRC DST [SHIFT] | --shifted JOBS SHIFT | --copy-up JOB | --chown-tree DIR UID GID\n')
    process.exitCode = 2
  }
} catch (err) {
  process.stderr.write(`cannot copy: ${(err as Error).message}\n`)
  process.exitCode = 1
}
