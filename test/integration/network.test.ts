// Container networking, root and rootless: pasta and slirp4netns connect a container to the
// host's network (a page served by node on the host, fetched with busybox's wget inside),
// published ports answer on the host (TCP, with node's http; UDP and the rest of -p in
// network-ports.test.ts), `--network none` has only loopback, and no network process outlives
// its container.
import { createServer as createTcpServer } from 'node:net'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker } from '../support/cocker-modes.js'
import { fetchFromHost } from '../support/http.js'
import { networkFootprint, networkLeftovers } from '../support/network-leftovers.js'
import { skipUnless } from '../support/requires.js'
import { busyboxScenario, runSh, type BusyboxMode } from '../support/run-scenario.js'

/** A TCP server on the host at `host` (0.0.0.0: every address) that greets each client and closes, until `close`. */
async function hostServer(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createTcpServer(sock => sock.end('hello from the host\n', () => sock.destroy()))
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise(resolve => server.close(() => resolve())),
  }
}

/** Processes whose command line or working directory names `id`: what a container's network process leaves. */
function processesNaming(id: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      let cwd = ''
      try { cwd = readlinkSync(`/proc/${pid}/cwd`) } catch { /* not ours to read */ }
      if (cmd.includes(id) || cwd.includes(id)) out.push(`${pid} ${cmd}`)
    } catch { /* gone */ }
  }
  return out
}

/**
 * The greeting of the server at HOST:PORT, with busybox's nc (its static wget crashes in its
 * resolver). Its first line only: this pasta (2023) repeats what a host's loopback server sent
 * once that closes, and head's exit ends nc; at times it keeps the connection open silently
 * instead, and only timeout ends nc (-w bounds the connect, not the wait for data).
 */
const GET = (host: string, port: number) => `timeout 10 nc -w 5 ${host} ${port} </dev/null | head -n 1`

busyboxScenario('pasta: a container reaches the host through host.containers.internal (--map-gw), and has eth0', async mode => {
  const server = await hostServer('0.0.0.0')
  try {
    const r = await runSh(mode, ['--network', 'pasta:--map-gw'], `grep -c . /proc/net/dev; ${GET('host.containers.internal', server.port)}`)
    assert.match(r.stdout, /hello from the host\n$/)
    assert.ok(Number(r.stdout.split('\n')[0]) > 3, `more than loopback in /proc/net/dev: ${r.stdout}`)
  } finally {
    await server.close()
  }
  // root's pasta: this pasta (2023) leaves such a connection open after the server closed it
}, ['rootless'])

busyboxScenario('slirp4netns: the host\'s loopback at 10.0.2.2 only with allow_host_loopback=true; host.containers.internal is the host', async mode => {
  const loopback = await hostServer('127.0.0.1')
  const any = await hostServer('0.0.0.0')
  try {
    const allowed = await runSh(mode, ['--network', 'slirp4netns:allow_host_loopback=true'], GET('10.0.2.2', loopback.port))
    assert.is(allowed.stdout, 'hello from the host\n')
    const denied = await runSh(mode, ['--network', 'slirp4netns'], `${GET('10.0.2.2', loopback.port)}; echo end`)
    assert.is(denied.stdout, 'end\n')
    const named = await runSh(mode, ['--network', 'slirp4netns'], GET('host.containers.internal', any.port))
    assert.is(named.stdout, 'hello from the host\n')
  } finally {
    await loopback.close()
    await any.close()
  }
})

busyboxScenario('the default network: rootless, pasta reaches out; root, the default bridge network; --network none: only lo', async mode => {
  const r = await runSh(mode, [], 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "')
  assert.is(r.stdout, 'lo\neth0\n')
  const none = await runSh(mode, ['--network', 'none'], 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "')
  assert.is(none.stdout, 'lo\n')
  const inspect = await cocker(mode, ['create', '--network', 'slirp4netns', mode.image, 'true'], { status: 0 })
  const id = inspect.stdout.trim()
  assert.is((await cocker(mode, ['inspect', '--format', '{{.HostConfig.NetworkMode}}', id], { status: 0 })).stdout, 'slirp4netns\n')
  const dflt = (await cocker(mode, ['create', mode.image, 'true'], { status: 0 })).stdout.trim()
  assert.is((await cocker(mode, ['inspect', '--format', '{{.HostConfig.NetworkMode}}', dflt], { status: 0 })).stdout, mode.name === 'rootless' ? 'pasta\n' : 'bridge\n')
  await cocker(mode, ['rm', dflt], { status: 0 })
  // info says which program a rootless container's network takes
  assert.is((await cocker(mode, ['info', '--format', '{{.Host.RootlessNetworkCmd}}'], { status: 0 })).stdout, 'pasta\n')
  await cocker(mode, ['rm', id], { status: 0 })
})

async function networkProcessGoes(mode: BusyboxMode, network: string): Promise<void> {
  const id = (await cocker(mode, ['run', '-d', '--network', network, mode.image, 'sleep', '600'], { status: 0 })).stdout.trim()
  assert.ok(processesNaming(id).some(p => p.includes(network)), `a ${network} process runs for ${id}`)
  await cocker(mode, ['stop', '-t', '0', id], { status: 0 })
  assert.equal(processesNaming(id), [], `${network} ended with the container`)
  // started again with the container, and gone after rm -f with all else of its network
  await cocker(mode, ['start', id], { status: 0 })
  assert.ok(processesNaming(id).some(p => p.includes(network)), `${network} runs again after start`)
  const footprint = await networkFootprint(mode, id)
  await cocker(mode, ['rm', '-f', '-t', '0', id], { status: 0 })
  assert.equal(networkLeftovers(footprint), [], `nothing of ${network} is left after rm -f`)
}

const HTTPD = 'mkdir /www && echo hello from the container > /www/index.html && exec httpd -f -p 8080 -h /www'

busyboxScenario('-p publishes a TCP port on the host (pasta, slirp4netns); port, ps and inspect show it', async mode => {
  for (const network of ['pasta', 'slirp4netns']) {
    const id = (await cocker(mode, ['run', '-d', '--network', network, '-p', '127.0.0.1::8080', mode.image, 'sh', '-c', HTTPD], { status: 0 })).stdout.trim()
    try {
      const port = Number(/:(\d+)$/.exec((await cocker(mode, ['port', id, '8080'], { status: 0 })).stdout.trim())?.[1])
      assert.ok(port > 0, 'port names the host port')
      assert.is(await fetchFromHost(port), 'hello from the container\n', network)
      assert.is((await cocker(mode, ['port', id], { status: 0 })).stdout, `8080/tcp -> 127.0.0.1:${port}\n`)
      assert.match((await cocker(mode, ['ps', '--format', '{{.Ports}}', '--filter', `id=${id}`], { status: 0 })).stdout, `127.0.0.1:${port}->8080/tcp`)
      const ports = JSON.parse((await cocker(mode, ['inspect', '--format', '{{json .NetworkSettings.Ports}}', id], { status: 0 })).stdout)
      assert.equal(ports, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] })
    } finally {
      await cocker(mode, ['rm', '-f', '-t', '0', id], { status: 0 })
    }
  }
})

/** The families (4, 6) whose default route /proc/net/route and ipv6_route of the host list. */
function hostDefaultRoutes(): number[] {
  const v4 = readFileSync('/proc/net/route', 'utf8').split('\n').some(l => /^\S+\t00000000\t\S+\t\S+\t\S+\t\S+\t\S+\t00000000\t/.test(l))
  const v6 = readFileSync('/proc/net/ipv6_route', 'utf8').split('\n').some(l => /^0{32} 00 .*\s(?!lo$)\S+$/.test(l))
  return [...(v4 ? [4] : []), ...(v6 ? [6] : [])]
}

// cocker waits for pasta's configuration of the namespace, not for the rest of its start: the
// first instruction already sees the routes, and a container that ends at once leaves no pasta
busyboxScenario('pasta: the default routes are there from the first instruction; a container ended at once leaves no pasta', async mode => {
  const families = hostDefaultRoutes()
  for (let i = 0; i < 3; i++) {
    const r = await runSh(mode, ['--network', 'pasta'], 'ip -4 route show default; ip -6 route show default')
    for (const f of families) assert.match(r.stdout, new RegExp(`^default via ${f === 4 ? '\\d' : '[0-9a-f:]*:'}`, 'm'), `IPv${f}: ${r.stdout}`)
    const cidfile = path.join(mode.root, `cid-pasta-${i}`)
    await cocker(mode, ['run', '--rm', '--cidfile', cidfile, '--network', 'pasta', mode.image, 'true'], { status: 0 })
    const id = readFileSync(cidfile, 'utf8').trim()
    assert.equal(processesNaming(id), [], `no pasta left for ${id}`)
  }
})

/** A name the host's resolvers answer (through DNS, not /etc/hosts), with its IPv4 addresses; undefined where none does. */
async function hostResolvedName(): Promise<{ name: string; addresses: string[] } | undefined> {
  const { Resolver } = await import('node:dns/promises')
  for (const name of ['deb.debian.org', 'registry-1.docker.io', 'example.com']) {
    const resolver = new Resolver({ timeout: 2000, tries: 1 })
    try {
      return { name, addresses: await resolver.resolve4(name) }
    } catch { /* the next */ }
  }
  return undefined
}

busyboxScenario('pasta and slirp4netns: names resolve inside as on the host, through the resolver the network program offers first in resolv.conf', async mode => {
  const known = await hostResolvedName()
  if (skipUnless(known !== undefined, `name resolution (${mode.name})`, 'the host\'s resolvers answer none of deb.debian.org, registry-1.docker.io, example.com')) return
  for (const [network, resolver] of [['pasta', '169.254.1.1'], ['slirp4netns', '10.0.2.3']] as const) {
    const r = await runSh(mode, ['--network', network], `head -n 1 /etc/resolv.conf; timeout 15 nslookup -type=a ${known!.name}`)
    assert.match(r.stdout, new RegExp(`^nameserver ${resolver.replaceAll('.', '\\.')}\n`), `${network}: ${r.stdout}`)
    assert.ok(known!.addresses.some(a => r.stdout.includes(`Address: ${a}`)), `${network} resolves ${known!.name} to one of ${known!.addresses.join(', ')}: ${r.stdout}`)
  }
}, ['rootless'])

busyboxScenario('the network process ends with its container (stop, rm -f) and starts again with it: pasta', mode => networkProcessGoes(mode, 'pasta'))
busyboxScenario('the network process ends with its container (stop, rm -f) and starts again with it: slirp4netns', mode => networkProcessGoes(mode, 'slirp4netns'))

test.run()
