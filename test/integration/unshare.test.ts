// `cocker unshare`: the rootless user namespace cocker's storage lives in, as podman unshare shows it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCmd } from '../support/exec.js'
import { repoPath } from '../support/paths.js'
import { isRoot, rootlessOrSkip, skipUnless } from '../support/requires.js'
import { stageForRootless } from '../support/rootless.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The user's ranges in /etc/subuid or /etc/subgid, as "START COUNT". */
function subidRanges(file: string, name: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(l => l.startsWith(`${name}:`)).map(l => l.split(':').slice(1, 3).join(' '))
}

test('unshare makes the caller root with their subordinate ranges mapped, and passes the exit code', async () => {
  const user = rootlessOrSkip('unshare maps the subordinate ranges')
  if (!user) return
  const uids = subidRanges('/etc/subuid', user.name)
  const gids = subidRanges('/etc/subgid', user.name)
  if (skipUnless(uids.length > 0 && gids.length > 0, 'unshare maps the subordinate ranges', `${user.name} has no range in /etc/subuid or /etc/subgid`)) return
  const cocker = path.join(stageForRootless(), 'bin/cocker')
  const r = await runCmd([cocker, 'unshare', 'sh', '-c', 'id -u; cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; exit 3'], { asUser: user, status: 3 })
  const [uid, ...rest] = r.stdout.trim().split('\n')
  assert.is(uid, '0')
  const [uidMap, gidMap] = rest.join('\n').split('\n--\n').map(m => m.split('\n').map(l => l.trim().split(/\s+/).join(' ')))
  // the caller's own id is root, then each range in file order from 1 up
  const expected = (self: number, ranges: string[]) => {
    let next = 1
    return [`0 ${self} 1`, ...ranges.map(r => {
      const line = `${next} ${r}`
      next += Number(r.split(' ')[1])
      return line
    })]
  }
  assert.equal(uidMap, expected(user.uid, uids))
  assert.equal(gidMap, expected(user.gid, gids))
})

test('unshare as root is refused with one line', async () => {
  if (!isRoot()) return void console.log('# SKIP unshare as root is refused: not root')
  const r = await runCmd([repoPath('bin/cocker'), 'unshare', 'true'], { status: 125 })
  assert.match(r.stderr, /^Error: cocker unshare is for rootless users[^\n]*\n$/)
})

test.run()
