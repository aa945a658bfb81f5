// node copy-tree-main.js SRC DST [SHIFT]: copyTree as its own process, for a rootless `run` under
// the vfs driver to run inside the user namespace (lib/container/files.ts); SHIFT is an IdShift
// as JSON. node copy-tree-main.js --shifted JOBS SHIFT: the ID-shifted copies of layers
// (lib/storage/mapped-layers.ts), JOBS a JSON array of ShiftJob. Not bundled.
import { copyTree, type IdShift } from '../storage/copy-tree.js'
import { makeShiftedCopies, type ShiftJob } from '../storage/mapped-layers.js'

const args = process.argv.slice(2)
try {
  if (args[0] === '--shifted' && args.length === 3) {
    makeShiftedCopies(JSON.parse(args[1]!) as ShiftJob[], JSON.parse(args[2]!) as IdShift)
  } else if (args.length === 2 || args.length === 3) {
    copyTree(args[0]!, args[1]!, args[2] ? JSON.parse(args[2]) as IdShift : undefined)
  } else {
    process.stderr.write('usage: copy-tree-main.js SRC DST [SHIFT] | --shifted JOBS SHIFT\n')
    process.exitCode = 2
  }
} catch (err) {
  process.stderr.write(`cannot copy: ${(err as Error).message}\n`)
  process.exitCode = 1
}
