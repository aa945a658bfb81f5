// Kubernetes YAML, root and rootless: `kube generate` of a running container and of a pod,
// played back with `kube play` on a clean store, gives containers with the same command,
// environment, ports (reachable from the host) and volumes; ConfigMaps, Secrets, emptyDir,
// hostPath and PersistentVolumeClaims reach the containers; YAML that breaks the schema is one
// line and 125; every YAML generated here passes the schema check again; `kube down` leaves
// no container, pod or infra process.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { checkDocuments, parseDocuments } from '../../lib/kube/documents.js'
import { cocker, cockerModeOrSkip, loadBusybox, modeDir } from '../support/cocker-modes.js'
import { FIXTURE_IMAGE } from '../support/image-fixture.js'
import { cleanupPodman, podman, podmanOrSkip, PODMAN_MODES } from '../support/podman.js'
import { fetchFromHost, freeHostPort } from '../support/http.js'
import { busyboxScenario, type BusyboxMode } from '../support/run-scenario.js'

const lines = (s: string) => s.split('\n').filter(Boolean)

/** The same user and image on a store of its own, empty but for the busybox fixture. */
async function cleanStore(mode: BusyboxMode): Promise<BusyboxMode> {
  const fresh = { ...mode, root: path.join(modeDir(mode, 'cocker-kube-store-'), 'store') }
  await loadBusybox(fresh)
  return fresh
}

/** A file the mode's user can read. */
function userFile(mode: BusyboxMode, name: string, text: string): string {
  const file = path.join(modeDir(mode, 'cocker-kube-'), name)
  writeFileSync(file, text, { mode: 0o644 })
  return file
}

/** Every YAML the tests generate passes the schema check again (the round trip). */
function checked(text: string): string {
  checkDocuments(parseDocuments(text, 'generated'), 'generated')
  return text
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** `kube down FILE`: Podman's report, then no container, no pod and no infra process left. */
async function downLeavesNothing(mode: BusyboxMode, file: string, podId: string): Promise<void> {
  const infraPid = Number((await cocker(mode, ['inspect', '--format', '{{.State.Pid}}', `${podId.slice(0, 12)}-infra`], { status: 0 })).stdout.trim())
  assert.ok(infraPid > 0 && alive(infraPid), 'the infra runs')
  const down = await cocker(mode, ['kube', 'down', file], { status: 0 })
  assert.is(down.stdout, `Pods stopped:\n${podId}\nPods removed:\n${podId}\n`)
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  assert.is((await cocker(mode, ['pod', 'ps', '-q'], { status: 0 })).stdout, '')
  assert.not.ok(alive(infraPid), 'the infra process is gone')
}

busyboxScenario('kube generate of a running container, played on a clean store: the same command, env, working dir, ports and volumes', async mode => {
  const port = await freeHostPort()
  const host = modeDir(mode, 'cocker-kube-host-')
  writeFileSync(path.join(host, 'f'), 'from the host\n', { mode: 0o644 })
  await cocker(mode, ['run', '-d', '--name', 'web', '-p', `${port}:8080`, '-e', 'FOO=bar', '-e', 'MULTI=a b', '-w', '/tmp', '-v', 'data:/data', '-v', `${host}:/host:ro`,
    '--stop-timeout', '1', '--label', 'tier=front', '--annotation', 'note=hi', mode.image, 'httpd', '-f', '-p', '8080', '-h', '/etc'], { status: 0 })
  const yaml = checked((await cocker(mode, ['kube', 'generate', 'web'], { status: 0 })).stdout)
  assert.match(yaml, /^# Save the output of this file and use kubectl create -f to import\n/)
  const [pod] = parseDocuments(yaml, 'web.yaml') as any[]
  assert.is(pod.kind, 'Pod')
  assert.is(pod.metadata.name, 'web-pod')
  const spec = pod.spec.containers[0]
  assert.equal([spec.name, spec.image, spec.command, spec.workingDir], ['web', mode.image, ['httpd', '-f', '-p', '8080', '-h', '/etc'], '/tmp'])
  assert.equal(spec.env, [{ name: 'FOO', value: 'bar' }, { name: 'MULTI', value: 'a b' }], 'only what the user gave, not the image\'s')
  assert.equal(spec.ports, [{ containerPort: 8080, hostPort: port }])
  assert.equal(pod.spec.volumes.map((v: any) => v.persistentVolumeClaim?.claimName ?? v.hostPath?.path), [host, 'data'])
  // also as a Deployment with a Service, written to a file
  const out = path.join(modeDir(mode, 'cocker-kube-out-'), 'dep.yaml')
  assert.is((await cocker(mode, ['generate', 'kube', '-t', 'deployment', '-s', '-f', out, 'web'], { status: 0 })).stdout, '')
  const file = userFile(mode, 'web.yaml', yaml)
  await cocker(mode, ['rm', '-f', '-t', '0', 'web'], { status: 0 })

  const fresh = await cleanStore(mode)
  const played = await cocker(fresh, ['kube', 'play', file], { status: 0 })
  assert.match(played.stdout, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/)
  const podId = lines(played.stdout)[1]!
  const inspect = JSON.parse((await cocker(fresh, ['inspect', 'web-pod-web'], { status: 0 })).stdout)[0]
  assert.equal([inspect.Path, inspect.Args], ['httpd', ['-f', '-p', '8080', '-h', '/etc']])
  assert.ok(inspect.Config.Env.includes('FOO=bar') && inspect.Config.Env.includes('MULTI=a b'), inspect.Config.Env.join(' '))
  assert.is(inspect.Config.WorkingDir, '/tmp')
  assert.is(inspect.Config.Labels.tier, 'front')
  assert.is(inspect.Config.Annotations.note, 'hi')
  assert.is(await fetchFromHost(port, 100, '/hostname'), 'web-pod\n', 'the port is published by the pod, and reachable')
  const seen = await cocker(fresh, ['exec', 'web-pod-web', 'sh', '-c', 'cat /host/f; touch /host/x 2>/dev/null || echo read-only; grep -c " /data " /proc/mounts'], { status: 0 })
  assert.is(seen.stdout, 'from the host\nread-only\n1\n')
  assert.is((await cocker(fresh, ['volume', 'ls', '-q'], { status: 0 })).stdout, 'data\n', 'the claim is a named volume')
  await downLeavesNothing(fresh, file, podId)
  await cocker(mode, ['volume', 'rm', 'data'], { status: 0 })
})

busyboxScenario('kube generate of a pod, played on a clean store: its containers, its port, and --replace; as a Deployment it passes the schema', async mode => {
  const port = await freeHostPort()
  const name = `shop-${process.pid}`
  await cocker(mode, ['pod', 'create', '--name', name, '-p', `${port}:80`, '--label', 'tier=x'], { status: 0 })
  await cocker(mode, ['run', '-d', '--pod', name, '--name', 'srv', '--stop-timeout', '1', '--restart', 'always', mode.image, 'httpd', '-f', '-p', '80', '-h', '/etc'], { status: 0 })
  await cocker(mode, ['run', '-d', '--pod', name, '--name', 'side', '--entrypoint', '["/bin/sh","-c"]', '-e', 'A=1', mode.image, 'sleep 1000'], { status: 0 })
  const yaml = checked((await cocker(mode, ['kube', 'generate', name], { status: 0 })).stdout)
  checked((await cocker(mode, ['kube', 'generate', '--type', 'deployment', '--service', name], { status: 0 })).stdout)
  const file = userFile(mode, 'pod.yaml', yaml)
  await cocker(mode, ['pod', 'rm', '-f', '-t', '0', name], { status: 0 })

  const fresh = await cleanStore(mode)
  const played = await cocker(fresh, ['play', 'kube', file], { status: 0 })
  assert.match(played.stdout, /^Pod:\n[0-9a-f]{64}\nContainers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\n$/)
  const ps = lines((await cocker(fresh, ['ps', '--format', '{{.Names}} {{.Command}}', '--no-trunc', '--filter', `pod=${name}`], { status: 0 })).stdout)
  assert.equal(ps.filter(l => !l.includes('-infra')).sort(), [`${name}-side /bin/sh -c sleep 1000`, `${name}-srv httpd -f -p 80 -h /etc`])
  assert.is(await fetchFromHost(port, 100, '/hostname'), `${name}\n`)
  const env = (await cocker(fresh, ['exec', `${name}-side`, 'sh', '-c', 'echo $A'], { status: 0 })).stdout
  assert.is(env, '1\n')
  assert.is((await cocker(fresh, ['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', `${name}-srv`], { status: 0 })).stdout, 'always\n')
  // once more: refused, then --replace
  const again = await cocker(fresh, ['kube', 'play', file], { status: 125 })
  assert.match(again.stderr, new RegExp(`^Error: Pod ${name}: the pod name "${name}" is already in use by [0-9a-f]{64}; add --replace, or remove it first with "cocker kube down FILE"\\n$`))
  const replaced = await cocker(fresh, ['kube', 'play', '--replace', file], { status: 0 })
  await downLeavesNothing(fresh, file, lines(replaced.stdout)[1]!)
})

const VOLUMES_YAML = (host: string) => `apiVersion: v1
kind: Secret
metadata: {name: sec}
data: {PASSWORD: c2VjcmV0}
stringData: {TOKEN: tok}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim1}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dep}
spec:
  selector: {matchLabels: {app: dep}}
  template:
    metadata: {labels: {app: dep}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: localhost/cocker-fixture:1
        command: [sh, -c]
        args: ['echo "$COLOR $FROM_CM $FROM_SEC $TOKEN"; cat /cfg/conf/app.conf /sec/PASSWORD; echo; echo shared > /scratch/f; echo kept > /claim/f; echo out > /host/out; sleep 1000']
        env:
        - {name: FROM_CM, valueFrom: {configMapKeyRef: {name: cfg, key: COLOR}}}
        - {name: FROM_SEC, valueFrom: {secretKeyRef: {name: sec, key: PASSWORD}}}
        envFrom:
        - configMapRef: {name: cfg}
        - secretRef: {name: sec}
        volumeMounts:
        - {name: c, mountPath: /cfg}
        - {name: s, mountPath: /sec}
        - {name: p, mountPath: /claim}
        - {name: e, mountPath: /scratch}
        - {name: h, mountPath: /host}
      - name: side
        image: localhost/cocker-fixture:1
        command: [sleep, "1000"]
        volumeMounts:
        - {name: e, mountPath: /scratch}
      volumes:
      - {name: c, configMap: {name: cfg, items: [{key: app.conf, path: conf/app.conf}]}}
      - {name: s, secret: {secretName: sec}}
      - {name: p, persistentVolumeClaim: {claimName: claim1}}
      - {name: e, emptyDir: {}}
      - {name: h, hostPath: {path: ${host}/made, type: DirectoryOrCreate}}
`

busyboxScenario('kube play: ConfigMaps (--configmap) and Secrets as env and files, a claim, a shared emptyDir, a hostPath; --start=false; kube down removes what play made', async mode => {
  const host = modeDir(mode, 'cocker-kube-host-')
  const file = userFile(mode, 'dep.yaml', VOLUMES_YAML(host))
  const cm = userFile(mode, 'cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  COLOR: blue\n  app.conf: "key=value"\n')
  const missing = await cocker(mode, ['kube', 'play', file], { status: 125 })
  assert.is(missing.stderr, `Error: Deployment dep: volume c: no ConfigMap named cfg; add it to the YAML, or give its file with --configmap\n`)

  const created = await cocker(mode, ['kube', 'play', '--start=false', '--configmap', cm, file], { status: 0 })
  assert.match(created.stdout, /^Volumes:\nclaim1\nPod:\n[0-9a-f]{64}\nContainers:\n/)
  const podId = lines(created.stdout)[3]!
  assert.is((await cocker(mode, ['pod', 'ps', '--format', '{{.Name}} {{.Status}}'], { status: 0 })).stdout, 'dep-pod Created\n')
  await cocker(mode, ['pod', 'start', 'dep-pod'], { status: 0 })
  let logs = ''
  for (let i = 0; i < 100 && !logs.includes('secret\n'); i++) {
    logs = (await cocker(mode, ['logs', 'dep-pod-main'], { status: 0 })).stdout
    await new Promise(r => setTimeout(r, 100))
  }
  assert.is(logs, 'blue blue secret tok\nkey=valuesecret\n')
  await cocker(mode, ['exec', 'dep-pod-main', 'sh', '-c', 'test -f /host/out'], { status: 0 })
  const side = await cocker(mode, ['exec', 'dep-pod-side', 'cat', '/scratch/f'], { status: 0 })
  assert.is(side.stdout, 'shared\n', 'the emptyDir is the pod\'s, shared by its containers')
  const ro = await cocker(mode, ['exec', 'dep-pod-main', 'sh', '-c', 'touch /sec/x /cfg/x 2>&1 | wc -l'], { status: 0 })
  assert.is(ro.stdout.trim(), '2', 'Secret and ConfigMap volumes are read-only')
  const volumes = lines((await cocker(mode, ['volume', 'ls', '-q'], { status: 0 })).stdout)
  assert.is(volumes.length, 4, `claim1, and the pod's configMap, secret and emptyDir volumes: ${volumes.join(' ')}`)

  await downLeavesNothing(mode, file, podId)
  assert.equal(lines((await cocker(mode, ['volume', 'ls', '-q'], { status: 0 })).stdout), ['claim1'], 'the claim stays; what play made for the pod is gone')
  const again = await cocker(mode, ['kube', 'down', '--force', file], { status: 125 })
  assert.is(again.stdout, 'Volumes removed:\nclaim1\n')
  assert.is(again.stderr, 'Error: no pod with name or ID dep-pod found: no such pod\n', 'the pod that is gone, in Podman\'s words')
  assert.is((await cocker(mode, ['volume', 'ls', '-q'], { status: 0 })).stdout, '')
})

busyboxScenario('YAML that breaks the schema is one line and 125, from a file or standard input', async mode => {
  const bad = 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - ports: [{containerPort: http}]\n'
  const file = userFile(mode, 'pod.yaml', bad)
  const r = await cocker(mode, ['kube', 'play', 'pod.yaml'], { status: 125, cwd: path.dirname(file) })
  assert.is(r.stderr, 'Error: pod.yaml: spec.containers[0].name: required; spec.containers[0].ports[0].containerPort: must be integer; spec.containers[0].image: required; see the Kubernetes API reference for the fields of each kind\n')
  const stdin = await cocker(mode, ['kube', 'play', '-'], { status: 125, input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n' })
  assert.is(stdin.stderr, 'Error: stdin: spec.containers[0].image: required; see the Kubernetes API reference for the fields of each kind\n')
  const yaml = await cocker(mode, ['kube', 'play', '-'], { status: 125, input: 'kind: Pod\napiVersion: v1\nmetadata: {name: [\n' })
  assert.match(yaml.stderr, /^Error: stdin, line \d+: not valid YAML: [^\n]+\n$/)
  const missing = await cocker(mode, ['kube', 'generate', 'no-such-thing'], { status: 125 })
  assert.is(missing.stderr, 'Error: no-such-thing does not refer to a container or pod: no such container or pod\n')
  assert.is((await cocker(mode, ['pod', 'ps', '-q'], { status: 0 })).stdout, '')
  mkdirSync(path.join(path.dirname(file), 'dir'))
  assert.is((await cocker(mode, ['kube', 'play', path.join(path.dirname(file), 'dir')], { status: 125 })).stderr, `Error: ${path.join(path.dirname(file), 'dir')} is a directory; give a Kubernetes YAML file\n`)
})

/**
 * The fields both write of a container and its pod, as the YAML has them. Volume names in
 * lower case: Kubernetes wants them so, and Podman 4.3 (unlike later ones) keeps a path's case.
 * Rootless on a host without cgroup delegation, Podman 4.3 leaves out the limits it could not set.
 */
function shape(yaml: string, limits: boolean) {
  const pod = parseDocuments(yaml, 'x').find(d => d.kind === 'Pod') as any
  const c = pod.spec.containers[0]
  return {
    name: pod.metadata.name, app: pod.metadata.labels.app, container: c.name, image: c.image, command: c.command, args: c.args, env: c.env, workingDir: c.workingDir,
    limits: limits ? c.resources?.limits : undefined, capabilities: c.securityContext?.capabilities, runAsUser: c.securityContext?.runAsUser,
    volumeMounts: c.volumeMounts.map((m: any) => ({ ...m, name: m.name.toLowerCase() })),
    volumes: [...(pod.spec.volumes ?? [])].map((v: any) => ({ ...v, name: v.name.toLowerCase() })).sort((a: any, b: any) => a.name.localeCompare(b.name)),
  }
}

for (const pmode of PODMAN_MODES) {
  const title = `kube generate writes what Podman writes of the same container, and each plays the other's YAML (${pmode})`
  test(title, async () => {
    const pe = await podmanOrSkip(pmode, title)
    if (!pe) return
    const mode = cockerModeOrSkip(pmode, title)
    if (!mode) return
    const bm = { ...mode, image: await loadBusybox(mode) }
    const host = modeDir(bm, 'cocker-kube-host-')
    const flags = ['--name', 'twin', '-e', 'FOO=bar', '-w', '/tmp', '-v', 'data:/data', '-v', `${host}:/host:ro`, '--memory', '64m', '--cpus', '0.5',
      '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN', '--user', '1000', FIXTURE_IMAGE, 'sleep', '1000']
    await podman(pe, ['create', ...pe.runFlags, ...flags], { status: 0 })
    const theirs = (await podman(pe, ['kube', 'generate', 'twin'], { status: 0 })).stdout
    await cocker(bm, ['create', ...flags], { status: 0 })
    const ours = checked((await cocker(bm, ['kube', 'generate', 'twin'], { status: 0 })).stdout)
    assert.equal(shape(ours, pmode === 'root'), shape(theirs, pmode === 'root'))
    await podman(pe, ['rm', '-f', 'twin'], { status: 0 })
    await cocker(bm, ['rm', '-f', 'twin'], { status: 0 })

    // Podman plays cocker's YAML, and cocker Podman's
    const oursFile = userFile(bm, 'ours.yaml', ours)
    // --network none: root Podman would otherwise make its podman-default-kube-network, which
    // outlives the test (in the host's network config) and shows in other tests' `podman network ls`
    await podman(pe, ['kube', 'play', '--network', 'none', oursFile], { status: 0 })
    const podmanSees = JSON.parse((await podman(pe, ['inspect', 'twin-pod-twin'], { status: 0 })).stdout)[0]
    assert.equal([podmanSees.Path, podmanSees.Args], ['sleep', ['1000']])
    assert.ok(podmanSees.Config.Env.includes('FOO=bar'))
    await podman(pe, ['kube', 'down', oursFile], { status: 0 })
    const theirsFile = userFile(bm, 'theirs.yaml', theirs)
    const played = await cocker(bm, ['kube', 'play', '--start=false', theirsFile], { status: 0 })
    const ourInspect = JSON.parse((await cocker(bm, ['inspect', 'twin-pod-twin'], { status: 0 })).stdout)[0]
    assert.equal([ourInspect.Path, ourInspect.Args, ourInspect.Config.WorkingDir, ourInspect.Config.User], ['sleep', ['1000'], '/tmp', '1000:0'])
    assert.ok(ourInspect.Config.Env.includes('FOO=bar'))
    if (pmode === 'root') assert.is(ourInspect.HostConfig.Memory, 64 * 1024 * 1024, 'rootless, Podman 4.3 writes no limits it could not set')
    assert.match(played.stdout, /^Pod:\n/)
    await cocker(bm, ['kube', 'down', theirsFile], { status: 0 })
  })
}

test.after(cleanupPodman)
test.run()
