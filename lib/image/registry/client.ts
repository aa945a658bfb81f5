// A client for one registry (OCI distribution spec), on node:http/https only.
// Anonymous first; a 401 names the scheme (Bearer token server or Basic) and we
// answer it once, caching tokens per scope. Every byte fetched is verified.
import { createHash, type Hash } from 'node:crypto'
import { createWriteStream, rmSync } from 'node:fs'
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { Transform, type Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CockerError } from '../../errors.js'
import { parseChallenges, repositoryScope } from './challenge.js'
import { apiHost, isLoopback } from './endpoint.js'
import { registryTrust } from './trust.js'

export interface Credentials {
  username: string
  password: string
}

export interface RegistryClientOptions {
  /** The registry as references name it: 'docker.io', 'quay.io', '127.0.0.1:5000' (or a mirror's host). */
  host: string
  /** Plain HTTP and unverified certificates are allowed (registries.conf `insecure`). Loopback hosts always are. */
  insecure?: boolean
  /**
   * false: as podman's --tls-verify=false, allow plain HTTP and self-signed certificates.
   * true: HTTPS with verified certificates even where plain HTTP would be allowed.
   */
  tlsVerify?: boolean
  credentials?: Credentials
  /** Inactivity timeout of a connection, in ms. Default 30 s. */
  timeoutMs?: number
  /** Tries for connection errors, 5xx and 429. Default 3. */
  tries?: number
  /** First backoff delay in ms, doubled each retry. Default 500. */
  retryDelayMs?: number
  /** Parallel connections to one host. Default 6. */
  maxSockets?: number
  userAgent?: string
}

export interface FetchedManifest {
  mediaType: string
  /** Digest of `bytes`, verified. */
  digest: string
  bytes: Buffer
}

export type UploadResult = 'exists' | 'mounted' | 'uploaded'

/** What a streamed upload sent: known only once the stream has ended. */
export interface StreamedBlob {
  digest: string
  size: number
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Body = Buffer | (() => Readable)

interface RequestSpec {
  method: Method
  /** A path under the registry, or an absolute URL (upload locations). */
  path: string
  /** Token scopes this request needs; empty for /v2/ itself. */
  scopes: string[]
  headers?: Record<string, string>
  body?: Body
  /** Sent once: a body the registry may have taken in part cannot be sent again to the same place. */
  once?: boolean
}

interface Token {
  value: string
  expires: number
}

const MANIFEST_LIMIT = 4 << 20
const ERROR_BODY_LIMIT = 64 << 10
const MAX_REDIRECTS = 5
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'COCKER_TIMEOUT'])
const DIGEST = /^(sha256|sha384|sha512):([a-f0-9]+)$/

export class RegistryClient {
  /** The name used in messages: 'docker.io', '127.0.0.1:5000'. */
  readonly host: string
  private readonly apiHost: string
  private readonly allowHttp: boolean
  private readonly credentials?: Credentials
  private readonly timeoutMs: number
  private readonly tries: number
  private readonly retryDelayMs: number
  private readonly userAgent: string
  private readonly agents: { http: http.Agent; https: https.Agent }
  private base?: Promise<string>
  private basic = false
  private bearer?: { realm: string; service?: string }
  private readonly tokens = new Map<string, Promise<Token>>()

  constructor(opts: RegistryClientOptions) {
    this.host = opts.host
    this.apiHost = apiHost(opts.host)
    // --tls-verify=true asks for TLS even where plain HTTP would do (podman's rule for loopback too)
    this.allowHttp = opts.tlsVerify === false || (opts.tlsVerify !== true && (opts.insecure === true || isLoopback(opts.host)))
    this.credentials = opts.credentials
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.tries = Math.max(1, opts.tries ?? 3)
    this.retryDelayMs = opts.retryDelayMs ?? 500
    this.userAgent = opts.userAgent ?? 'cocker'
    const maxSockets = opts.maxSockets ?? 6
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets }),
      // a certificate that is not verified needs no roots: without ca, node builds its store
      // of them even for the https probe of a plain-HTTP registry
      https: new https.Agent({ keepAlive: true, maxSockets, ...(this.allowHttp ? { rejectUnauthorized: false, ca: [] } : registryTrust()) }),
    }
  }

  /** Frees the kept-alive connections. */
  close(): void {
    this.agents.http.destroy()
    this.agents.https.destroy()
  }

  /** GET /v2/ with our credentials: resolves when the registry accepts them (what login checks). */
  async ping(): Promise<void> {
    const res = await this.request({ method: 'GET', path: '/v2/', scopes: [] })
    if (res.statusCode !== 200) throw await this.statusError(res, this.host, 'registry')
    res.resume()
  }

  /**
   * A manifest (or index) by tag or digest, with its media type and verified digest.
   * `accept` lists the media types we can use, preferred first.
   */
  async getManifest(repository: string, reference: string, accept: readonly string[]): Promise<FetchedManifest> {
    const what = `${this.host}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, 'pull')],
      headers: { accept: accept.join(', ') },
    })
    if (res.statusCode !== 200) throw await this.statusError(res, what, 'manifest')
    const bytes = await readBody(res, MANIFEST_LIMIT, what)
    const byDigest = DIGEST.exec(reference)
    const algorithm = byDigest?.[1] ?? 'sha256'
    const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`
    if (byDigest && digest !== reference) {
      throw new CockerError('MANIFEST_INVALID', `${what}: the registry sent a manifest with digest ${digest}`, {
        hint: 'the registry or a proxy in between is corrupting data; try again or use another mirror',
      })
    }
    const announced = header(res.headers, 'docker-content-digest')
    if (!byDigest && announced?.startsWith(`${algorithm}:`) && announced !== digest) {
      throw new CockerError('MANIFEST_INVALID', `${what}: the manifest's digest is ${digest} but the registry announced ${announced}`, {
        hint: 'the registry or a proxy in between is corrupting data; try again or use another mirror',
      })
    }
    return { mediaType: manifestMediaType(res.headers, bytes), digest, bytes }
  }

  /**
   * Streams a blob into `destination` (a file path, or a Writable which is ended), hashing
   * as it goes. On a size or digest mismatch, a destination file is removed and BLOB_INVALID
   * thrown; a Writable has then seen bad bytes and the caller must discard what it wrote.
   * `size` undefined skips the size check. `onProgress` gets the bytes received so far.
   */
  async fetchBlob(
    repository: string,
    digest: string,
    size: number | undefined,
    destination: string | Writable,
    onProgress?: (bytes: number) => void,
  ): Promise<void> {
    const m = DIGEST.exec(digest)
    if (!m) throw new CockerError('BLOB_INVALID', `${this.host}/${repository}: cannot fetch blob "${digest}": not a supported digest`)
    const what = `blob ${digest} from ${this.host}/${repository}`
    // A file can be truncated and rewritten after a dropped connection; a stream cannot.
    const tries = typeof destination === 'string' ? this.tries : 1
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fetchBlobOnce(repository, digest, m[1]!, size, destination, onProgress, what)
      } catch (err) {
        if (typeof destination === 'string') rmSync(destination, { force: true })
        if (attempt >= tries || !isRetryable(err)) throw err instanceof CockerError ? err : this.connectionError(err)
        await sleep(this.retryDelayMs * 2 ** (attempt - 1))
      }
    }
  }

  private async fetchBlobOnce(
    repository: string,
    digest: string,
    algorithm: string,
    size: number | undefined,
    destination: string | Writable,
    onProgress: ((bytes: number) => void) | undefined,
    what: string,
  ): Promise<void> {
    const res = await this.request({ method: 'GET', path: `/v2/${repository}/blobs/${digest}`, scopes: [repositoryScope(repository, 'pull')] })
    if (res.statusCode !== 200) throw await this.statusError(res, what, 'blob')
    const length = header(res.headers, 'content-length')
    if (size !== undefined && length !== undefined && Number(length) !== size) {
      res.destroy()
      throw blobInvalid(what, `the registry announced ${length} bytes, the manifest says ${size}`)
    }
    const verify = verifier(createHash(algorithm), digest, size, what, onProgress)
    const sink = typeof destination === 'string' ? createWriteStream(destination) : destination
    await pipeline(res, verify, sink)
  }

  async blobExists(repository: string, digest: string, scope = repositoryScope(repository, 'pull')): Promise<boolean> {
    const res = await this.request({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, scopes: [scope] })
    res.resume()
    if (res.statusCode === 200) return true
    if (res.statusCode === 404) return false
    throw await this.statusError(res, `blob ${digest} in ${this.host}/${repository}`, 'blob')
  }

  /**
   * Makes the blob exist in `repository`: nothing to do if it is there; else a cross-repository
   * mount from `mountFrom` (same registry) when given; else POST then one monolithic PUT of
   * `source()`, which is called again for each retry.
   */
  async uploadBlob(repository: string, digest: string, size: number, source: () => Readable, opts: { mountFrom?: string } = {}): Promise<UploadResult> {
    const push = repositoryScope(repository, 'pull,push')
    if (await this.blobExists(repository, digest, push)) return 'exists'
    const what = `blob ${digest} to ${this.host}/${repository}`
    let location: string | undefined
    if (opts.mountFrom && opts.mountFrom !== repository) {
      const opened = await this.postUpload(repository, what, { digest, from: opts.mountFrom })
      if (opened === 'mounted') return 'mounted'
      location = opened
    }
    location ??= (await this.postUpload(repository, what)) as string | undefined
    if (!location) throw new CockerError('REGISTRY_ERROR', `${this.host}: uploading ${what}: the registry gave no upload location`)
    const url = new URL(location, await this.baseUrl())
    url.searchParams.set('digest', digest)
    const res = await this.request({
      method: 'PUT',
      path: url.href,
      scopes: [push],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: source,
    })
    res.resume()
    if (res.statusCode !== 201) throw await this.statusError(res, what, 'upload')
    return 'uploaded'
  }

  /**
   * A cross-repository mount of a blob `from` another repository of this registry. false
   * when the registry did not mount it (it may lack it there); the upload it opened instead
   * is cancelled.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const opened = await this.postUpload(repository, `blob ${digest} to ${this.host}/${repository}`, { digest, from })
    if (opened === 'mounted') return true
    if (opened) {
      const cancel = await this.request({ method: 'DELETE', path: new URL(opened, await this.baseUrl()).href, scopes: [repositoryScope(repository, 'pull,push')] })
        .catch(() => undefined)
      cancel?.resume()
    }
    return false
  }

  /**
   * The POST that starts a blob upload: with `mount`, a cross-repository mount, 'mounted' when
   * the registry made it; else (202: it could not, or none was asked) the location of the
   * upload it opened, undefined where it named none.
   */
  private async postUpload(repository: string, what: string, mount?: { digest: string; from: string }): Promise<'mounted' | string | undefined> {
    const push = repositoryScope(repository, 'pull,push')
    const res = await this.request({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/${mount ? `?${new URLSearchParams({ mount: mount.digest, from: mount.from })}` : ''}`,
      scopes: mount ? [push, repositoryScope(mount.from, 'pull')] : [push],
      headers: { 'content-length': '0' },
    })
    res.resume()
    if (mount && res.statusCode === 201) return 'mounted'
    if (res.statusCode !== 202) throw await this.statusError(res, what, 'upload')
    return header(res.headers, 'location')
  }

  /**
   * Uploads a blob whose digest and size are known only at its end (a layer compressed as it
   * is sent): POST, one streamed PATCH of `source()` hashed as it goes, then the PUT that
   * names the digest. A failed attempt starts again from a new upload and a new `source()`.
   */
  async uploadStream(repository: string, source: () => Readable): Promise<StreamedBlob> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.uploadStreamOnce(repository, source)
      } catch (err) {
        const again = err instanceof CockerError && (err.code === 'REGISTRY_UNREACHABLE' || RETRY_UPLOAD.has(err))
        if (attempt >= this.tries || !again) throw err
        await sleep(this.retryDelayMs * 2 ** (attempt - 1))
      }
    }
  }

  private async uploadStreamOnce(repository: string, source: () => Readable): Promise<StreamedBlob> {
    const push = repositoryScope(repository, 'pull,push')
    const what = `a blob to ${this.host}/${repository}`
    const start = (await this.postUpload(repository, what)) as string | undefined
    if (!start) throw new CockerError('REGISTRY_ERROR', `${this.host}: uploading ${what}: the registry gave no upload location`)
    let hash = createHash('sha256')
    let size = 0
    // set when our own stream failed (a read or compression error), which the request only sees as aborted
    let failed: unknown
    const body = () => {
      hash = createHash('sha256')
      size = 0
      failed = undefined
      const counting = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk)
          size += chunk.length
          done(null, chunk)
        },
      })
      return source().on('error', err => {
        failed = err
        counting.destroy(err)
      }).pipe(counting)
    }
    let sent: IncomingMessage
    try {
      sent = await this.request({
        method: 'PATCH',
        path: new URL(start, await this.baseUrl()).href,
        scopes: [push],
        headers: { 'content-type': 'application/octet-stream' },
        body,
        once: true,
      })
    } catch (err) {
      throw failed ?? err
    }
    if (failed) {
      sent.resume()
      throw failed
    }
    if (sent.statusCode !== 202) throw retryIf5xx(await this.statusError(sent, what, 'upload'), sent.statusCode)
    sent.resume()
    const digest = `sha256:${hash.digest('hex')}`
    // the registry's Range is the bytes it holds: all of ours, or the data was cut short
    const range = /^(?:bytes=)?0-(\d+)$/.exec(header(sent.headers, 'range') ?? '')
    if (range && Number(range[1]) !== size - 1) {
      throw retryUpload(new CockerError('REGISTRY_ERROR', `${this.host}: uploading ${what}: the registry holds ${Number(range[1]) + 1} bytes, ${size} were sent`))
    }
    const next = header(sent.headers, 'location') ?? start
    const url = new URL(next, await this.baseUrl())
    url.searchParams.set('digest', digest)
    const done = await this.request({ method: 'PUT', path: url.href, scopes: [push], headers: { 'content-length': '0' } })
    done.resume()
    if (done.statusCode !== 201) throw retryIf5xx(await this.statusError(done, `blob ${digest} to ${this.host}/${repository}`, 'upload'), done.statusCode)
    return { digest, size }
  }

  /** Stores a manifest under a tag or digest; returns its digest. */
  async putManifest(repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.request({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, 'pull,push')],
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
    })
    res.resume()
    if (res.statusCode !== 201) throw await this.statusError(res, `manifest ${this.host}/${repository}:${reference}`, 'upload')
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  }

  /** Every tag of the repository, following the Link pagination. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = []
    let path: string | undefined = `/v2/${repository}/tags/list`
    while (path) {
      const res = await this.request({ method: 'GET', path, scopes: [repositoryScope(repository, 'pull')] })
      if (res.statusCode !== 200) throw await this.statusError(res, `${this.host}/${repository}`, 'manifest')
      const body = parseJson(await readBody(res, MANIFEST_LIMIT, `tags of ${this.host}/${repository}`)) as { tags?: unknown } | undefined
      if (Array.isArray(body?.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'))
      path = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res.headers, 'link') ?? '')?.[1]
    }
    return tags
  }

  // --- transport ---

  /** https, or for a registry allowed plain HTTP, whichever answers (containers/image pings the same way). */
  private baseUrl(): Promise<string> {
    this.base ??= (async () => {
      const https = `https://${this.apiHost}`
      if (!this.allowHttp) return https
      try {
        const res = await this.send(new URL('/v2/', https), 'GET', {}, undefined)
        res.resume()
        return https
      } catch {
        return `http://${this.apiHost}`
      }
    })()
    return this.base
  }

  /** One request with retries, redirects (GET, HEAD) and one round of authentication on 401. */
  private async request(spec: RequestSpec): Promise<IncomingMessage> {
    const url = new URL(spec.path, await this.baseUrl())
    let authenticated = false
    for (;;) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...spec.headers }
      const authorization = await this.authorization(spec.scopes)
      if (authorization) headers.authorization = authorization
      const res = await this.sendFollowing(url, spec.method, headers, spec.body, spec.once ? 1 : this.tries)
      if (res.statusCode !== 401 || authenticated) return res
      res.resume()
      authenticated = true
      await this.authenticate(res.headers['www-authenticate'], spec.scopes)
    }
  }

  private async authorization(scopes: string[]): Promise<string | undefined> {
    if (this.basic && this.credentials) return basicAuth(this.credentials)
    if (!this.bearer) return undefined
    // Once the registry has said it wants tokens, ask for one up front for each new scope.
    let token = await this.token(scopes, false)
    if (token.expires <= Date.now()) token = await this.token(scopes, true)
    return `Bearer ${token.value}`
  }

  private token(scopes: string[], fresh: boolean): Promise<Token> {
    const key = scopes.join(' ')
    let token = this.tokens.get(key)
    if (!token || fresh) {
      token = this.fetchToken(scopes)
      this.tokens.set(key, token)
      token.catch(() => this.tokens.delete(key))
    }
    return token
  }

  private async authenticate(header: string | string[] | undefined, scopes: string[]): Promise<void> {
    const challenges = parseChallenges(header)
    const bearer = challenges.find(c => c.scheme === 'bearer' && c.params.realm)
    if (bearer) {
      this.bearer = { realm: bearer.params.realm!, service: bearer.params.service }
      await this.token(scopes, true)
      return
    }
    if (challenges.some(c => c.scheme === 'basic')) {
      if (!this.credentials) throw this.unauthorized('authentication required')
      this.basic = true
      return
    }
    throw new CockerError('REGISTRY_ERROR', `${this.host}: the registry asked for authentication but offered no scheme cocker knows (WWW-Authenticate: ${String(header ?? 'missing')})`)
  }

  private async fetchToken(scopes: string[]): Promise<Token> {
    const realm = new URL(this.bearer!.realm)
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.allowHttp)) {
      throw new CockerError('REGISTRY_ERROR', `${this.host}: the token server ${realm.href} is not HTTPS`, {
        hint: 'mark the registry insecure in registries.conf if plain HTTP is intended',
      })
    }
    if (this.bearer!.service) realm.searchParams.set('service', this.bearer!.service)
    for (const scope of scopes) realm.searchParams.append('scope', scope)
    const headers: Record<string, string> = { 'user-agent': this.userAgent }
    if (this.credentials) headers.authorization = basicAuth(this.credentials)
    const res = await this.sendFollowing(realm, 'GET', headers, undefined)
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.resume()
      throw this.unauthorized(this.credentials ? 'invalid username or password' : 'authentication required')
    }
    if (res.statusCode !== 200) throw await this.statusError(res, `${this.host}: token server ${realm.origin}`, 'token')
    const body = parseJson(await readBody(res, ERROR_BODY_LIMIT, 'token')) as { token?: unknown; access_token?: unknown; expires_in?: unknown } | undefined
    const value = typeof body?.token === 'string' ? body.token : typeof body?.access_token === 'string' ? body.access_token : undefined
    if (!value) throw new CockerError('REGISTRY_ERROR', `${this.host}: the token server ${realm.origin} answered without a token`)
    // The spec's default lifetime is 60 s; keep a margin for the request in flight.
    const seconds = typeof body!.expires_in === 'number' && body!.expires_in > 0 ? body!.expires_in : 60
    return { value, expires: Date.now() + Math.max(seconds - 10, 5) * 1000 }
  }

  private async sendFollowing(url: URL, method: Method, headers: Record<string, string>, body: Body | undefined, tries = this.tries): Promise<IncomingMessage> {
    const origin = url.host
    for (let redirects = 0; ; redirects++) {
      const res = await this.sendWithRetries(url, method, headers, body, tries)
      const location = header(res.headers, 'location')
      const redirect = res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode)
      if (!redirect || !location || (method !== 'GET' && method !== 'HEAD') || redirects >= MAX_REDIRECTS) return res
      res.resume()
      url = new URL(location, url)
      // A CDN gets no registry credentials: they are for the registry alone.
      if (url.host !== origin) {
        const { authorization: _, ...rest } = headers
        headers = rest
      }
    }
  }

  private async sendWithRetries(url: URL, method: Method, headers: Record<string, string>, body: Body | undefined, tries = this.tries): Promise<IncomingMessage> {
    for (let attempt = 1; ; attempt++) {
      let res: IncomingMessage
      try {
        res = await this.send(url, method, headers, body)
      } catch (err) {
        if (attempt < tries && isRetryable(err)) {
          await sleep(this.retryDelayMs * 2 ** (attempt - 1))
          continue
        }
        throw this.connectionError(err)
      }
      const status = res.statusCode ?? 0
      if (attempt < tries && (status >= 500 || status === 429)) {
        res.resume()
        const after = Number(header(res.headers, 'retry-after'))
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : this.retryDelayMs * 2 ** (attempt - 1))
        continue
      }
      return res
    }
  }

  private send(url: URL, method: Method, headers: Record<string, string>, body: Body | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:'
      const req = (secure ? https : http).request(url, { method, headers, agent: secure ? this.agents.https : this.agents.http })
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs / 1000} s`), { code: 'COCKER_TIMEOUT' })))
      req.once('response', resolve)
      req.once('error', reject)
      if (body === undefined) req.end()
      else if (Buffer.isBuffer(body)) req.end(body)
      else pipeline(body(), req).catch(err => req.destroy(err))
    })
  }

  private connectionError(err: unknown): CockerError {
    const e = err as NodeJS.ErrnoException
    const code = e?.code ?? ''
    const message = String(e?.message ?? err)
    const check = { hint: `check the address, your network, and that the registry is running` }
    const why: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'no such host',
      EAI_AGAIN: 'name resolution failed',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      COCKER_TIMEOUT: message,
    }
    if (why[code]) return new CockerError('REGISTRY_UNREACHABLE', `cannot reach registry ${this.host}: ${why[code]}`, { ...check, cause: err })
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/.test(message)) {
      // OpenSSL's own words ("wrong version number") would only blur this
      return new CockerError('REGISTRY_UNREACHABLE', `cannot reach registry ${this.host}: it answers HTTPS with plain HTTP`, {
        hint: `mark it insecure in registries.conf ([[registry]] location="${this.host}" insecure=true) or pass --tls-verify=false`,
      })
    }
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
      return new CockerError('REGISTRY_UNREACHABLE', `cannot reach registry ${this.host}: its TLS certificate is not trusted (${message})`, {
        hint: 'install the CA certificate (NODE_EXTRA_CA_CERTS), or pass --tls-verify=false if you trust the network',
        cause: err,
      })
    }
    return new CockerError('REGISTRY_UNREACHABLE', `cannot reach registry ${this.host}: ${message}`, { ...check, cause: err })
  }

  private unauthorized(why: string): CockerError {
    return new CockerError('REGISTRY_UNAUTHORIZED', `${this.host}: ${why}`, { hint: `run \`cocker login ${this.host}\`` })
  }

  private async statusError(res: IncomingMessage, what: string, kind: 'manifest' | 'blob' | 'upload' | 'token' | 'registry'): Promise<CockerError> {
    const status = res.statusCode ?? 0
    const detail = registryMessage(await readBody(res, ERROR_BODY_LIMIT, what).catch(() => Buffer.alloc(0)))
    const suffix = detail ? ` (${detail})` : ''
    if (status === 401 || status === 403) {
      const why = kind === 'registry' && this.credentials ? 'invalid username or password' : status === 401 ? 'authentication required' : 'access denied'
      return new CockerError('REGISTRY_UNAUTHORIZED', `${what}: ${why}${suffix}`, { hint: `run \`cocker login ${this.host}\`` })
    }
    if (status === 404 && kind === 'manifest') return new CockerError('IMAGE_NOT_FOUND', `${what}: image not found in the registry`, { hint: 'check the name and tag' })
    if (status === 404 && kind === 'blob') return new CockerError('BLOB_NOT_FOUND', `${what}: not found in the registry`)
    return new CockerError('REGISTRY_ERROR', `${what}: the registry answered ${status} ${res.statusMessage ?? ''}`.trimEnd() + suffix)
  }
}

function verifier(hash: Hash, digest: string, size: number | undefined, what: string, onProgress?: (bytes: number) => void): Transform {
  let received = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length
      if (size !== undefined && received > size) return done(blobInvalid(what, `more than the ${size} bytes the manifest says`))
      hash.update(chunk)
      onProgress?.(received)
      done(null, chunk)
    },
    flush(done) {
      if (size !== undefined && received !== size) return done(blobInvalid(what, `received ${received} bytes, the manifest says ${size}`))
      const got = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`
      done(got === digest ? null : blobInvalid(what, `the content's digest is ${got}`))
    },
  })
}

/** Errors of a streamed upload worth a new upload. */
const RETRY_UPLOAD = new WeakSet<CockerError>()

function retryUpload(err: CockerError): CockerError {
  RETRY_UPLOAD.add(err)
  return err
}

/** A registry's 5xx in the middle of an upload: worth a new upload. */
function retryIf5xx(err: CockerError, status: number | undefined): CockerError {
  return (status ?? 0) >= 500 ? retryUpload(err) : err
}

function blobInvalid(what: string, why: string): CockerError {
  return new CockerError('BLOB_INVALID', `${what}: ${why}`, { hint: 'the registry or a proxy in between is corrupting data; try again or use another mirror' })
}

function isRetryable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code
  // A CockerError has been through the request's own retries already.
  if (err instanceof CockerError) return false
  return RETRYABLE_CODES.has(code ?? '') || (err as Error)?.message === 'aborted'
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`
}

/** The media type a manifest declares, else the Content-Type (registries may send application/json). */
function manifestMediaType(headers: IncomingHttpHeaders, bytes: Buffer): string {
  const declared = (parseJson(bytes) as { mediaType?: unknown } | undefined)?.mediaType
  if (typeof declared === 'string' && declared) return declared
  return (header(headers, 'content-type') ?? '').split(';')[0]!.trim()
}

/** The distribution spec's {"errors": [{code, message}]}, as one line. */
function registryMessage(body: Buffer): string {
  const errors = (parseJson(body) as { errors?: { code?: unknown; message?: unknown }[] } | undefined)?.errors
  if (Array.isArray(errors) && errors.length) return errors.map(e => [e.code, e.message].filter(x => typeof x === 'string' && x).join(': ')).join('; ')
  return body.toString('utf8').trim().split('\n')[0]!.slice(0, 200)
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

async function readBody(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    n += chunk.length
    if (n > limit) {
      res.destroy()
      throw new CockerError('REGISTRY_ERROR', `${what}: the registry's answer is larger than ${limit} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))
