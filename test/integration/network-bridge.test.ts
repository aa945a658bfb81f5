// Bridge networks (lib/network/bridge, netavark behind): the `network` commands as Podman
// prints them, containers of one network reaching each other by name and alias and not those
// of another, one address each even when started at once, and nothing left behind by rm: no
// veth, bridge, firewall rule, DNS entry, namespace mount or address. Root and rootless:
// rootless, the networks live in the user's rootless network namespace (its holder, pasta and
// aardvark-dns), which the last container's leaving ends.
import { createSocket } from 'node:dgram'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { cocker, cockerScenario, type CockerMode } from '../support/cocker-modes.js'
import { withContainers } from '../support/containers.js'
import { fixtureInitPath, hasFixtureInit } from '../fixtures/init-bundle.js'
import { stageForRootless } from '../support/rootless.js'
import { runCmd } from '../support/exec.js'
import { podman, podmanOrSkip } from '../support/podman.js'

/** Where the mode's bridge networks keep what their containers hold (lib/network/index.ts bridgePaths). */
const runDirOf = (mode: CockerMode) => mode.user ? path.join(mode.user.env.XDG_RUNTIME_DIR!, 'cocker') : '/run/cocker'

/** The container's IPv4 address and MAC on eth0, as it sees them. */
async function addressOf(mode: CockerMode, ct: string): Promise<{ ip: string; mac: string }> {
  const out = (await cocker(mode, ['exec', ct, 'ip', 'addr', 'show', 'eth0'], { status: 0 })).stdout
  return { ip: /inet (\S+)\//.exec(out)?.[1] ?? '', mac: /link\/ether (\S+)/.exec(out)?.[1] ?? '' }
}

/**
 * What of a network is still there for these containers: their address and namespace files,
 * and as root its bridge's ports, its firewall rules, its DNS entries, the namespaces' mounts.
 * (Rootless, those live in the rootless network namespace, which rootlessNetnsLeft checks.)
 */
async function hostTraces(mode: CockerMode, network: string, ids: string[]): Promise<string[]> {
  const runDir = runDirOf(mode)
  const traces: string[] = []
  for (const id of ids) {
    if (existsSync(path.join(runDir, 'networks', `${id}.json`))) traces.push(`address file of ${id}`)
    if (existsSync(path.join(runDir, 'netns', id))) traces.push(`netns of ${id}`)
  }
  if (mode.name === 'rootless') return traces
  const [def] = JSON.parse((await cocker(mode, ['network', 'inspect', network], { status: 0 })).stdout)
  const bridge: string = def.network_interface
  const subnet: string = def.subnets[0].subnet
  const ports = (await runCmd(['ip', '-o', 'link', 'show', 'master', bridge])).stdout.trim()
  if (ports) traces.push(`ports on ${bridge}: ${ports}`)
  const rules = (await runCmd(['iptables-save'], { status: 0 })).stdout.split('\n').filter(l => l.includes(subnet))
  traces.push(...rules.map(r => `rule: ${r}`))
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(l => ids.some(id => l.includes(`${runDir}/netns/${id}`)))
  traces.push(...mounts.map(m => `mount: ${m}`))
  const dns = path.join(runDir, 'netavark', 'aardvark-dns', network)
  if (existsSync(dns)) traces.push(...readFileSync(dns, 'utf8').split('\n').filter(l => ids.some(id => l.startsWith(id))).map(l => `dns: ${l}`))
  return traces
}

/**
 * Rootless, once no container is on a bridge network: what is left of the rootless network
 * namespace, its processes (holder, pasta, aardvark-dns, forwarders: any naming its files) and
 * its files, and any container's address or namespace file.
 */
function rootlessNetnsLeft(mode: CockerMode): string[] {
  const runDir = runDirOf(mode)
  const left: string[] = []
  for (const pid of readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmd.includes(`${runDir}/rootless-netns`) || cmd.includes(`${runDir}/netavark`) || cmd.includes('cocker-netns')) left.push(`process ${pid}: ${cmd}`)
    } catch { /* gone */ }
  }
  for (const f of ['rootless-netns/holder.pid', 'rootless-netns/network.pid', 'netavark']) if (existsSync(path.join(runDir, f))) left.push(`file ${f}`)
  for (const d of ['networks', 'netns']) {
    const files = existsSync(path.join(runDir, d)) ? readdirSync(path.join(runDir, d)).filter(f => f !== 'lock') : []
    left.push(...files.map(f => `file ${d}/${f}`))
  }
  return left
}

/** Nothing of the containers `ids` is left on `network`, nor, rootless, of the rootless network namespace. */
async function nothingLeft(mode: CockerMode, network: string, ids: string[]): Promise<void> {
  assert.equal(await hostTraces(mode, network, ids), [])
  if (mode.name === 'rootless') assert.equal(rootlessNetnsLeft(mode), [])
}

/** A command that fails with `status` and one line of stderr that matches. */
async function refused(mode: CockerMode, args: string[], message: RegExp, status = 125): Promise<void> {
  const r = await cocker(mode, args, { status })
  assert.match(r.stderr, message)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
}

/** A server on port 80 that answers each connection with `reply`. */
const server = (reply: string) => ['nc', '-ll', '-p', '80', '-e', 'echo', reply]

/** Waits until the container listens on port 80. */
async function listening(mode: CockerMode, ct: string): Promise<void> {
  await cocker(mode, ['exec', ct, 'sh', '-c', 'for i in $(seq 100); do netstat -ltn | grep -q ":80 " && exit 0; sleep 0.1; done; exit 1'], { status: 0 })
}

/**
 * What the client container gets from HOST:80 on `network`, or nc's complaint. `tries`: what
 * should answer is asked again after a failure (a loaded machine can drop a first SYN).
 */
async function fetchFrom(mode: CockerMode, image: string, network: string, hosts: string[], tries = 3): Promise<string[]> {
  const one = (h: string) => `ok=; for i in $(seq ${tries}); do if r=$(nc -w 2 ${h} 80 </dev/null 2>&1) && [ -n "$r" ]; then echo "$r"; ok=1; break; fi; done; ` +
    `[ -n "$ok" ] || { echo "$r"; echo "failed ${h}"; }`
  const out = (await cocker(mode, ['run', '--rm', '--network', network, image, 'sh', '-c', hosts.map(one).join('; ')], { status: 0 })).stdout
  return out.split('\n').filter(Boolean).map(l => l.replace(/^nc: .*/, 'nc error'))
}

cockerScenario('network create, ls, inspect, exists, rm and prune: the default network, Podman\'s JSON, statuses and messages', async mode => {
  const pe = await podmanOrSkip('root', 'network commands against podman')
  const ls = (args: string[] = []) => cocker(mode, ['network', 'ls', ...args], { status: 0 }).then(r => r.stdout)
  assert.match(await ls(), /^NETWORK ID {4}NAME {8}DRIVER\n2f259bab93aa {2}podman {6}bridge\n$/)
  assert.is((await cocker(mode, ['network', 'create', '--subnet', '10.123.1.0/24', '--label', 'app=web', 'front'], { status: 0 })).stdout, 'front\n')
  assert.is((await cocker(mode, ['network', 'create'], { status: 0 })).stdout, 'podman1\n')
  assert.is(await ls(['-q']), 'front\npodman\npodman1\n')
  assert.is(await ls(['-q', '--filter', 'label=app=web']), 'front\n')
  const [front] = JSON.parse((await cocker(mode, ['network', 'inspect', 'front'], { status: 0 })).stdout)
  assert.equal({ ...front, id: typeof front.id, created: typeof front.created, network_interface: typeof front.network_interface }, {
    name: 'front', id: 'string', driver: 'bridge', network_interface: 'string', created: 'string',
    subnets: [{ subnet: '10.123.1.0/24', gateway: '10.123.1.1' }], ipv6_enabled: false, internal: false, dns_enabled: true,
    labels: { app: 'web' }, options: { isolate: 'true' }, ipam_options: { driver: 'host-local' },
  })
  assert.is((await cocker(mode, ['network', 'exists', 'front'])).status, 0)
  assert.is((await cocker(mode, ['network', 'exists', 'nope'])).status, 1)
  const dup = await cocker(mode, ['network', 'create', 'front'], { status: 125 })
  assert.match(dup.stderr, /^Error: network name front already used: network already exists/)
  await refused(mode, ['network', 'create', '--subnet', '10.123.1.128/25', 'x'], /subnet 10.123.1.128\/25 is already used by network front/)
  await refused(mode, ['network', 'create', 'a b'], /network name a b invalid/)
  if (pe) {
    // the default network: the same JSON as Podman's but for the bridge's name, creation time
    // and subnet (its own, so that both engines' default networks can be up on one host)
    const ours = JSON.parse((await cocker(mode, ['network', 'inspect', 'podman'], { status: 0 })).stdout)
    const theirs = JSON.parse((await podman(pe, ['network', 'inspect', 'podman'], { status: 0 })).stdout)
    const comparable = (n: Record<string, unknown>) => ({ ...n, network_interface: '', created: '', subnets: [] })
    assert.equal(ours.map(comparable), theirs.map(comparable))
    assert.is((await cocker(mode, ['network', 'ls'])).stdout.split('\n')[0], (await podman(pe, ['network', 'ls'])).stdout.split('\n')[0])
    for (const args of [['inspect', 'nope'], ['rm', 'nope'], ['exists', 'nope'], ['rm', 'podman']]) {
      const want = await podman(pe, ['network', ...args])
      const got = await cocker(mode, ['network', ...args])
      assert.is(got.status, want.status, args.join(' '))
      assert.is(got.stderr.split(';')[0].trim(), want.stderr.trim().replace(/: invalid argument$/, ''), args.join(' '))
    }
  }
  // in use: refused with 2, then -f removes the container with it
  const image = (await cocker(mode, ['load', '-q', '-i', (await import('../support/image-fixture.js')).fixtureOciArchive()], { status: 0 }))
    .stdout.replace('Loaded image: ', '').trim()
  await cocker(mode, ['create', '--name', 'user', '--network', 'front', image, 'true'], { status: 0 })
  await refused(mode, ['network', 'rm', 'front'], /"front" has associated containers with it/, 2)
  assert.is((await cocker(mode, ['network', 'prune', '-f'], { status: 0 })).stdout, 'podman1\n')
  assert.is((await cocker(mode, ['network', 'rm', '-f', 'front'], { status: 0 })).stdout, 'front\n')
  assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  assert.is(await ls(['-q']), 'podman\n')
}, ['root'])

cockerScenario('two containers on one network reach each other by name and alias; one on another network reaches neither; rm leaves nothing behind', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.2.0/24', 'blue'], { status: 0 })
  await cocker(mode, ['network', 'create', '--subnet', '10.123.3.0/24', 'red'], { status: 0 })
  const web = (await cocker(mode, ['run', '-d', '--name', 'web', '--network', 'blue', '--network-alias', 'www', image, ...server('hello-web')], { status: 0 })).stdout.trim()
  const other = (await cocker(mode, ['run', '-d', '--name', 'other', '--network', 'red', image, ...server('hello-other')], { status: 0 })).stdout.trim()
  await listening(mode, 'web')
  await listening(mode, 'other')
  const webIp = (await addressOf(mode, 'web')).ip
  const otherIp = (await addressOf(mode, 'other')).ip
  assert.match(webIp, /^10\.123\.2\.\d+$/)
  assert.match(otherIp, /^10\.123\.3\.\d+$/)
  const [inspected] = JSON.parse((await cocker(mode, ['inspect', 'web'], { status: 0 })).stdout)
  assert.is(inspected.HostConfig.NetworkMode, 'bridge')
  assert.equal([inspected.NetworkSettings.Networks.blue.IPAddress, inspected.NetworkSettings.Networks.blue.Aliases], [webIp, ['www', web.slice(0, 12)]])
  assert.equal(await fetchFrom(mode, image, 'blue', ['web', 'www', webIp]), ['hello-web', 'hello-web', 'hello-web'])
  // isolated: other's name is not known on blue, and its address is not reached
  assert.equal(await fetchFrom(mode, image, 'blue', ['other', otherIp], 1), ['nc error', 'failed other', 'nc error', `failed ${otherIp}`])
  assert.equal([...await fetchFrom(mode, image, 'red', ['other']), ...await fetchFrom(mode, image, 'red', [webIp], 1)], ['hello-other', 'nc error', `failed ${webIp}`])
  // stopped, it leaves its network; started again, it is back on it
  await cocker(mode, ['stop', '-t', '0', 'web'], { status: 0 })
  assert.equal(await hostTraces(mode, 'blue', [web]), [])
  await cocker(mode, ['start', 'web'], { status: 0 })
  await listening(mode, 'web')
  assert.equal(await fetchFrom(mode, image, 'blue', ['www']), ['hello-web'])
  await cocker(mode, ['rm', '-f', '-t', '0', 'web', 'other'], { status: 0 })
  assert.equal([...await hostTraces(mode, 'blue', [web]), ...await hostTraces(mode, 'red', [other])], [])
  if (mode.name === 'rootless') assert.equal(rootlessNetnsLeft(mode), [])
  const bridge = (await cocker(mode, ['network', 'inspect', '--format', '{{.network_interface}}', 'blue'], { status: 0 })).stdout.trim()
  assert.is((await runCmd(['ip', 'link', 'show', 'dev', bridge])).status, 1, `the bridge ${bridge} of a network without containers stays`)
  await cocker(mode, ['network', 'rm', 'blue', 'red'], { status: 0 })
}))

cockerScenario('ten containers started at once on one network get ten distinct addresses, and rm -f of all leaves nothing', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.4.0/24', 'many'], { status: 0 })
  const runs = await Promise.all(Array.from({ length: 10 }, () => cocker(mode, ['run', '-d', '--network', 'many', image, 'sleep', '1000'], { status: 0 })))
  const ids = runs.map(r => r.stdout.trim())
  const ips = await Promise.all(ids.map(async id => (await addressOf(mode, id)).ip))
  assert.is(new Set(ips).size, 10, ips.join(' '))
  for (const ip of ips) assert.match(ip, /^10\.123\.4\.\d+$/)
  await cocker(mode, ['rm', '-f', '-t', '0', ...ids], { status: 0 })
  await nothingLeft(mode, 'many', ids)
  await cocker(mode, ['network', 'rm', 'many'], { status: 0 })
}))

cockerScenario('--ip and --mac-address; an address in use, outside the network or without one is one line and 125; the default network through --network bridge', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.5.0/24', 'fixed'], { status: 0 })
  await cocker(mode, ['run', '-d', '--name', 'f1', '--network', 'fixed', '--ip', '10.123.5.77', '--mac-address', '92:d0:c6:0a:29:33', image, 'sleep', '1000'], { status: 0 })
  assert.equal(await addressOf(mode, 'f1'), { ip: '10.123.5.77', mac: '92:d0:c6:0a:29:33' })
  const taken = await cocker(mode, ['run', '--rm', '--network', 'fixed', '--ip', '10.123.5.77', image, 'true'], { status: 125 })
  assert.match(taken.stderr, /^Error: IP address 10\.123\.5\.77 on network fixed is already allocated to container [0-9a-f]{12}; choose another --ip/)
  assert.is(taken.stderr.trim().split('\n').length, 1, taken.stderr)
  await refused(mode, ['run', '--rm', '--network', 'fixed', '--ip', '10.9.9.9', image, 'true'], /^Error: --ip 10\.9\.9\.9: not a free host address of network fixed/)
  await refused(mode, ['run', '--rm', '--network', 'none', '--ip', '10.9.9.9', image, 'true'], /^Error: --network-alias, --ip and --mac-address need a bridge network, and the container's network is none/)
  // root's default network is the default bridge network
  await refused(mode, ['run', '--rm', '--ip', '10.9.9.9', image, 'true'], /^Error: --ip 10\.9\.9\.9: not a free host address of network podman/)
  await refused(mode, ['run', '--rm', '--network', 'nope', image, 'true'], /^Error: unable to find network with name or ID nope: network not found/)
  await refused(mode, ['run', '--rm', '--mac-address', 'zz', '--network', 'fixed', image, 'true'], /^Error: --mac-address zz: not a MAC address/)
  // the default network: Podman's subnet, no DNS of its own (the host's resolvers)
  const out = (await cocker(mode, ['run', '--rm', '--network', 'bridge', image, 'sh', '-c', 'ip addr show eth0; cat /etc/resolv.conf'], { status: 0 })).stdout
  assert.match(out, /inet 10\.86\.\d+\.\d+\/16/)
  assert.not.match(out, /dns\.podman/)
  // a free address is free again once its container is gone
  await cocker(mode, ['rm', '-f', '-t', '0', 'f1'], { status: 0 })
  await cocker(mode, ['run', '--rm', '--network', 'fixed', '--ip', '10.123.5.77', image, 'true'], { status: 0 })
  await cocker(mode, ['network', 'rm', 'fixed'], { status: 0 })
}), ['root'])

cockerScenario('a run killed (-9) between taking its address and the setup leaves a container that rm removes, and the address free', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.6.0/24', 'crash'], { status: 0 })
  const r = await cocker(mode, ['run', '-d', '--name', 'k', '--network', 'crash', '--ip', '10.123.6.9', image, 'sleep', '1000'], { env: { _COCKER_CRASH_AT: 'network:allocated' } })
  assert.is(r.signal, 'SIGKILL', 'the run was not killed there')
  await cocker(mode, ['rm', '-f', '-t', '0', 'k'], { status: 0 })
  await cocker(mode, ['run', '--rm', '--network', 'crash', '--ip', '10.123.6.9', image, 'true'], { status: 0 })
  await nothingLeft(mode, 'crash', [])
  await cocker(mode, ['network', 'rm', 'crash'], { status: 0 })
}))

cockerScenario('an rm killed (-9) between netavark\'s teardown and the namespace\'s unmounting leaves what the next rm finishes', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.11.0/24', 'halfway'], { status: 0 })
  const id = (await cocker(mode, ['run', '-d', '--name', 'h', '--network', 'halfway', image, 'sleep', '1000'], { status: 0 })).stdout.trim()
  const r = await cocker(mode, ['rm', '-f', '-t', '0', 'h'], { env: { _COCKER_CRASH_AT: 'network:torn-down' } })
  assert.is(r.signal, 'SIGKILL', 'the rm was not killed there')
  await cocker(mode, ['rm', '-f', '-t', '0', 'h'], { status: 0 })
  await nothingLeft(mode, 'halfway', [id])
  await cocker(mode, ['network', 'rm', 'halfway'], { status: 0 })
}), ['rootless'])

cockerScenario('rootless: a restart policy starts the last container on a network again, its clean-up in the rootless network namespace\'s user namespace', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.12.0/24', 'again'], { status: 0 })
  const id = (await cocker(mode, ['run', '-d', '--name', 'r', '--restart', 'always', '--network', 'again', image, 'sh', '-c', 'sleep 0.5; exit 1'], { status: 0 })).stdout.trim()
  const count = async () => Number((await cocker(mode, ['inspect', '--format', '{{.RestartCount}}', 'r'], { status: 0 })).stdout.trim())
  for (const end = Date.now() + 60_000; await count() < 2;) {
    assert.ok(Date.now() < end, 'not restarted twice within 60 s')
    await new Promise(r => setTimeout(r, 200))
  }
  await cocker(mode, ['stop', '-t', '0', 'r'], { status: 0 })
  await cocker(mode, ['rm', 'r'], { status: 0 })
  await nothingLeft(mode, 'again', [id])
  await cocker(mode, ['network', 'rm', 'again'], { status: 0 })
}), ['rootless'])

cockerScenario('rootless: a holder killed (-9) under a running container: the next container gets a new rootless network namespace, rm of both leaves nothing', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.13.0/24', 'lost'], { status: 0 })
  const old = (await cocker(mode, ['run', '-d', '--name', 'old', '--network', 'lost', image, 'sleep', '1000'], { status: 0 })).stdout.trim()
  // the holder our cocker started, named by the file it wrote
  process.kill(Number(readFileSync(path.join(runDirOf(mode), 'rootless-netns', 'holder.pid'), 'utf8')), 'SIGKILL')
  const fresh = (await cocker(mode, ['run', '-d', '--name', 'fresh', '--network', 'lost', '--network-alias', 'again', image, ...server('hello-again')], { status: 0 })).stdout.trim()
  await listening(mode, 'fresh')
  assert.equal(await fetchFrom(mode, image, 'lost', ['again']), ['hello-again'])
  await cocker(mode, ['rm', '-f', '-t', '0', 'old', 'fresh'], { status: 0 })
  await nothingLeft(mode, 'lost', [old, fresh])
  await cocker(mode, ['network', 'rm', 'lost'], { status: 0 })
}), ['rootless'])

/** What a TCP server at HOST:PORT says to a connection from the host, or the error's code. */
function hostFetch(host: string, port: number): Promise<string> {
  return new Promise(resolve => {
    let got = ''
    const socket = connect({ host, port })
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')))
    socket.on('data', d => { got += d })
    socket.on('error', err => resolve((err as NodeJS.ErrnoException).code ?? err.message))
    socket.on('close', () => resolve(got.trim()))
  })
}

cockerScenario('-p publishes a port of a container on a bridge network on the host, on every address or one; rm takes the rules away', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.8.0/24', 'pub'], { status: 0 })
  const id = (await cocker(mode, ['run', '-d', '--name', 'pub', '--network', 'pub', '-p', '18180:80', '-p', '127.0.0.1:18181:80', image, ...server('hello-pub')], { status: 0 })).stdout.trim()
  await listening(mode, 'pub')
  const hostIp = networkInterfaces().eth0?.find(a => a.family === 'IPv4')?.address
  assert.is(await hostFetch('127.0.0.1', 18180), 'hello-pub')
  assert.is(await hostFetch('127.0.0.1', 18181), 'hello-pub')
  if (hostIp) {
    assert.is(await hostFetch(hostIp, 18180), 'hello-pub')
    assert.is(await hostFetch(hostIp, 18181), 'ECONNREFUSED')
  }
  // no host port: a free one, which port and ps show
  await cocker(mode, ['run', '-d', '--name', 'auto', '--network', 'pub', '-p', '80', image, ...server('hello-auto')], { status: 0 })
  await listening(mode, 'auto')
  const chosen = (await cocker(mode, ['port', 'auto', '80/tcp'], { status: 0 })).stdout.trim()
  assert.match(chosen, /^0\.0\.0\.0:\d+$/)
  assert.is(await hostFetch('127.0.0.1', Number(chosen.split(':')[1])), 'hello-auto')
  await cocker(mode, ['rm', '-f', '-t', '0', 'auto'], { status: 0 })
  await refused(mode, ['run', '--rm', '--network', 'pub', '-p', '8000-8001:80', image, 'true'], /^Error: --publish 8000-8001:80: the host and container ranges differ in length/)
  await cocker(mode, ['rm', '-f', '-t', '0', 'pub'], { status: 0 })
  assert.is(await hostFetch('127.0.0.1', 18180), 'ECONNREFUSED')
  assert.equal((await runCmd(['iptables-save'], { status: 0 })).stdout.split('\n').filter(l => l.includes('1818')), [])
  await nothingLeft(mode, 'pub', [id])
  await cocker(mode, ['network', 'rm', 'pub'], { status: 0 })
}))

/** MESSAGE sent to 127.0.0.1:PORT over UDP every 200 ms until an answer comes (3 s at most): the answer, or "no answer". */
function udpAsk(port: number, message: string): Promise<string> {
  const sock = createSocket('udp4')
  return new Promise<string>(resolve => {
    const send = () => sock.send(message, port, '127.0.0.1')
    const timer = setInterval(send, 200)
    const end = (answer: string) => { clearInterval(timer); clearTimeout(limit); sock.close(); resolve(answer) }
    const limit = setTimeout(() => end('no answer'), 3000)
    sock.once('message', m => end(String(m)))
    send()
  })
}

cockerScenario('-p PORT/udp publishes a UDP port of a container on a bridge network (rootless: relayed through the rootless network namespace); rm takes it away', mode => withContainers(mode, async image => {
  if (!hasFixtureInit()) return console.log('  skip: c/tests/fixture-init is not built')
  const init = mode.user ? path.join(stageForRootless(), 'c/tests/fixture-init') : fixtureInitPath()
  await cocker(mode, ['network', 'create', '--subnet', '10.123.11.0/24', 'udpnet'], { status: 0 })
  // echo-peer answers "udp PORT from PEER: MESSAGE": the peer is the network's gateway, as a loopback client shows on a bridge
  const id = (await cocker(mode, ['run', '-d', '--name', 'echo', '--network', 'udpnet', '-v', `${init}:/fi:ro`, '-p', '127.0.0.1:18190:5300/udp', '-p', '127.0.0.1:18191:5301/udp',
    image, '/fi', 'echo-peer', '5300-5301'], { status: 0 })).stdout.trim()
  assert.match(await udpAsk(18190, 'one'), /^udp 5300 from 10\.123\.11\.1:\d+: one\n$/)
  assert.match(await udpAsk(18191, 'two'), /^udp 5301 from 10\.123\.11\.1:\d+: two\n$/)
  // a second client gets its own replies
  assert.match(await udpAsk(18190, 'three'), /^udp 5300 from 10\.123\.11\.1:\d+: three\n$/)
  await cocker(mode, ['rm', '-f', '-t', '0', 'echo'], { status: 0 })
  assert.is(await udpAsk(18190, 'gone'), 'no answer')
  await nothingLeft(mode, 'udpnet', [id])
  await cocker(mode, ['network', 'rm', 'udpnet'], { status: 0 })
}))

cockerScenario('network connect and disconnect: a running container joins and leaves at once, a stopped one at its next start', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.7.0/24', 'late'], { status: 0 })
  // on no network yet (loopback only): a container is on one bridge network at most for now
  const id = (await cocker(mode, ['run', '-d', '--name', 'srv', '--network', 'none', image, ...server('hello-late')], { status: 0 })).stdout.trim()
  await cocker(mode, ['network', 'connect', '--alias', 'later', 'late', 'srv'], { status: 0 })
  await listening(mode, 'srv')
  assert.match((await addressOf(mode, 'srv')).ip, /^10\.123\.7\.\d+$/)
  assert.equal(await fetchFrom(mode, image, 'late', ['srv', 'later']), ['hello-late', 'hello-late'])
  await refused(mode, ['network', 'connect', 'late', 'srv'], /^Error: container srv is already connected to network late\n/)
  await cocker(mode, ['network', 'disconnect', 'late', 'srv'], { status: 0 })
  assert.equal(await hostTraces(mode, 'late', [id]), [])
  await refused(mode, ['network', 'disconnect', 'late', 'srv'], /^Error: container srv is not connected to network late\n/)
  // stopped: it joins when it starts
  await cocker(mode, ['stop', '-t', '0', 'srv'], { status: 0 })
  await cocker(mode, ['network', 'connect', 'late', 'srv'], { status: 0 })
  await cocker(mode, ['start', 'srv'], { status: 0 })
  await listening(mode, 'srv')
  assert.equal(await fetchFrom(mode, image, 'late', ['srv']), ['hello-late'])
  await cocker(mode, ['rm', '-f', '-t', '0', 'srv'], { status: 0 })
  assert.equal(await hostTraces(mode, 'late', [id]), [])
  await cocker(mode, ['network', 'rm', 'late'], { status: 0 })
}), ['root'])

/** A TCP server on the host (every address) that greets each client and closes, until `close`. */
async function hostServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createTcpServer(sock => sock.end('hello from the host\n', () => sock.destroy()))
  await new Promise<void>(resolve => server.listen(0, '0.0.0.0', resolve))
  return { port: (server.address() as AddressInfo).port, close: () => new Promise(resolve => server.close(() => resolve())) }
}

/** The gateway of the host's default IPv4 route (/proc/net/route, little-endian hex). */
function hostGateway(): string | undefined {
  for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1] === '00000000' && f[2] && f[2] !== '00000000') {
      const n = parseInt(f[2], 16)
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.')
    }
  }
  return undefined
}

cockerScenario('rootless: a container on a bridge network reaches a server on the host through the rootless network namespace\'s pasta (the host\'s gateway address)', mode => withContainers(mode, async image => {
  const gateway = hostGateway()
  if (!gateway) return console.log('  skip: the host has no default route')
  await cocker(mode, ['network', 'create', '--subnet', '10.123.9.0/24', 'out'], { status: 0 })
  const server = await hostServer()
  try {
    // this pasta (2023) may keep a connection that the host's loopback server closed: nc is bounded
    const r = await cocker(mode, ['run', '--rm', '--network', 'out', image, 'sh', '-c',
      `timeout 10 nc -w 5 ${gateway} ${server.port} </dev/null | head -n 1; echo done`], { status: 0 })
    assert.is(r.stdout, 'hello from the host\ndone\n')
    // by its name, as rootless pasta containers have it: host.containers.internal in /etc/hosts
    const named = await cocker(mode, ['run', '--rm', '--network', 'out', image, 'sh', '-c',
      `grep host.containers.internal /etc/hosts; timeout 10 nc -w 5 host.containers.internal ${server.port} </dev/null | head -n 1`], { status: 0 })
    assert.is(named.stdout, `${gateway}\thost.containers.internal\nhello from the host\n`)
  } finally {
    await server.close()
  }
  await nothingLeft(mode, 'out', [])
  await cocker(mode, ['network', 'rm', 'out'], { status: 0 })
}), ['rootless'])

cockerScenario('rootless: network connect joins a stopped container at its next start, refuses a running one in one line; disconnect takes it off', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.10.0/24', 'later'], { status: 0 })
  const id = (await cocker(mode, ['run', '-d', '--name', 'srv', '--network', 'none', image, ...server('hello-later')], { status: 0 })).stdout.trim()
  await refused(mode, ['network', 'connect', 'later', 'srv'], /^Error: network connect later: a running container joins a bridge network rootless only at its next start/)
  await cocker(mode, ['stop', '-t', '0', 'srv'], { status: 0 })
  await cocker(mode, ['network', 'connect', '--alias', 'then', 'later', 'srv'], { status: 0 })
  await cocker(mode, ['start', 'srv'], { status: 0 })
  await listening(mode, 'srv')
  assert.equal(await fetchFrom(mode, image, 'later', ['srv', 'then']), ['hello-later', 'hello-later'])
  await cocker(mode, ['network', 'disconnect', 'later', 'srv'], { status: 0 })
  await nothingLeft(mode, 'later', [id])
  // off its network, it starts again with a user namespace of its own
  await cocker(mode, ['stop', '-t', '0', 'srv'], { status: 0 })
  await cocker(mode, ['start', 'srv'], { status: 0 })
  assert.is((await cocker(mode, ['exec', 'srv', 'cat', '/proc/net/dev'], { status: 0 })).stdout.includes('eth0'), false)
  await cocker(mode, ['rm', '-f', '-t', '0', 'srv'], { status: 0 })
  await nothingLeft(mode, 'later', [id])
  await cocker(mode, ['network', 'rm', 'later'], { status: 0 })
}), ['rootless'])

cockerScenario('rootless: a running container that started on a bridge network leaves it and joins another at once (disconnect, connect)', mode => withContainers(mode, async image => {
  await cocker(mode, ['network', 'create', '--subnet', '10.123.12.0/24', 'first'], { status: 0 })
  await cocker(mode, ['network', 'create', '--subnet', '10.123.13.0/24', 'second'], { status: 0 })
  const keep = (await cocker(mode, ['run', '-d', '--name', 'keep', '--network', 'second', image, 'sleep', '100000'], { status: 0 })).stdout.trim()
  const id = (await cocker(mode, ['run', '-d', '--name', 'srv', '--network', 'first', image, ...server('hello-moved')], { status: 0 })).stdout.trim()
  await listening(mode, 'srv')
  assert.equal(await fetchFrom(mode, image, 'first', ['srv']), ['hello-moved'])
  await cocker(mode, ['network', 'disconnect', 'first', 'srv'], { status: 0 })
  assert.is((await cocker(mode, ['exec', 'srv', 'cat', '/proc/net/dev'], { status: 0 })).stdout.includes('eth0'), false)
  await cocker(mode, ['network', 'connect', '--alias', 'moved', 'second', 'srv'], { status: 0 })
  assert.match((await addressOf(mode, 'srv')).ip, /^10\.123\.13\.\d+$/)
  assert.equal(await fetchFrom(mode, image, 'second', ['srv', 'moved']), ['hello-moved', 'hello-moved'])
  await cocker(mode, ['rm', '-f', '-t', '0', 'srv', 'keep'], { status: 0 })
  await nothingLeft(mode, 'second', [id, keep])
  await cocker(mode, ['network', 'rm', 'first', 'second'], { status: 0 })
}), ['rootless'])

test.run()
