import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { endpointsFor, loadRegistriesConf, mergeRegistriesConf, parseRegistriesConf, registriesConfFiles, searchRegistries } from '../../../lib/config/registries.js'
import { makeTempDir } from '../../fixtures/bundle.js'
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
  // syntax errors: smol-toml's line and column (an unclosed list is seen where the file ends)
  throwsCode(() => parseRegistriesConf('x = [1, 2\n', 'r.conf'), 'CONFIG_INVALID', 'r.conf:2:1: expected comma or end of structure')
  throwsCode(() => parseRegistriesConf('\nnonsense here', 'r.conf'), 'CONFIG_INVALID', 'r.conf:2:10: illegal character in key')
  throwsCode(() => parseRegistriesConf('[[registry]]\nlocation = "a"\n[[registry]]\nlocation = 1\n', 'r.conf'), 'CONFIG_INVALID', 'r.conf:3: location must be a string')
  throwsCode(() => parseRegistriesConf('[registries.search]\nregistries = []', 'r.conf'), 'CONFIG_INVALID', 'version 1 format')
})

test('drop-ins: the search list replaced, registries replaced by prefix, others added', () => {
  const base = parseRegistriesConf('unqualified-search-registries = ["a.io"]\n[[registry]]\nprefix = "x.io"\ninsecure = true\n[[registry]]\nlocation = "y.io"\n', '/main.conf')
  const merged = mergeRegistriesConf(base, parseRegistriesConf('[[registry]]\nlocation = "x.io"\nblocked = true\n[[registry]]\nlocation = "z.io"\n', '/d/1.conf'))
  assert.equal(searchRegistries(merged), ['a.io'])
  assert.equal(merged.registries.map(r => [r.prefix, r.insecure, r.blocked]), [['y.io', false, false], ['x.io', false, true], ['z.io', false, false]])
  assert.equal(searchRegistries(mergeRegistriesConf(merged, parseRegistriesConf('unqualified-search-registries = []', '/d/2.conf'))), [])
})

test('which files: CONTAINERS_REGISTRIES_CONF or the user\'s or the system\'s, then the drop-ins by name', async () => {
  const home = makeTempDir('cocker-reg-')
  const own = path.join(home, '.config/containers')
  mkdirSync(path.join(own, 'registries.conf.d'), { recursive: true })
  writeFileSync(path.join(own, 'registries.conf.d/b.conf'), 'unqualified-search-registries = ["b.io"]\n')
  writeFileSync(path.join(own, 'registries.conf.d/a.conf'), 'unqualified-search-registries = ["a.io"]\n')
  const env = { HOME: home, CONTAINERS_REGISTRIES_CONF: path.join(home, 'missing.conf') }
  const list = registriesConfFiles(env)
  assert.is(list[0], path.join(home, 'missing.conf'))
  assert.equal(list.slice(-2), [path.join(own, 'registries.conf.d/a.conf'), path.join(own, 'registries.conf.d/b.conf')])
  assert.equal(searchRegistries(await loadRegistriesConf(env)), ['b.io'])
  // the user's own registries.conf hides the system's and its drop-ins
  writeFileSync(path.join(own, 'registries.conf'), 'unqualified-search-registries = ["own.io"]\n')
  assert.equal(registriesConfFiles({ HOME: home }), [path.join(own, 'registries.conf'), path.join(own, 'registries.conf.d/a.conf'), path.join(own, 'registries.conf.d/b.conf')])
})

test.run()
