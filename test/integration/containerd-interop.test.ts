// containerd drives cocker-runtime as root through its runc shim (containerd-shim-runc-v2),
// the way `ctr run --runtime io.containerd.runc.v2 --runc-binary <cocker-runtime>` asks:
// the shim runs our binary with runc's command line (create/start/exec/kill/delete/ps/state,
// `--log <bundle>/log.json --log-format json` first).
//
// The test starts its own containerd: root, state, the gRPC/ttrpc sockets and the opt dir
// all live in one temp dir, and CRI (which wants CNI and a network) is disabled. The image
// is the busybox fixture's rootfs written as an OCI image layout by hand (one uncompressed
// layer, config, manifest, index.json, oci-layout), tarred and brought in with
// `ctr image import`, so no registry is needed. The runtime binary the shim gets is a small
// wrapper that appends each command line to a file and then execs bin/cocker-runtime;
// a failing scenario prints those command lines and the shim's log.json.
//
// The command lines containerd 1.6's shim really uses (R = --root <runc-root>/<namespace>,
// L = --log <bundle>/log.json --log-format json):
//
//   R L create --bundle <bundle> --pid-file <bundle>/init.pid [--console-socket <sock>] <id>
//   R L start <id>       R L exec --process <file> --detach --pid-file <bundle>/<exec-id>.pid
//   R L ps --format json <id>     R L pause|resume <id>     R L kill <id> 9
//   R L delete <id>, then (shim cleanup) R L delete --force <id>
//
// containerd sometimes logs "failed to remove runc container ... exit status 255" for that
// last delete --force: the shim's reaper race, seen with runc too; the runtime exited 0.
//
// A second containerd, with CRI on, is configured as the README tells a Kubernetes node: its
// runtime section (runtimes.cocker, the runc shim, BinaryName) is read from README.md's toml
// block, with BinaryName pointed at the wrapper. The test is then a kubelet: it speaks CRI
// (test/support/cri.ts) and runs a pod with runtime handler "cocker", as a pod whose
// RuntimeClass names that handler is run. CNI is not installed here, so the pod has the
// node's network (hostNetwork); its sandbox image is the busybox fixture sleeping.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { CriClient, map, type Message } from '../support/cri.js'
import { formatArgv, runCmd, type RunOptions, type RunResult } from '../support/exec.js'
import { safeName } from '../support/names.js'
import { repoPath, RUNTIME_BIN } from '../support/paths.js'
import { isRoot, skipUnless, which } from '../support/requires.js'

const NS = 'cocker-test'
const IMAGE = 'localhost/busybox:latest'

interface Daemon {
  dir: string
  sock: string
  /** the wrapper given to the shim as --runc-binary */
  runtime: string
  /** where the wrapper appends each command line it was given */
  argvLog: string
  state: string
  proc: ChildProcess
  stderr: () => string
}

let daemon: Promise<Daemon> | undefined
let criDaemon: Promise<Daemon> | undefined
const daemonDirs: string[] = []
const daemonProcs: ChildProcess[] = []
const started: string[] = []
/** The shims' sockets go to /run/containerd/s whatever the config says; remove it after if we made it. */
const hostStateDir = '/run/containerd'
const hadHostStateDir = existsSync(hostStateDir)

function sha256(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex')
}

/** Writes `data` as a blob of the OCI layout and returns its descriptor. */
function blob(layout: string, mediaType: string, data: Buffer): { mediaType: string; digest: string; size: number } {
  const digest = sha256(data)
  writeFileSync(path.join(layout, 'blobs/sha256', digest.slice(7)), data)
  return { mediaType, digest, size: data.length }
}

/** The busybox fixture as an OCI image archive (`ctr image import` takes a tar of the layout). */
async function makeImageArchive(dir: string, cmd = ['sh'], name = 'busybox'): Promise<string> {
  const bundle = makeBusyboxBundle(path.join(dir, `bundle-${name}`))
  const layerTar = path.join(dir, `layer-${name}.tar`)
  await runCmd(['tar', '--numeric-owner', '-C', bundle.rootfs, '-cf', layerTar, '.'], { status: 0 })
  const layout = path.join(dir, `oci-layout-${name}`)
  mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true })
  const layerData = readFileSync(layerTar)
  const layer = blob(layout, 'application/vnd.oci.image.layer.v1.tar', layerData)
  const arch = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }[
    process.arch as string
  ]
  const config = blob(
    layout,
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        architecture: arch ?? process.arch,
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        history: [{ created_by: 'cocker test: busybox fixture' }],
      }),
    ),
  )
  const manifest = blob(
    layout,
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] })),
  )
  writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }),
  )
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const archive = path.join(dir, `${name}-oci.tar`)
  await runCmd(['tar', '-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs'], { status: 0 })
  return archive
}

/**
 * README.md's containerd section, with BinaryName the wrapper's and Root (runc's --root)
 * in the daemon's dir, and the CRI settings a node without CNI and registry needs.
 */
function criConfig(dir: string, runtime: string): string[] {
  const readme = readFileSync(repoPath('README.md'), 'utf8')
  const block = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map(m => m[1]!).find(b => b.includes('runtimes.cocker'))
  if (!block) throw new Error('README.md has no toml block with runtimes.cocker')
  const section = block.split('\n').filter(l => !/^\s*(#|version\s*=)/.test(l))
    .flatMap(l => /^\s*BinaryName\s*=/.test(l) ? [`    BinaryName = "${runtime}"`, `    Root = "${path.join(dir, 'runc-cri')}"`] : [l])
  return [
    '[plugins."io.containerd.grpc.v1.cri"]',
    '  sandbox_image = "localhost/pause:latest"',
    '  enable_selinux = false',
    // this host's root lacks CAP_SYS_RESOURCE, so the sandbox's -998 cannot be written (runc fails so too)
    '  restrict_oom_score_adj = true',
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    `  bin_dir = "${path.join(dir, 'cni/bin')}"`,
    `  conf_dir = "${path.join(dir, 'cni/net.d')}"`,
    ...section,
  ]
}

async function startDaemon(o: { cri?: boolean } = {}): Promise<Daemon> {
  const dir = makeTempDir('cocker-containerd-')
  daemonDirs.push(dir)
  const sock = path.join(dir, 'containerd.sock')
  const state = path.join(dir, 'state')
  const argvLog = path.join(dir, 'runtime-argv.log')
  const runtime = path.join(dir, 'cocker-runtime-logged')
  writeFileSync(
    runtime,
    `#!/bin/sh\nprintf '%s\\n' "cocker-runtime $*" >> '${argvLog}'\nexec '${RUNTIME_BIN}' "$@"\n`,
  )
  chmodSync(runtime, 0o755)
  const config = path.join(dir, 'config.toml')
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${path.join(dir, 'root')}"`,
      `state = "${state}"`,
      ...(o.cri ? [] : ['disabled_plugins = ["io.containerd.grpc.v1.cri"]']),
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[debug]',
      '  level = "debug"',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${path.join(dir, 'opt')}"`,
      ...(o.cri ? criConfig(dir, runtime) : []),
      '',
    ].join('\n'),
  )
  const errs: Buffer[] = []
  const proc = spawn(which('containerd')!, ['--config', config], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  daemonProcs.push(proc)
  proc.stderr!.on('data', (b: Buffer) => errs.push(b))
  const stderr = () => Buffer.concat(errs).toString()
  const d: Daemon = { dir, sock, runtime, argvLog, state, proc, stderr }
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`containerd exited ${proc.exitCode}:\n${stderr()}`)
    const r = await runCmd(['ctr', '--address', sock, 'version'], { timeoutMs: 10_000 })
    if (r.status === 0) break
    if (Date.now() > deadline) throw new Error(`containerd did not answer on ${sock} in 30 s:\n${r.stderr}\n${stderr()}`)
    await new Promise(res => setTimeout(res, 200))
  }
  const archive = await makeImageArchive(dir)
  if (!o.cri) {
    await ctr(d, ['image', 'import', '--base-name', 'localhost/busybox', archive], { status: 0, timeoutMs: 120_000 })
    return d
  }
  // CRI's images live in containerd's k8s.io namespace
  const pause = await makeImageArchive(dir, ['sleep', '1000000'], 'pause')
  for (const [name, file] of [['localhost/busybox', archive], ['localhost/pause', pause]] as const) {
    await runCmd(['ctr', '--address', sock, '--namespace', 'k8s.io', 'image', 'import', '--base-name', name, file], { status: 0, timeoutMs: 120_000 })
  }
  return d
}

/** The daemon, started once for the file, or undefined after printing why this test cannot run. */
async function daemonOrSkip(name: string): Promise<Daemon | undefined> {
  if (skipUnless(isRoot(), name, 'needs root')) return undefined
  if (skipUnless(!!which('containerd'), name, 'containerd is not installed (apt-get install containerd)')) return undefined
  if (skipUnless(!!which('ctr'), name, 'ctr is not installed (apt-get install containerd)')) return undefined
  if (skipUnless(!!which('containerd-shim-runc-v2'), name, 'containerd-shim-runc-v2 is not installed')) return undefined
  if (skipUnless(!!which('busybox'), name, 'busybox is not installed (apt-get install busybox-static)')) return undefined
  daemon ??= startDaemon()
  return daemon
}

function ctr(d: Daemon, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCmd(['ctr', '--address', d.sock, '--namespace', NS, ...args], { timeoutMs: 60_000, ...opts })
}

/**
 * The shim runs d.runtime; cocker-runtime's --root and ctr's I/O fifos go under the temp
 * dir (the defaults are /run/containerd/runc/<ns> and /run/containerd/fifo).
 */
function runFlags(d: Daemon): string[] {
  return [
    '--runtime', 'io.containerd.runc.v2',
    '--runc-binary', d.runtime,
    '--runc-root', path.join(d.dir, 'runc'),
    '--fifo-dir', path.join(d.dir, 'fifo'),
  ]
}

/** `ctr run` with the shim pointed at cocker-runtime; `flags` go before the image. */
function ctrRun(d: Daemon, flags: string[], id: string, cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  started.push(id)
  return ctr(d, ['run', ...runFlags(d), ...flags, IMAGE, id, ...cmd], opts)
}

/** What the shim ran and what cocker-runtime logged, for a failure's message. */
function diagnostics(d: Daemon, id?: string): string {
  const parts = [`--- runtime command lines\n${existsSync(d.argvLog) ? readFileSync(d.argvLog, 'utf8') : '(none)'}`]
  if (id) {
    const log = path.join(d.state, 'io.containerd.runtime.v2.task', NS, id, 'log.json')
    if (existsSync(log)) parts.push(`--- ${log}\n${readFileSync(log, 'utf8')}`)
  }
  const errLines = d
    .stderr()
    .split('\n')
    .filter(l => /level=(error|warning)/.test(l))
    .slice(-20)
  parts.push(`--- containerd errors\n${errLines.join('\n')}`)
  return parts.join('\n')
}

/** Runs `body`, adding the runtime's command lines and logs to whatever it throws. */
async function withDiagnostics(d: Daemon, id: string | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (e) {
    const err = e as Error
    err.message += '\n' + diagnostics(d, id)
    throw err
  }
}

/** Command lines the wrapper saw for container `id` (the id is runc's last argument). */
function runtimeLines(d: Daemon, id: string): string[] {
  if (!existsSync(d.argvLog)) return []
  return readFileSync(d.argvLog, 'utf8')
    .split('\n')
    .filter(l => l.split(' ').includes(id))
}

test('ctr run --rm prints the container output', async () => {
  const name = 'ctr run --rm prints the container output'
  const d = await daemonOrSkip(name)
  if (!d) return
  const id = safeName()
  await withDiagnostics(d, id, async () => {
    const r = await ctrRun(d, ['--rm'], id, ['echo', 'hello-from-containerd'], { status: 0 })
    assert.is(r.stdout.trim(), 'hello-from-containerd')
    const lines = runtimeLines(d, id)
    assert.ok(lines.some(l => / create /.test(l)), `no create in:\n${lines.join('\n')}`)
    assert.ok(lines.some(l => / start /.test(l)), `no start in:\n${lines.join('\n')}`)
    assert.ok(lines.some(l => / delete /.test(l)), `no delete in:\n${lines.join('\n')}`)
  })
})

test('the exit status of the container process is ctr run exit status', async () => {
  const name = 'the exit status of the container process is ctr run exit status'
  const d = await daemonOrSkip(name)
  if (!d) return
  const id = safeName()
  await withDiagnostics(d, id, async () => {
    const r = await ctrRun(d, ['--rm'], id, ['sh', '-c', 'exit 3'])
    assert.is(r.status, 3, `ctr run exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
  })
})

test('a detached task: exec, ps, kill, delete', async () => {
  const name = 'a detached task: exec, ps, kill, delete'
  const d = await daemonOrSkip(name)
  if (!d) return
  const id = safeName()
  await withDiagnostics(d, id, async () => {
    await ctrRun(d, ['-d'], id, ['sleep', '1000'], { status: 0 })
    const list = await ctr(d, ['task', 'ls'], { status: 0 })
    const row = list.stdout.split('\n').find(l => l.startsWith(id + ' '))
    assert.ok(row && /RUNNING/.test(row), `task ls:\n${list.stdout}`)
    const pid = Number(row!.trim().split(/\s+/)[1])

    // the spec containerd wrote puts the task in cgroup /<namespace>/<id>
    const info = JSON.parse((await ctr(d, ['container', 'info', id], { status: 0 })).stdout)
    const cgroupsPath: string = info.Spec?.linux?.cgroupsPath ?? ''
    assert.ok(cgroupsPath, 'containerd wrote no cgroupsPath')
    const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    const memory = cg.split('\n').find(l => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l) || l.startsWith('0::'))
    assert.ok(memory?.endsWith(':' + cgroupsPath), `cgroupsPath ${cgroupsPath}, /proc/${pid}/cgroup:\n${cg}`)

    const fifo = ['--fifo-dir', path.join(d.dir, 'fifo')]
    const ex = await ctr(d, ['task', 'exec', ...fifo, '--exec-id', 'e1', id, 'echo', 'hi'], { status: 0 })
    assert.is(ex.stdout.trim(), 'hi')
    const ex3 = await ctr(d, ['task', 'exec', ...fifo, '--exec-id', 'e2', id, 'sh', '-c', 'exit 5'])
    assert.is(ex3.status, 5, `exec of exit 5 gave ${ex3.status}:\n${ex3.stdout}\n${ex3.stderr}`)

    const ps = await ctr(d, ['task', 'ps', id], { status: 0 })
    assert.ok(
      ps.stdout.split('\n').some(l => l.trim().split(/\s+/)[0] === String(pid)),
      `task ps does not show the init pid ${pid}:\n${ps.stdout}`,
    )

    await ctr(d, ['task', 'pause', id], { status: 0 })
    const paused = await ctr(d, ['task', 'ls'], { status: 0 })
    assert.ok(paused.stdout.split('\n').some(l => l.startsWith(id + ' ') && /PAUSED/.test(l)), `after pause:\n${paused.stdout}`)
    await ctr(d, ['task', 'resume', id], { status: 0 })
    const resumed = await ctr(d, ['task', 'ls'], { status: 0 })
    assert.ok(resumed.stdout.split('\n').some(l => l.startsWith(id + ' ') && /RUNNING/.test(l)), `after resume:\n${resumed.stdout}`)

    await ctr(d, ['task', 'kill', '--signal', 'SIGKILL', id], { status: 0 })
    const deadline = Date.now() + 20_000
    for (;;) {
      const ls = await ctr(d, ['task', 'ls'], { status: 0 })
      if (ls.stdout.split('\n').some(l => l.startsWith(id + ' ') && /STOPPED/.test(l))) break
      if (Date.now() > deadline) assert.unreachable(`task not STOPPED 20 s after kill:\n${ls.stdout}`)
      await new Promise(res => setTimeout(res, 200))
    }
    await ctr(d, ['task', 'delete', id], { status: 0 })
    await ctr(d, ['container', 'delete', id], { status: 0 })
    const cl = await ctr(d, ['container', 'ls', '-q'], { status: 0 })
    assert.not.ok(cl.stdout.split('\n').includes(id), `container still listed:\n${cl.stdout}`)
    const lines = runtimeLines(d, id)
    for (const verb of ['create', 'start', 'exec', 'ps', 'pause', 'resume', 'kill', 'delete']) {
      assert.ok(
        lines.some(l => l.includes(` ${verb} `)),
        `containerd never ran cocker-runtime ${verb}:\n${lines.join('\n')}`,
      )
    }
  })
})

test('ctr run -t: the container gets a terminal', async () => {
  const name = 'ctr run -t: the container gets a terminal'
  const d = await daemonOrSkip(name)
  if (!d) return
  if (skipUnless(!!which('script'), name, 'script is not installed (util-linux)')) return
  const id = safeName()
  started.push(id)
  await withDiagnostics(d, id, async () => {
    // ctr -t wants its stdin to be a terminal: script(1) gives it one
    const argv = ['ctr', '--address', d.sock, '--namespace', NS, 'run', ...runFlags(d), '--rm', '-t', IMAGE, id,
      'sh', '-c', 'tty; test -t 0 && echo stdin-is-a-tty; exit 4']
    const r = await runCmd(['script', '-qefc', formatArgv(argv), '/dev/null'])
    assert.is(r.status, 4, `ctr run -t exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
    assert.match(r.stdout, /\/dev\/pts\/\d+/)
    assert.match(r.stdout, /stdin-is-a-tty/)
    const lines = runtimeLines(d, id)
    assert.ok(lines.some(l => / create .*--console-socket /.test(l)), `no create --console-socket in:\n${lines.join('\n')}`)
  })
})

test('ctr run --memory-limit: the limit is set on the task cgroup', async () => {
  const name = 'ctr run --memory-limit: the limit is set on the task cgroup'
  const d = await daemonOrSkip(name)
  if (!d) return
  const id = safeName()
  await withDiagnostics(d, id, async () => {
    const limit = 64 * 1024 * 1024
    await ctrRun(d, ['-d', '--memory-limit', String(limit)], id, ['sleep', '1000'], { status: 0 })
    const info = JSON.parse((await ctr(d, ['container', 'info', id], { status: 0 })).stdout)
    const cgroupsPath: string = info.Spec?.linux?.cgroupsPath ?? ''
    assert.ok(cgroupsPath, 'containerd wrote no cgroupsPath')
    // ctr's spec has no cgroup mount, so look from the host: v1 memory controller, or cgroup2
    const v1 = `/sys/fs/cgroup/memory${cgroupsPath}/memory.limit_in_bytes`
    const file = existsSync(v1) ? v1 : `/sys/fs/cgroup${cgroupsPath}/memory.max`
    assert.is(readFileSync(file, 'utf8').trim(), String(limit), file)
    await ctr(d, ['task', 'kill', '--signal', 'SIGKILL', id], { status: 0 })
  })
})

test('ctr task exec -t: an exec gets a terminal', async () => {
  const name = 'ctr task exec -t: an exec gets a terminal'
  const d = await daemonOrSkip(name)
  if (!d) return
  if (skipUnless(!!which('script'), name, 'script is not installed (util-linux)')) return
  const id = safeName()
  await withDiagnostics(d, id, async () => {
    await ctrRun(d, ['-d'], id, ['sleep', '1000'], { status: 0 })
    const argv = ['ctr', '--address', d.sock, '--namespace', NS, 'task', 'exec', '--fifo-dir', path.join(d.dir, 'fifo'),
      '-t', '--exec-id', 't1', id, 'sh', '-c', 'tty; exit 6']
    const r = await runCmd(['script', '-qefc', formatArgv(argv), '/dev/null'])
    assert.is(r.status, 6, `ctr task exec -t exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
    assert.match(r.stdout, /\/dev\/pts\/\d+/)
    const lines = runtimeLines(d, id)
    assert.ok(lines.some(l => / exec .*--console-socket /.test(l)), `no exec --console-socket in:\n${lines.join('\n')}`)
    await ctr(d, ['task', 'kill', '--signal', 'SIGKILL', id], { status: 0 })
  })
})

/** The CRI daemon, started once for the file, or undefined after printing why this test cannot run. */
async function criDaemonOrSkip(name: string): Promise<Daemon | undefined> {
  if (skipUnless(isRoot(), name, 'needs root')) return undefined
  if (skipUnless(!!which('containerd') && !!which('ctr') && !!which('containerd-shim-runc-v2'), name, 'containerd is not installed (apt-get install containerd)')) return undefined
  if (skipUnless(!!which('busybox'), name, 'busybox is not installed (apt-get install busybox-static)')) return undefined
  criDaemon ??= startDaemon({ cri: true })
  return criDaemon
}

const NODE = 2
const CONTAINER = 1
const EXITED = 2

test('CRI: containerd configured as the README says runs a pod with runtime handler "cocker" under cocker-runtime', async () => {
  const name = 'CRI: containerd configured as the README says runs a pod with runtime handler "cocker" under cocker-runtime'
  const d = await criDaemonOrSkip(name)
  if (!d) return
  const cri = new CriClient(d.sock)
  const logs = path.join(d.dir, 'pod-logs')
  mkdirSync(logs)
  const uid = safeName()
  // a pod with the node's network (there is no CNI here) and a PID namespace per container
  const namespaces: Message = [[1, NODE], [2, CONTAINER]]
  const sandboxConfig: Message = [
    [1, [[1, 'hello-cocker'], [2, uid], [3, 'default'], [4, 0]]],
    [3, logs],
    [6, map({ app: 'hello' })],
    [8, [[2, [[1, namespaces]]]]],
  ]
  let sandbox = ''
  await withDiagnostics(d, undefined, async () => {
    try {
      const version = await cri.call('RuntimeService', 'Version', [[1, 'v1']])
      assert.is(version.string(2), 'containerd')
      const unknown = await cri.call('RuntimeService', 'RunPodSandbox', [[1, sandboxConfig], [2, 'nosuch']]).then(() => 'accepted', (e: Error) => e.message)
      assert.match(unknown, /no runtime for "nosuch" is configured/, 'a handler that the config does not name is refused')

      sandbox = (await cri.call('RuntimeService', 'RunPodSandbox', [[1, sandboxConfig], [2, 'cocker']])).string(1)
      assert.ok(sandbox, 'a sandbox id')
      const status = (await cri.call('RuntimeService', 'PodSandboxStatus', [[1, sandbox]])).message(1)
      assert.is(status.string(9), 'cocker', 'the sandbox runs with handler cocker')
      assert.is(status.number(3), 0, 'and is ready')

      const containerConfig: Message = [
        [1, [[1, 'hello'], [2, 0]]],
        [2, [[1, 'localhost/busybox:latest']]],
        [3, ['sh', '-c', 'echo hello from cocker-runtime; echo pid $$; exit 3']],
        [11, 'hello.log'],
        [15, [[2, [[3, namespaces]]]]],
      ]
      const container = (await cri.call('RuntimeService', 'CreateContainer', [[1, sandbox], [2, containerConfig], [3, sandboxConfig]])).string(1)
      await cri.call('RuntimeService', 'StartContainer', [[1, container]])
      const deadline = Date.now() + 30_000
      let state = (await cri.call('RuntimeService', 'ContainerStatus', [[1, container]])).message(1)
      while (state.number(3) !== EXITED) {
        if (Date.now() > deadline) assert.unreachable(`the container did not exit in 30 s (state ${state.number(3)})`)
        await new Promise(res => setTimeout(res, 200))
        state = (await cri.call('RuntimeService', 'ContainerStatus', [[1, container]])).message(1)
      }
      assert.is(state.number(7), 3, 'its exit code')
      // CRI's log format: TIME STREAM TAG TEXT
      const log = readFileSync(path.join(logs, 'hello.log'), 'utf8').split('\n').filter(Boolean).map(l => l.split(' ').slice(3).join(' '))
      assert.equal(log, ['hello from cocker-runtime', 'pid 1'], 'its output, from PID 1 of its own namespace')

      // containerd ran the BinaryName of runtimes.cocker for both the sandbox and the container
      for (const id of [sandbox, container]) {
        const lines = runtimeLines(d, id)
        assert.ok(lines.some(l => / create /.test(l)) && lines.some(l => / start /.test(l)), `cocker-runtime create and start for ${id}:\n${lines.join('\n')}`)
        assert.ok(lines.every(l => l.includes(`--root ${path.join(d.dir, 'runc-cri')}`)), `the options' Root:\n${lines.join('\n')}`)
      }
      await cri.call('RuntimeService', 'RemoveContainer', [[1, container]])
    } finally {
      if (sandbox) {
        await cri.call('RuntimeService', 'StopPodSandbox', [[1, sandbox]]).catch(() => {})
        await cri.call('RuntimeService', 'RemovePodSandbox', [[1, sandbox]]).catch(() => {})
      }
      cri.close()
    }
  })
})

test.after(async () => {
  const d = await daemon?.catch(() => undefined)
  await criDaemon?.catch(() => undefined)
  if (d) {
    if (process.env.COCKER_TEST_VERBOSE) console.log(diagnostics(d))
    for (const id of started) {
      await ctr(d, ['task', 'kill', '--signal', 'SIGKILL', id]).catch(() => {})
      await ctr(d, ['task', 'delete', '--force', id]).catch(() => {})
      await ctr(d, ['container', 'delete', id]).catch(() => {})
    }
    await ctr(d, ['image', 'rm', IMAGE]).catch(() => {})
    await ctr(d, ['namespace', 'rm', NS]).catch(() => {})
  }
  for (const daemonProc of daemonProcs) {
    if (daemonProc.pid === undefined || daemonProc.exitCode !== null) continue
    const exited = new Promise(res => daemonProc.once('exit', res))
    try {
      process.kill(daemonProc.pid, 'SIGTERM')
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise(res => setTimeout(res, 10_000))])
    if (daemonProc.exitCode === null && daemonProc.signalCode === null) {
      try {
        process.kill(daemonProc.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  for (const daemonDir of daemonDirs) {
    // containers that a failed CRI test left running, and their shims (they outlive containerd; ours name our socket)
    const criRoot = path.join(daemonDir, 'runc-cri', 'k8s.io')
    for (const id of existsSync(criRoot) ? readdirSync(criRoot) : []) await runCmd([RUNTIME_BIN, '--root', criRoot, 'delete', '--force', id])
    for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
      let cmdline = ''
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch {
        continue
      }
      if (cmdline.split('\0').includes(path.join(daemonDir, 'containerd.sock'))) {
        try {
          process.kill(Number(pid), 'SIGKILL')
        } catch {
          // gone
        }
      }
    }
    // snapshots and task rootfs mounts left behind by a failure
    await runCmd(['sh', '-c', `grep -F ' ${daemonDir}/' /proc/self/mountinfo | cut -d' ' -f5 | sort -r`]).then(async r => {
      for (const m of r.stdout.split('\n').filter(Boolean)) await runCmd(['umount', '-R', '-l', m])
    })
    rmSync(daemonDir, { recursive: true, force: true })
  }
  if (daemon || criDaemon) {
    // cocker-runtime delete removes each task's cgroup, like runc; the parent /<namespace> is left
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const fstype = line.split(' - ')[1]?.split(' ')[0]
      if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
      for (const ns of [NS, 'k8s.io']) {
        try {
          rmdirSync(path.join(line.split(' ')[4]!, ns))
        } catch {
          // absent, or still in use
        }
      }
    }
  }
  if ((daemon || criDaemon) && !hadHostStateDir) {
    // only empty directories: rmdir refuses anything else
    await runCmd(['rmdir', '--ignore-fail-on-non-empty', `${hostStateDir}/s`, hostStateDir])
  }
})

test.run()
