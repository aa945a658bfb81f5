// The registry client against small fake registries on node:http: the parts a
// real docker-registry cannot show (token server, CDN redirects, flaky servers).
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../lib/errors.js'
import { RegistryClient } from '../../../lib/image/registry/client.js'
import { rejectsCode } from '../../support/registry.js'
import { skipUnless } from '../../support/requires.js'

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void

interface Fake {
  host: string
  log: { method: string; url: string; authorization?: string }[]
  close(): Promise<void>
}

async function fake(handler: Handler, address = '127.0.0.1'): Promise<Fake> {
  const log: Fake['log'] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      log.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization })
      handler(req, res, Buffer.concat(chunks))
    })
  })
  await new Promise<void>(r => server.listen(0, address, r))
  const { port } = server.address() as net.AddressInfo
  return {
    host: `${net.isIPv6(address) ? `[${address}]` : address}:${port}`,
    log,
    close: () => new Promise(r => (server.closeAllConnections(), server.close(() => r()))),
  }
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }))
const BLOB = Buffer.from('layer bytes '.repeat(1000))
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocker-client-test-'))
test.after(() => rmSync(tmp, { recursive: true, force: true }))

function client(host: string, opts: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  return new RegistryClient({ host, retryDelayMs: 5, ...opts })
}

test('bearer: anonymous first, then a token per scope from the realm (with basic credentials), cached', async () => {
  let host = ''
  const tokens: string[] = []
  const f = await fake((req, res) => {
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/token') {
      assert.is(req.headers.authorization, `Basic ${Buffer.from('bob:pw').toString('base64')}`)
      assert.is(url.searchParams.get('service'), 'fake-registry')
      const scopes = url.searchParams.getAll('scope').join(' ')
      tokens.push(scopes)
      return res.end(JSON.stringify({ token: `tok ${scopes}`, expires_in: 300 }))
    }
    const scope = req.method === 'GET' || req.method === 'HEAD' ? 'repository:team/app:pull' : 'repository:team/app:pull,push'
    if (req.headers.authorization !== `Bearer tok ${scope}`) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake-registry",scope="${scope}"`, 'content-type': 'application/json' })
      return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
    }
    if (url.pathname === '/v2/team/app/manifests/latest') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha(MANIFEST) })
      return res.end(MANIFEST)
    }
    if (url.pathname === `/v2/team/app/blobs/${sha(BLOB)}`) return res.end(BLOB)
    if (req.method === 'PUT' && url.pathname === '/v2/team/app/manifests/v2') return (res.writeHead(201), res.end())
    res.writeHead(404).end()
  })
  host = f.host
  const c = client(f.host, { credentials: { username: 'bob', password: 'pw' } })
  try {
    const m = await c.getManifest('team/app', 'latest', ['application/vnd.oci.image.manifest.v1+json'])
    assert.is(m.digest, sha(MANIFEST))
    assert.is(m.mediaType, 'application/vnd.oci.image.manifest.v1+json')
    await c.fetchBlob('team/app', sha(BLOB), BLOB.length, path.join(tmp, 'blob'))
    assert.ok(readFileSync(path.join(tmp, 'blob')).equals(BLOB))
    await c.putManifest('team/app', 'v2', 'application/vnd.oci.image.manifest.v1+json', MANIFEST)
    assert.equal(tokens, ['repository:team/app:pull', 'repository:team/app:pull,push'])
    // One 401 only: once the registry asked for tokens, each new scope gets one up front.
    assert.is(f.log.filter(r => r.url.startsWith('/v2/') && !r.authorization).length, 1)
  } finally {
    c.close()
    await f.close()
  }
})

test('bearer: the token server refusing the credentials is REGISTRY_UNAUTHORIZED with a login hint', async () => {
  let host = ''
  const f = await fake((req, res) => {
    if (req.url!.startsWith('/token')) return res.writeHead(401).end()
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="x"` }).end()
  })
  host = f.host
  const c = client(f.host, { credentials: { username: 'bob', password: 'wrong' } })
  try {
    const err = await rejectsCode(() => c.ping(), 'REGISTRY_UNAUTHORIZED', 'invalid username or password')
    assert.is(err.hint, `run \`cocker login ${f.host}\``)
  } finally {
    c.close()
    await f.close()
  }
})

test('a blob redirect to another host (a CDN) is followed without the Authorization header', async () => {
  const cdn = await fake((_req, res) => res.end(BLOB))
  const f = await fake((req, res) => {
    if (!req.headers.authorization) return res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end()
    res.writeHead(307, { location: `http://${cdn.host}/blob?sig=1` }).end()
  })
  const c = client(f.host, { credentials: { username: 'u', password: 'p' } })
  try {
    await c.fetchBlob('a/b', sha(BLOB), BLOB.length, path.join(tmp, 'cdn'))
    assert.is(cdn.log.length, 1)
    assert.is(cdn.log[0]!.url, '/blob?sig=1')
    assert.is(cdn.log[0]!.authorization, undefined)
    assert.ok(f.log.some(r => r.authorization?.startsWith('Basic ')))
  } finally {
    c.close()
    await Promise.all([f.close(), cdn.close()])
  }
})

test('503 and 429 are retried with backoff; the third failure is reported', async () => {
  let n = 0
  const f = await fake((_req, res) => {
    n++
    if (n < 3) return res.writeHead(n === 1 ? 503 : 429).end()
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST)
  })
  const c = client(f.host)
  try {
    assert.is((await c.getManifest('a', 'latest', [])).digest, sha(MANIFEST))
    assert.is(n, 3)
    n = -10
    await rejectsCode(() => c.getManifest('a', 'latest', []), 'REGISTRY_ERROR', /answered 429 Too Many Requests/)
    assert.is(n, -7)
  } finally {
    c.close()
    await f.close()
  }
})

test('wrong bytes for a blob: BLOB_INVALID naming digest and registry, no file left', async () => {
  const f = await fake((_req, res) => res.end(Buffer.from(BLOB).fill(0x41, 0, 10)))
  const c = client(f.host)
  const file = path.join(tmp, 'bad')
  try {
    const err = await rejectsCode(() => c.fetchBlob('a/b', sha(BLOB), BLOB.length, file), 'BLOB_INVALID')
    assert.match(err.message, `blob ${sha(BLOB)} from ${f.host}/a/b: the content's digest is sha256:`)
    assert.not.ok(existsSync(file))
  } finally {
    c.close()
    await f.close()
  }
})

test('manifests: a digest other than the one asked for, or than Docker-Content-Digest, is MANIFEST_INVALID', async () => {
  const f = await fake((_req, res) => res.writeHead(200, { 'docker-content-digest': sha('other') }).end(MANIFEST))
  const c = client(f.host)
  try {
    await rejectsCode(() => c.getManifest('a', 'latest', []), 'MANIFEST_INVALID', 'announced')
    await rejectsCode(() => c.getManifest('a', sha('other'), []), 'MANIFEST_INVALID', `${f.host}/a@${sha('other')}: the registry sent a manifest with digest ${sha(MANIFEST)}`)
  } finally {
    c.close()
    await f.close()
  }
})

test('a registry not on loopback that answers HTTPS with HTTP: the hint says insecure or --tls-verify=false', async () => {
  const address = Object.values(os.networkInterfaces()).flat().find(i => i && i.family === 'IPv4' && !i.internal)?.address
  if (skipUnless(address !== undefined, 'HTTP answer to HTTPS', 'no non-loopback IPv4 address')) return
  const f = await fake((_req, res) => res.writeHead(200).end('{}'), address)
  const c = client(f.host, { tries: 1 })
  try {
    const err = await rejectsCode(() => c.ping(), 'REGISTRY_UNREACHABLE', `cannot reach registry ${f.host}: it answers HTTPS with plain HTTP`)
    assert.match(err.hint ?? '', '--tls-verify=false')
    const insecure = client(f.host, { tlsVerify: false })
    await insecure.ping()
    insecure.close()
  } finally {
    c.close()
    await f.close()
  }
})

test('a registry whose certificate is not verified costs no store of roots; a verified one keeps node\'s', () => {
  const caOf = (c: RegistryClient) => (c as unknown as { agents: { https: { options: { ca?: unknown[] } } } }).agents.https.options.ca
  assert.equal(caOf(client('127.0.0.1:5000')), [])
  assert.equal(caOf(client('registry.example:5000', { tlsVerify: false })), [])
  assert.is(caOf(client('127.0.0.1:5000', { tlsVerify: true })), undefined)
  assert.is(caOf(client('registry.example:5000')), undefined)
})

test('--tls-verify=true on loopback: HTTPS only, so a plain HTTP registry is refused with one line', async () => {
  const f = await fake((_req, res) => res.writeHead(200).end('{}'))
  const strict = client(f.host, { tries: 1, tlsVerify: true })
  const loose = client(f.host, { tries: 1 })
  try {
    await rejectsCode(() => strict.ping(), 'REGISTRY_UNREACHABLE', `cannot reach registry ${f.host}: it answers HTTPS with plain HTTP`)
    await loose.ping()
  } finally {
    strict.close()
    loose.close()
    await f.close()
  }
})

/** A fake that takes streamed uploads as docker-registry does: POST, PATCH (chunked), PUT ?digest=; `patchFails` PATCHes answer 500 first. */
async function uploadFake(patchFails = 0) {
  const uploads = new Map<string, Buffer>()
  const stored = new Map<string, Buffer>()
  let n = 0
  const f = await fake((req, res, body) => {
    const url = new URL(req.url!, 'http://x')
    if (req.method === 'POST') {
      const id = `u${++n}`
      uploads.set(id, Buffer.alloc(0))
      res.writeHead(202, { location: `/v2/r/blobs/uploads/${id}`, 'content-length': '0' }).end()
    } else if (req.method === 'PATCH') {
      assert.is(req.headers['transfer-encoding'], 'chunked', 'the length is not known up front')
      const id = url.pathname.split('/').at(-1)!
      if (patchFails-- > 0) return res.writeHead(500).end()
      const all = Buffer.concat([uploads.get(id)!, body])
      uploads.set(id, all)
      res.writeHead(202, { location: `/v2/r/blobs/uploads/${id}?state=1`, range: `0-${all.length - 1}`, 'content-length': '0' }).end()
    } else if (req.method === 'PUT') {
      const id = url.pathname.split('/').at(-1)!
      const data = uploads.get(id)!
      if (sha(data) !== url.searchParams.get('digest')) return res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}')
      stored.set(sha(data), data)
      res.writeHead(201, { 'content-length': '0' }).end()
    } else res.writeHead(404).end()
  })
  return { f, stored }
}

test('a streamed upload: digest and size known at the end, named in the PUT; a 500 starts a new upload from a new source', async () => {
  const { f, stored } = await uploadFake(1)
  try {
    let sources = 0
    const blob = await client(f.host).uploadStream('r', () => (sources++, Readable.from([BLOB.subarray(0, 100), BLOB.subarray(100)])))
    assert.equal(blob, { digest: sha(BLOB), size: BLOB.length })
    assert.ok(stored.get(sha(BLOB))?.equals(BLOB))
    assert.is(sources, 2, 'the failed PATCH is not resent into the same upload')
    assert.equal(f.log.map(r => r.method), ['POST', 'PATCH', 'POST', 'PATCH', 'PUT'])
  } finally {
    await f.close()
  }
})

test('a streamed upload whose source fails reports the source\'s error, not the registry\'s', async () => {
  const { f } = await uploadFake()
  try {
    const broken = () => Readable.from((async function* () {
      yield BLOB
      throw new CockerError('ARCHIVE_INVALID', 'gzip data is corrupt')
    })())
    await rejectsCode(() => client(f.host).uploadStream('r', broken), 'ARCHIVE_INVALID', 'gzip data is corrupt')
  } finally {
    await f.close()
  }
})

test('a mount the registry does not make (202) cancels the upload it opened instead', async () => {
  const f = await fake((req, res) => {
    const url = new URL(req.url!, 'http://x')
    if (req.method === 'POST' && url.searchParams.get('from') === 'has') return res.writeHead(201, { 'content-length': '0' }).end()
    if (req.method === 'POST') return res.writeHead(202, { location: '/v2/r/blobs/uploads/x', 'content-length': '0' }).end()
    res.writeHead(req.method === 'DELETE' ? 204 : 404).end()
  })
  try {
    const c = client(f.host)
    assert.is(await c.mountBlob('r', sha(BLOB), 'has'), true)
    assert.is(await c.mountBlob('r', sha(BLOB), 'lacks'), false)
    assert.equal(f.log.map(r => r.method), ['POST', 'POST', 'DELETE'])
  } finally {
    await f.close()
  }
})

test.run()
