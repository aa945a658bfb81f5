import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ContainerRecord } from '../../../lib/container/record.js'
import { checkDocuments, parseDocuments, writeDocuments, type KubeDocument } from '../../../lib/kube/documents.js'
import { kubeObjects, podOfContainers, podOfPod, type ContainerFacts } from '../../../lib/kube/generate.js'
import { planPlay } from '../../../lib/kube/plan.js'

const NOW = new Date('2026-12-04T10:00:00.123Z')

function record(o: Partial<ContainerRecord> & { name: string }): ContainerRecord {
  return {
    id: 'ab'.repeat(32), imageId: 'cd'.repeat(32), imageName: 'localhost/app:1', command: [], created: NOW.toISOString(), labels: {}, annotations: {},
    tty: false, interactive: false, autoRemove: false, restartPolicy: { name: 'no', maxRetries: 0 }, stopSignal: '15', stopTimeout: 10,
    log: { driver: 'k8s-file', path: '/x' }, detachKeys: '', mounts: [], storage: { driver: 'overlay', lowerDirs: [] }, state: { status: 'running', pid: 1, restartCount: 0 },
    ...o,
  }
}

function facts(r: ContainerRecord, config: ContainerFacts['config'] = {}, image: ContainerFacts['image'] = { Env: ['PATH=/usr/bin'], Cmd: ['sh'], Labels: { from: 'image' } }): ContainerFacts {
  return { record: r, config, image, hostPathType: p => (p.endsWith('.conf') ? 'File' : 'Directory') }
}

test('a container as Podman writes it: only what the user chose, ports on the container, claims and hostPaths', () => {
  const r = record({
    name: 'web', entrypoint: [], cmd: ['httpd', '-f', '-p', '8080'], labels: { from: 'image', tier: 'front' }, annotations: { note: 'hi' },
    ports: [{ hostIp: '', hostPort: 18080, containerPort: 8080, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' }],
    capAdd: ['CAP_NET_ADMIN'], capDrop: ['CAP_CHOWN'], restartPolicy: { name: 'on-failure', maxRetries: 0 }, stopTimeout: 3,
    mounts: [
      { type: 'volume', source: '/store/volumes/data/_data', destination: '/data', options: ['rbind'] },
      { type: 'bind', source: '/etc/app.conf', destination: '/etc/app.conf', options: ['rbind', 'ro'] },
      { type: 'volume', source: '/store/volumes/xx/_data', destination: '/anon', options: ['rbind'] },
    ],
    volumes: [{ name: 'data', destination: '/data', options: ['rbind'] }, { name: 'ee'.repeat(32), destination: '/anon', options: [], anonymous: true }],
  })
  const pod = podOfContainers([facts(r, {
    hostname: 'abababababab',
    process: { env: ['PATH=/usr/bin', 'TERM=xterm', 'container=podman', 'FOO=bar', 'HOME=/root', 'HOSTNAME=abababababab'], cwd: '/srv', user: { uid: 1000, gid: 100 } },
    root: { path: '/x', readonly: true },
    linux: { resources: { memory: { limit: 64 * 1024 * 1024 }, cpu: { quota: 50000, period: 100000 } } },
  })], NOW)
  assert.equal(pod, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { annotations: { 'note/web': 'hi' }, creationTimestamp: '2026-12-04T10:00:00Z', labels: { tier: 'front', app: 'web-pod' }, name: 'web-pod' },
    spec: {
      automountServiceAccountToken: false,
      containers: [{
        command: ['httpd', '-f', '-p', '8080'], env: [{ name: 'FOO', value: 'bar' }], image: 'localhost/app:1', name: 'web',
        ports: [{ containerPort: 8080, hostPort: 18080 }, { containerPort: 53, hostIP: '127.0.0.1', hostPort: 5353, protocol: 'UDP' }],
        resources: { limits: { cpu: '500m', memory: '64Mi' } },
        securityContext: { capabilities: { add: ['CAP_NET_ADMIN'], drop: ['CAP_CHOWN'] }, readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 100 },
        volumeMounts: [{ mountPath: '/etc/app.conf', name: 'etc-app-conf-host-0', readOnly: true }, { mountPath: '/data', name: 'data-pvc' }],
        workingDir: '/srv',
      }],
      enableServiceLinks: false, restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 3,
      volumes: [{ name: 'etc-app-conf-host-0', hostPath: { path: '/etc/app.conf', type: 'File' } }, { name: 'data-pvc', persistentVolumeClaim: { claimName: 'data' } }],
    },
  })
  // it passes the schema, and play reads back the same container
  const text = writeDocuments([pod as KubeDocument])
  const plan = planPlay(parseDocuments(text, 'x.yaml'), { file: 'x.yaml' })
  const c = plan.pods[0]!.containers[0]!
  assert.is(c.name, 'web-pod-web')
  assert.equal(c.flags.entrypoint, '["httpd","-f","-p","8080"]')
  assert.equal(c.flags.env, ['FOO=bar'])
  assert.equal([c.flags.workdir, c.flags.user, c.flags.memory, c.flags.cpus, c.flags.readOnly, c.flags.restart, c.flags.stopTimeout], ['/srv', '1000:100', String(64 * 1024 * 1024), '0.5', true, 'on-failure', 3])
  assert.equal([c.flags.capAdd, c.flags.capDrop], [['CAP_NET_ADMIN'], ['CAP_CHOWN']])
  assert.equal(c.flags.annotation, ['note=hi'])
  assert.equal(plan.pods[0]!.ports, [{ hostIp: '', hostPort: 18080, containerPort: 8080, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' }])
  assert.equal(c.mounts, [{ volume: 'etc-app-conf-host-0', destination: '/etc/app.conf', readOnly: true }, { volume: 'data-pvc', destination: '/data', readOnly: false }])
})

test('command and args against the image: an entrypoint of the user\'s is command, the image\'s own are left out', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['serve'] }
  const spec = (r: Partial<ContainerRecord>) => (podOfContainers([facts(record({ name: 'a', ...r }), {}, image)], NOW).spec as any).containers[0]
  assert.equal([spec({ entrypoint: ['/entry'], cmd: ['serve'] }).command, spec({ entrypoint: ['/entry'], cmd: ['serve'] }).args], [undefined, undefined])
  assert.equal(spec({ entrypoint: ['/entry'], cmd: ['other'] }).args, ['other'])
  assert.equal(spec({ entrypoint: ['/entry'], cmd: ['other'] }).command, undefined)
  assert.equal([spec({ entrypoint: ['/bin/sh', '-c'], cmd: ['x'] }).command, spec({ entrypoint: ['/bin/sh', '-c'], cmd: ['x'] }).args], [['/bin/sh', '-c'], ['x']])
  const plain = (r: Partial<ContainerRecord>) => (podOfContainers([facts(record({ name: 'a', ...r }), {}, { Cmd: ['sh'] })], NOW).spec as any).containers[0]
  assert.equal(plain({ entrypoint: [], cmd: ['sh'] }).command, undefined)
  assert.equal(plain({ entrypoint: [], cmd: ['sleep', '1'] }).command, ['sleep', '1'])
})

test('a pod: its name and labels, its infra\'s ports on the first container; as a Deployment with a Service', () => {
  const infra = record({ name: 'x-infra', ports: [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }] })
  const pod = podOfPod({ name: 'shop', labels: { tier: 'x' }, hostname: 'box', infra, containers: [
    facts(record({ name: 'a', cmd: ['sh'], restartPolicy: { name: 'always', maxRetries: 0 } })), facts(record({ name: 'b', cmd: ['sh'] })),
  ] }, NOW)
  const spec = pod.spec as any
  assert.equal(spec.containers.map((c: any) => [c.name, c.ports]), [['a', [{ containerPort: 80, hostPort: 8080 }]], ['b', undefined]])
  assert.is(spec.hostname, 'box')
  assert.equal(pod.metadata.labels, { tier: 'x', app: 'shop' })
  const [service, deployment] = kubeObjects(pod, { type: 'deployment', service: true, replicas: 2, random: () => 30123 })
  assert.equal(service!.spec, { ports: [{ name: '80', nodePort: 30123, port: 80, targetPort: 80 }], selector: { app: 'shop' }, type: 'NodePort' })
  assert.is(deployment!.metadata.name, 'shop-deployment')
  assert.equal((deployment!.spec as any).selector, { matchLabels: { app: 'shop' } })
  assert.is((deployment!.spec as any).replicas, 2)
  checkDocuments([service!, deployment!] as KubeDocument[], 'x')
  assert.throws(() => podOfPod({ name: 'empty', labels: {}, infra, containers: [] }), /pod empty only has an infra container/)
  const never = podOfPod({ name: 'n', labels: {}, infra, containers: [facts(record({ name: 'a', restartPolicy: { name: 'on-failure', maxRetries: 0 } }))] }, NOW)
  assert.throws(() => kubeObjects(never, { type: 'deployment', service: false }), /a Deployment can only have restartPolicy Always, and n has OnFailure/)
})

test.run()
