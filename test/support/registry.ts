// A real distribution registry (Debian's docker-registry) for the tests: plain
// HTTP on 127.0.0.1 (or TLS with given files), a fresh storage directory,
// optionally htpasswd auth.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { CockerError } from '../../lib/errors.js'
import { which } from './requires.js'

export const REGISTRY_BIN = '/usr/bin/docker-registry'

export interface TestRegistry {
  /** '127.0.0.1:PORT' */
  host: string
  storageDir: string
  /** Set when started with auth. */
  auth?: { username: string; password: string }
  stop(): Promise<void>
}

export interface RegistryOptions {
  auth?: { username: string; password: string }
  /** PEM files: the registry then speaks HTTPS only. */
  tls?: { certificate: string; key: string }
  /** The address to listen on; default 127.0.0.1. */
  address?: string
}

/** Why the registry tests cannot run here, or undefined when they can. */
export function registryMissing(): string | undefined {
  if (!which('docker-registry')) return `no ${REGISTRY_BIN} (apt-get install docker-registry)`
  if (!which('skopeo')) return 'no skopeo (apt-get install skopeo)'
  return undefined
}

/**
 * skopeo's environment: no registry credentials of the machine's or its user's (an auth
 * file that cannot exist; --creds where a test needs some). Else, run by a user without a
 * login session, it reads /run/containers/UID/auth.json, which root's Podman leaves
 * unreadable, and fails.
 */
export const SKOPEO_ENV = { ...process.env, REGISTRY_AUTH_FILE: '/proc/nonexistent/auth.json' }

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Starts a registry and resolves once /v2/ answers. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocker-registry-'))
  const storageDir = path.join(dir, 'storage')
  let authSection = ''
  if (opts.auth) {
    const r = spawnSync('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`htpasswd exited ${r.status}: ${r.stderr}`)
    writeFileSync(path.join(dir, 'htpasswd'), r.stdout)
    authSection = `auth:\n  htpasswd:\n    realm: cocker-test\n    path: ${path.join(dir, 'htpasswd')}\n`
  }
  const tlsSection = opts.tls ? `  tls:\n    certificate: ${opts.tls.certificate}\n    key: ${opts.tls.key}\n` : ''
  // The port can be taken between freePort() and the registry's bind; one retry covers it.
  for (let attempt = 0; ; attempt++) {
    const address = opts.address ?? '127.0.0.1'
    const port = await freePort(address)
    const config = path.join(dir, 'config.yml')
    writeFileSync(
      config,
      `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storageDir}
  delete:
    enabled: true
http:
  addr: ${address}:${port}
${tlsSection}${authSection}`,
    )
    // docker-registry takes REGISTRY_* variables as settings (REGISTRY_AUTH_FILE would be auth.file): none but the config's
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')))
    const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'], env })
    live.add(child)
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
    const host = `${address}:${port}`
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    const ready = await waitReady(host, exited, Boolean(opts.tls))
    if (!ready) {
      live.delete(child)
      child.kill('SIGKILL')
      if (attempt === 0 && /address already in use/.test(stderr)) continue
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`docker-registry did not start on ${host}:\n${stderr}`)
    }
    return {
      host,
      storageDir,
      ...(opts.auth ? { auth: opts.auth } : {}),
      async stop() {
        if (live.delete(child)) {
          child.kill('SIGTERM')
          await exited
        }
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
}

async function waitReady(host: string, exited: Promise<void>, tls: boolean): Promise<boolean> {
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + 15_000
  while (!gone && Date.now() < deadline) {
    // 200 anonymous, 401 with auth: either way it is serving.
    const status = await new Promise<number>(resolve => {
      const done = (res: http.IncomingMessage) => (res.resume(), resolve(res.statusCode ?? 0))
      const req = tls ? https.get(`https://${host}/v2/`, { rejectUnauthorized: false }, done) : http.get(`http://${host}/v2/`, done)
      req.on('error', () => resolve(0))
      req.setTimeout(1000, () => req.destroy())
    })
    if (status === 200 || status === 401) return true
    await new Promise(r => setTimeout(r, 100))
  }
  return false
}

/** The async throwsCode: fn must reject with a CockerError of this code; returns it. */
export async function rejectsCode(fn: () => Promise<unknown>, code: string, message?: RegExp | string): Promise<CockerError> {
  try {
    await fn()
  } catch (err) {
    if (!(err instanceof CockerError)) throw err
    assert.is(err.code, code, `${err.code}: ${err.message}`)
    if (message !== undefined) assert.match(err.message, message)
    return err
  }
  assert.unreachable(`expected a CockerError ${code}`)
  throw new Error('unreachable')
}
