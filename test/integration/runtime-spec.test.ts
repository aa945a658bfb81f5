// `cocker-runtime spec [--rootless]` and `features`, with runc as the oracle: the config
// spec writes is runc's (but for the hostname and the version it names), and it runs as
// the README shows; features describes the same things runc's does. Root and rootless.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { hostBusybox } from '../fixtures/busybox-bundle.js'
import { formatArgv, runCmd } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { RUNTIME_BIN } from '../support/paths.js'
import { skipUnless, which } from '../support/requires.js'
import { forceDelete, runtime, scenario, sharedDir, type Mode } from '../support/runtime-modes.js'

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'))

/** What `spec` writes, in a fresh bundle dir of the mode's user. */
async function specOf(mode: Mode, argv: string[]): Promise<Record<string, unknown>> {
  const dir = sharedDir(mode, 'cocker-spec-')
  await runCmd([...argv, 'spec', ...(mode.rootless ? ['--rootless'] : [])], { asUser: mode.user, cwd: dir, status: 0 })
  return readJson(path.join(dir, 'config.json'))
}

scenario('spec writes what runc spec writes (rootless: --rootless, with the caller\'s ids), but for hostname and ociVersion', async mode => {
  const runc = which('runc')
  if (skipUnless(runc !== undefined, `spec compared with runc (${mode.name})`, 'runc is not installed')) return
  const theirs = await specOf(mode, [runc!])
  const ours = await specOf(mode, [mode.bin])
  assert.is(ours.hostname, 'cocker')
  assert.is(ours.ociVersion, '1.0.2')
  assert.equal({ ...ours, hostname: theirs.hostname, ociVersion: theirs.ociVersion }, theirs)
  if (mode.rootless) {
    const linux = ours.linux as { uidMappings: unknown[]; gidMappings: unknown[] }
    assert.equal(linux.uidMappings, [{ containerID: 0, hostID: mode.rootless.uid, size: 1 }])
    assert.equal(linux.gidMappings, [{ containerID: 0, hostID: mode.rootless.gid, size: 1 }])
  }
})

scenario('the README\'s bundle: spec, then run gives an interactive sh on a terminal', async mode => {
  if (skipUnless(which('script') !== undefined, `spec then run (${mode.name})`, 'script (util-linux) is not installed')) return
  // mkdir -p bundle/rootfs/bin && cp /bin/busybox bundle/rootfs/bin/ && ln -s busybox bundle/rootfs/bin/sh
  const bundle = path.join(sharedDir(mode, 'cocker-readme-'), 'bundle')
  await runCmd(['sh', '-c', 'mkdir -p "$1/rootfs/bin" && cp "$2" "$1/rootfs/bin/busybox" && ln -s busybox "$1/rootfs/bin/sh"', 'sh', bundle, hostBusybox()],
    { asUser: mode.user, status: 0 })
  await runtime(mode, ['spec', ...(mode.rootless ? ['--rootless'] : [])], { cwd: bundle, status: 0 })
  const id = safeName()
  try {
    // script gives it the terminal an interactive shell has; -e passes the exit status on
    const cmd = formatArgv([mode.bin, '--root', mode.root, 'run', id])
    const r = await runCmd(['script', '-qec', cmd, '/dev/null'], { asUser: mode.user, cwd: bundle, input: 'echo hello from the demo; hostname; tty; exit 7\n' })
    assert.is(r.status, 7, r.stdout)
    // the terminal is the container's own (terminal: true): a pty of its /dev/pts
    assert.match(r.stdout.replace(/\r\n/g, '\n'), /\nhello from the demo\ncocker\n\/dev\/pts\/0\n/)
  } finally {
    await forceDelete(mode, id)
  }
})

/** Every key path of a JSON value, e.g. "linux.seccomp.actions", with its type. */
function shape(v: unknown, at = ''): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`${at}: ${Array.isArray(v) ? 'array' : typeof v}`]
  return Object.entries(v).flatMap(([k, x]) => shape(x, at ? `${at}.${k}` : k))
}

test('features: runc\'s document, with the hooks, namespaces and capabilities runc lists', async () => {
  const runc = which('runc')
  if (skipUnless(runc !== undefined, 'features compared with runc', 'runc is not installed')) return
  const theirs = JSON.parse((await runCmd([runc!, 'features'], { status: 0 })).stdout)
  const r = await runCmd([RUNTIME_BIN, 'features'], { status: 0 })
  assert.is(r.stderr, '')
  const ours = JSON.parse(r.stdout)
  // runc's annotations are about runc itself (its version, commit, libseccomp)
  delete theirs.annotations
  const ourShape = shape(ours)
  for (const key of shape(theirs)) assert.ok(ourShape.includes(key), `features lacks ${key}`)
  assert.equal(ours.hooks, theirs.hooks)
  for (const list of ['namespaces', 'capabilities'] as const) {
    const missing = (theirs.linux[list] as string[]).filter(x => !ours.linux[list].includes(x))
    assert.equal(missing, [], `linux.${list} that runc has`)
  }
  // what cocker-runtime does not do, it does not claim
  assert.is(ours.linux.apparmor.enabled, false)
  assert.is(ours.linux.selinux.enabled, false)
  assert.is(ours.linux.cgroup.systemd, false)
})

test('spec refuses to overwrite a config.json, in one line', async () => {
  const dir = makeTempDir('cocker-spec-')
  await runCmd([RUNTIME_BIN, 'spec', '--bundle', dir], { status: 0 })
  const r = await runCmd([RUNTIME_BIN, 'spec', '--bundle', dir], { status: 1 })
  assert.is(r.stderr, 'cocker-runtime: File config.json exists. Remove it first\n')
})

test.run()
