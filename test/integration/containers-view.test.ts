// ps, inspect, top, rename, container exists and container prune through bin/cocker, root and
// rootless, on container records written into the mode's store (test/support/container-records.ts);
// Podman 4.3 as the oracle for the shapes: ps's header line, the keys of ps and inspect JSON.
import { execFileSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, loadBusybox, type CockerMode } from '../support/cocker-modes.js'
import { endProcess, startSleeper, writeContainer, type RecordSpec } from '../support/container-records.js'
import { cleanupPodman, podman, podmanOrSkip, PODMAN_MODES } from '../support/podman.js'
import { busyboxScenario } from '../support/run-scenario.js'

/** Writes records into the mode's store as root, then gives them to the mode's user. */
function addContainers(mode: CockerMode, specs: RecordSpec[]) {
  const written = specs.map(s => writeContainer(mode.root, s))
  if (mode.user) execFileSync('chown', ['-R', `${mode.user.uid}:${mode.user.gid}`, mode.root])
  return written
}

async function imageId(mode: CockerMode, image: string): Promise<string> {
  return (await cocker(mode, ['inspect', '--type', 'image', '--format', '{{.Id}}', image], { status: 0 })).stdout.trim()
}

const lines = (s: string) => s.split('\n').filter(Boolean)

cockerScenario('ps: running only by default, -a, -q, -n, -l, --no-trunc, --filter, --sort, --format, -s', async mode => {
  const image = await loadBusybox(mode)
  const id = await imageId(mode, image)
  const p = await startSleeper()
  try {
    const [web, done, fresh] = addContainers(mode, [
      { name: 'web', status: 'running', process: p, imageName: image, imageId: id, createdAgo: 300_000, startedAgo: 299_000, labels: { app: 'web' }, upper: { f: 'hello' } },
      { name: 'done', status: 'exited', exitCode: 3, finishedAgo: 30_000, imageName: image, imageId: id, createdAgo: 200_000, command: ['sh', '-c', 'exit 3; echo long enough'] },
      { name: 'fresh', imageName: image, imageId: id, createdAgo: 70_000, command: ['true'] },
    ])
    const ps = async (...args: string[]) => (await cocker(mode, ['ps', ...args], { status: 0 })).stdout
    assert.equal(lines(await ps()).slice(1).map(l => l.split(/\s{2,}/).at(-1)), ['web'])
    const all = lines(await ps('-a'))
    assert.equal(all[0]!.split(/\s{2,}/), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'])
    // ages as podman words them, with slack for a slow machine
    assert.match(all[1]!, new RegExp(`^${web!.record.id.slice(0, 12)}  ${image}  sleep 1000 +[56] minutes ago +Up [45] minutes ago +web$`))
    assert.match(all[2]!, /  sh -c exit 3; ech\.\.\.  [34] minutes ago +Exited \(3\) \d+ seconds ago +done$/)
    assert.match(all[3]!, /  true +About a minute ago +Created +fresh$/)
    assert.is(await ps('-a', '-q'), [web, done, fresh].map(c => `${c!.record.id.slice(0, 12)}\n`).join(''))
    assert.is(await ps('-a', '-q', '--no-trunc', '-n', '2'), `${done!.record.id}\n${fresh!.record.id}\n`)
    assert.is(await ps('-l', '--format', '{{.Names}}'), 'fresh\n')
    assert.is(await ps('-a', '--filter', 'status=exited', '--filter', 'status=created', '--format', '{{.Names}} {{.State}}'), 'done exited\nfresh created\n')
    assert.is(await ps('-a', '--filter', 'label=app=web', '--filter', `ancestor=${image}`, '-q'), `${web!.record.id.slice(0, 12)}\n`)
    assert.is(await ps('-a', '--filter', 'exited=3', '--format', '{{.Names}}'), 'done\n')
    assert.is(await ps('-a', '--sort', 'names', '--format', '{{.Names}}'), 'done\nfresh\nweb\n')
    assert.is(await ps('-a', '--sort', 'command', '--format', '{{.Names}}'), 'done\nweb\nfresh\n')
    assert.is(await ps('-a', '--noheading', '--format', 'table {{.Names}} {{.Status}}', '--filter', 'name=fresh'), 'fresh       Created\n')
    const sized = lines(await ps('-s', '--format', '{{.Size}}'))
    assert.match(sized[0]!, /^5B \(virtual [\d.]+[kM]B\)$/)
    const json = JSON.parse(await ps('-a', '--format', 'json'))
    assert.equal(json.map((c: { Names: string[] }) => c.Names[0]), ['web', 'done', 'fresh'])
    assert.equal(json.map((c: { State: string }) => c.State), ['running', 'exited', 'created'])
    assert.is(json[0].Pid, p.pid)
    assert.is(json[1].ExitCode, 3)
    const bad = await cocker(mode, ['ps', '--filter', 'status=bogus'], { status: 125 })
    assert.match(bad.stderr, /^Error: invalid filter "status=bogus": unknown container state/)
    assert.is(lines(bad.stderr).length, 1)
  } finally {
    await endProcess(p)
  }
})

cockerScenario('ps: a container whose monitor died shows as exited; inspect agrees', async mode => {
  const p = await startSleeper()
  addContainers(mode, [{ name: 'crashed', status: 'running', process: p }])
  assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, 'crashed\n')
  await endProcess(p)
  assert.is((await cocker(mode, ['ps', '--format', '{{.Names}}'], { status: 0 })).stdout, '')
  assert.match((await cocker(mode, ['ps', '-a', '--format', '{{.Status}}'], { status: 0 })).stdout, /^Exited \(-1\) /)
  const r = await cocker(mode, ['inspect', '--format', '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}', 'crashed'], { status: 0 })
  assert.is(r.stdout, 'exited false 0 -1\n')
})

cockerScenario('inspect: containers first, then images; --type, -s, -l, --format; missing names exit 125 after what was found', async mode => {
  const image = await loadBusybox(mode)
  const id = await imageId(mode, image)
  const [c] = addContainers(mode, [{ name: 'box', status: 'exited', exitCode: 2, imageName: image, imageId: id, upper: { a: 'abc' }, labels: { k: 'v' } }])
  const one = JSON.parse((await cocker(mode, ['inspect', 'box'], { status: 0 })).stdout)
  assert.is(one.length, 1)
  assert.is(one[0].Id, c!.record.id)
  assert.is(one[0].State.Status, 'exited')
  assert.is(one[0].State.ExitCode, 2)
  assert.is(one[0].ImageName, image)
  assert.equal(one[0].Config.Labels, { k: 'v' })
  // an image by the same command; a name of both is the container's
  const both = JSON.parse((await cocker(mode, ['inspect', c!.record.id.slice(0, 8), image], { status: 0 })).stdout)
  assert.equal(both.map((o: { Id: string }) => o.Id), [c!.record.id, id])
  assert.ok('RepoTags' in both[1])
  const typed = await cocker(mode, ['inspect', '--type', 'container', image], { status: 125 })
  assert.is(typed.stdout, '[]\n')
  assert.is(typed.stderr, `Error: inspecting object: no such container ${image}\n`)
  assert.match((await cocker(mode, ['inspect', '--type', 'image', 'box'], { status: 125 })).stderr, /box: image not known/)
  const missing = await cocker(mode, ['inspect', 'box', 'nope'], { status: 125 })
  assert.is(JSON.parse(missing.stdout)[0].Name, 'box')
  assert.is(missing.stderr, 'Error: inspecting object: no such object: "nope"\n')
  const viaContainer = await cocker(mode, ['container', 'inspect', 'nope'], { status: 125 })
  assert.is(viaContainer.stderr, 'Error: inspecting object: no such container nope\n')
  assert.is((await cocker(mode, ['inspect', '-s', '--format', '{{.SizeRw}}', 'box'], { status: 0 })).stdout, '3\n')
  assert.is((await cocker(mode, ['container', 'inspect', '-l', '--format', '{{.Name}} {{.Config.StopSignal}}'], { status: 0 })).stdout, 'box 15\n')
  await cocker(mode, ['inspect'], { status: 125 })
})

cockerScenario('top: the processes of a running container; a stopped one is refused', async mode => {
  const p = await startSleeper()
  try {
    addContainers(mode, [{ name: 'up', status: 'running', process: p }, { name: 'down', status: 'exited' }])
    const out = lines((await cocker(mode, ['top', 'up'], { status: 0 })).stdout)
    assert.match(out[0]!, /^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND$/)
    assert.match(out[1]!, / sleep 1000$/)
    assert.is(out.length, 2)
    assert.equal(lines((await cocker(mode, ['top', 'up', 'hpid', 'comm'], { status: 0 })).stdout).map(l => l.split(/\s+/)), [['HPID', 'COMMAND'], [String(p.pid), 'sleep']])
    assert.equal(lines((await cocker(mode, ['top', 'up', '-eo', 'comm'], { status: 0 })).stdout), ['COMMAND', 'sleep'])
    const down = await cocker(mode, ['top', 'down'], { status: 125 })
    assert.match(down.stderr, /^Error: top can only be used on running containers/)
    await cocker(mode, ['top', 'up', 'bogus'], { status: 125 })
    await cocker(mode, ['top', 'nope'], { status: 125 })
  } finally {
    await endProcess(p)
  }
})

cockerScenario('rename, container exists, container prune', async mode => {
  const p = await startSleeper()
  try {
    const [one, , , up] = addContainers(mode, [
      { name: 'one', status: 'exited' }, { name: 'two', status: 'exited', labels: { keep: '1' } }, { name: 'three' }, { name: 'up', status: 'running', process: p },
    ])
    await cocker(mode, ['rename', 'one', 'uno'], { status: 0 })
    await cocker(mode, ['container', 'exists', 'uno'], { status: 0 })
    await cocker(mode, ['container', 'exists', 'one'], { status: 1 })
    await cocker(mode, ['container', 'exists', one!.record.id.slice(0, 10)], { status: 0 })
    const taken = await cocker(mode, ['rename', 'uno', 'two'], { status: 125 })
    assert.match(taken.stderr, /the name "two" is already in use/)
    await cocker(mode, ['rename', 'uno', 'bad name'], { status: 125 })
    await cocker(mode, ['rename', 'nope', 'x'], { status: 125 })
    // the old name is free again
    await cocker(mode, ['rename', 'three', 'one'], { status: 0 })
    const pruned = await cocker(mode, ['container', 'prune', '-f', '--filter', 'label!=keep'], { status: 0 })
    assert.equal(lines(pruned.stdout).length, 2)
    assert.is((await cocker(mode, ['ps', '-a', '--sort', 'names', '--format', '{{.Names}}'], { status: 0 })).stdout, 'two\nup\n')
    assert.is((await cocker(mode, ['container', 'prune', '-f'], { status: 0 })).stdout.trim().length, 64)
    assert.is((await cocker(mode, ['ps', '-a', '-q', '--no-trunc'], { status: 0 })).stdout, `${up!.record.id}\n`)
  } finally {
    await endProcess(p)
  }
})

busyboxScenario('real containers: run -d, ps, inspect, top, rename, prune', async mode => {
  const c = (args: string[], status = 0) => cocker(mode, args, { status })
  const web = (await c(['run', '-d', '--name', 'vweb', '-l', 'app=web', mode.image, 'sleep', '1000'])).stdout.trim()
  await c(['run', '--name', 'vdone', mode.image, 'sh', '-c', 'echo hi > /f; exit 3'], 3)
  try {
    assert.is((await c(['ps', '--format', '{{.ID}} {{.Names}} {{.State}}'])).stdout, `${web.slice(0, 12)} vweb running\n`)
    assert.match((await c(['ps', '-a', '--filter', 'exited=3', '--format', '{{.Status}}'])).stdout, /^Exited \(3\) /)
    assert.match((await c(['ps', '-a', '-s', '--filter', 'name=vdone', '--format', '{{.Size}}'])).stdout, /^3B \(virtual /)
    const [i] = JSON.parse((await c(['inspect', 'vweb'])).stdout)
    assert.is(i.Id, web)
    assert.is(i.State.Status, 'running')
    assert.ok(i.State.Pid > 0)
    assert.equal(i.Config.Cmd, ['sleep', '1000'])
    assert.is(i.Config.Labels.app, 'web')
    const top = lines((await c(['top', 'vweb', 'pid', 'hpid', 'args'])).stdout)
    assert.equal(top.map(l => l.split(/\s+/).slice(0, 2)), [['PID', 'HPID'], ['1', String(i.State.Pid)]])
    assert.match(top[1]!, /sleep 1000$/)
    await c(['rename', 'vweb', 'vweb2'])
    assert.is((await c(['inspect', '--format', '{{.Name}} {{.State.Running}}', 'vweb2'])).stdout, 'vweb2 true\n')
    const pruned = await c(['container', 'prune', '-f'])
    assert.is(lines(pruned.stdout).length, 1)
    assert.is((await c(['ps', '-a', '--format', '{{.Names}}'])).stdout, 'vweb2\n')
  } finally {
    await c(['rm', '-f', '-t', '0', web])
  }
})

const INSPECT_VALUES = '{{json .Path}} {{json .Args}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} ' +
  '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{.HostConfig.Privileged}}'
const CREATES: string[][] = [
  ['--cap-add', 'net_admin', '--cap-drop', 'chown', '--entrypoint', '["/bin/sh","-c"]', 'IMAGE', 'echo hi'],
  ['--privileged', 'IMAGE', 'sleep', '1'],
  // the image's Cmd: Podman's Args repeats a command of one word
  ['IMAGE'],
]
// (--cap-add all would compare the default capabilities: Podman's built-in list here, since the
// oracle's containers.conf replaces Debian's, is not the one in Debian's file that cocker reads)

const valuesTitle = 'inspect: Path, Args, Entrypoint, Cmd, CapAdd, CapDrop, Privileged and CreateCommand as Podman gives them'
busyboxScenario(valuesTitle, async mode => {
  const pe = await podmanOrSkip(mode.name, `${valuesTitle} (${mode.name}): the comparison with Podman`)
  for (const [i, flags] of CREATES.entries()) {
    const name = `vals-${i}`
    const args = ['create', '--name', name, ...flags.map(f => f === 'IMAGE' ? mode.image : f)]
    await cocker(mode, args, { status: 0 })
    const ours = (await cocker(mode, ['inspect', '--format', INSPECT_VALUES, name], { status: 0 })).stdout
    // as typed, after the global flags the tests give (--root …)
    const typed = JSON.parse((await cocker(mode, ['inspect', '--format', '{{json .Config.CreateCommand}}', name], { status: 0 })).stdout) as string[]
    assert.equal([typed[0], ...typed.slice(-args.length)], ['cocker', ...args])
    await cocker(mode, ['rm', name], { status: 0 })
    if (!pe) continue
    await podman(pe, args, { status: 0 })
    const theirs = (await podman(pe, ['inspect', '--format', INSPECT_VALUES, name], { status: 0 })).stdout
    await podman(pe, ['rm', name], { status: 0 })
    assert.is(ours, theirs, `cocker ${args.join(' ')}`)
  }
})

// ---- Podman as the oracle for shapes ----

const keysOf = (o: object) => Object.keys(o).sort()

for (const pmode of PODMAN_MODES) {
  test(`ps and inspect have podman's header and keys (${pmode})`, async () => {
    const title = `ps and inspect have podman's header and keys (${pmode})`
    const pe = await podmanOrSkip(pmode, title)
    if (!pe) return
    const name = `views-${pmode}`
    await podman(pe, ['create', '--name', name, 'localhost/cocker-fixture:1', 'true'], { status: 0 })
    const podmanHeader = lines((await podman(pe, ['ps', '-a', '--filter', 'name=nothing-matches'], { status: 0 })).stdout)[0]
    const podmanPs = JSON.parse((await podman(pe, ['ps', '-a', '--format', 'json'], { status: 0 })).stdout)[0]
    const podmanInspect = JSON.parse((await podman(pe, ['inspect', name], { status: 0 })).stdout)[0]
    await podman(pe, ['rm', name], { status: 0 })

    const mode = (await import('../support/cocker-modes.js')).cockerModeOrSkip(pmode, title)
    if (!mode) return
    addContainers(mode, [{ name, config: { process: { args: ['true'], env: [], cwd: '/' }, hostname: 'h' } }])
    const ourHeader = lines((await cocker(mode, ['ps', '-a', '--filter', 'name=nothing-matches'], { status: 0 })).stdout)[0]
    const ourPs = JSON.parse((await cocker(mode, ['ps', '-a', '--format', 'json'], { status: 0 })).stdout)[0]
    const ourInspect = JSON.parse((await cocker(mode, ['inspect', name], { status: 0 })).stdout)[0]
    assert.is(ourHeader, podmanHeader)
    assert.equal(keysOf(ourPs), keysOf(podmanPs))
    // podman's network keys are of its bridge; cocker gives a container only loopback
    for (const part of ['', 'State', 'Config', 'HostConfig', 'GraphDriver']) {
      const [ours, theirs] = part ? [ourInspect[part], podmanInspect[part]] : [ourInspect, podmanInspect]
      assert.equal(keysOf(ours), keysOf(theirs), `inspect ${part || 'top level'}`)
    }
  })
}

test.after(cleanupPodman)
test.run()
