// Rootless without a login session: no XDG_RUNTIME_DIR, and perhaps no HOME (cron, a
// service, `env -i`). cocker finds both as Podman does and hands them to what it starts.
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { modeDir } from '../support/cocker-modes.js'
import { runCmd } from '../support/exec.js'
import { hasUserns, rootlessOrSkip, skipUnless } from '../support/requires.js'
import { stageForRootless } from '../support/rootless.js'

const name = 'no HOME, no XDG_RUNTIME_DIR: the user namespace gets the home and a private runtime dir, where login keeps auth.json'
test(name, async () => {
  const user = rootlessOrSkip(name)
  if (!user) return
  if (skipUnless(hasUserns(user), name, `${user.name} cannot create user namespaces`)) return
  if (skipUnless(!existsSync(`/run/user/${user.uid}`), name, `/run/user/${user.uid} exists: a login session's runtime dir is used first`)) return
  const cocker = path.join(stageForRootless(), 'bin/cocker')
  // TMPDIR: the fallback dir is made in a dir of this test, not in the shared /tmp
  const tmp = modeDir({ user }, 'cocker-noxdg-')
  const env = { HOME: undefined, XDG_RUNTIME_DIR: undefined, TMPDIR: tmp }
  const runDir = `${tmp}/cocker-run-${user.uid}`
  const r = await runCmd([cocker, 'unshare', 'sh', '-c', 'echo "$HOME $XDG_RUNTIME_DIR"; stat -c %u:%a "$XDG_RUNTIME_DIR"'], { asUser: user, env, status: 0 })
  assert.is(r.stdout, `${user.home} ${runDir}\n0:700\n`, 'the user (uid 0 in its namespace) owns it, mode 0700')
  const auth = JSON.stringify({ auths: { 'example.test': { auth: Buffer.from('alice:pw').toString('base64') } } })
  await runCmd(['sh', '-c', 'mkdir "$1/containers" && printf %s "$2" > "$1/containers/auth.json"', 'sh', runDir, auth], { asUser: user, env, status: 0 })
  assert.is((await runCmd([cocker, 'login', '--get-login', 'example.test'], { asUser: user, env, status: 0 })).stdout, 'alice\n')
  assert.is((await runCmd([cocker, 'info', '--format', '{{.Store.RunRoot}}'], { asUser: user, env, status: 0 })).stdout, `${runDir}/cocker\n`)
})

test.run()
