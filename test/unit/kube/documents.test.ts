import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkDocuments, fieldPath, parseDocuments, schemaErrors, writeDocuments } from '../../../lib/kube/documents.js'

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    image: app
`

test('fieldPath: JSON pointers as Kubernetes names fields', () => {
  assert.is(fieldPath('/spec/containers/0/ports/1/containerPort'), 'spec.containers[0].ports[1].containerPort')
  assert.is(fieldPath('/spec/containers/0', 'image'), 'spec.containers[0].image')
  assert.is(fieldPath('/metadata/annotations/a~1b'), 'metadata.annotations.a/b')
})

test('a schema violation is one line: the file, each field and what is wrong', () => {
  const bad = parseDocuments(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - ports: [{containerPort: http}]
`, 'pod.yaml')
  assert.throws(() => checkDocuments(bad, 'pod.yaml'), (e: Error) =>
    e.message === 'pod.yaml: spec.containers[0].name: required; spec.containers[0].ports[0].containerPort: must be integer; spec.containers[0].image: required')
  const two = parseDocuments(`${POD}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: []}}}\n`, 'all.yaml')
  assert.throws(() => checkDocuments(two, 'all.yaml'), (e: Error) => e.message === 'all.yaml (document 2, Deployment d): spec.selector: required')
  assert.equal(schemaErrors(parseDocuments(POD, 'p')[0]!), [])
})

test('YAML that is not Kubernetes objects: one line each', () => {
  assert.throws(() => parseDocuments('a: [1,\n', 'x.yaml'), /^x\.yaml, line \d+: not valid YAML: /)
  assert.throws(() => parseDocuments('- 1\n', 'x.yaml'), /^x\.yaml: not a Kubernetes object/)
  assert.throws(() => parseDocuments('kind: Pod\n', 'x.yaml'), /^x\.yaml: apiVersion: required$/)
  assert.throws(() => parseDocuments('---\n', 'x.yaml'), /^x\.yaml: no Kubernetes object in it$/)
  assert.is(parseDocuments(`---\n${POD}---\n`, 'x.yaml').length, 1)
})

test('writeDocuments: Podman\'s layout, and strings a YAML 1.1 reader would take for something else stay quoted', () => {
  const text = writeDocuments([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { b: 'on', a: '8080', c: 'no' } }], '# header\n')
  assert.is(text, '# header\napiVersion: v1\ndata:\n  a: "8080"\n  b: "on"\n  c: "no"\nkind: ConfigMap\nmetadata:\n  name: c\n')
  assert.throws(() => writeDocuments([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} }]), /^generated YAML: spec\.containers: required$/)
})

test.run()
