// What ps and inspect make of container records: records written straight into a temp store.
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exitFile, findContainer } from '../../../lib/container/record.js'
import { inspectContainer, parseContainerFilters, viewContainers, viewOf, writableSize, type ContainerView } from '../../../lib/container/view.js'
import { psJson, psRow, statusText } from '../../../lib/cli/render/containers.js'
import { makeTempDir } from '../../fixtures/bundle.js'
import { endProcess, startSleeper, writeContainer } from '../../support/container-records.js'

// Podman 4.3's keys (podman ps --format json; podman inspect of a running container with no
// network of its own), written down from its output on this machine.
const PODMAN_PS_KEYS = ['AutoRemove', 'Command', 'CreatedAt', 'Exited', 'ExitedAt', 'ExitCode', 'Id', 'Image', 'ImageID', 'IsInfra', 'Labels',
  'Mounts', 'Names', 'Namespaces', 'Networks', 'Pid', 'Pod', 'PodName', 'Ports', 'Size', 'StartedAt', 'State', 'Status', 'Created']
const PODMAN_INSPECT_KEYS = ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ImageDigest', 'ImageName', 'Rootfs', 'Pod', 'ResolvConfPath',
  'HostnamePath', 'HostsPath', 'StaticDir', 'OCIConfigPath', 'OCIRuntime', 'ConmonPidFile', 'PidFile', 'Name', 'RestartCount', 'Driver',
  'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'EffectiveCaps', 'BoundingCaps', 'ExecIDs', 'GraphDriver', 'Mounts', 'Dependencies',
  'NetworkSettings', 'Namespace', 'IsInfra', 'IsService', 'Config', 'HostConfig']
const PODMAN_STATE_KEYS = ['OciVersion', 'Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ConmonPid', 'ExitCode', 'Error',
  'StartedAt', 'FinishedAt', 'Health', 'CheckpointedAt', 'RestoredAt']
const PODMAN_CONFIG_KEYS = ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce',
  'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'Annotations', 'StopSignal', 'HealthcheckOnFailureAction',
  'CreateCommand', 'Umask', 'Timeout', 'StopTimeout', 'Passwd', 'sdNotifyMode']

const byName = (views: ContainerView[], name: string) => views.find(v => v.record.name === name)!

test('observe: a running record whose monitor is gone is exited, with the code of its exit file, or -1 without one', async () => {
  const root = makeTempDir('cocker-view-')
  try {
    const live = await startSleeper()
    const dying = await startSleeper()
    writeContainer(root, { name: 'up', status: 'running', process: live })
    const withExit = writeContainer(root, { name: 'gone', status: 'running', process: dying, startedAgo: 5000 })
    writeContainer(root, { name: 'lost', status: 'running', process: dying, startedAgo: 5000 })
    writeFileSync(exitFile(withExit.dir), JSON.stringify({ exitCode: 7, finishedAt: new Date().toISOString() }))
    await endProcess(dying)
    const views = viewContainers(root)
    assert.is(byName(views, 'up').state.status, 'running')
    assert.is(byName(views, 'gone').state.status, 'exited')
    assert.is(byName(views, 'gone').state.exitCode, 7)
    assert.is(byName(views, 'lost').state.exitCode, -1)
    const now = Date.now()
    assert.match(statusText(byName(views, 'gone'), now), /^Exited \(7\) (Less than a second|\d+ seconds?) ago$/)
    assert.is(psJson(byName(views, 'gone'), now).State, 'exited')
    assert.is(psJson(byName(views, 'gone'), now).Pid, 0)
    assert.is(psJson(byName(views, 'up'), now).Pid, live.pid)
    live.kill('SIGKILL')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('status texts: Up, Exited (N) … ago, Created, Paused, health after Up', async () => {
  const root = makeTempDir('cocker-view-')
  try {
    const p = await startSleeper()
    writeContainer(root, { name: 'up', status: 'running', process: p, startedAgo: 5_500 })
    writeContainer(root, { name: 'old', status: 'running', process: p, startedAgo: 150_000 })
    writeContainer(root, { name: 'ex', status: 'exited', exitCode: 3, finishedAgo: 3_500 })
    writeContainer(root, { name: 'new', status: 'created' })
    writeContainer(root, { name: 'pz', status: 'paused', process: p })
    writeContainer(root, {
      name: 'hc', status: 'running', process: p, startedAgo: 5_500,
      healthcheck: { test: ['CMD-SHELL', 'true'], interval: 30e9, timeout: 30e9, startPeriod: 0, retries: 3, onFailure: 'none' },
      health: { status: 'healthy', failingStreak: 0, log: [] },
    })
    const views = viewContainers(root)
    const now = Date.now()
    const status = (name: string) => statusText(byName(views, name), now)
    assert.match(status('up'), /^Up [5-9] seconds ago$/)
    assert.is(status('old'), 'Up 2 minutes ago')
    assert.match(status('ex'), /^Exited \(3\) [3-9] seconds ago$/)
    assert.is(status('new'), 'Created')
    assert.is(status('pz'), 'Paused')
    assert.match(status('hc'), /^Up [5-9] seconds ago \(healthy\)$/)
    p.kill('SIGKILL')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('ps JSON has podman\'s keys in its order; a row truncates the command to 17 characters and the ID to 12', () => {
  const root = makeTempDir('cocker-view-')
  try {
    writeContainer(root, { name: 'a', status: 'exited', exitCode: 2, command: ['sh', '-c', 'echo aaaaaaaaaaaaaaaaaaaa'], labels: { x: 'y' } })
    const [v] = viewContainers(root)
    const json = psJson(v!, Date.now())
    assert.equal(Object.keys(json), PODMAN_PS_KEYS)
    assert.is(json.Exited, true)
    assert.is(json.ExitCode, 2)
    assert.equal(json.Names, ['a'])
    assert.equal(json.Labels, { x: 'y' })
    assert.is(json.Created, Math.floor(Date.parse(v!.record.created) / 1000))
    const row = psRow(v!, Date.now(), { noTrunc: false })
    assert.is(row.Command, 'sh -c echo aaaaaa...')
    assert.is(row.ID, v!.record.id.slice(0, 12))
    assert.is(psRow(v!, Date.now(), { noTrunc: true }).Command, 'sh -c echo aaaaaaaaaaaaaaaaaaaa')
    // never started: podman's zero time as Unix seconds
    writeContainer(root, { name: 'b' })
    assert.is(psJson(byName(viewContainers(root), 'b'), Date.now()).StartedAt, -62135596800)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('filters: one key ORs its values (label ANDs them), different keys AND; bad filters are errors', async () => {
  const root = makeTempDir('cocker-view-')
  try {
    const p = await startSleeper()
    // created a second apart, so that the order (by creation) is theirs and not the directory's
    writeContainer(root, { name: 'web', status: 'running', process: p, labels: { app: 'web', tier: 'front' }, createdAgo: 64_000 })
    writeContainer(root, { name: 'done', status: 'exited', exitCode: 3, labels: { app: 'batch' }, createdAgo: 63_000 })
    writeContainer(root, { name: 'ok', status: 'exited', exitCode: 0, imageName: 'docker.io/library/alpine:latest', imageId: 'cd'.repeat(32), createdAgo: 62_000 })
    writeContainer(root, { name: 'fresh', createdAgo: 61_000 })
    const views = viewContainers(root)
    const names = (...specs: string[]) => views.filter(parseContainerFilters(specs)).map(v => v.record.name)
    assert.equal(names('name=web', 'name=done'), ['web', 'done'])
    assert.equal(names('name=^w'), ['web'])
    assert.equal(names('label=app'), ['web', 'done'])
    assert.equal(names('label=app=web', 'label=tier=front'), ['web'])
    assert.equal(names('label=app=web', 'label=app=batch'), [])
    assert.equal(names('name=web', 'status=exited'), [])
    assert.equal(names('status=exited', 'exited=3'), ['done'])
    assert.equal(names('exited=0', 'exited=3'), ['done', 'ok'])
    assert.equal(names('status=created'), ['fresh'])
    assert.equal(names('status=running'), ['web'])
    assert.equal(names('ancestor=docker.io/library/alpine'), ['ok'])
    assert.equal(names(`ancestor=${'ab'.repeat(32)}`), ['web', 'done', 'fresh'])
    assert.equal(names(`id=${byName(views, 'done').record.id.slice(0, 5)}`), ['done'])
    assert.equal(names('until=1h'), [])
    assert.equal(names('until=1s'), ['web', 'done', 'ok', 'fresh'])
    assert.throws(() => parseContainerFilters(['status=bogus']), /unknown container state/)
    assert.throws(() => parseContainerFilters(['bogus=1']), /bogus is not a container filter/)
    assert.throws(() => parseContainerFilters(['exited=x']), /an exit code is a number/)
    p.kill('SIGKILL')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('inspect: podman\'s keys; state, config and mounts from the record and the bundle\'s config.json', async () => {
  const root = makeTempDir('cocker-view-')
  try {
    const p = await startSleeper()
    const { dir } = writeContainer(root, {
      name: 'web', status: 'running', process: p, command: ['/bin/httpd', '-f'], labels: { a: 'b' },
      mounts: [
        { type: 'bind', source: '/srv/data', destination: '/data', options: ['rbind', 'ro'] },
        { type: 'proc', source: 'proc', destination: '/proc', options: [] },
      ],
      config: {
        ociVersion: '1.2.0', hostname: 'webhost',
        process: { args: ['/bin/httpd', '-f'], env: ['PATH=/bin', 'A=1'], cwd: '/www', user: { uid: 1000, gid: 100 }, capabilities: { effective: ['CAP_KILL', 'CAP_CHOWN'] } },
        root: { path: 'merged', readonly: true },
        linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] },
      },
    })
    // a file bound from userdata/ (hosts) is cocker's, not a user's mount
    const v = viewOf(findContainer(root, 'web')!)
    v.record.mounts.push({ type: 'bind', source: path.join(dir, 'userdata', 'hosts'), destination: '/etc/hosts', options: ['rbind'] })
    const i = inspectContainer(v, { storeRoot: root, runtime: 'cocker' })
    assert.equal(Object.keys(i), PODMAN_INSPECT_KEYS)
    assert.equal(Object.keys(i.State), PODMAN_STATE_KEYS)
    assert.equal(Object.keys(i.Config), PODMAN_CONFIG_KEYS)
    assert.is(i.Path, '/bin/httpd')
    assert.equal(i.Args, ['-f'])
    assert.is(i.State.Status, 'running')
    assert.is(i.State.Running, true)
    assert.is(i.State.Pid, p.pid)
    assert.is(i.State.FinishedAt, '0001-01-01T00:00:00Z')
    assert.is(i.Config.Hostname, 'webhost')
    assert.equal(i.Config.Env, ['PATH=/bin', 'A=1'])
    assert.is(i.Config.WorkingDir, '/www')
    assert.is(i.Config.User, '1000:100')
    assert.is(i.Config.StopSignal, 15)
    assert.equal(i.Config.Labels, { a: 'b' })
    assert.equal(i.EffectiveCaps, ['CAP_CHOWN', 'CAP_KILL'])
    assert.is(i.HostConfig.ReadonlyRootfs, true)
    assert.is(i.HostConfig.NetworkMode, 'none')
    assert.is(i.HostConfig.PidMode, 'private')
    assert.is(i.HostConfig.UTSMode, 'host')
    assert.equal(i.Mounts.map(m => [m.Destination, m.RW]), [['/data', false]])
    assert.equal(i.HostConfig.Binds, ['/srv/data:/data:ro,rbind'])
    assert.is(i.GraphDriver.Data.LowerDir, path.join(root, 'layers/l1/diff'))
    assert.is(i.GraphDriver.Data.UpperDir, path.join(dir, 'upper'))
    p.kill('SIGKILL')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('inspect: an exited container and a created one, with podman\'s zero values', () => {
  const root = makeTempDir('cocker-view-')
  try {
    writeContainer(root, { name: 'ex', status: 'exited', exitCode: 137 })
    writeContainer(root, { name: 'cr' })
    const ex = inspectContainer(viewOf(findContainer(root, 'ex')!), { storeRoot: root, runtime: 'cocker' })
    assert.is(ex.State.Status, 'exited')
    assert.is(ex.State.ExitCode, 137)
    assert.is(ex.State.Pid, 0)
    assert.not.ok('ConmonPid' in ex.State)
    assert.not.ok('MergedDir' in ex.GraphDriver.Data)
    assert.is.not(ex.State.FinishedAt, '0001-01-01T00:00:00Z')
    const cr = inspectContainer(viewOf(findContainer(root, 'cr')!), { storeRoot: root, runtime: 'cocker' })
    assert.is(cr.State.Status, 'created')
    assert.is(cr.State.StartedAt, '0001-01-01T00:00:00Z')
    assert.equal(cr.Config.Env, [])
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('sizes: the upper dir\'s bytes, for ps -s and inspect -s', () => {
  const root = makeTempDir('cocker-view-')
  try {
    writeContainer(root, { name: 'a', upper: { f: 'hello', g: 'xyz' } })
    const v = viewContainers(root)[0]!
    assert.is(writableSize(v.dir), 8)
    const i = inspectContainer(v, { storeRoot: root, runtime: 'cocker', size: true, imageSize: () => 1000 })
    assert.is((i as unknown as { SizeRw: number }).SizeRw, 8)
    assert.is((i as unknown as { SizeRootFs: number }).SizeRootFs, 1000)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
