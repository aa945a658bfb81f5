import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  familiarReference,
  fullReference,
  isShortName,
  parseReference,
  resolveShortName,
  type ImageReference,
} from '../../../lib/image/reference.js'
import { throwsCode } from '../../support/assert.js'

const SHA256 = `sha256:${'a1'.repeat(32)}`
const SHA512 = `sha512:${'0f'.repeat(64)}`
const SHA384 = `sha384:${'9'.repeat(96)}`

interface Valid {
  input: string
  ref: ImageReference
  full: string
  familiar: string
  short: boolean
}

const ref = (registry: string, repository: string, tag?: string, digest?: string): ImageReference => ({
  registry,
  repository,
  ...(tag === undefined ? {} : { tag }),
  ...(digest === undefined ? {} : { digest }),
})

// prettier-ignore
const VALID: Valid[] = [
  { input: 'alpine', ref: ref('docker.io', 'library/alpine', 'latest'), full: 'docker.io/library/alpine:latest', familiar: 'alpine:latest', short: true },
  { input: 'alpine:3.19', ref: ref('docker.io', 'library/alpine', '3.19'), full: 'docker.io/library/alpine:3.19', familiar: 'alpine:3.19', short: true },
  { input: 'library/alpine', ref: ref('docker.io', 'library/alpine', 'latest'), full: 'docker.io/library/alpine:latest', familiar: 'alpine:latest', short: true },
  { input: 'docker.io/alpine', ref: ref('docker.io', 'library/alpine', 'latest'), full: 'docker.io/library/alpine:latest', familiar: 'alpine:latest', short: false },
  { input: 'docker.io/library/alpine:edge', ref: ref('docker.io', 'library/alpine', 'edge'), full: 'docker.io/library/alpine:edge', familiar: 'alpine:edge', short: false },
  { input: 'index.docker.io/library/alpine', ref: ref('docker.io', 'library/alpine', 'latest'), full: 'docker.io/library/alpine:latest', familiar: 'alpine:latest', short: false },
  { input: 'index.docker.io/alpine', ref: ref('docker.io', 'library/alpine', 'latest'), full: 'docker.io/library/alpine:latest', familiar: 'alpine:latest', short: false },
  { input: 'registry-1.docker.io/user/app:v2', ref: ref('docker.io', 'user/app', 'v2'), full: 'docker.io/user/app:v2', familiar: 'user/app:v2', short: false },
  { input: 'user/repo:tag', ref: ref('docker.io', 'user/repo', 'tag'), full: 'docker.io/user/repo:tag', familiar: 'user/repo:tag', short: true },
  { input: 'user/x:1', ref: ref('docker.io', 'user/x', '1'), full: 'docker.io/user/x:1', familiar: 'user/x:1', short: true },
  { input: 'library/a/b', ref: ref('docker.io', 'library/a/b', 'latest'), full: 'docker.io/library/a/b:latest', familiar: 'library/a/b:latest', short: true },
  { input: 'docker.io/foo.com/x', ref: ref('docker.io', 'foo.com/x', 'latest'), full: 'docker.io/foo.com/x:latest', familiar: 'docker.io/foo.com/x:latest', short: false },
  { input: 'quay.io/a/b/c:1.0', ref: ref('quay.io', 'a/b/c', '1.0'), full: 'quay.io/a/b/c:1.0', familiar: 'quay.io/a/b/c:1.0', short: false },
  { input: 'quay.io/podman/stable', ref: ref('quay.io', 'podman/stable', 'latest'), full: 'quay.io/podman/stable:latest', familiar: 'quay.io/podman/stable:latest', short: false },
  { input: 'quay.io/x', ref: ref('quay.io', 'x', 'latest'), full: 'quay.io/x:latest', familiar: 'quay.io/x:latest', short: false },
  { input: `quay.io/a/b@${SHA256}`, ref: ref('quay.io', 'a/b', undefined, SHA256), full: `quay.io/a/b@${SHA256}`, familiar: `quay.io/a/b@${SHA256}`, short: false },
  { input: `localhost:5000/x@${SHA256}`, ref: ref('localhost:5000', 'x', undefined, SHA256), full: `localhost:5000/x@${SHA256}`, familiar: `localhost:5000/x@${SHA256}`, short: false },
  { input: 'localhost:5000/x', ref: ref('localhost:5000', 'x', 'latest'), full: 'localhost:5000/x:latest', familiar: 'localhost:5000/x:latest', short: false },
  { input: 'localhost:5000/ns/x:dev', ref: ref('localhost:5000', 'ns/x', 'dev'), full: 'localhost:5000/ns/x:dev', familiar: 'localhost:5000/ns/x:dev', short: false },
  { input: 'localhost/x', ref: ref('localhost', 'x', 'latest'), full: 'localhost/x:latest', familiar: 'localhost/x:latest', short: false },
  { input: 'localhost/my-build:1', ref: ref('localhost', 'my-build', '1'), full: 'localhost/my-build:1', familiar: 'localhost/my-build:1', short: false },
  { input: 'localhost:5000', ref: ref('docker.io', 'library/localhost', '5000'), full: 'docker.io/library/localhost:5000', familiar: 'localhost:5000', short: true },
  { input: '[::1]:5000/x', ref: ref('[::1]:5000', 'x', 'latest'), full: '[::1]:5000/x:latest', familiar: '[::1]:5000/x:latest', short: false },
  { input: '[2001:db8::1]/team/app:v1', ref: ref('[2001:db8::1]', 'team/app', 'v1'), full: '[2001:db8::1]/team/app:v1', familiar: '[2001:db8::1]/team/app:v1', short: false },
  { input: '192.168.1.10:5000/x', ref: ref('192.168.1.10:5000', 'x', 'latest'), full: '192.168.1.10:5000/x:latest', familiar: '192.168.1.10:5000/x:latest', short: false },
  { input: 'registry.example.com:443/a/b', ref: ref('registry.example.com:443', 'a/b', 'latest'), full: 'registry.example.com:443/a/b:latest', familiar: 'registry.example.com:443/a/b:latest', short: false },
  { input: 'Registry.Example.COM/app', ref: ref('Registry.Example.COM', 'app', 'latest'), full: 'Registry.Example.COM/app:latest', familiar: 'Registry.Example.COM/app:latest', short: false },
  { input: `alpine:3.19@${SHA256}`, ref: ref('docker.io', 'library/alpine', '3.19', SHA256), full: `docker.io/library/alpine:3.19@${SHA256}`, familiar: `alpine:3.19@${SHA256}`, short: true },
  { input: `alpine@${SHA256}`, ref: ref('docker.io', 'library/alpine', undefined, SHA256), full: `docker.io/library/alpine@${SHA256}`, familiar: `alpine@${SHA256}`, short: true },
  { input: `quay.io/a/b:1@${SHA512}`, ref: ref('quay.io', 'a/b', '1', SHA512), full: `quay.io/a/b:1@${SHA512}`, familiar: `quay.io/a/b:1@${SHA512}`, short: false },
  { input: `x@${SHA384}`, ref: ref('docker.io', 'library/x', undefined, SHA384), full: `docker.io/library/x@${SHA384}`, familiar: `x@${SHA384}`, short: true },
  { input: 'app:v1.2.3-rc.1', ref: ref('docker.io', 'library/app', 'v1.2.3-rc.1'), full: 'docker.io/library/app:v1.2.3-rc.1', familiar: 'app:v1.2.3-rc.1', short: true },
  { input: 'app:_private', ref: ref('docker.io', 'library/app', '_private'), full: 'docker.io/library/app:_private', familiar: 'app:_private', short: true },
  { input: 'app:UPPER_Case', ref: ref('docker.io', 'library/app', 'UPPER_Case'), full: 'docker.io/library/app:UPPER_Case', familiar: 'app:UPPER_Case', short: true },
  { input: `app:${'t'.repeat(128)}`, ref: ref('docker.io', 'library/app', 't'.repeat(128)), full: `docker.io/library/app:${'t'.repeat(128)}`, familiar: `app:${'t'.repeat(128)}`, short: true },
  { input: 'my__repo/a.b_c', ref: ref('docker.io', 'my__repo/a.b_c', 'latest'), full: 'docker.io/my__repo/a.b_c:latest', familiar: 'my__repo/a.b_c:latest', short: true },
  { input: 'a--b---c/d-e', ref: ref('docker.io', 'a--b---c/d-e', 'latest'), full: 'docker.io/a--b---c/d-e:latest', familiar: 'a--b---c/d-e:latest', short: true },
  { input: 'ghcr.io/org/tool-v2:2024.01.01', ref: ref('ghcr.io', 'org/tool-v2', '2024.01.01'), full: 'ghcr.io/org/tool-v2:2024.01.01', familiar: 'ghcr.io/org/tool-v2:2024.01.01', short: false },
  { input: '0/1/2', ref: ref('docker.io', '0/1/2', 'latest'), full: 'docker.io/0/1/2:latest', familiar: '0/1/2:latest', short: true },
  { input: `a/${'b'.repeat(243)}`, ref: ref('docker.io', `a/${'b'.repeat(243)}`, 'latest'), full: `docker.io/a/${'b'.repeat(243)}:latest`, familiar: `a/${'b'.repeat(243)}:latest`, short: true },
  { input: `quay.io/${'b'.repeat(247)}`, ref: ref('quay.io', 'b'.repeat(247), 'latest'), full: `quay.io/${'b'.repeat(247)}:latest`, familiar: `quay.io/${'b'.repeat(247)}:latest`, short: false },
  { input: `${'ab'.repeat(32)}x`, ref: ref('docker.io', `library/${'ab'.repeat(32)}x`, 'latest'), full: `docker.io/library/${'ab'.repeat(32)}x:latest`, familiar: `${'ab'.repeat(32)}x:latest`, short: true },
]

for (const c of VALID) {
  test(`parse ${c.input.slice(0, 60)}`, () => {
    const parsed = parseReference(c.input)
    assert.equal(parsed, c.ref)
    assert.is(fullReference(parsed), c.full)
    assert.is(familiarReference(parsed), c.familiar)
    assert.is(isShortName(c.input), c.short)
    // Both forms name the same image again.
    assert.equal(parseReference(c.full), c.ref)
    assert.equal(parseReference(c.familiar), c.ref)
  })
}

const prefix = (input: string) => `invalid image reference "${input}": `

// prettier-ignore
const INVALID: Array<[input: string, message: string]> = [
  ['', 'it is empty'],
  ['Alpine', 'the repository "Alpine" must be lowercase'],
  ['user/MyApp:1', 'the repository "user/MyApp" must be lowercase'],
  ['quay.io/Org/app', 'the repository "Org/app" must be lowercase'],
  ['a//b', `the repository "a//b" has an empty path component ('//', or a leading or trailing '/')`],
  ['/alpine', `the repository "/alpine" has an empty path component ('//', or a leading or trailing '/')`],
  ['alpine/', `the repository "alpine/" has an empty path component ('//', or a leading or trailing '/')`],
  ['alpine:', "the tag after ':' is empty"],
  [':tag', 'the repository name is missing'],
  ['@' + SHA256, 'the repository name is missing'],
  ['alpine@', "the digest after '@' is empty"],
  ['alpine@sha256:short', 'a sha256 digest must be 64 lowercase hex characters, got "short" (5)'],
  [`alpine@sha256:${'a'.repeat(63)}`, `a sha256 digest must be 64 lowercase hex characters, got "${'a'.repeat(63)}" (63)`],
  [`alpine@sha256:${'A'.repeat(64)}`, `a sha256 digest must be 64 lowercase hex characters, got "${'A'.repeat(64)}" (64)`],
  [`alpine@sha512:${'a'.repeat(64)}`, `a sha512 digest must be 128 lowercase hex characters, got "${'a'.repeat(64)}" (64)`],
  [`alpine@md5:${'a'.repeat(32)}`, 'digest algorithm "md5" is not supported (use sha256, sha384, sha512)'],
  [`alpine@SHA256:${'a'.repeat(64)}`, 'digest algorithm "SHA256" is invalid'],
  ['alpine@latest', 'digest "latest" is not of the form algorithm:hex'],
  [`a@${SHA256}@${SHA256}`, `a sha256 digest must be 64 lowercase hex characters, got "${'a1'.repeat(32)}@${SHA256}" (136)`],
  [`alpine:${'t'.repeat(129)}`, 'the tag is 129 characters long; at most 128 are allowed'],
  ['alpine:.hidden', `tag ".hidden" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'`],
  ['alpine:-x', `tag "-x" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'`],
  ['alpine:a+b', `tag "a+b" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'`],
  ['alpine latest', 'it contains whitespace'],
  [' alpine', 'it contains whitespace'],
  ['alpine\n', 'it contains whitespace'],
  ['a:b:c', `repository path component "a:b" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`],
  ['-alpine', `repository path component "-alpine" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`],
  ['a___b', `repository path component "a___b" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`],
  ['a..b', `repository path component "a..b" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`],
  ['a-', `repository path component "a-" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`],
  ['docker.io/', 'the repository after the registry is missing'],
  ['localhost:abc/x', 'registry port "abc" is not a number'],
  ['localhost:/x', 'registry port "" is not a number'],
  ['exa_mple.com/x', `registry host "exa_mple.com" is not a valid host name (letters, digits and '-' in dot-separated labels)`],
  ['-bad.com/x', `registry host "-bad.com" is not a valid host name (letters, digits and '-' in dot-separated labels)`],
  ['[zz::1]:5000/x', 'registry host "[zz::1]" is not a bracketed IPv6 address'],
  ['[::1]x/y', 'registry "[::1]x" has text after its IPv6 address'],
  [`a/${'b'.repeat(244)}`, 'the name on registry "docker.io" is 256 characters long; at most 255 are allowed'],
  [`${'b'.repeat(238)}`, 'the name on registry "docker.io" is 256 characters long; at most 255 are allowed'],
  [`quay.io/${'b'.repeat(248)}:tag`, 'the name on registry "quay.io" is 256 characters long; at most 255 are allowed'],
  ['ab'.repeat(32), 'a 64-character hex string is an image ID, not a repository name'],
  [`${'ab'.repeat(32)}:latest`, 'a 64-character hex string is an image ID, not a repository name'],
]

for (const [input, message] of INVALID) {
  test(`reject ${JSON.stringify(input.slice(0, 60))}`, () => {
    const err = throwsCode(() => parseReference(input), 'INVALID_ARGUMENT')
    assert.is(err.message, prefix(input) + message)
  })
}

test('isShortName does not validate', () => {
  assert.ok(isShortName('Not A Reference'))
  assert.not.ok(isShortName('quay.io/Bad Name'))
  assert.not.ok(isShortName(`localhost/x@${SHA256}`))
})

const SEARCH = ['docker.io', 'quay.io'] as const
const full = (refs: ImageReference[]) => refs.map(fullReference)

test('resolveShortName: a single-component name gets library/ on docker.io only', () => {
  assert.equal(full(resolveShortName('alpine', SEARCH)), ['docker.io/library/alpine:latest', 'quay.io/alpine:latest'])
})

test('resolveShortName: a two-component name is used as is', () => {
  assert.equal(full(resolveShortName('user/app:1', SEARCH)), ['docker.io/user/app:1', 'quay.io/user/app:1'])
})

test('resolveShortName: library/ as written stays on every registry', () => {
  assert.equal(full(resolveShortName('library/alpine', SEARCH)), ['docker.io/library/alpine:latest', 'quay.io/library/alpine:latest'])
})

test('resolveShortName: search order is kept, tag and digest carried, no latest added to a digest', () => {
  assert.equal(full(resolveShortName(`alpine@${SHA256}`, ['quay.io', 'docker.io'])), [
    `quay.io/alpine@${SHA256}`,
    `docker.io/library/alpine@${SHA256}`,
  ])
  assert.equal(full(resolveShortName(`alpine:3@${SHA256}`, SEARCH)), [
    `docker.io/library/alpine:3@${SHA256}`,
    `quay.io/alpine:3@${SHA256}`,
  ])
})

test('resolveShortName: docker.io aliases normalise, and duplicates are dropped', () => {
  assert.equal(full(resolveShortName('alpine', ['index.docker.io', 'docker.io', 'localhost:5000'])), [
    'docker.io/library/alpine:latest',
    'localhost:5000/alpine:latest',
  ])
})

test('resolveShortName: a registry without a dot, from the search list', () => {
  assert.equal(resolveShortName('x', ['myregistry']), [ref('myregistry', 'x', 'latest')])
})

test('resolveShortName: a qualified name gives itself, even with no search registries', () => {
  for (const input of ['quay.io/a/b:1', 'docker.io/alpine', 'localhost/x', '[::1]:5000/x']) {
    assert.equal(resolveShortName(input, SEARCH), [parseReference(input)])
    assert.equal(resolveShortName(input, []), [parseReference(input)])
  }
})

test('resolveShortName: a short name with no search registries', () => {
  const err = throwsCode(
    () => resolveShortName('alpine', []),
    'INVALID_ARGUMENT',
    'cannot resolve short name "alpine": no search registries are configured; use a fully qualified name such as docker.io/library/alpine:latest',
  )
  assert.ok(err.hint)
})

test('resolveShortName: an invalid input or search registry', () => {
  throwsCode(() => resolveShortName('Alpine', SEARCH), 'INVALID_ARGUMENT', 'must be lowercase')
  throwsCode(() => resolveShortName('Alpine', []), 'INVALID_ARGUMENT', 'must be lowercase')
  throwsCode(
    () => resolveShortName('alpine', ['quay.io', 'bad_host']),
    'INVALID_ARGUMENT',
    'invalid image reference "alpine": search registry "bad_host": registry host "bad_host" is not a valid host name',
  )
  throwsCode(
    () => resolveShortName(`a/${'b'.repeat(240)}`, ['registry.example.com']),
    'INVALID_ARGUMENT',
    'the name on registry "registry.example.com" is 263 characters long; at most 255 are allowed',
  )
})

test('fullReference and familiarReference on hand-built references', () => {
  assert.is(fullReference({ registry: 'quay.io', repository: 'a/b' }), 'quay.io/a/b')
  assert.is(familiarReference({ registry: 'docker.io', repository: 'library/alpine' }), 'alpine')
  assert.is(familiarReference({ registry: 'docker.io', repository: 'localhost/x', tag: '1' }), 'docker.io/localhost/x:1')
})

test.run()
