import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { endpointsFor, parseRegistriesConf, searchRegistries } from '../../../lib/config/registries.js'
import { throwsCode } from '../../support/assert.js'

const CONF = `
# a comment
unqualified-search-registries = [
  "quay.io",   # trailing comment
  'docker.io',
]
short-name-mode = "enforcing"

[[registry]]
prefix = "example.com/foo"
location = "internal:5000/mirror/foo"
insecure = true

[[registry.mirror]]
location = "mirror.local/foo"

[[registry.mirror]]
location = "127.0.0.1:5000/foo"
insecure = true

[[registry]]
location = "evil.io"
blocked = true

[[registry]]
prefix = "*.corp.example"
insecure = true

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
`

test('search registries, default docker.io', () => {
  const c = parseRegistriesConf(CONF, '/etc/containers/registries.conf')
  assert.equal(searchRegistries(c), ['quay.io', 'docker.io'])
  assert.equal(searchRegistries(parseRegistriesConf('')), ['docker.io'])
  assert.equal(searchRegistries(parseRegistriesConf('unqualified-search-registries = []')), [])
})

test('endpoints: mirrors first then the location, prefixes rewritten; no entry means the registry itself', () => {
  const c = parseRegistriesConf(CONF, '/etc/containers/registries.conf')
  assert.equal(endpointsFor(c, { registry: 'example.com', repository: 'foo/bar' }), [
    { host: 'mirror.local', repository: 'foo/bar', insecure: false, mirror: true },
    { host: '127.0.0.1:5000', repository: 'foo/bar', insecure: true, mirror: true },
    { host: 'internal:5000', repository: 'mirror/foo/bar', insecure: true, mirror: false },
  ])
  assert.equal(endpointsFor(c, { registry: 'example.com', repository: 'foobar/x' }), [{ host: 'example.com', repository: 'foobar/x', insecure: false, mirror: false }])
  assert.equal(endpointsFor(c, { registry: 'reg.corp.example', repository: 'a' }), [{ host: 'reg.corp.example', repository: 'a', insecure: true, mirror: false }])
  throwsCode(() => endpointsFor(c, { registry: 'evil.io', repository: 'x' }), 'REGISTRY_BLOCKED', 'registry evil.io is blocked in /etc/containers/registries.conf')
})

test('errors name file:line', () => {
  throwsCode(() => parseRegistriesConf('a = "x"\n\n[[registry]]\ninsecure = "yes"\nlocation = "x"', 'r.conf'), 'CONFIG_INVALID', 'r.conf:3: insecure must be true or false')
  throwsCode(() => parseRegistriesConf('x = [1, 2\n', 'r.conf'), 'CONFIG_INVALID', /^r.conf:1: /)
  throwsCode(() => parseRegistriesConf('\nnonsense here', 'r.conf'), 'CONFIG_INVALID', 'r.conf:2: cannot parse "nonsense here"')
  throwsCode(() => parseRegistriesConf('[registries.search]\nregistries = []', 'r.conf'), 'CONFIG_INVALID', 'version 1 format')
})

test.run()
