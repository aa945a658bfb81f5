// README.md's "On a Kubernetes node": its containerd section is TOML that names a runtime
// `cocker` on the runc shim with BinaryName (test/integration/containerd-interop.test.ts runs
// a pod through CRI with it), and its YAML is a RuntimeClass with that handler and a pod that
// asks for the class, each with the fields the API server requires.
import { readFileSync } from 'node:fs'
import { parse as parseToml } from 'smol-toml'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseAllDocuments } from 'yaml'
import { repoPath } from '../../support/paths.js'

const readme = readFileSync(repoPath('README.md'), 'utf8')
const blocks = (lang: string) => [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(m => m[1]!)
// a DNS-1123 label: what RuntimeClass.handler must be
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

test('the containerd section: runtimes.cocker is the runc shim with a BinaryName, and runc keeps its entry', () => {
  const toml = blocks('toml').filter(b => b.includes('runtimes.cocker'))
  assert.is(toml.length, 1, 'one toml block with runtimes.cocker')
  const conf = JSON.parse(JSON.stringify(parseToml(toml[0]!))) as any
  const runtimes = conf.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes
  assert.equal(runtimes.cocker, { runtime_type: 'io.containerd.runc.v2', options: { BinaryName: '/usr/local/bin/cocker-runtime' } })
  assert.is(runtimes.runc.runtime_type, 'io.containerd.runc.v2', 'without runc\'s entry containerd does not load CRI')
})

test('the YAML: a RuntimeClass whose handler is that runtime, and a pod that asks for it', () => {
  const yaml = blocks('yaml')
  assert.is(yaml.length, 1)
  const docs = parseAllDocuments(yaml[0]!)
  for (const d of docs) assert.equal(d.errors, [], 'no YAML errors')
  const [rc, pod] = docs.map(d => d.toJS())
  assert.equal(Object.keys(rc).sort(), ['apiVersion', 'handler', 'kind', 'metadata'])
  assert.is(rc.apiVersion, 'node.k8s.io/v1')
  assert.is(rc.kind, 'RuntimeClass')
  assert.match(rc.metadata.name, DNS_LABEL)
  assert.match(rc.handler, DNS_LABEL)
  const toml = parseToml(blocks('toml').find(b => b.includes('runtimes.cocker'))!) as any
  assert.ok(toml.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes[rc.handler], 'the handler names the containerd runtime')

  assert.is(pod.apiVersion, 'v1')
  assert.is(pod.kind, 'Pod')
  assert.match(pod.metadata.name, DNS_LABEL)
  assert.is(pod.spec.runtimeClassName, rc.metadata.name)
  assert.ok(pod.spec.containers.length > 0)
  for (const c of pod.spec.containers) {
    assert.match(c.name, DNS_LABEL)
    assert.type(c.image, 'string')
    assert.ok(c.command.every((a: unknown) => typeof a === 'string'))
  }
})

test.run()
