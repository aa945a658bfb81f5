// Pods, root and rootless: the containers of one pod share the infra's network, IPC and UTS
// namespaces (they talk over 127.0.0.1 and have the pod's hostname); the pod commands' states
// and outputs; `pod rm -f` leaves no process, record or namespace; and `pod ps`, `pod inspect`
// and `ps --pod` against Podman's keys and headers.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerModeOrSkip } from '../support/cocker-modes.js'
import { fetchFromHost, freeHostPort } from '../support/http.js'
import { cleanupPodman, podman, podmanOrSkip, PODMAN_MODES } from '../support/podman.js'
import { busyboxScenario, type BusyboxMode } from '../support/run-scenario.js'

const lines = (s: string) => s.split('\n').filter(Boolean)
const keysOf = (o: object) => Object.keys(o).sort()

/** Host pids whose namespace of `type` is `link` (e.g. "net:[4026532248]"). */
function holders(type: string, link: string): number[] {
  return readdirSync('/proc').filter(p => /^\d+$/.test(p)).flatMap(p => {
    try {
      return readlinkSync(`/proc/${p}/ns/${type}`) === link ? [Number(p)] : []
    } catch {
      return []
    }
  })
}

/** The pod's state as `pod ps` shows it: STATUS and # OF CONTAINERS. */
async function podRow(mode: BusyboxMode, pod: string): Promise<string> {
  return (await cocker(mode, ['pod', 'ps', '--filter', `name=${pod}`, '--format', '{{.Status}} {{.NumberOfContainers}}'], { status: 0 })).stdout.trim()
}

busyboxScenario('two containers of a pod talk over 127.0.0.1, share its hostname, and pod rm -f leaves nothing', async mode => {
  const pod = `web-${process.pid}`
  const podId = (await cocker(mode, ['pod', 'create', '--name', pod], { status: 0 })).stdout.trim()
  assert.match(podId, /^[0-9a-f]{64}$/)
  await cocker(mode, ['run', '-d', '--pod', pod, '--name', `${pod}-server`, mode.image, 'httpd', '-f', '-p', '8080', '-h', '/etc'], { status: 0 })
  const r = await cocker(mode, ['run', '--rm', '--pod', pod, mode.image, 'sh', '-c',
    'hostname; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/hostname && break; sleep 0.2; done; readlink /proc/self/ns/net'], { status: 0 })
  const [hostname, served, net] = lines(r.stdout)
  assert.is(hostname, pod, 'the pod\'s name is its hostname')
  assert.is(served, pod, 'the server in the pod answered on 127.0.0.1, with its /etc/hostname')
  // one namespace for the pod, held by the infra (and the server) on the host
  const pids = holders('net', net!)
  assert.ok(pids.length >= 2, `the infra and the server hold ${net}: ${pids.join(' ')}`)
  assert.is(await podRow(mode, pod), 'Running 2')
  const top = lines((await cocker(mode, ['pod', 'top', pod, 'args'], { status: 0 })).stdout)
  assert.equal(top.map(l => l.trim()).sort(), ['/cocker-infra', 'COMMAND', 'httpd -f -p 8080 -h /etc'])
  const ps = lines((await cocker(mode, ['ps', '-a', '--pod', '--format', '{{.Names}} {{.Pod}} {{.PodName}} {{.IsInfra}}'], { status: 0 })).stdout)
  assert.equal(ps.sort(), [`${podId.slice(0, 12)}-infra ${podId.slice(0, 12)} ${pod} true`, `${pod}-server ${podId.slice(0, 12)} ${pod} false`])
  for (const filter of [`pod=${pod}`, `pod=${podId.slice(0, 5)}`]) {
    const filtered = lines((await cocker(mode, ['ps', '-a', '--filter', filter, '--filter', 'name=server', '--format', '{{.Names}}'], { status: 0 })).stdout)
    assert.equal(filtered, [`${pod}-server`], filter)
  }
  assert.is((await cocker(mode, ['ps', '-a', '--filter', 'pod=no-such-pod'], { status: 0 })).stdout.split('\n')[1], '')

  // a running pod goes only with -f; its infra only with the pod
  const refused = await cocker(mode, ['pod', 'rm', pod], { status: 125 })
  assert.is(refused.stderr, `Error: cannot remove pod ${pod}: its container ${pod}-server is running; stop the pod first, or use "cocker pod rm -f ${pod}"\n`)
  const infraRm = await cocker(mode, ['rm', '-f', `${podId.slice(0, 12)}-infra`], { status: 2 })
  assert.match(infraRm.stderr, /^Error: container [0-9a-f]{64} is the infra container of pod [0-9a-f]{64} and cannot be removed without removing the pod; /)

  assert.is((await cocker(mode, ['pod', 'rm', '-f', '-t', '0', pod], { status: 0 })).stdout, `${podId}\n`)
  assert.equal(holders('net', net!), [], 'no process holds the pod\'s network namespace')
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  await cocker(mode, ['pod', 'exists', pod], { status: 1 })
  assert.equal(readdirSync(path.join(mode.root, 'pods')), [], 'no pod record')
  assert.equal(readdirSync(path.join(mode.root, 'containers')), [], 'no container record')
  assert.equal(readdirSync(path.join(mode.root, 'pod-names')), [], 'the name is free')
})

busyboxScenario('pod create -p publishes a port of the pod on the host (pasta rootless, the default bridge network as root); a container of the pod cannot publish its own', async mode => {
  const pod = `pub-${process.pid}`
  const port = await freeHostPort()
  await cocker(mode, ['pod', 'create', '--name', pod, '-p', `${port}:8080`], { status: 0 })
  await cocker(mode, ['run', '-d', '--pod', pod, mode.image, 'httpd', '-f', '-p', '8080', '-h', '/etc'], { status: 0 })
  assert.is(await fetchFromHost(port, 100, '/hostname'), `${pod}\n`, 'the pod\'s hostname, served from inside it')
  const own = await cocker(mode, ['run', '--rm', '--pod', pod, '-p', '9090:80', mode.image, 'true'], { status: 125 })
  assert.is(own.stderr, 'Error: ports cannot be published by a container of a pod: the pod shares its network, and publishes them; give -p to "cocker pod create"\n')
  await cocker(mode, ['pod', 'rm', '-f', '-t', '0', pod], { status: 0 })
})

busyboxScenario('pod start, stop, kill, restart, prune and --pod new:, with the states pod ps shows', async mode => {
  const pod = `life-${process.pid}`
  const idFile = path.join(mode.user?.home ?? '/tmp', `pod-id-${process.pid}`)
  const podId = (await cocker(mode, ['pod', 'create', '--pod-id-file', idFile, '--label', 'app=life', pod], { status: 0 })).stdout.trim()
  assert.is(readFileSync(idFile, 'utf8'), podId)
  assert.is(await podRow(mode, pod), 'Created 1')
  await cocker(mode, ['pod', 'exists', pod], { status: 0 })
  await cocker(mode, ['create', '--pod-id-file', idFile, '--name', `${pod}-a`, mode.image, 'sleep', '1000'], { status: 0 })
  assert.is(await podRow(mode, pod), 'Created 2')
  assert.is((await cocker(mode, ['pod', 'start', pod], { status: 0 })).stdout, `${podId}\n`)
  assert.is(await podRow(mode, pod), 'Running 2')
  // the container alone: Degraded
  await cocker(mode, ['stop', '-t', '0', `${pod}-a`], { status: 0 })
  assert.is(await podRow(mode, pod), 'Degraded 2')
  // starting a container of a stopped pod starts its infra first
  assert.is((await cocker(mode, ['pod', 'stop', '-t', '0', pod], { status: 0 })).stdout, `${podId}\n`)
  assert.is(await podRow(mode, pod), 'Exited 2')
  await cocker(mode, ['start', `${pod}-a`], { status: 0 })
  assert.is(await podRow(mode, pod), 'Running 2')
  assert.is((await cocker(mode, ['pod', 'kill', pod], { status: 0 })).stdout, `${podId}\n`)
  assert.is(await podRow(mode, pod), 'Exited 2')
  const notRunning = await cocker(mode, ['pod', 'kill', pod], { status: 125 })
  assert.is(notRunning.stderr, `Error: no containers of pod ${podId} are running; start it with "cocker pod start ${pod}"\n`)
  assert.is((await cocker(mode, ['pod', 'restart', pod], { status: 0 })).stdout, `${podId}\n`)
  assert.is(await podRow(mode, pod), 'Running 2')
  const inspect = JSON.parse((await cocker(mode, ['pod', 'inspect', pod], { status: 0 })).stdout)
  assert.is(inspect.State, 'Running')
  assert.equal(inspect.SharedNamespaces, ['network', 'ipc', 'uts'].map(s => (s === 'network' ? 'net' : s)))
  assert.equal(inspect.Labels, { app: 'life' })
  assert.is(inspect.NumContainers, 2)

  // run --pod new:NAME makes the pod; prune takes the pods none of whose containers runs
  const other = `new-${process.pid}`
  await cocker(mode, ['run', '--pod', `new:${other}`, '--name', `${other}-a`, mode.image, 'true'], { status: 0 })
  assert.is(await podRow(mode, other), 'Degraded 2', 'the infra runs on after the container')
  await cocker(mode, ['pod', 'stop', other], { status: 0 })
  const otherId = (await cocker(mode, ['pod', 'inspect', '-f', '{{.Id}}', other], { status: 0 })).stdout
  assert.is((await cocker(mode, ['pod', 'prune', '-f'], { status: 0 })).stdout, otherId)
  await cocker(mode, ['pod', 'exists', other], { status: 1 })
  await cocker(mode, ['pod', 'exists', pod], { status: 0 })

  // one line for what cannot be
  const missing = await cocker(mode, ['pod', 'rm', 'no-such-pod'], { status: 1 })
  assert.is(missing.stderr, 'Error: no pod with name or ID no-such-pod found: no such pod\n')
  const taken = await cocker(mode, ['pod', 'create', pod], { status: 125 })
  assert.is(taken.stderr, `Error: the pod name "${pod}" is already in use by ${podId}; remove that pod first, or choose another name\n`)
  const shared = await cocker(mode, ['run', '--rm', '--pod', pod, '--uts', 'host', mode.image, 'true'], { status: 125 })
  assert.match(shared.stderr, /^Error: --uts cannot be set for a container of a pod: the pod shares its uts namespace; /)
  await cocker(mode, ['pod', 'rm', '-f', '-t', '0', '--pod-id-file', idFile], { status: 0 })
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
})

busyboxScenario('pod create --network host: the pod\'s containers have the host\'s network, and the pod\'s hostname', async mode => {
  const pod = `hostnet-${process.pid}`
  await cocker(mode, ['pod', 'create', '--network', 'host', '--hostname', 'podhost', '--name', pod], { status: 0 })
  const r = await cocker(mode, ['run', '--rm', '--pod', pod, mode.image, 'sh', '-c', 'readlink /proc/self/ns/net; hostname'], { status: 0 })
  assert.is(r.stdout, `${readlinkSync('/proc/self/ns/net')}\npodhost\n`)
  assert.is((await cocker(mode, ['pod', 'inspect', '-f', '{{.Hostname}}', pod], { status: 0 })).stdout, 'podhost\n')
  await cocker(mode, ['pod', 'rm', '-f', '-t', '0', pod], { status: 0 })
})

busyboxScenario('a pod create killed (-9) before its record leaves an infra that rm removes, a free name, and a dir system check repairs', async mode => {
  const pod = `crash-${process.pid}`
  const names = async () => lines((await cocker(mode, ['ps', '-a', '--format', '{{.Names}}'], { status: 0 })).stdout)
  const before = await names()
  await cocker(mode, ['pod', 'create', '--name', pod], { status: 137, env: { _COCKER_CRASH_AT: 'pod-create:before-record' } })
  await cocker(mode, ['pod', 'exists', pod], { status: 1 })
  const orphan = (await names()).filter(n => !before.includes(n)).join(' ')
  assert.match(orphan, /^[0-9a-f]{12}-infra$/)
  await cocker(mode, ['rm', orphan], { status: 0 })
  const check = await cocker(mode, ['system', 'check'], { status: 125 })
  assert.match(check.stdout, /pods\/[0-9a-f]{64} is left over from a `cocker pod create` that was killed/)
  await cocker(mode, ['system', 'check', '--repair'], { status: 0 })
  await cocker(mode, ['pod', 'create', '--name', pod], { status: 0 })
  await cocker(mode, ['pod', 'rm', pod], { status: 0 })
  await cocker(mode, ['system', 'check'], { status: 0 })
})

for (const pmode of PODMAN_MODES) {
  const title = `pod ps, pod inspect and ps --pod have podman's headers and keys (${pmode})`
  test(title, async () => {
    const pe = await podmanOrSkip(pmode, title)
    if (!pe) return
    const pod = `keys-${pmode}`
    await podman(pe, ['pod', 'create', '--name', pod], { status: 0 })
    const podmanHeader = lines((await podman(pe, ['pod', 'ps'], { status: 0 })).stdout)[0]
    const podmanCtrHeader = lines((await podman(pe, ['pod', 'ps', '--ctr-names', '--ctr-ids', '--ctr-status'], { status: 0 })).stdout)[0]
    const podmanPsPodHeader = lines((await podman(pe, ['ps', '-a', '--pod', '--filter', 'name=nothing-matches'], { status: 0 })).stdout)[0]
    const podmanJson = JSON.parse((await podman(pe, ['pod', 'ps', '--format', 'json'], { status: 0 })).stdout)[0]
    const podmanInspect = JSON.parse((await podman(pe, ['pod', 'inspect', pod], { status: 0 })).stdout)
    await podman(pe, ['pod', 'rm', '-f', pod], { status: 0 })

    const mode = cockerModeOrSkip(pmode, title)
    if (!mode) return
    await cocker(mode, ['pod', 'create', '--name', pod], { status: 0 })
    assert.is(lines((await cocker(mode, ['pod', 'ps'], { status: 0 })).stdout)[0], podmanHeader)
    assert.is(lines((await cocker(mode, ['pod', 'ps', '--ctr-names', '--ctr-ids', '--ctr-status'], { status: 0 })).stdout)[0], podmanCtrHeader)
    assert.is(lines((await cocker(mode, ['ps', '-a', '--pod', '--filter', 'name=nothing-matches'], { status: 0 })).stdout)[0], podmanPsPodHeader)
    const ourJson = JSON.parse((await cocker(mode, ['pod', 'ps', '--format', 'json'], { status: 0 })).stdout)[0]
    const ourInspect = JSON.parse((await cocker(mode, ['pod', 'inspect', pod], { status: 0 })).stdout)
    assert.equal(keysOf(ourJson), keysOf(podmanJson))
    assert.equal(keysOf(ourJson.Containers[0]), keysOf(podmanJson.Containers[0]))
    assert.equal(keysOf(ourInspect), keysOf(podmanInspect))
    assert.equal(keysOf(ourInspect.InfraConfig), keysOf(podmanInspect.InfraConfig))
    assert.equal(keysOf(ourInspect.Containers[0]), keysOf(podmanInspect.Containers[0]))
    // (podman lists them in no fixed order)
    assert.equal([...ourInspect.SharedNamespaces].sort(), [...podmanInspect.SharedNamespaces].sort())
    await cocker(mode, ['pod', 'rm', '-f', pod], { status: 0 })
  })
}

test.after(cleanupPodman)
test.run()
