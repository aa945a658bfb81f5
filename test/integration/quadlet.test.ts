// Quadlet files through bin/cocker-systemd-generator, root and rootless: what it writes
// passes `systemd-analyze verify` (which loads units without systemd as PID 1: the system
// manager's view as root, the user manager's with --user and the user's XDG_RUNTIME_DIR;
// with --generators=true it also runs the generators as the manager would),
// [Install] becomes .wants links, and the services' command lines, run the way systemd
// runs them (specifiers expanded, a leading "-" meaning "failure ignored", NOTIFY_SOCKET
// set to a socket the test listens on for ExecStart: READY=1 and MAINPID, the monitor),
// make the container, volume, network and pod come and go.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { UnitFile } from '../../lib/systemd/unit-file.js'
import { cocker, cockerScenario, COCKER_MODES, loadBusybox, modeDir, type CockerMode } from '../support/cocker-modes.js'
import { eventually } from '../support/containers.js'
import { pushFixture } from '../support/image-fixture.js'
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'
import { runCmd, type RunResult } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { which } from '../support/requires.js'

const ANALYZE_MISSING = which('systemd-analyze') ? undefined : 'no systemd-analyze (apt-get install systemd)'

interface Generated { out: string; services: string[]; result: RunResult }

/** Writes the quadlet files into a dir of the mode's user and runs the generator on it as that user. */
async function generate(mode: CockerMode, files: Record<string, string>, extra: string[] = []): Promise<Generated> {
  const work = modeDir(mode)
  const dir = path.join(work, 'quadlet')
  const out = path.join(work, 'out')
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  if (mode.user) for (const d of [work, dir]) chownSync(d, mode.user.uid, mode.user.gid)
  const generator = path.join(path.dirname(mode.bin), 'cocker-systemd-generator')
  const result = await runCmd([generator, ...(mode.user ? ['--user'] : []), ...extra, ...(extra.includes('--dryrun') ? [] : [out])],
    { asUser: mode.user, env: { QUADLET_UNIT_DIRS: dir } })
  const services = existsSync(out) ? readdirSync(out).filter(f => f.endsWith('.service')).map(f => path.join(out, f)) : []
  return { out, services, result }
}

/** systemd's specifiers that the generated lines use, for a unit of this name. */
function expand(word: string, unitName: string, runtimeDir: string): string {
  const prefix = unitName.replace(/@.*$|\.service$/, '')
  const values: Record<string, string> = { t: runtimeDir, n: unitName, N: unitName.replace(/\.service$/, ''), p: prefix, '%': '%' }
  return word.replace(/%(.)/g, (all, c: string) => values[c] ?? all)
}

/**
 * A datagram socket that systemd would listen on for sd_notify (node has no unix datagram
 * sockets: python3 binds it and prints each message as a line).
 */
function notifyListener(dir: string): { socket: string; messages: () => string[]; close: () => void } {
  const socket = path.join(dir, 'notify.sock')
  const child = spawn('python3', ['-u', '-c', [
    'import os, socket, sys', 's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)', 's.bind(sys.argv[1])', 'os.chmod(sys.argv[1], 0o777)',
    'print("listening", flush=True)', 'while True: print(s.recv(4096).decode().replace("\\n", " ").strip(), flush=True)',
  ].join('\n'), socket], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  return { socket, messages: () => out.split('\n').filter(Boolean), close: () => child.kill() }
}

/** Runs the unit's KEY lines in order, as systemd would; returns the last result. */
async function play(mode: CockerMode, service: string, key: string, runtimeDir: string, notifySocket?: string): Promise<RunResult> {
  const unit = UnitFile.parse(readFileSync(service, 'utf8'), service)
  const env: Record<string, string | undefined> = { NOTIFY_SOCKET: notifySocket }
  for (const e of unit.words('Service', 'Environment')) env[e.slice(0, e.indexOf('='))] = expand(e.slice(e.indexOf('=') + 1), path.basename(service), runtimeDir)
  let last: RunResult | undefined
  const lines = unit.all('Service', key)
  assert.ok(lines.length, `${path.basename(service)} has no ${key}=`)
  for (const line of lines) {
    const argv = splitLine(line).map(w => expand(w, path.basename(service), runtimeDir))
    const ignoreFailure = argv[0]!.startsWith('-')
    if (ignoreFailure) argv[0] = argv[0]!.slice(1)
    last = await runCmd(argv, { asUser: mode.user, env, timeoutMs: 120_000, ...(ignoreFailure ? {} : { status: 0 }) })
  }
  return last!
}

function splitLine(line: string): string[] {
  const u = new UnitFile()
  u.add('S', 'K', line)
  return u.words('S', 'K')
}

async function names(mode: CockerMode, what: 'ps' | 'volume' | 'network' | 'pod'): Promise<string[]> {
  const argv = what === 'ps' ? ['ps', '-a', '--format', '{{.Names}} {{.Status}}'] : [what, 'ls', '--format', '{{.Name}}']
  if (what === 'pod') argv.splice(1, 1, 'ps')
  const r = await cocker(mode, argv, { status: 0 })
  return r.stdout.split('\n').filter(Boolean)
}

async function verify(mode: CockerMode, g: Generated): Promise<void> {
  assert.ok(g.services.length, 'no services written')
  const r = await runCmd(['systemd-analyze', ...(mode.user ? ['--user'] : []), 'verify', ...g.services], { asUser: mode.user, cwd: g.out })
  assert.equal([r.status, r.stderr], [0, ''], `systemd-analyze verify ${g.services.join(' ')}: ${r.stderr}`)
}

cockerScenario('a .container and its .volume: the generator\'s units pass systemd-analyze verify; ExecStart runs the container, ExecStop removes it', async mode => {
  const image = await loadBusybox(mode)
  const name = safeName('q')
  const g = await generate(mode, {
    [`${name}.container`]: `[Unit]
Description=quadlet test container

[Container]
Image=${image}
GlobalArgs=--root ${mode.root}
Pull=never
Network=none
Exec=sleep 1000
Environment=GREETING=hello "SPACED=two words"
Label=test=quadlet
Volume=${name}.volume:/data
Tmpfs=/scratch
StopTimeout=1

[Service]
Restart=on-failure

[Install]
WantedBy=default.target
`,
    [`${name}.volume`]: `[Volume]\nGlobalArgs=--root ${mode.root}\nLabel=test=quadlet\n`,
  })
  assert.equal([g.result.status, g.result.stderr], [0, ''])
  assert.equal(g.services.map(s => path.basename(s)).sort(), [`${name}-volume.service`, `${name}.service`])
  assert.equal(readlinkSync(path.join(g.out, 'default.target.wants', `${name}.service`)), `../${name}.service`)
  await verify(mode, g)

  const service = path.join(g.out, `${name}.service`)
  const volumeService = path.join(g.out, `${name}-volume.service`)
  const runtimeDir = modeDir(mode)
  // ExecStart of the volume's oneshot, twice: --ignore makes the second a no-op
  await play(mode, volumeService, 'ExecStart', runtimeDir)
  await play(mode, volumeService, 'ExecStart', runtimeDir)
  assert.ok((await names(mode, 'volume')).includes(`systemd-${name}`))

  // ExecStart under a manager's NOTIFY_SOCKET: READY=1 with MAINPID, the container's monitor
  const listener = notifyListener(runtimeDir)
  let started: RunResult
  let mainPid: number
  try {
    await eventually('the notify listener', async () => listener.messages().includes('listening'))
    started = await play(mode, service, 'ExecStart', runtimeDir, listener.socket)
    const ready = await eventually('READY=1', async () => listener.messages().find(m => /(^| )READY=1( |$)/.test(m)))
    mainPid = Number(/MAINPID=(\d+)/.exec(listener.messages().join(' '))?.[1])
    assert.ok(mainPid > 0, `no MAINPID in ${ready}`)
  } finally {
    listener.close()
  }
  assert.match(readFileSync(`/proc/${mainPid}/cmdline`, 'utf8'), /cocker-helper/, 'the main process systemd watches is the monitor')
  const id = started.stdout.trim()
  assert.match(id, /^[0-9a-f]{64}$/)
  const cidfile = path.join(runtimeDir, `${name}.cid`)
  assert.equal(readFileSync(cidfile, 'utf8'), id)
  assert.ok((await names(mode, 'ps')).some(l => l.startsWith(`systemd-${name} Up`)), (await names(mode, 'ps')).join('\n'))
  const env = await cocker(mode, ['exec', `systemd-${name}`, 'sh', '-c', 'echo "$GREETING/$SPACED/$PODMAN_SYSTEMD_UNIT"; grep -c " /scratch " /proc/mounts'], { status: 0 })
  assert.equal(env.stdout, `hello/two words/\n1\n`, 'PODMAN_SYSTEMD_UNIT is the unit\'s, not the container\'s')

  await play(mode, service, 'ExecStop', runtimeDir)
  assert.not.ok((await names(mode, 'ps')).some(l => l.startsWith(`systemd-${name} `)), 'the container is gone')
  assert.not.ok(existsSync(cidfile), 'and its cidfile with it, so the next start can write it')
  await eventually('the monitor to exit', async () => !existsSync(`/proc/${mainPid}`))
  const post = await play(mode, service, 'ExecStopPost', runtimeDir)
  assert.equal(post.status, 0, `ExecStopPost after ExecStop: ${post.stderr}`)

  // a restart after the main process died: only ExecStopPost runs, then ExecStart again
  await play(mode, service, 'ExecStart', runtimeDir)
  await play(mode, service, 'ExecStopPost', runtimeDir)
  assert.not.ok((await names(mode, 'ps')).some(l => l.startsWith(`systemd-${name} `)))
  assert.not.ok(existsSync(cidfile))
  assert.ok((await names(mode, 'volume')).includes(`systemd-${name}`), 'the named volume outlives the container')
  await cocker(mode, ['volume', 'rm', `systemd-${name}`], { status: 0 })
}, COCKER_MODES, ANALYZE_MISSING ?? (which('python3') ? undefined : 'no python3 to listen on the notify socket (apt-get install python3)'))

cockerScenario('a .pod with a container: the pod service creates and starts the pod, the container joins it, ExecStop/ExecStopPost remove both', async mode => {
  const image = await loadBusybox(mode)
  const name = safeName('q')
  const g = await generate(mode, {
    [`${name}.pod`]: `[Pod]\nGlobalArgs=--root ${mode.root}\nNetwork=none\n`,
    [`${name}-app.container`]: `[Container]\nImage=${image}\nGlobalArgs=--root ${mode.root}\nPull=never\nPod=${name}.pod\nExec=sleep 1000\n`,
  })
  assert.equal([g.result.status, g.result.stderr], [0, ''])
  await verify(mode, g)
  const pod = path.join(g.out, `${name}-pod.service`)
  const app = path.join(g.out, `${name}-app.service`)
  assert.equal(UnitFile.parse(readFileSync(pod, 'utf8')).get('Unit', 'Wants'), `${name}-app.service`)
  const runtimeDir = modeDir(mode)
  await play(mode, pod, 'ExecStartPre', runtimeDir)
  await play(mode, pod, 'ExecStart', runtimeDir)
  await play(mode, app, 'ExecStart', runtimeDir)
  const ps = await cocker(mode, ['ps', '--pod', '--format', '{{.Names}} {{.PodName}}'], { status: 0 })
  assert.ok(ps.stdout.includes(`systemd-${name}-app systemd-${name}`), ps.stdout)
  await play(mode, app, 'ExecStop', runtimeDir)
  await play(mode, pod, 'ExecStop', runtimeDir)
  await play(mode, pod, 'ExecStopPost', runtimeDir)
  assert.not.ok((await names(mode, 'pod')).length, 'no pod left')
  assert.not.ok((await names(mode, 'ps')).some(l => l.includes(name)), 'no container left')
}, COCKER_MODES, ANALYZE_MISSING)

cockerScenario('a .network: network create --ignore twice, and NetworkDeleteOnStop removes it', async mode => {
  const name = safeName('q')
  const g = await generate(mode, { [`${name}.network`]: `[Network]\nGlobalArgs=--root ${mode.root}\nNetworkDeleteOnStop=true\nLabel=test=quadlet\n` })
  assert.equal([g.result.status, g.result.stderr], [0, ''])
  await verify(mode, g)
  const service = path.join(g.out, `${name}-network.service`)
  const runtimeDir = modeDir(mode)
  await play(mode, service, 'ExecStart', runtimeDir)
  await play(mode, service, 'ExecStart', runtimeDir)
  assert.ok((await names(mode, 'network')).includes(`systemd-${name}`))
  await play(mode, service, 'ExecStopPost', runtimeDir)
  assert.not.ok((await names(mode, 'network')).includes(`systemd-${name}`))
}, ['root'], ANALYZE_MISSING)

let registry: TestRegistry | undefined
test.after(async () => { await registry?.stop() })

cockerScenario('a .image: its service pulls the image from a registry, and a .container that names it runs it', async mode => {
  registry ??= await startRegistry()
  const pushed = await pushFixture(registry.host, 'busybox')
  const name = safeName('q')
  const g = await generate(mode, {
    [`${name}.image`]: `[Image]\nImage=${pushed.reference}\nGlobalArgs=--root ${mode.root}\nTLSVerify=false\n`,
    [`${name}.container`]: `[Container]\nImage=${name}.image\nGlobalArgs=--root ${mode.root}\nPull=never\nNetwork=none\nExec=sleep 1000\nStopTimeout=1\n`,
  })
  assert.equal([g.result.status, g.result.stderr], [0, ''])
  await verify(mode, g)
  const container = path.join(g.out, `${name}.service`)
  assert.equal(UnitFile.parse(readFileSync(container, 'utf8')).all('Unit', 'Requires'), [`${name}-image.service`])
  const runtimeDir = modeDir(mode)
  await play(mode, path.join(g.out, `${name}-image.service`), 'ExecStart', runtimeDir)
  const images = await cocker(mode, ['images', '--format', '{{.Repository}}:{{.Tag}}'], { status: 0 })
  assert.ok(images.stdout.split('\n').includes(pushed.reference), images.stdout)
  await play(mode, container, 'ExecStart', runtimeDir)
  assert.ok((await names(mode, 'ps')).some(l => l.startsWith(`systemd-${name} Up`)))
  await play(mode, container, 'ExecStop', runtimeDir)
  assert.not.ok((await names(mode, 'ps')).some(l => l.startsWith(`systemd-${name} `)))
}, COCKER_MODES, ANALYZE_MISSING ?? registryMissing())

cockerScenario('.kube, .image and template units pass systemd-analyze verify', async mode => {
  const work = modeDir(mode)
  const yaml = path.join(work, 'app.yaml')
  writeFileSync(yaml, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: c\n    image: busybox\n')
  chmodSync(yaml, 0o644)
  const g = await generate(mode, {
    'app.kube': `[Kube]\nYaml=${yaml}\nPublishPort=8000:80\n[Install]\nWantedBy=default.target\n`,
    'alpine.image': '[Image]\nImage=docker.io/library/alpine:3\n',
    'echo@.container': '[Container]\nImage=alpine.image\nExec=echo %i\n[Install]\nWantedBy=default.target\nDefaultInstance=hello\n',
  })
  assert.equal([g.result.status, g.result.stderr], [0, ''])
  await verify(mode, g)
  assert.equal(readlinkSync(path.join(g.out, 'default.target.wants', 'echo@hello.service')), '../echo@.service')
}, COCKER_MODES, ANALYZE_MISSING)

cockerScenario('systemd runs the generator as installed (a link in a generator dir) and loads its unit: systemd-analyze --generators=true verify', async mode => {
  const work = modeDir(mode)
  const generators = path.join(work, 'generators')
  const quadlets = path.join(work, 'quadlet')
  mkdirSync(generators)
  mkdirSync(quadlets)
  // the README's install, in a directory of its own: SYSTEMD_GENERATOR_PATH replaces systemd's list
  symlinkSync(path.join(path.dirname(mode.bin), 'cocker-systemd-generator'), path.join(generators, `cocker-${mode.user ? 'user' : 'system'}-generator`))
  const name = safeName('q')
  writeFileSync(path.join(quadlets, `${name}.container`), '[Container]\nImage=busybox\nExec=sleep 1000\n[Install]\nWantedBy=default.target\n')
  if (mode.user) for (const d of [work, generators, quadlets]) chownSync(d, mode.user.uid, mode.user.gid)
  const analyze = (unit: string) => runCmd(['systemd-analyze', ...(mode.user ? ['--user'] : []), '--generators=true', 'verify', unit],
    { asUser: mode.user, cwd: work, env: { SYSTEMD_GENERATOR_PATH: generators, QUADLET_UNIT_DIRS: quadlets } })
  const found = await analyze(`${name}.service`)
  assert.equal([found.status, found.stderr], [0, ''], found.stderr)
  const missing = await analyze(`${name}-nothere.service`)
  assert.ok(missing.status !== 0 && /not found/.test(missing.stderr), 'the check would see a missing unit')
}, COCKER_MODES, ANALYZE_MISSING)

cockerScenario('--dryrun prints the units and one line per key cocker cannot serve; a broken file fails alone; a user without lingering is told', async mode => {
  const g = await generate(mode, {
    'web.container': '[Container]\nImage=busybox\nSecret=token\nTimezone=UTC\nPublishPort=8080:80\n',
    'typo.container': '[Container]\nImage=busybox\nImagee=x\n',
  }, ['--dryrun'])
  assert.equal(g.result.status, 1)
  assert.ok(g.result.stdout.startsWith('---web.service---\n[Unit]\n'), g.result.stdout)
  const cocker = path.join(path.dirname(mode.bin), 'cocker').replace(/[.]/g, '\\.')
  assert.match(g.result.stdout, new RegExp(`\nExecStart=${cocker} run --name=systemd-%N --cidfile=%t/%N\\.cid --replace --rm --sdnotify=conmon -d --publish 8080:80 busybox\n`))
  assert.not.ok(g.result.stdout.includes('typo'))
  const lines = g.result.stderr.trim().split('\n')
  assert.match(lines[0]!, /\/web\.container: Secret: not supported: cocker has no secrets \(--secret\)$/)
  assert.match(lines[1]!, /\/web\.container: Timezone: not supported: cocker run has no --tz$/)
  assert.match(lines[2]!, /^cocker-systemd-generator: converting "typo\.container": unsupported key 'Imagee' in group 'Container'/)
  const lingering = mode.user ? existsSync(`/var/lib/systemd/linger/${mode.user.name}`) : true
  if (!lingering) assert.match(lines[3]!, new RegExp(`^cocker-systemd-generator: lingering is not enabled for ${mode.user!.name}: .*"loginctl enable-linger ${mode.user!.name}"`))
  assert.equal(lines.length, lingering ? 3 : 4, g.result.stderr)
  assert.not.ok(existsSync(g.out), '--dryrun writes nothing')
})

test.run()
