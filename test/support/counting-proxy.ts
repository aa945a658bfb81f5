// A plain HTTP proxy in front of a test registry that logs each request and its answer,
// so tests can count what a client sent: uploads, mounts, HEAD checks.
import http from 'node:http'
import type net from 'node:net'

export interface LoggedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  status: number
}

export interface CountingProxy {
  /** '127.0.0.1:PORT' */
  host: string
  log: LoggedRequest[]
  /** Blob uploads completed (the PUT that ends one). */
  uploads(): number
  /** Cross-repository mounts the registry did (POST ?mount= answered 201). */
  mounts(): number
  /** Blob existence checks answered 200. */
  found(): number
  close(): Promise<void>
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const log: LoggedRequest[] = []
  const server = http.createServer((req, res) => {
    const upstream = http.request(`http://${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: target } }, up => {
      log.push({ method: req.method!, url: req.url!, status: up.statusCode ?? 0 })
      // upload locations are absolute URLs of the registry: keep the client on the proxy
      const headers = { ...up.headers }
      if (typeof headers.location === 'string') headers.location = headers.location.replace(`//${target}/`, `//${proxyHost}/`)
      res.writeHead(up.statusCode ?? 502, headers)
      up.pipe(res)
    })
    upstream.on('error', err => res.destroy(err))
    req.pipe(upstream)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const proxyHost = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
  const blobs = (r: LoggedRequest) => /\/blobs\//.test(r.url)
  return {
    host: proxyHost,
    log,
    uploads: () => log.filter(r => blobs(r) && r.method === 'PUT' && r.status === 201).length,
    mounts: () => log.filter(r => blobs(r) && r.method === 'POST' && r.url.includes('mount=') && r.status === 201).length,
    found: () => log.filter(r => blobs(r) && r.method === 'HEAD' && r.status === 200).length,
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
