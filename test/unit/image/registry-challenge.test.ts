import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseChallenges } from '../../../lib/image/registry/challenge.js'
import { isLoopback } from '../../../lib/image/registry/endpoint.js'

test('WWW-Authenticate: Bearer with quoted params, Basic, several in one header', () => {
  assert.equal(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
  ])
  assert.equal(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }])
  assert.equal(parseChallenges(['Basic realm="a, b"', 'Bearer realm=https://t/x, error="insufficient_scope"']), [
    { scheme: 'basic', params: { realm: 'a, b' } },
    { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } },
  ])
  assert.equal(parseChallenges('Basic realm="x", Bearer realm="y"').map(c => c.scheme), ['basic', 'bearer'])
  assert.equal(parseChallenges(undefined), [])
})

test('loopback registries: localhost, 127/8, ::1, with or without a port', () => {
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.ok(isLoopback(h), h)
  for (const h of ['docker.io', '10.0.0.1:5000', 'localhost.example.com', '128.0.0.1']) assert.not.ok(isLoopback(h), h)
})

test.run()
