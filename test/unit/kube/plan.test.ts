import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseDocuments } from '../../../lib/kube/documents.js'
import { planPlay, workloadPods } from '../../../lib/kube/plan.js'

const ALL = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {COLOR: blue, app.conf: "k=v\\n"}
---
apiVersion: v1
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
metadata: {name: dep, labels: {app: dep}}
spec:
  replicas: 3
  selector: {matchLabels: {app: dep}}
  template:
    metadata: {labels: {app: dep}, annotations: {note/main: mine, other/side: theirs, shared: all}}
    spec:
      restartPolicy: OnFailure
      securityContext: {runAsUser: 1000}
      containers:
      - name: main
        image: app
        args: [serve]
        env:
        - {name: FROM_CM, valueFrom: {configMapKeyRef: {name: cfg, key: COLOR}}}
        - {name: FROM_SEC, valueFrom: {secretKeyRef: {name: sec, key: PASSWORD}}}
        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: COLOR, value: red}
        envFrom:
        - configMapRef: {name: cfg}
        - {secretRef: {name: sec}, prefix: S_}
        ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 53, protocol: UDP}]
        resources: {limits: {memory: 1G, cpu: 250m}}
        volumeMounts:
        - {name: c, mountPath: /cfg}
        - {name: s, mountPath: /sec}
        - {name: p, mountPath: /claim}
        - {name: e, mountPath: /scratch}
        - {name: h, mountPath: /host, readOnly: true}
        - {name: c, mountPath: /etc/app.conf, subPath: app.conf}
      - name: side
        image: app
        command: [sleep, "1000"]
      volumes:
      - {name: c, configMap: {name: cfg, items: [{key: app.conf, path: conf/app.conf}]}}
      - {name: s, secret: {secretName: sec, defaultMode: 0400}}
      - {name: p, persistentVolumeClaim: {claimName: claim1}}
      - {name: e, emptyDir: {}}
      - {name: h, hostPath: {path: /srv, type: Directory}}
---
apiVersion: v1
kind: Service
metadata: {name: ignored}
spec: {ports: [{port: 80}]}
`

test('a Deployment is one pod NAME-pod: env from ConfigMaps and Secrets, envFrom under env, volumes of their keys, claims, ports', () => {
  const docs = parseDocuments(ALL, 'all.yaml')
  const plan = planPlay(docs, { file: 'all.yaml', publish: ['9090:80'] })
  assert.equal(plan.claims, ['claim1'])
  assert.equal(plan.warnings, ['Deployment dep: limiting the replica count to 1; more than one replica is not supported'])
  assert.equal(workloadPods(docs), ['dep-pod'])
  const pod = plan.pods[0]!
  assert.is(pod.name, 'dep-pod')
  assert.equal(pod.labels, { app: 'dep' })
  assert.equal(pod.ports, [{ hostIp: '', hostPort: 9090, containerPort: 80, protocol: 'tcp' }], '--publish over the hostPort; a port without one is not published')
  const [main, side] = pod.containers
  assert.is(main!.name, 'dep-pod-main')
  assert.equal(main!.flags.env, ['COLOR=red', 'app.conf=k=v\n', 'S_PASSWORD=secret', 'S_TOKEN=tok', 'FROM_CM=blue', 'FROM_SEC=secret', 'POD=dep-pod'])
  assert.equal([main!.flags.entrypoint, main!.flags.command], [undefined, ['serve']])
  assert.equal([side!.flags.entrypoint, side!.flags.command], ['["sleep","1000"]', []])
  assert.equal([main!.flags.user, main!.flags.restart, main!.flags.memory, main!.flags.cpus], ['1000', 'on-failure', '1000000000', '0.25'])
  assert.equal(main!.flags.annotation, ['note=mine', 'shared=all'])
  assert.equal(side!.flags.annotation, ['other=theirs', 'shared=all'])
  assert.equal(main!.flags.label, ['app=dep'])
  assert.equal(pod.volumes.c, { kind: 'files', from: 'ConfigMap cfg', files: { 'conf/app.conf': Buffer.from('k=v\n') }, mode: 0o644 })
  assert.equal(pod.volumes.s, { kind: 'files', from: 'Secret sec', files: { PASSWORD: Buffer.from('secret'), TOKEN: Buffer.from('tok') }, mode: 0o400 })
  assert.equal([pod.volumes.p, pod.volumes.e, pod.volumes.h], [{ kind: 'claim', claim: 'claim1' }, { kind: 'emptyDir', memory: false }, { kind: 'hostPath', path: '/srv', type: 'Directory' }])
  assert.equal(main!.mounts.at(-1), { volume: 'c', destination: '/etc/app.conf', readOnly: false, subPath: 'app.conf' })
})

test('what cannot be played is one line naming it', () => {
  const pod = (spec: string) => parseDocuments(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${spec}`, 'p.yaml')
  const plan = (spec: string, o = {}) => () => planPlay(pod(spec), { file: 'p.yaml', ...o })
  assert.throws(plan('  containers: [{name: a, image: i, envFrom: [{configMapRef: {name: nope}}]}]\n'),
    (e: Error) => e.message === 'Pod p: spec.containers[0].envFrom[0]: no ConfigMap named nope')
  assert.throws(plan('  containers: [{name: a, image: i, env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]\n'), /^Pod p: spec\.containers\[0\]\.env\[0\]: no Secret named s$/)
  assert.throws(plan('  containers: [{name: a, image: i, volumeMounts: [{name: v, mountPath: /v}]}]\n'), /no volume named v in the pod's spec\.volumes/)
  assert.throws(plan('  containers: [{name: a, image: i}]\n  volumes: [{name: v, nfs: {server: s, path: /}}]\n'), /only hostPath, emptyDir, configMap, secret and persistentVolumeClaim volumes/)
  assert.throws(plan('  containers: [{name: a, image: i}]\n  initContainers: [{name: b, image: i}]\n'), /initContainers are not supported yet/)
  // optional references are left out
  const ok = planPlay(pod('  containers: [{name: a, image: i, envFrom: [{configMapRef: {name: nope, optional: true}}], env: [{name: X, valueFrom: {configMapKeyRef: {name: n, key: k, optional: true}}}]}]\n'), { file: 'p.yaml' })
  assert.equal(ok.pods[0]!.containers[0]!.flags.env, [])
  // a --configmap file's ConfigMap
  const cm = parseDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nope}\ndata: {A: b}\n', 'cm.yaml')
  const withFile = planPlay(pod('  containers: [{name: a, image: i, envFrom: [{configMapRef: {name: nope}}]}]\n'), { file: 'p.yaml', configMaps: cm })
  assert.equal(withFile.pods[0]!.containers[0]!.flags.env, ['A=b'])
})

test('a DaemonSet and a Job are one pod each, NAME-pod; a Job cannot restart Always; other kinds are left out with a warning', () => {
  const workload = (kind: string, apiVersion: string, restart = 'Never') => `apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: w}
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:
      restartPolicy: ${restart}
      containers: [{name: c, image: i, securityContext: {privileged: true, allowPrivilegeEscalation: false, runAsUser: 5, runAsGroup: 6}}]
`
  const plan = planPlay(parseDocuments(`${workload('DaemonSet', 'apps/v1', 'Always')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n`, 'd.yaml'), { file: 'd.yaml' })
  assert.equal(plan.pods.map(p => [p.name, p.source, p.containers[0]!.name]), [['w-pod', 'DaemonSet w', 'w-pod-c']])
  assert.equal(plan.warnings, ['d.yaml: kind Namespace is not supported, and left out'])
  const c = plan.pods[0]!.containers[0]!
  assert.equal([c.flags.privileged, c.flags.securityOpt, c.flags.user, c.flags.restart], [true, ['no-new-privileges'], '5:6', 'always'])
  const job = planPlay(parseDocuments(workload('Job', 'batch/v1'), 'j.yaml'), { file: 'j.yaml' })
  assert.equal([job.pods[0]!.name, job.pods[0]!.containers[0]!.flags.restart], ['w-pod', 'no'])
  assert.throws(() => planPlay(parseDocuments(workload('Job', 'batch/v1', 'Always'), 'j.yaml'), { file: 'j.yaml' }), /^Job w: a Job's restartPolicy must be OnFailure or Never$/)
})

test.run()
