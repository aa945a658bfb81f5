/**
 * node:child_process, taken on its first use: the runtime starts from a heap
 * snapshot that must not hold it (node does not vouch for child_process in
 * snapshots), and code started from a snapshot can neither import() nor
 * require(). process.getBuiltinModule (node 20.16) is what remains.
 */
export function childProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process')
}
