// `cocker run`'s namespace flags, root and rootless: --network none|host, --uts, --ipc, --pid,
// --hostname and --sysctl, checked inside the container against the namespace links in
// /proc/self/ns (compared with the host's, this test process's), `hostname` and /proc/sys.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker } from '../support/cocker-modes.js'
import { busyboxScenario, hostNamespace, runSh } from '../support/run-scenario.js'

const TYPES = ['net', 'uts', 'ipc', 'pid'] as const
const NS_SCRIPT = `for t in ${TYPES.join(' ')}; do echo "$t $(readlink /proc/self/ns/$t)"; done`

/** The container's namespace links from NS_SCRIPT's output, by type. */
function namespacesIn(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.split('\n').filter(l => /^(net|uts|ipc|pid) /.test(l)).map(l => l.split(' ') as [string, string]))
}

busyboxScenario('by default every namespace is the container\'s own; --network none has only loopback', async mode => {
  for (const flags of [[], ['--network', 'none']]) {
    const r = await runSh(mode, flags, `${NS_SCRIPT}; ls /sys/class/net; echo $$`)
    const ns = namespacesIn(r.stdout)
    for (const t of TYPES) assert.is.not(ns[t], hostNamespace(t), `${t} namespace with ${flags.join(' ') || 'no flags'}`)
    // rootless, the default network is pasta's (integration/network)
    if (flags.length || mode.name === 'root') assert.match(r.stdout, /\nlo\n1\n$/, 'only loopback, and the shell is pid 1')
  }
})

busyboxScenario('--network host, --uts host, --ipc host and --pid host join the host\'s namespaces', async mode => {
  for (const t of TYPES) {
    const flag = { net: '--network', uts: '--uts', ipc: '--ipc', pid: '--pid' }[t]
    const ns = namespacesIn((await runSh(mode, [flag, 'host'], NS_SCRIPT)).stdout)
    for (const other of TYPES) {
      if (other === t) assert.is(ns[other], hostNamespace(other), `${flag} host: ${other}`)
      else assert.is.not(ns[other], hostNamespace(other), `${flag} host: ${other} stays the container's`)
    }
  }
  // the host's network devices, hostname and processes, not the container's
  const r = await runSh(mode, ['--network', 'host', '--uts', 'host', '--pid', 'host'], 'hostname; ls /sys/class/net | wc -l; cat /proc/1/comm')
  const [hostname, devices, init] = r.stdout.split('\n')
  assert.is(hostname, os.hostname())
  assert.ok(Number(devices) > 1, `more than loopback: ${r.stdout}`)
  assert.is(init, readFileSync('/proc/1/comm', 'utf8').trim())
})

busyboxScenario('--hostname sets the UTS name, /etc/hostname and $HOSTNAME', async mode => {
  const r = await runSh(mode, ['--hostname', 'flagged.example'], 'hostname; cat /proc/sys/kernel/hostname /etc/hostname; echo $HOSTNAME')
  assert.is(r.stdout, 'flagged.example\n'.repeat(4))
})

busyboxScenario('--sysctl sets namespaced kernel parameters in the container only', async mode => {
  const read = (key: string) => readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8')
  const hostShmmax = read('kernel.shmmax')
  const hostPing = read('net.ipv4.ping_group_range')
  const r = await runSh(mode, ['--sysctl', 'kernel.shmmax=12345678', '--sysctl', 'net.ipv4.ping_group_range=100 200'],
    'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ping_group_range')
  assert.is(r.stdout, '12345678\n100\t200\n')
  assert.is(read('kernel.shmmax'), hostShmmax)
  assert.is(read('net.ipv4.ping_group_range'), hostPing)
  // one the container's namespaces do not hold would change the host: refused before anything runs
  for (const flags of [['--sysctl', 'vm.swappiness=1'], ['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1']]) {
    const refused = await runSh(mode, flags, 'echo ran', { status: 125 })
    assert.is(refused.stdout, '')
    assert.match(refused.stderr, /^Error: --sysctl [^\n]+\n$/)
  }
})

busyboxScenario('--network, --uts, --ipc and --pid container:NAME join that container\'s namespaces, afresh at each start', async mode => {
  const target = `ns-target-${process.pid}`
  await cocker(mode, ['run', '-d', '--name', target, '--hostname', 'joined.example', mode.image, 'sleep', '1000'], { status: 0 })
  try {
    const own = async () => namespacesIn((await cocker(mode, ['exec', target, 'sh', '-c', NS_SCRIPT], { status: 0 })).stdout)
    const theirs = await own()
    const flags = ['--network', `container:${target}`, '--uts', `container:${target}`, '--ipc', `container:${target}`, '--pid', `container:${target}`]
    const r = await runSh(mode, flags, `${NS_SCRIPT}; hostname; cat /etc/hostname; ps -o comm | grep -c sleep`)
    assert.equal(namespacesIn(r.stdout), theirs)
    assert.match(r.stdout, /\njoined.example\njoined.example\n1\n$/, 'its hostname, and its processes')
    // by id prefix too; the joiner is created now, and started after the target has a new init
    const id = (await cocker(mode, ['inspect', '-f', '{{.Id}}', target], { status: 0 })).stdout.trim()
    const joiner = `ns-joiner-${process.pid}`
    await cocker(mode, ['create', '--name', joiner, '--network', `container:${id.slice(0, 12)}`, mode.image, 'sh', '-c', 'readlink /proc/self/ns/net'], { status: 0 })
    await cocker(mode, ['restart', '-t', '0', target], { status: 0 })
    // (the kernel may give the new namespace the old one's inode: the old init's /proc path is what is gone)
    const again = await own()
    assert.is((await cocker(mode, ['start', '-a', joiner], { status: 0 })).stdout.trim(), again.net)
    // a target that does not run, or does not exist: one line each
    await cocker(mode, ['stop', '-t', '0', target], { status: 0 })
    const stopped = await cocker(mode, ['start', joiner], { status: 125 })
    assert.is(stopped.stderr, `Error: ${joiner} joins the network namespace of container ${target}, which is not running; start ${target} first\n`)
    const mapped = await runSh(mode, ['--ipc', `container:${target}`, '--uidmap', '0:1:1000'], 'true', { status: 125 })
    assert.match(mapped.stderr, /^Error: another container's namespaces \(container:NAME, --pod\) with --userns, --uidmap or --gidmap are not supported yet; /)
    const missing = await runSh(mode, ['--ipc', 'container:no-such-ct'], 'true', { status: 125 })
    assert.is(missing.stderr, 'Error: no container with name or ID "no-such-ct" found: no such container\n')
  } finally {
    await cocker(mode, ['rm', '-f', '-a', '-t', '0'])
  }
})

test.run()
