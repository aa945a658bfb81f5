// Published ports end to end, root and rootless: a UDP and TCP server in the container
// (fixture-init's echo-peer, bound into the busybox image) answers clients on the host
// through -p over pasta, slirp4netns and, as root, the bridge network; ranges; -P from an
// image's EXPOSE; `port` as Podman's; ports in ps and inspect; the source address the
// container sees; and nothing of the network is left once rm or pod rm returns
// (support/network-leftovers.ts).
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createSocket } from 'node:dgram'
import { connect, createServer } from 'node:net'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fixtureInitPath, hasFixtureInit } from '../fixtures/init-bundle.js'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { tar } from '../support/image-fixture.js'
import { networkFootprint, networkLeftovers } from '../support/network-leftovers.js'
import { cleanupPodman, podman, podmanOrSkip } from '../support/podman.js'
import { isRoot, skipUnless, which } from '../support/requires.js'
import { stageForRootless } from '../support/rootless.js'
import { busyboxScenario, type BusyboxMode } from '../support/run-scenario.js'

/** -v of fixture-init at /fi, from where the mode's user can read it. */
const fixture = (mode: BusyboxMode) => ['-v', `${mode.user ? path.join(stageForRootless(), 'c/tests/fixture-init') : fixtureInitPath()}:/fi:ro`]

/** The networks that publish ports in this mode: slirp4netns with the host's loopback, which its UDP replies to loopback clients need. */
const networks = (mode: BusyboxMode) => ['pasta', 'slirp4netns:allow_host_loopback=true', ...(mode.name === 'root' ? ['bridge'] : [])]

/** A scenario that needs fixture-init, skipped with the reason where it is not built. */
function portsScenario(title: string, body: (mode: BusyboxMode) => Promise<void>): void {
  busyboxScenario(title, async mode => {
    if (skipUnless(hasFixtureInit(), `${title} (${mode.name})`, 'c/tests/fixture-init is not built')) return
    await body(mode)
  })
}

/**
 * MESSAGE to echo-peer at HOST:PORT over `protocol`, from `from` (an address of ours) when
 * given; its answer, or undefined when none came (UDP: sent again every 200 ms, TCP: connected
 * again, while the server starts).
 */
async function ask(protocol: 'tcp' | 'udp', host: string, port: number, message: string, o: { tries?: number; from?: string } = {}): Promise<string | undefined> {
  const tries = o.tries ?? 25
  if (protocol === 'udp') {
    const sock = createSocket('udp4')
    try {
      await new Promise<void>(resolve => sock.bind(0, o.from, resolve))
      return await new Promise<string | undefined>(resolve => {
        let n = 0
        const send = () => {
          if (n++ >= tries) return resolve(undefined)
          sock.send(message, port, host)
          timer = setTimeout(send, 200)
        }
        let timer = setTimeout(send, 0)
        sock.once('message', m => { clearTimeout(timer); resolve(String(m)) })
      })
    } finally {
      sock.close()
    }
  }
  for (let n = 0; n < tries; n++) {
    const answer = await new Promise<string>(resolve => {
      const c = connect({ host, port, ...(o.from ? { localAddress: o.from } : {}) }, () => c.end(`${message}\n`))
      let data = ''
      c.setTimeout(2000, () => c.destroy())
      c.on('data', d => (data += d))
      c.on('close', () => resolve(data))
      c.on('error', () => { /* close follows */ })
    })
    if (answer) return answer
    await new Promise(r => setTimeout(r, 200))
  }
  return undefined
}

/** The first of `count` consecutive ports of the host free for TCP and UDP now. */
async function freePorts(count: number): Promise<number> {
  const free = (port: number) => new Promise<boolean>(resolve => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, () => server.close(() => {
      const sock = createSocket('udp4')
      sock.once('error', () => { sock.close(); resolve(false) })
      sock.bind(port, () => sock.close(() => resolve(true)))
    }))
  })
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 30000)
    let ok = true
    for (let k = 0; k < count && ok; k++) ok = await free(base + k)
    if (ok) return base
  }
  throw new Error(`no ${count} consecutive free ports`)
}

/** What echo-peer answers: "PROTO PORT from IP:PORT: MESSAGE". */
const answer = (protocol: string, port: number, message: string, from = '[\\d.]+') => new RegExp(`^${protocol} ${port} from ${from}:\\d+: ${message}\\n$`)

/** The host side of `port ID PORT/PROTO`, as a number. */
async function hostPort(mode: BusyboxMode, id: string, spec: string): Promise<number> {
  const out = (await cocker(mode, ['port', id, spec], { status: 0 })).stdout
  const port = Number(/:(\d+)\n$/.exec(out)?.[1])
  assert.ok(port > 0, `port ${spec}: ${out}`)
  return port
}

/** rm -f ID, then nothing of its network may be left. */
async function removeLeavingNothing(mode: BusyboxMode, id: string, footprint: Awaited<ReturnType<typeof networkFootprint>>): Promise<void> {
  await cocker(mode, ['rm', '-f', '-t', '0', id], { status: 0 })
  assert.equal(networkLeftovers(footprint), [], `nothing of ${id}'s network is left after rm`)
}

const pastaVersion = () => spawnSync('pasta', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? ''

portsScenario('a UDP and a TCP server in the container answer on the host through -p: pasta, slirp4netns, the bridge (root); rm leaves nothing', async mode => {
  for (const network of networks(mode)) {
    const u = await freePorts(2)
    const flags = ['--network', network, ...fixture(mode), '-p', `127.0.0.1:${u + 1}:${u}/tcp`,
      // pasta's UDP: no host port, so that it takes the container's (this pasta answers the loopback only so)
      '-p', network === 'pasta' ? `127.0.0.1::${u}/udp` : `127.0.0.1:${u + 1}:${u}/udp`]
    const id = (await cocker(mode, ['run', '-d', ...flags, mode.image, '/fi', 'echo-peer', String(u)], { status: 0 })).stdout.trim()
    try {
      const footprint = await networkFootprint(mode, id)
      const udp = await hostPort(mode, id, `${u}/udp`)
      assert.is(udp, network === 'pasta' ? u : u + 1, `${network}: the UDP host port`)
      assert.match(await ask('udp', '127.0.0.1', udp, 'ping') ?? 'no answer', answer('udp', u, 'ping'), `${network}: UDP`)
      assert.match(await ask('tcp', '127.0.0.1', u + 1, 'hello') ?? 'no answer', answer('tcp', u, 'hello'), `${network}: TCP`)
      const address = (await cocker(mode, ['inspect', '--format', '{{.NetworkSettings.IPAddress}}', id], { status: 0 })).stdout.trim()
      await removeLeavingNothing(mode, id, footprint)
      // the bridge network's address is free again: a new container may ask for it
      if (network === 'bridge') await cocker(mode, ['run', '--rm', '--ip', address, mode.image, 'true'], { status: 0 })
    } finally {
      await cocker(mode, ['rm', '-f', '-t', '0', id])
    }
  }
})

portsScenario('UDP replies that the network program loses are warned of at create: slirp4netns without allow_host_loopback, this pasta with another host port', async mode => {
  const slirp = await cocker(mode, ['create', '--network', 'slirp4netns', '-p', '127.0.0.1:5353:53/udp', mode.image, 'true'], { status: 0 })
  assert.match(slirp.stderr, '--network slirp4netns drops UDP replies to clients on the host\'s loopback (port 5353/udp); other hosts get them; for both use --network slirp4netns:allow_host_loopback=true')
  const pasta = await cocker(mode, ['create', '--network', 'pasta', '-p', '127.0.0.1:5353:53/udp', '-p', '127.0.0.1:5354:5354/udp', mode.image, 'true'], { status: 0 })
  if (/unknown version|20(22|23)_/.test(pastaVersion())) {
    assert.match(pasta.stderr, /^WARN: pasta \(.*\) loses UDP replies to clients on the host's loopback when the host port is not the container's \(-p 5353:53\/udp\); other hosts get them; for both publish -p 53:53\/udp$/m)
  }
  const same = await cocker(mode, ['create', '--network', 'pasta', '-p', '127.0.0.1:5354:5354/udp', mode.image, 'true'], { status: 0 })
  assert.is(same.stderr, '')
  // rootlesskit's handler relays from inside the namespace: the loopback gets its replies
  const rootlesskit = await cocker(mode, ['create', '--network', 'slirp4netns:port_handler=rootlesskit', '-p', '127.0.0.1:5353:53/udp', mode.image, 'true'], { status: 0 })
  assert.is(rootlesskit.stderr, '')
  await cocker(mode, ['rm', slirp.stdout.trim(), pasta.stdout.trim(), same.stdout.trim(), rootlesskit.stdout.trim()], { status: 0 })
})

portsScenario('ranges: -p H1-H2:C1-C2 and -p C1-C3/udp (consecutive host ports); port, ps and inspect show them as Podman', async mode => {
  const u = await freePorts(3)
  const t = await freePorts(2)
  const id = (await cocker(mode, ['run', '-d', ...fixture(mode), '-p', `127.0.0.1:${t}-${t + 1}:${u}-${u + 1}`, '-p', `127.0.0.1::${u}-${u + 2}/udp`,
    mode.image, '/fi', 'echo-peer', `${u}-${u + 2}`], { status: 0 })).stdout.trim()
  try {
    const footprint = await networkFootprint(mode, id)
    const b = await hostPort(mode, id, `${u}/udp`)
    // rootless, pasta: the container's own numbers
    if (mode.name === 'rootless') assert.is(b, u)
    assert.is((await cocker(mode, ['port', id], { status: 0 })).stdout,
      `${u}/tcp -> 127.0.0.1:${t}\n${u + 1}/tcp -> 127.0.0.1:${t + 1}\n${u}/udp -> 127.0.0.1:${b}\n${u + 1}/udp -> 127.0.0.1:${b + 1}\n${u + 2}/udp -> 127.0.0.1:${b + 2}\n`)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Ports}}', '--filter', `id=${id}`], { status: 0 })).stdout,
      `127.0.0.1:${t}-${t + 1}->${u}-${u + 1}/tcp, 127.0.0.1:${b}-${b + 2}->${u}-${u + 2}/udp\n`)
    const bindings = JSON.parse((await cocker(mode, ['inspect', '--format', '{{json .NetworkSettings.Ports}}', id], { status: 0 })).stdout)
    const one = (port: number) => [{ HostIp: '127.0.0.1', HostPort: String(port) }]
    assert.equal(bindings, { [`${u}/tcp`]: one(t), [`${u}/udp`]: one(b), [`${u + 1}/tcp`]: one(t + 1), [`${u + 1}/udp`]: one(b + 1), [`${u + 2}/udp`]: one(b + 2) })
    for (let k = 0; k < 3; k++) {
      assert.match(await ask('udp', '127.0.0.1', b + k, `u${k}`) ?? 'no answer', answer('udp', u + k, `u${k}`))
      if (k < 2) assert.match(await ask('tcp', '127.0.0.1', t + k, `t${k}`) ?? 'no answer', answer('tcp', u + k, `t${k}`))
    }
    await removeLeavingNothing(mode, id, footprint)
  } finally {
    await cocker(mode, ['rm', '-f', '-t', '0', id])
  }
})

/** An image of an empty rootfs (fixture-init comes bound at /fi) exposing PORT/tcp and PORT/udp, running echo-peer PORT. */
async function exposingImage(mode: BusyboxMode, port: number): Promise<string> {
  const file = path.join(modeDir(mode), 'rootfs.tar')
  writeFileSync(file, tar([{ type: 'file', path: 'fi', data: '', mode: 0o755 }, { type: 'dir', path: 'tmp', mode: 0o1777 }]), { mode: 0o644 })
  const ref = `localhost/exposing:${port}`
  await cocker(mode, ['import', '-q', '--change', `EXPOSE ${port}`, '--change', `EXPOSE ${port}/udp`,
    '--change', `CMD ["/fi", "echo-peer", "${port}"]`, file, ref], { status: 0 })
  return ref
}

portsScenario('-P publishes what the image exposes on free host ports (UDP on pasta: its own number); both answer; inspect lists the unpublished with null', async mode => {
  const u = await freePorts(1)
  const image = await exposingImage(mode, u)
  const id = (await cocker(mode, ['run', '-d', '-P', ...fixture(mode), image], { status: 0 })).stdout.trim()
  try {
    const footprint = await networkFootprint(mode, id)
    const tcp = await hostPort(mode, id, `${u}/tcp`)
    const udp = await hostPort(mode, id, `${u}/udp`)
    if (mode.name === 'rootless') assert.is(udp, u)
    assert.is((await cocker(mode, ['port', id], { status: 0 })).stdout, `${u}/tcp -> 0.0.0.0:${tcp}\n${u}/udp -> 0.0.0.0:${udp}\n`)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Ports}}', '--filter', `id=${id}`], { status: 0 })).stdout, `0.0.0.0:${tcp}->${u}/tcp, 0.0.0.0:${udp}->${u}/udp\n`)
    const inspect = JSON.parse((await cocker(mode, ['inspect', '--format', '{{json .HostConfig.PortBindings}}', id], { status: 0 })).stdout)
    assert.equal(inspect, { [`${u}/tcp`]: [{ HostIp: '', HostPort: String(tcp) }], [`${u}/udp`]: [{ HostIp: '', HostPort: String(udp) }] })
    assert.match(await ask('tcp', '127.0.0.1', tcp, 'exposed') ?? 'no answer', answer('tcp', u, 'exposed'))
    assert.match(await ask('udp', '127.0.0.1', udp, 'exposed') ?? 'no answer', answer('udp', u, 'exposed'))
    await removeLeavingNothing(mode, id, footprint)
    // without -P, inspect lists what the image exposes with null, as Podman's
    const created = (await cocker(mode, ['create', '-p', `127.0.0.1:${tcp}:${u}`, image], { status: 0 })).stdout.trim()
    const unpublished = JSON.parse((await cocker(mode, ['inspect', '--format', '{{json .NetworkSettings.Ports}}', created], { status: 0 })).stdout)
    assert.equal(unpublished, { [`${u}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(tcp) }], [`${u}/udp`]: null })
    await cocker(mode, ['rm', created], { status: 0 })
  } finally {
    await cocker(mode, ['rm', '-f', '-t', '0', id])
    await cocker(mode, ['rmi', image])
  }
})

/**
 * `port` in a store with a running container publishing ports (one joined to a run), a created
 * one and a running one without ports: what each call prints and its status, IDs and chosen
 * host ports masked. Podman's, where it runs here, must be the same.
 */
async function portTranscript(run: (args: string[]) => Promise<{ status: number | null; stdout: string; stderr: string }>, base: number): Promise<string> {
  const image = 'localhost/cocker-fixture:1'
  for (const args of [
    ['run', '-d', '--name', 'pub', '-p', `127.0.0.1:${base}:80`, '-p', `${base + 1}:81/udp`, '-p', '53', '-p', `${base + 2}-${base + 3}:90-91`, '-p', `${base + 4}:92`, image, 'sleep', '600'],
    ['create', '--name', 'created', '-p', `${base + 5}:82`, image, 'true'],
    ['run', '-d', '--name', 'quiet', image, 'sleep', '600'],
  ]) {
    const r = await run(args)
    assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`)
  }
  let out = ''
  for (const args of [[], ['-a'], ['-l'], ['-l', '82'], ['created'], ['created', '82'], ['quiet'], ['quiet', '80'], ['nosuch'], ['-a', 'pub'],
    ['pub', '80/tcp/x'], ['pub', '0'], ['pub', '90'], ['pub', '91/tcp'], ['pub', '81'], ['pub', '81/udp'], ['pub', '80/sctp'], ['pub']]) {
    const r = await run(['port', ...args])
    const error = r.stderr.split('\n').find(l => l.startsWith('Error: '))?.replace(/; .*/, '') ?? ''
    out += `## port ${args.join(' ')}\n${r.stdout}${error ? `${error}\n` : ''}status ${r.status}\n`
  }
  for (const field of ['.NetworkSettings.Ports', '.HostConfig.PortBindings']) out += `## inspect ${field}\n${(await run(['inspect', '--format', `{{json ${field}}}`, 'pub'])).stdout}`
  const ps = await run(['ps', '-a', '--format', '{{.Names}} {{.Ports}}'])
  out += ps.stdout.split('\n').filter(l => /^(pub|created|quiet) /.test(l)).sort().join('\n')
  await run(['rm', '-f', '-t', '0', 'pub', 'created', 'quiet'])
  const chosen = (m: string, port: string, masked: string) => Number(port) >= base && Number(port) <= base + 5 ? m : masked
  return out.replace(/^[0-9a-f]{12}\t/gm, 'ID\t').replace(/:(\d+)(->53\/tcp|\n)/g, (m, port: string, rest: string) => chosen(m, port, `:RANDOM${rest}`))
    .replace(/"HostPort":"(\d+)"/g, (m, port: string) => chosen(m, port, '"HostPort":"RANDOM"'))
}

portsScenario('port: output, --all, --latest and errors as Podman\'s; ps and inspect show the ports as Podman\'s', async mode => {
  const base = await freePorts(6)
  const ours = await portTranscript(args => cocker(mode, args), base)
  const expected = [
    '## port ', 'Error: you must supply a running container name or id', 'status 125',
    '## port -a', `ID\t80/tcp -> 127.0.0.1:${base}`, `ID\t90/tcp -> 0.0.0.0:${base + 2}`, `ID\t91/tcp -> 0.0.0.0:${base + 3}`, `ID\t92/tcp -> 0.0.0.0:${base + 4}`,
    'ID\t53/tcp -> 0.0.0.0:RANDOM', `ID\t81/udp -> 0.0.0.0:${base + 1}`, 'status 0',
    '## port -l', 'status 0', '## port -l 82', 'status 0', '## port created', 'status 0', '## port created 82', 'status 0',
    '## port quiet', 'status 0', '## port quiet 80', 'status 0',
    '## port nosuch', 'Error: no container with name or ID "nosuch" found: no such container', 'status 125',
    '## port -a pub', 'Error: no arguments are needed with --all', 'status 125',
    '## port pub 80/tcp/x', 'Error: port formats are port/protocol. \'80/tcp/x\' is invalid', 'status 125',
    '## port pub 0', 'Error: failed to find published port "0"', 'status 125',
    '## port pub 90', `0.0.0.0:${base + 2}`, 'status 0', '## port pub 91/tcp', `0.0.0.0:${base + 3}`, 'status 0',
    '## port pub 81', 'Error: failed to find published port "81"', 'status 125',
    '## port pub 81/udp', `0.0.0.0:${base + 1}`, 'status 0',
    '## port pub 80/sctp', 'Error: failed to find published port "80/sctp"', 'status 125',
    '## port pub', `80/tcp -> 127.0.0.1:${base}`, `90/tcp -> 0.0.0.0:${base + 2}`, `91/tcp -> 0.0.0.0:${base + 3}`, `92/tcp -> 0.0.0.0:${base + 4}`,
    '53/tcp -> 0.0.0.0:RANDOM', `81/udp -> 0.0.0.0:${base + 1}`, 'status 0',
    ...['## inspect .NetworkSettings.Ports', '## inspect .HostConfig.PortBindings'].flatMap(h => [h, JSON.stringify({
      '53/tcp': [{ HostIp: '', HostPort: 'RANDOM' }], '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(base) }], '81/udp': [{ HostIp: '', HostPort: String(base + 1) }],
      '90/tcp': [{ HostIp: '', HostPort: String(base + 2) }], '91/tcp': [{ HostIp: '', HostPort: String(base + 3) }], '92/tcp': [{ HostIp: '', HostPort: String(base + 4) }],
    })]),
    `created 0.0.0.0:${base + 5}->82/tcp`,
    `pub 127.0.0.1:${base}->80/tcp, 0.0.0.0:${base + 2}-${base + 4}->90-92/tcp, 0.0.0.0:RANDOM->53/tcp, 0.0.0.0:${base + 1}->81/udp`, 'quiet ',
  ].join('\n')
  assert.fixture(ours, expected)
  const pe = await podmanOrSkip(mode.name, `port as Podman's: Podman's transcript (${mode.name})`, { netavark: true })
  if (!pe) return
  const theirs = await portTranscript(args => podman(pe, args), base)
  // Podman's order across host addresses and protocols is its map's, which Go randomizes; a ps
  // line's ports are sorted after its container's name, which would else go with whichever comes first
  const unorderedPorts = (l: string) => {
    const [, name = '', ports = l] = /^((?:pub|created|quiet) )(.*)$/.exec(l) ?? []
    return name + ports.split(', ').sort().join(', ')
  }
  const unordered = (t: string) => t.split('## ').map(section => section.split('\n').map(unorderedPorts).sort().join('\n'))
  assert.equal(unordered(ours), unordered(theirs), 'Podman prints the same')
})

/** This host's first IPv4 address that is not loopback. */
function hostAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find(a => a && a.family === 'IPv4' && !a.internal)?.address
}

/**
 * A client on "another host": a network namespace of the test's own on a veth pair to ours
 * (198.18.N.0/30, a benchmarking range), from which `ask` runs; `close` removes both.
 */
function remoteClient(): { address: string; gateway: string; ask(protocol: 'tcp' | 'udp', port: number, message: string): Promise<string | undefined>; close(): void } {
  const n = Math.floor(Math.random() * 60) * 4
  const ns = `cocker-t${process.pid}-${n}`
  const [hostEnd, nsEnd] = [`ck${process.pid % 100000}h${n}`, `ck${process.pid % 100000}n${n}`]
  const ipBin = which('ip')!
  const gateway = `198.18.${n}.1`
  const address = `198.18.${n}.2`
  const ip = (...args: string[]) => {
    const r = spawnSync(ipBin, args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
  }
  ip('netns', 'add', ns)
  try {
    ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', ns)
    ip('addr', 'add', `${gateway}/30`, 'dev', hostEnd)
    ip('link', 'set', hostEnd, 'up')
    ip('-n', ns, 'addr', 'add', `${address}/30`, 'dev', nsEnd)
    ip('-n', ns, 'link', 'set', nsEnd, 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
  } catch (err) {
    spawnSync(ipBin, ['netns', 'del', ns])
    throw err
  }
  return {
    address,
    gateway,
    // node in the namespace, running this file's ask() by its source
    ask: async (protocol, port, message) => {
      const script = `const {createSocket}=require('node:dgram');const {connect}=require('node:net');const ask=${ask.toString()};` +
        `ask(${JSON.stringify(protocol)},${JSON.stringify(gateway)},${port},${JSON.stringify(message)},{tries:15}).then(a=>process.stdout.write(a??''))`
      const r = spawnSync(ipBin, ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 })
      return r.stdout || undefined
    },
    close: () => {
      spawnSync(ipBin, ['link', 'del', hostEnd])
      spawnSync(ipBin, ['netns', 'del', ns])
    },
  }
}

portsScenario('the source address the container sees: another host\'s own address (pasta, slirp4netns\'s port handler, the bridge); the host\'s loopback as each shows it', async mode => {
  const address = hostAddress()
  if (skipUnless(address !== undefined, `source addresses (${mode.name})`, 'the host has no IPv4 address but loopback')) return
  const canMakeHost = !skipUnless(isRoot() && which('ip') !== undefined, `source addresses: a client on another host (${mode.name})`, 'needs root and ip(8) to make its network namespace')
  const remote = canMakeHost ? remoteClient() : undefined
  try {
    // slirp4netns's own port handler, named: the one that keeps the client's address (Podman's default, rootlesskit's, does not)
    for (const network of networks(mode).map(n => n.startsWith('slirp4netns') ? `${n},port_handler=slirp4netns` : n)) {
      const u = await freePorts(2)
      // and UDP on another host port: what this pasta loses to the loopback, other hosts get
      const id = (await cocker(mode, ['run', '-d', '--network', network, ...fixture(mode), '-p', `${u}:${u}/tcp`, '-p', `${u}:${u}/udp`,
        '-p', `${u + 1}:${u}/udp`, mode.image, '/fi', 'echo-peer', String(u)], { status: 0 })).stdout.trim()
      try {
        const gateway = (await cocker(mode, ['inspect', '--format', '{{.NetworkSettings.Gateway}}', id], { status: 0 })).stdout.trim()
        // the host's loopback: pasta splices it to the container's; slirp4netns shows its gateway 10.0.2.2; the bridge its gateway
        const loopback = network === 'pasta' ? '127.0.0.1' : network === 'bridge' ? gateway.replaceAll('.', '\\.') : '10\\.0\\.2\\.2'
        assert.match(await ask('tcp', '127.0.0.1', u, 'lo') ?? 'no answer', answer('tcp', u, 'lo', loopback), `${network}: a client on the loopback`)
        if (remote) {
          for (const [protocol, port] of [['tcp', u], ['udp', u], ['udp', u + 1]] as const) {
            assert.match(await remote.ask(protocol, port, 'far') ?? 'no answer', answer(protocol, u, 'far', remote.address.replaceAll('.', '\\.')),
              `${network}: ${protocol} to host port ${port} from another host keeps its address`)
          }
        }
      } finally {
        await cocker(mode, ['rm', '-f', '-t', '0', id])
      }
    }
  } finally {
    remote?.close()
  }
})

portsScenario('port_handler=rootlesskit hides the client\'s address: the container sees its own, over TCP and UDP, from the loopback and from another host; rm leaves nothing', async mode => {
  const canMakeHost = !skipUnless(isRoot() && which('ip') !== undefined, `port_handler=rootlesskit: a client on another host (${mode.name})`, 'needs root and ip(8) to make its network namespace')
  const remote = canMakeHost ? remoteClient() : undefined
  try {
    const u = await freePorts(2)
    const id = (await cocker(mode, ['run', '-d', '--network', 'slirp4netns:port_handler=rootlesskit', ...fixture(mode), '-p', `${u + 1}:${u}/tcp`, '-p', `${u + 1}:${u}/udp`,
      mode.image, '/fi', 'echo-peer', String(u)], { status: 0 })).stdout.trim()
    try {
      const footprint = await networkFootprint(mode, id)
      // slirp4netns's container address, from which the relay inside connects
      const own = '10\\.0\\.2\\.100'
      for (const protocol of ['tcp', 'udp'] as const) {
        assert.match(await ask(protocol, '127.0.0.1', u + 1, 'lo') ?? 'no answer', answer(protocol, u, 'lo', own), `${protocol} from the loopback`)
        if (remote) assert.match(await remote.ask(protocol, u + 1, 'far') ?? 'no answer', answer(protocol, u, 'far', own), `${protocol} from another host`)
      }
      await removeLeavingNothing(mode, id, footprint)
    } finally {
      await cocker(mode, ['rm', '-f', '-t', '0', id])
    }
  } finally {
    remote?.close()
  }
})

portsScenario('a pod\'s published port answers and shows for its containers too (port, ps, inspect); pod rm leaves nothing of its network', async mode => {
  const u = await freePorts(2)
  const pod = `ports-pod-${u}`
  await cocker(mode, ['pod', 'create', '--name', pod, '-p', `127.0.0.1:${u + 1}:${u}`], { status: 0 })
  try {
    const id = (await cocker(mode, ['run', '-d', '--pod', pod, ...fixture(mode), mode.image, '/fi', 'echo-peer', String(u)], { status: 0 })).stdout.trim()
    assert.match(await ask('tcp', '127.0.0.1', u + 1, 'pod') ?? 'no answer', answer('tcp', u, 'pod'))
    // port, ps and inspect show the pod's ports for its container too, as Podman's
    assert.is((await cocker(mode, ['port', id], { status: 0 })).stdout, `${u}/tcp -> 127.0.0.1:${u + 1}\n`)
    assert.is((await cocker(mode, ['ps', '--format', '{{.Ports}}', '--filter', `id=${id}`], { status: 0 })).stdout, `127.0.0.1:${u + 1}->${u}/tcp\n`)
    assert.is((await cocker(mode, ['inspect', '--format', '{{json .NetworkSettings.Ports}} {{json .HostConfig.PortBindings}}', id], { status: 0 })).stdout,
      `{"${u}/tcp":[{"HostIp":"127.0.0.1","HostPort":"${u + 1}"}]} {}\n`)
    const infra = (await cocker(mode, ['pod', 'inspect', '--format', '{{.InfraContainerID}}', pod], { status: 0 })).stdout.trim()
    const footprints = [await networkFootprint(mode, infra), await networkFootprint(mode, id)]
    await cocker(mode, ['pod', 'rm', '-f', pod], { status: 0 })
    for (const f of footprints) assert.equal(networkLeftovers(f), [], `nothing of ${f.id}'s network is left after pod rm`)
  } finally {
    await cocker(mode, ['pod', 'rm', '-f', pod])
  }
})

test.after(cleanupPodman)
test.run()
