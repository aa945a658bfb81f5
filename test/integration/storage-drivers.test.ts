// Storage drivers end to end through bin/cocker: selection (flag, storage.conf, the
// recorded driver, the probe), then pull + run with overlay, vfs and fuse-overlayfs, as
// root and rootless, with the fixture's whiteout honoured; rmi of a vfs image; timings.
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runCmd, type RunResult } from '../support/exec.js'
import { pushFixture } from '../support/image-fixture.js'
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'
import { hasUserns, isRoot, skipUnless, which } from '../support/requires.js'
import { rootlessUser, stageForRootless, type RootlessUser } from '../support/rootless.js'
import { repoPath } from '../support/paths.js'
import { fuseOpenToUsers, fusePrefix } from '../support/fuse.js'

type Mode = 'root' | 'rootless'

let registry: TestRegistry | undefined
let image = ''
const missing = registryMissing()
const user = rootlessUser().user
const timings: string[] = []

test.before(async () => {
  if (missing) return
  registry = await startRegistry()
  image = (await pushFixture(registry.host, 'busybox')).reference
})

test.after(async () => {
  await registry?.stop()
  if (timings.length) console.log(`# timings (median of 5 runs of \`run --rm busybox true\`):\n${timings.map(t => `#   ${t}`).join('\n')}`)
})

/** Why `mode` cannot run here, or undefined. */
function unavailable(mode: Mode): string | undefined {
  if (missing) return missing
  if (mode === 'root' && !isRoot()) return 'needs root'
  if (mode === 'rootless' && !user) return `no rootless user: ${rootlessUser().reason}`
  if (mode === 'rootless' && !hasUserns(user)) return `${user!.name} cannot create user namespaces`
  return undefined
}

function tempRoot(mode: Mode): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-drivers-'))
  if (mode === 'rootless') chownSync(dir, user!.uid, user!.gid)
  return dir
}

async function removeRoot(mode: Mode, root: string): Promise<void> {
  if (mode === 'rootless') await cocker(mode, root, ['system', 'reset', '-f'], 0)
  rmSync(root, { recursive: true, force: true })
}

function cocker(mode: Mode, root: string, args: string[], status?: number, env: Record<string, string> = {}): Promise<RunResult> {
  const bin = mode === 'root' ? repoPath('bin/cocker') : path.join(stageForRootless(), 'bin/cocker')
  // no storage.conf of the machine's may decide for the tests
  const base = { CONTAINERS_STORAGE_CONF: '/nonexistent/storage.conf', ...env }
  return runCmd([bin, '--root', root, ...args], { status, env: base, timeoutMs: 120_000, ...(mode === 'rootless' ? { asUser: user as RootlessUser, prefix: fuseOpener } : {}) })
}

const storedDriver = (root: string) => (JSON.parse(readFileSync(path.join(root, 'storage.json'), 'utf8')) as { driver?: string }).driver

// whiteouts: the fixture's second layer deletes /etc/removed-later, which the first made
const CHECK = 'test ! -e /etc/removed-later && cat /etc/motd /opt/data/hello.txt && echo written > /tmp/new && cat /tmp/new'
const CHECK_OUT = 'hello from the cocker test image\nhello\nwritten\n'

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[2]!
}

const fuseOpen = fuseOpenToUsers
let fuseOpener: string[] | undefined

/** fn's commands run with /dev/fuse open to users (support/fuse.ts). */
async function withFuseOpen<T>(fn: () => Promise<T>): Promise<T> {
  fuseOpener = fusePrefix(true)
  try {
    return await fn()
  } finally {
    fuseOpener = undefined
  }
}

for (const mode of ['root', 'rootless'] as const) {
  for (const driver of ['overlay', 'vfs', 'fuse-overlayfs'] as const) {
    const name = `${mode}: pull and run with ${driver}; the whiteout is honoured; info names the driver`
    test(name, async () => {
      const why = unavailable(mode) ?? (driver === 'fuse-overlayfs' && !which('fuse-overlayfs') ? 'fuse-overlayfs is not installed' : undefined) ??
        (driver === 'fuse-overlayfs' && mode === 'rootless' && !fuseOpen() && !isRoot() ? '/dev/fuse is not open to users here, and only root can open it for a test' : undefined)
      if (skipUnless(!why, name, why!)) return
      const root = tempRoot(mode)
      const body = async () => {
        await cocker(mode, root, ['--storage-driver', driver, 'pull', '-q', image], 0)
        assert.is(storedDriver(root), driver)
        const r = await cocker(mode, root, ['run', '--rm', image, 'sh', '-c', CHECK], 0)
        assert.is(r.stdout, CHECK_OUT)
        assert.is(r.stderr, '')
        const info = JSON.parse((await cocker(mode, root, ['info', '--format', 'json'], 0)).stdout)
        assert.is(info.store.graphDriverName, driver)
        assert.is(info.store.graphRoot, root)
        assert.is(info.store.imageStore.number, 1)
        assert.is(info.host.security.rootless, mode === 'rootless')
        assert.is((await cocker(mode, root, ['info', '--format', '{{.Store.GraphDriverName}}'], 0)).stdout, `${driver}\n`)
        // no container is left behind
        assert.equal(readdirSync(path.join(root, 'containers')), [])
        if (driver !== 'fuse-overlayfs') {
          const ms = await median(() => cocker(mode, root, ['run', '--rm', image, 'true'], 0))
          timings.push(`${mode} ${driver}: ${ms.toFixed(0)} ms`)
        }
        if (driver === 'vfs') {
          // vfs layers are whole trees: each has /bin/busybox
          const layers = readdirSync(path.join(root, 'layers'))
          assert.is(layers.length, 2)
          for (const l of layers) assert.ok(existsSync(path.join(root, 'layers', l, 'diff/bin/busybox')), l)
          assert.not.ok(layers.some(l => existsSync(path.join(root, 'layers', l, 'diff/etc/removed-later')) && existsSync(path.join(root, 'layers', l, 'diff/etc/motd'))))
          await cocker(mode, root, ['rmi', image], 0)
          assert.equal(readdirSync(path.join(root, 'layers')), [])
          assert.equal(readdirSync(path.join(root, 'tmp')), [])
        }
      }
      try {
        if (driver === 'fuse-overlayfs' && mode === 'rootless') await withFuseOpen(body)
        else await body()
      } finally {
        await removeRoot(mode, root)
      }
    })
  }
}

test('rootless fuse-overlayfs with /dev/fuse closed to users: one line that says what to do', async () => {
  const name = 'rootless fuse-overlayfs with /dev/fuse closed to users'
  const why = unavailable('rootless') ?? (!which('fuse-overlayfs') ? 'fuse-overlayfs is not installed' : undefined) ??
    (fuseOpen() ? '/dev/fuse is open to every user here' : undefined)
  if (skipUnless(!why, name, why!)) return
  const root = tempRoot('rootless')
  try {
    await cocker('rootless', root, ['--storage-driver', 'fuse-overlayfs', 'pull', '-q', image], 0)
    const r = await cocker('rootless', root, ['run', '--rm', image, 'true'], 125)
    assert.match(r.stderr, /^Error: the store's driver is fuse-overlayfs, but \/dev\/fuse is not usable by this user \(EACCES\); as root, "chmod 666 \/dev\/fuse".*overlay or vfs driver/)
    assert.is(r.stderr.trim().split('\n').length, 1)
  } finally {
    await removeRoot('rootless', root)
  }
})

for (const mode of ['root', 'rootless'] as const) {
  const name = `${mode}: the driver is recorded at first use; another one named later is refused with podman's error`
  test(name, async () => {
    const why = unavailable(mode)
    if (skipUnless(!why, name, why!)) return
    const root = tempRoot(mode)
    try {
      // automatic: the probe finds native overlay (userxattr rootless) and the store records it
      assert.is((await cocker(mode, root, ['info', '--format', '{{.Store.GraphDriverName}}'], 0)).stdout, 'overlay\n')
      assert.is(storedDriver(root), 'overlay')
      const r = await cocker(mode, root, ['--storage-driver', 'vfs', 'images'], 125)
      assert.is(r.stderr.split(';')[0], 'Error: database graph driver "overlay" does not match our graph driver "vfs": database configuration mismatch')
      assert.match(r.stderr, /cocker system reset/)
      // STORAGE_DRIVER, as containers/storage reads it
      await cocker(mode, root, ['images'], 125, { STORAGE_DRIVER: 'vfs' })
      // reset lets the store choose again
      await cocker(mode, root, ['--storage-driver', 'vfs', 'system', 'reset', '-f'], 0)
      assert.is((await cocker(mode, root, ['--storage-driver', 'vfs', 'info', '--format', '{{.Store.GraphDriverName}}'], 0)).stdout, 'vfs\n')
      assert.is(storedDriver(root), 'vfs')
    } finally {
      await removeRoot(mode, root)
    }
  })
}

test('storage.conf [storage] driver decides a new store (CONTAINERS_STORAGE_CONF, then the user\'s file); the flag wins over it', async () => {
  const name = 'storage.conf decides a new store'
  const why = unavailable('root') ?? unavailable('rootless')
  if (skipUnless(!why, name, why!)) return
  const conf = path.join(mkdtempSync(path.join(os.tmpdir(), 'cocker-conf-')), 'storage.conf')
  writeFileSync(conf, '# test\n[storage]\ndriver = "vfs"  # the slow one\n[storage.options]\ndriver = "overlay"\n')
  chmodSync(path.dirname(conf), 0o755)
  const root = tempRoot('root')
  const flagged = tempRoot('root')
  const userRoot = tempRoot('rootless')
  // a home of its own, so the user's real ~/.config is neither read nor touched
  const home = tempRoot('rootless')
  try {
    const withConf = { CONTAINERS_STORAGE_CONF: conf }
    assert.is((await cocker('root', root, ['info', '--format', '{{.Store.GraphDriverName}} {{.Store.ConfigFile}}'], 0, withConf)).stdout, `vfs ${conf}\n`)
    assert.is(storedDriver(root), 'vfs')
    await cocker('root', root, ['images'], 0, withConf)
    // the flag wins over the file for a new store; the file disagreeing later is refused
    assert.is((await cocker('root', flagged, ['--storage-driver', 'overlay', 'info', '--format', '{{.Store.GraphDriverName}}'], 0, withConf)).stdout, 'overlay\n')
    assert.is(storedDriver(flagged), 'overlay')
    const refused = await cocker('root', flagged, ['images'], 125, withConf)
    assert.match(refused.stderr, `database graph driver "overlay" does not match our graph driver "vfs"`)
    assert.match(refused.stderr, conf)

    // rootless, without CONTAINERS_STORAGE_CONF: $HOME/.config/containers/storage.conf
    const env = { CONTAINERS_STORAGE_CONF: '', HOME: home }
    await runCmd(['sh', '-c', `mkdir -p "$HOME/.config/containers" && printf '[storage]\\ndriver = "vfs"\\n' > "$HOME/.config/containers/storage.conf"`],
      { asUser: user!, env, status: 0 })
    assert.is((await cocker('rootless', userRoot, ['info', '--format', '{{.Store.GraphDriverName}} {{.Store.ConfigFile}}'], 0, env)).stdout,
      `vfs ${home}/.config/containers/storage.conf\n`)
    const r = await cocker('rootless', userRoot, ['--storage-driver', 'overlay', 'images'], 125, env)
    assert.match(r.stderr, /database graph driver "vfs" does not match our graph driver "overlay"/)
  } finally {
    rmSync(path.dirname(conf), { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
    await removeRoot('root', root)
    await removeRoot('root', flagged)
    await removeRoot('rootless', userRoot)
  }
})

test.run()
