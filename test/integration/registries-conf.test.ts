// registries.conf as podman reads it, through bin/cocker pull: short names through the
// search list, a prefix rewritten to another location, mirrors tried first (a dead one
// skipped), blocked registries, and TLS on a loopback registry only when asked.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeTempDir } from '../fixtures/bundle.js'
import { cocker, cockerModeOrSkip, type CockerMode } from '../support/cocker-modes.js'
import { pushFixture, type PushedFixture } from '../support/image-fixture.js'
import { freePort, registryMissing, startRegistry, type TestRegistry } from '../support/registry.js'
import { skipUnless } from '../support/requires.js'

let main: TestRegistry | undefined
let mirror: TestRegistry | undefined
let fromLocation: PushedFixture | undefined
let fromMirror: PushedFixture | undefined
const missing = registryMissing()

test.before(async () => {
  if (missing) return
  main = await startRegistry()
  mirror = await startRegistry()
  await pushFixture(main.host, 'busybox')
  fromLocation = await pushFixture(main.host, 'busybox', { repository: 'team/busybox', format: 'v2s2' })
  fromMirror = await pushFixture(mirror.host, 'busybox', { repository: 'team/busybox' })
  assert.is.not(fromLocation.digest, fromMirror.digest)
})
test.after(async () => {
  await main?.stop()
  await mirror?.stop()
})

function withConf(title: string, conf: (dead: string) => string, body: (e: CockerMode, env: Record<string, string>) => Promise<void>): void {
  test(title, async () => {
    if (skipUnless(!missing, title, missing ?? '')) return
    const e = cockerModeOrSkip('root', title)
    if (!e) return
    const file = path.join(makeTempDir('cocker-regconf-'), 'registries.conf')
    writeFileSync(file, conf(`127.0.0.1:${await freePort()}`))
    await body(e, { CONTAINERS_REGISTRIES_CONF: file })
  })
}

withConf('a short name resolves through unqualified-search-registries', () =>
  `unqualified-search-registries = ["${main!.host}"]\n`, async (e, env) => {
  await cocker(e, ['pull', '-q', 'busybox'], { env, status: 0 })
  assert.is((await cocker(e, ['images', '--format', '{{.Repository}}:{{.Tag}}'], { env, status: 0 })).stdout, `${main!.host}/busybox:latest\n`)
  // and `run` finds it by the short name
  assert.is((await cocker(e, ['run', '--rm', 'busybox', 'cat', '/etc/motd'], { env, status: 0 })).stdout, 'hello from the cocker test image\n')
})

// The location serves the fixture as Docker schema 2 and the mirror as OCI: two manifest
// digests, so the digest pulled tells which of them served it.
withConf('a prefix is pulled from its mirror first (a dead mirror skipped), though the location serves it too', dead => `
[[registry]]
prefix = "example.test/team"
location = "${main!.host}/team"
[[registry.mirror]]
location = "${dead}/team"
[[registry.mirror]]
location = "${mirror!.host}/team"
`, async (e, env) => {
  await cocker(e, ['pull', '-q', 'example.test/team/busybox'], { env, status: 0 })
  assert.is((await cocker(e, ['images', '--format', '{{.Repository}}'], { env, status: 0 })).stdout, 'example.test/team/busybox\n')
  assert.is((await cocker(e, ['inspect', '--format', '{{.Digest}}', 'example.test/team/busybox'], { env, status: 0 })).stdout, `${fromMirror!.digest}\n`)
})

withConf('a prefix whose mirrors are all dead is pulled from its location, last', dead => `
[[registry]]
prefix = "example.test/team"
location = "${main!.host}/team"
[[registry.mirror]]
location = "${dead}/team"
`, async (e, env) => {
  await cocker(e, ['pull', '-q', 'example.test/team/busybox'], { env, status: 0 })
  assert.is((await cocker(e, ['inspect', '--format', '{{.Digest}}', 'example.test/team/busybox'], { env, status: 0 })).stdout, `${fromLocation!.digest}\n`)
})

withConf('a location rewrites the prefix', () => `
[[registry]]
prefix = "example.test"
location = "${main!.host}"
`, async (e, env) => {
  await cocker(e, ['pull', '-q', 'example.test/busybox:latest'], { env, status: 0 })
})

withConf('a blocked registry is refused in one line', () => `
[[registry]]
location = "${main!.host}"
blocked = true
`, async (e, env) => {
  const r = await cocker(e, ['pull', '-q', `${main!.host}/busybox`], { env, status: 125 })
  assert.match(r.stderr, /^Error: .*blocked.*\n$/)
})

withConf('a loopback registry speaks plain HTTP unless --tls-verify=true asks for TLS', () => '', async (e, env) => {
  await cocker(e, ['pull', '-q', `${main!.host}/busybox`], { env, status: 0 })
  const r = await cocker(e, ['pull', '-q', '--tls-verify=true', `${main!.host}/busybox`], { env, status: 125 })
  assert.match(r.stderr, /^Error: .*(HTTP|TLS|https).*\n$/i)
  assert.is(r.stderr.split('\n').length, 2, r.stderr)
})

test.run()
