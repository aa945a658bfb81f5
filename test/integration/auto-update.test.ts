// `cocker auto-update` (lib/container/auto-update.ts, recreate.ts), root and rootless: a
// container labelled io.containers.autoupdate=registry follows its tag in a real registry
// (made again on the new image with its name, host port and volumes), a failing new image is
// rolled back (or, with --rollback=false, left failed), an unlabelled container is left alone,
// `local` follows the store, and a container a systemd unit made is restarted through
// systemctl (a stand-in on PATH here: this host has no user manager to restart units).
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, loadBusybox, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { eventually } from '../support/containers.js'
import { buildLayout, fixtureLayout, pushLayout, tar, type FixtureLayout } from '../support/image-fixture.js'
import { freePort, registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'

const missing = registryMissing()
let registry: TestRegistry | undefined

test.before(async () => {
  if (!missing) registry = await startRegistry()
})

test.after(async () => {
  await registry?.stop()
})

const HEADER = ['UNIT', 'CONTAINER', 'IMAGE', 'POLICY', 'UPDATED']
const LABEL = 'io.containers.autoupdate'
const out = async (mode: CockerMode, args: string[]) => (await cocker(mode, args, { status: 0 })).stdout
const inspect = async (mode: CockerMode, name: string, format: string) => (await out(mode, ['inspect', '--format', format, name])).trim()

/** The table's rows, each split into its columns (two spaces or more apart). */
function table(stdout: string): string[][] {
  return stdout.split('\n').filter(Boolean).map(l => l.trim().split(/\s{2,}/))
}

/** The busybox fixture's layers plus /www/version, serving it with httpd on 8080 (or running `cmd`). */
function webLayout(mode: CockerMode, version: string, cmd = ['httpd', '-f', '-p', '8080', '-h', '/www']): FixtureLayout {
  const base = fixtureLayout('busybox').images[0]!.layers.map(l => l.tar)
  const www = tar([{ type: 'dir', path: 'www' }, { type: 'file', path: 'www/version', data: `${version}\n` }])
  return buildLayout(path.join(modeDir({}), `web-${mode.name}-${version}`), [...base, www], cmd)
}

function httpGet(port: number, file: string): Promise<string | undefined> {
  return new Promise(resolve => {
    const req = http.get({ host: '127.0.0.1', port, path: file, timeout: 2000 }, res => {
      let body = ''
      res.on('data', (b: Buffer) => (body += b.toString()))
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined))
    })
    req.on('error', () => resolve(undefined))
    req.on('timeout', () => req.destroy())
  })
}

const served = (port: number, version: string) => eventually(`version ${version} on port ${port}`, async () => (await httpGet(port, '/version')) === `${version}\n`)

cockerScenario('auto-update: --dry-run reports a new image in the registry and changes nothing; then the container comes back on it with its name, port and volumes; a failing image is rolled back, or with --rollback=false left failed', async mode => {
  const v1 = webLayout(mode, '1')
  const v2 = webLayout(mode, '2')
  const bad = webLayout(mode, 'bad', ['/no/such/command'])
  const repository = `au-${mode.name}/web`
  const ref = `${registry!.host}/${repository}:latest`
  await pushLayout(registry!.host, v1, { repository })
  await cocker(mode, ['pull', '-q', ref], { status: 0 })
  const port = await freePort()
  try {
    await cocker(mode, ['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:8080`, '-v', 'au-named:/data', '-v', '/anon',
      // httpd as PID 1 takes no SIGTERM
      '--label', `${LABEL}=registry`, '--stop-signal', 'KILL', ref], { status: 0 })
    await cocker(mode, ['run', '-d', '--name', 'plain', '--network', 'none', '--stop-timeout', '1', ref], { status: 0 })
    await cocker(mode, ['exec', 'web', 'sh', '-c', 'echo named > /data/f && echo anon > /anon/f'], { status: 0 })
    await served(port, '1')
    const webId = await inspect(mode, 'web', '{{.Id}}')
    const plainId = await inspect(mode, 'plain', '{{.Id}}')
    const v1Id = v1.images[0]!.config.digest.slice(7)
    const v2Id = v2.images[0]!.config.digest.slice(7)
    assert.is(await inspect(mode, 'web', '{{.Image}}'), v1Id)

    assert.equal(table(await out(mode, ['auto-update'])), [HEADER, [`${webId.slice(0, 12)} (web)`, ref, 'registry', 'false']], 'nothing new yet')
    await pushLayout(registry!.host, v2, { repository })
    const images = await out(mode, ['images', '-q', '--no-trunc'])
    assert.equal(table(await out(mode, ['auto-update', '--dry-run'])), [HEADER, [`${webId.slice(0, 12)} (web)`, ref, 'registry', 'pending']])
    assert.is(await inspect(mode, 'web', '{{.Id}}'), webId, '--dry-run changes no container')
    assert.is(await out(mode, ['images', '-q', '--no-trunc']), images, '--dry-run pulls nothing')
    const json = JSON.parse(await out(mode, ['auto-update', '--dry-run', '--format', 'json']))
    assert.equal(json, [{ Unit: '', Container: `${webId.slice(0, 12)} (web)`, ContainerName: 'web', ContainerID: webId, Image: ref, Policy: 'registry', Updated: 'pending' }])

    const updated = await cocker(mode, ['auto-update'], { status: 0 })
    assert.equal(table(updated.stdout), [HEADER, [`${webId.slice(0, 12)} (web)`, ref, 'registry', 'true']])
    const newId = await inspect(mode, 'web', '{{.Id}}')
    assert.is.not(newId, webId, 'a new container')
    assert.is(await inspect(mode, 'web', '{{.Image}} {{.State.Status}}'), `${v2Id} running`)
    assert.is(await out(mode, ['exec', 'web', 'cat', '/www/version', '/data/f', '/anon/f']), '2\nnamed\nanon\n', 'the new image, the same volumes')
    assert.is(await out(mode, ['port', 'web', '8080/tcp']), `127.0.0.1:${port}\n`)
    await served(port, '2')
    assert.equal((await out(mode, ['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort(), ['plain', 'web'], 'the old container is gone')
    assert.is(await inspect(mode, 'plain', '{{.Id}} {{.Image}} {{.State.Status}}'), `${plainId} ${v1Id} running`, 'a container without the label is left alone')
    assert.equal(table(await out(mode, ['auto-update', '--format', '{{.ContainerName}}  {{.Updated}}'])), [['web', 'false']], 'up to date now')

    await pushLayout(registry!.host, bad, { repository })
    const rolledBack = await cocker(mode, ['auto-update', '--format', '{{.ContainerName}}  {{.Updated}}'], { status: 0 })
    assert.equal(table(rolledBack.stdout), [['web', 'rolled back']])
    assert.match(rolledBack.stderr, /rolled back to image/)
    assert.is(await inspect(mode, 'web', '{{.Id}} {{.Image}} {{.State.Status}}'), `${newId} ${v2Id} running`, 'the container before the update runs again')
    assert.is(await out(mode, ['exec', 'web', 'cat', '/www/version', '/data/f']), '2\nnamed\n')
    await served(port, '2')

    const failed = await cocker(mode, ['auto-update', '--rollback=false', '--format', '{{.ContainerName}}  {{.Updated}}'], { status: 125 })
    assert.equal(table(failed.stdout), [['web', 'failed']])
    assert.match(failed.stderr, /^Error: auto-updating container web: [^\n]*\n$/, failed.stderr)
    assert.is.not(await inspect(mode, 'web', '{{.Id}}'), newId, 'the new container keeps the name')
    assert.is.not(await inspect(mode, 'web', '{{.State.Status}}'), 'running', 'and is left as it failed')
    assert.equal((await out(mode, ['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort(), ['plain', 'web'])
  } finally {
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
}, undefined, missing)

cockerScenario('auto-update: `local` follows the name in the store; a container a unit made is restarted through systemctl (rolled back when that fails); a bad policy is one error line', async mode => {
  const image = await loadBusybox(mode)
  const name = 'localhost/au-local:1'
  const work = modeDir(mode)
  const log = path.join(work, 'systemctl.log')
  const bin = path.join(work, 'bin')
  await cocker(mode, ['tag', image, name], { status: 0 })
  try {
    await cocker(mode, ['run', '-d', '--name', 'loc', '--network', 'none', '--label', `${LABEL}=local`, '--stop-timeout', '1', name, 'sleep', '600'], { status: 0 })
    const unitEnv = { PODMAN_SYSTEMD_UNIT: 'au-test.service' }
    await cocker(mode, ['run', '-d', '--name', 'unit', '--network', 'none', '--label', `${LABEL}=local`, '--stop-timeout', '1', name, 'sleep', '600'],
      { status: 0, env: unitEnv })
    assert.is(JSON.parse(await inspect(mode, 'unit', '{{json .Config.Labels}}')).PODMAN_SYSTEMD_UNIT, 'au-test.service', 'the unit is recorded at create')
    assert.is(JSON.parse(await inspect(mode, 'loc', '{{json .Config.Labels}}')).PODMAN_SYSTEMD_UNIT, undefined)
    const locId = await inspect(mode, 'loc', '{{.Id}}')
    const unitId = await inspect(mode, 'unit', '{{.Id}}')
    const format = ['--format', '{{.Unit}}  {{.ContainerName}}  {{.Policy}}  {{.Updated}}']
    assert.equal(table(await out(mode, ['auto-update', ...format])), [['loc', 'local', 'false'], ['au-test.service', 'unit', 'local', 'false']])

    // another image under the name: the busybox layers with one more file
    const base = fixtureLayout('busybox').images[0]!.layers.map(l => l.tar)
    const tarFile = path.join(work, 'rootfs.tar')
    writeFileSync(tarFile, Buffer.concat([base[0]!.subarray(0, base[0]!.length - 1024), tar([{ type: 'file', path: 'new', data: 'new\n' }])]), { mode: 0o644 })
    const newId = (await out(mode, ['import', '-q', tarFile, name])).trim().replace(/^sha256:/, '')
    assert.equal(table(await out(mode, ['auto-update', '--dry-run', ...format])), [['loc', 'local', 'pending'], ['au-test.service', 'unit', 'local', 'pending']])

    // systemctl as this test has it: logs its arguments, fails when told to
    chmodSync(work, 0o755)
    writeFileSync(path.join(work, 'fail'), '')
    const script = `#!/bin/sh\necho "$*" >> ${log}\nfor u; do :; done\n[ -s ${path.join(work, 'fail')} ] && { echo "Job for $u failed." >&2; exit 1; }\nexit 0\n`
    mkdirSync(bin, { recursive: true })
    writeFileSync(path.join(bin, 'systemctl'), script, { mode: 0o755 })
    if (mode.user) for (const f of [bin, path.join(bin, 'systemctl'), path.join(work, 'fail')]) chownSync(f, mode.user.uid, mode.user.gid)
    const env = { PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` }
    const restart = `${mode.user ? '--user ' : ''}restart -- au-test.service`

    const done = await cocker(mode, ['auto-update', ...format], { status: 0, env })
    assert.equal(table(done.stdout), [['loc', 'local', 'true'], ['au-test.service', 'unit', 'local', 'true']])
    assert.is(readFileSync(log, 'utf8'), `${restart}\n`, 'the unit is restarted, as Podman does')
    assert.is(await inspect(mode, 'unit', '{{.Id}}'), unitId, 'the unit, not cocker, makes its container again')
    assert.is.not(await inspect(mode, 'loc', '{{.Id}}'), locId)
    assert.is(await inspect(mode, 'loc', '{{.Image}} {{.State.Status}}'), `${newId} running`)
    assert.is(await out(mode, ['exec', 'loc', 'cat', '/new']), 'new\n')

    // the unit's restart fails: the name goes back to the image it had, the unit restarts again
    await cocker(mode, ['stop', 'loc'], { status: 0 })
    await cocker(mode, ['import', '-q', tarFile, name], { status: 0 })
    writeFileSync(path.join(work, 'fail'), 'yes\n')
    writeFileSync(log, '')
    const failing = await cocker(mode, ['auto-update', ...format], { status: 125, env })
    assert.equal(table(failing.stdout), [['au-test.service', 'unit', 'local', 'failed']])
    assert.match(failing.stderr, /^Error: auto-updating container unit: [^\n]*Job for au-test.service failed[^\n]*\n$/)
    assert.is(readFileSync(log, 'utf8'), `${restart}\n${restart}\n`, 'tried, then tried again on the old image')
    assert.is(await inspect(mode, name, '{{.Id}}'), await inspect(mode, image, '{{.Id}}'), 'the name gives the old image again')

    await cocker(mode, ['run', '-d', '--name', 'bogus', '--network', 'none', '--label', `${LABEL}=sometimes`, name, 'sleep', '600'], { status: 0 })
    const bogus = await cocker(mode, ['auto-update', '--dry-run', ...format], { status: 125 })
    assert.match(bogus.stderr, /^Error: container bogus: invalid auto-update policy "sometimes": valid policies are "disabled", "image", "local", "registry"\n$/)

    // a new container that fails its health check is rolled back (the new image has no /etc/motd)
    await cocker(mode, ['rm', '-f', '-t', '0', 'bogus', 'unit', 'loc'], { status: 0 })
    await cocker(mode, ['run', '-d', '--name', 'hc', '--network', 'none', '--label', `${LABEL}=local`, '--health-cmd', 'cat /etc/motd',
      '--stop-timeout', '1', name, 'sleep', '600'], { status: 0 })
    const hcId = await inspect(mode, 'hc', '{{.Id}} {{.Image}}')
    await cocker(mode, ['import', '-q', tarFile, name], { status: 0 })
    const unhealthy = await cocker(mode, ['auto-update', ...format], { status: 0 })
    assert.equal(table(unhealthy.stdout), [['hc', 'local', 'rolled back']])
    assert.match(unhealthy.stderr, /failed its health check/)
    assert.is(await inspect(mode, 'hc', '{{.Id}} {{.Image}}'), hcId, 'the container before the update')
    assert.is(await inspect(mode, 'hc', '{{.State.Status}}'), 'running')
  } finally {
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
})

test.run()
