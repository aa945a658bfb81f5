/** HTTP from the host to what containers publish. */
import { get } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'

/** GET http://127.0.0.1:PORT/PATH, retried while the container's server starts. */
export async function fetchFromHost(port: number, tries = 100, urlPath = '/'): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port, path: urlPath, timeout: 2000 }, res => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (body += d))
          res.on('end', () => resolve(body))
        })
        req.on('error', reject)
        req.on('timeout', () => req.destroy(new Error('timeout')))
      })
    } catch (err) {
      if (i >= tries) throw err
      await new Promise(r => setTimeout(r, 100))
    }
  }
}

/** A TCP port of the host that is free now (bound, then let go). */
export async function freeHostPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  return port
}
