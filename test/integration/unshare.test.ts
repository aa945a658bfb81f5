// `cocker unshare`: the rootless user namespace cocker's storage lives in, as podman unshare shows it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCmd } from '../support/exec.js'
import { repoPath } from '../support/paths.js'
import { isRoot, rootlessOrSkip } from '../support/requires.js'
import { stageForRootless } from '../support/rootless.js'
import path from 'node:path'

test('unshare makes the caller root with their subordinate ranges mapped, and passes the exit code', async () => {
  const user = rootlessOrSkip('unshare maps the subordinate ranges')
  if (!user) return
  const cocker = path.join(stageForRootless(), 'bin/cocker')
  const r = await runCmd([cocker, 'unshare', 'sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3'], { asUser: user, status: 3 })
  const [uid, ...lines] = r.stdout.trim().split('\n')
  assert.is(uid, '0')
  assert.equal(lines[0].trim().split(/\s+/), ['0', String(user.uid), '1'])
  assert.ok(lines.length >= 2, `the test user's subuid range is mapped too:\n${r.stdout}`)
})

test('unshare as root is refused with one line', async () => {
  if (!isRoot()) return void console.log('# SKIP unshare as root is refused: not root')
  const r = await runCmd([repoPath('bin/cocker'), 'unshare', 'true'], { status: 125 })
  assert.match(r.stderr, /^Error: cocker unshare is for rootless users[^\n]*\n$/)
})

test.run()
