import { existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { userRuntimeDir } from '../../../lib/config/runtime-dir.js'
import { CockerError } from '../../../lib/errors.js'
import { authFileForWriting } from '../../../lib/image/auth-file.js'
import { makeTempDir } from '../../fixtures/bundle.js'

const uid = process.geteuid!()
// A login session gives the user /run/user/UID; without one (no XDG_RUNTIME_DIR) it is missing.
const session = existsSync(`/run/user/${uid}`) ? `/run/user/${uid}` : undefined

test('XDG_RUNTIME_DIR when set', () => {
  assert.is(userRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/7' }), '/run/user/7')
})

test('without it: $TMPDIR/cocker-run-UID, made private to the user, as Podman makes /tmp/podman-run-UID', () => {
  const tmp = makeTempDir('cocker-rundir-')
  const dir = userRuntimeDir({ TMPDIR: tmp })
  if (session) return void assert.is(dir, session)
  assert.is(dir, path.join(tmp, `cocker-run-${uid}`))
  const st = statSync(dir)
  assert.equal([st.isDirectory(), st.uid, st.mode & 0o777], [true, uid, 0o700])
  assert.is(userRuntimeDir({ TMPDIR: tmp }), dir, 'found again')
})

test('a fallback dir that is not ours (here a symlink someone planted) is refused in one line', () => {
  if (session) return void console.log(`# SKIP a planted runtime dir is refused: ${session} is used first here`)
  const tmp = makeTempDir('cocker-rundir-')
  mkdirSync(path.join(tmp, 'elsewhere'))
  symlinkSync(path.join(tmp, 'elsewhere'), path.join(tmp, `cocker-run-${uid}`))
  try {
    userRuntimeDir({ TMPDIR: tmp })
    assert.unreachable('a symlink must not be used')
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).code, 'CONFIG_INVALID')
    assert.is((err as Error).message, `XDG_RUNTIME_DIR is not set and ${tmp}/cocker-run-${uid} is not a directory of yours`)
  }
})

test('auth.json without XDG_RUNTIME_DIR: root /run/containers/0, rootless (also inside its user namespace) the runtime dir', () => {
  const tmp = makeTempDir('cocker-rundir-')
  if (uid === 0) {
    assert.is(authFileForWriting({ env: { HOME: '/h' } }), '/run/containers/0/auth.json')
    // root of the user's namespace acts for the user (rootless/identity.ts)
    assert.is(authFileForWriting({ env: { HOME: '/h', TMPDIR: tmp, _COCKER_USERNS_UID: '1234' } }), `${tmp}/cocker-run-1234/containers/auth.json`)
  } else {
    assert.is(authFileForWriting({ env: { HOME: '/h', TMPDIR: tmp } }), `${session ?? `${tmp}/cocker-run-${uid}`}/containers/auth.json`)
  }
})

test.run()
