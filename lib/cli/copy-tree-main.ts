// node copy-tree-main.js SRC DST: copyTree as its own process, for a rootless `run` under
// the vfs driver to run inside the user namespace (lib/container/run-image.ts). Not bundled.
import { copyTree } from '../storage/copy-tree.js'

const [src, dst] = process.argv.slice(2)
if (!src || !dst) {
  process.stderr.write('usage: copy-tree-main.js SRC DST\n')
  process.exitCode = 2
} else {
  try {
    copyTree(src, dst)
  } catch (err) {
    process.stderr.write(`cannot copy ${src} to ${dst}: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
