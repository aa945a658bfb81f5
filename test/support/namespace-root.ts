// Unit tests that make files owned by root (layers unpacked, images imported) need root.
// For any other user such a test file runs again as root of a user namespace it makes,
// as cocker's rootless commands do: uid 0 there is the user, and 1..N the user's
// subordinate ids when newuidmap maps them. What only root of the host may do (device
// nodes, trusted.* xattrs) still skips there: isRoot() is false in it.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { test } from 'uvu'
import { parseSubid } from '../../lib/rootless/subid.js'
import { skipUnless } from './requires.js'
import { isRoot } from './rootless.js'

const MARK = '_COCKER_TEST_NAMESPACE_ROOT'

/** Why this file cannot act as root here, once runAsRoot() has run; '' when it can. */
let cannot: string | undefined

/** unshare(1) arguments that map us to root, with our first subordinate ranges from 1 if we have them. */
function mappings(): string[][] {
  const { username, uid } = os.userInfo()
  const first = (file: string) => {
    try {
      return parseSubid(readFileSync(file, 'utf8'), username, uid)[0]
    } catch {
      return undefined
    }
  }
  const u = first('/etc/subuid')
  const g = first('/etc/subgid')
  const n = Math.min(u?.count ?? 0, g?.count ?? 0, 65536)
  const withSubids = n > 0 ? [['--map-root-user', `--map-users=${u!.start},1,${n}`, `--map-groups=${g!.start},1,${n}`]] : []
  return [...withSubids, ['--map-root-user']]
}

/**
 * Call first in a test file, before any test. As root, or in the namespace already, it
 * returns. Otherwise it runs this file again under `unshare` as namespace root and exits
 * with its status (the child reports the tests); where no namespace can be made it
 * returns, and testAsRoot() skips.
 */
export function runAsRoot(): void {
  cannot = ''
  if (isRoot() || process.env[MARK]) return
  for (const args of mappings()) {
    if (spawnSync('unshare', [...args, 'true'], { stdio: 'ignore' }).status !== 0) continue
    const r = spawnSync('unshare', [...args, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, [MARK]: '1' },
    })
    process.exit(r.status ?? 1)
  }
  cannot = 'needs root, or a user namespace to be root in (unshare --map-root-user fails here)'
}

/** uvu's test(), skipped with the reason when this file cannot act as root here. */
export function testAsRoot(name: string, body: () => void | Promise<void>): void {
  test(name, async () => {
    if (cannot === undefined) throw new Error('runAsRoot() must run first, at the top of the test file')
    if (!skipUnless(!cannot, name, cannot)) await body()
  })
}
