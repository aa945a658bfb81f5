// containers.conf as Podman reads it, through bin/cocker run: a rootless user's own file and
// its drop-ins ($XDG_CONFIG_HOME/containers), root's through CONTAINERS_CONF (so the host's
// /etc/containers stays as it is), flags over both, and a broken file told in one line.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, COCKER_MODES, modeDir } from '../support/cocker-modes.js'
import { FIXTURE_IMAGE } from '../support/image-fixture.js'
import { cleanupPodman, podmanOrSkip, podmanRun } from '../support/podman.js'
import { busyboxModeOrSkip, busyboxScenario, runSh } from '../support/run-scenario.js'

const PROBE = 'echo "env=${FROM_CONF-unset} term=${TERM-unset}"; echo "nofile=$(ulimit -Sn):$(ulimit -Hn) umask=$(umask)"'

/** Files under a temp dir the mode's user owns; returns the dir. */
function confDir(user: Parameters<typeof modeDir>[0], files: Record<string, string>): string {
  const dir = modeDir(user, 'cocker-conf-it-')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

busyboxScenario('~/.config/containers/containers.conf and its drop-ins reach the container; flags override them', async m => {
  const dir = confDir(m, {
    'containers/containers.conf': '[containers]\ndefault_ulimits = ["nofile=1000:1001"]\nenv = ["FROM_CONF=user"]\n',
    // read after containers.conf: its env replaces the list, its umask is added
    'containers/containers.conf.d/10-more.conf': '[containers]\nenv = ["FROM_CONF=drop-in"]\numask = "0077"\n',
  })
  const env = { XDG_CONFIG_HOME: dir }
  const r = await runSh(m, [], PROBE, { env })
  assert.is(r.stdout, 'env=drop-in term=xterm\nnofile=1000:1001 umask=0077\n')
  // -e wins over env; any --ulimit replaces default_ulimits as a whole (nofile is cocker's default again)
  const flags = await runSh(m, ['-e', 'FROM_CONF=flag', '--ulimit', 'core=0'], PROBE, { env })
  assert.match(flags.stdout, /^env=flag term=xterm\nnofile=(\d+):\1 umask=0077\n$/)
  assert.is.not(/nofile=(\d+)/.exec(flags.stdout)![1], '1000')
}, ['rootless'])

busyboxScenario('the user\'s file is not read, CONTAINERS_CONF is: ulimits, env, capabilities, tz, umask', async m => {
  const dir = confDir(m, {
    'containers/containers.conf': '[containers]\nenv = ["FROM_CONF=user"]\n',
    'system.conf': '[containers]\ndefault_ulimits = ["nofile=1000:1001"]\nenv = ["FROM_CONF=system"]\numask = "0027"\n' +
      'default_capabilities = ["CHOWN", "KILL"]\ntz = "Asia/Tokyo"\n[engine]\nstop_timeout = 3\n',
  })
  const user = await runSh(m, [], PROBE, { env: { XDG_CONFIG_HOME: dir } })
  assert.is(user.stdout.split('\n')[0], 'env=unset term=xterm')
  const env = { XDG_CONFIG_HOME: dir, CONTAINERS_CONF: path.join(dir, 'system.conf') }
  const r = await runSh(m, [], `${PROBE}; grep CapBnd /proc/self/status; md5sum /etc/localtime`, { env })
  const zone = createHash('md5').update(readFileSync('/usr/share/zoneinfo/Asia/Tokyo')).digest('hex')
  // CAP_CHOWN is bit 0, CAP_KILL bit 5
  assert.is(r.stdout, `env=system term=xterm\nnofile=1000:1001 umask=0027\nCapBnd:\t0000000000000021\n${zone}  /etc/localtime\n`)
}, ['root'])

busyboxScenario('a broken containers.conf: exit 125 and one line with its path, line and what is wrong', async mode => {
  const dir = confDir(mode, { 'containers/containers.conf': '[containers]\nenv = ["A=1"\n\n[engine]\n' })
  const file = path.join(dir, 'containers/containers.conf')
  // rootless through the user's own file, root through CONTAINERS_CONF
  const env = mode.name === 'rootless' ? { XDG_CONFIG_HOME: dir } : { CONTAINERS_CONF: file }
  const r = await cocker(mode, ['run', '--rm', mode.image, 'true'], { status: 125, env })
  assert.is(r.stderr, `Error: ${file}:4:1: expected comma or end of structure; see containers.conf(5)\n`)
})

// Podman as the measure: its own containers.conf for these tests (podman.ts's, whose
// default_ulimits both then take) with [containers] keys added, read by both engines.
const ORACLE_KEYS = 'env = ["FROM_CONF=1", "PATH=/conf/bin:/bin"]\numask = "0027"\ndefault_sysctls = ["net.ipv4.ping_group_range=1 1"]\n' +
  'default_capabilities = ["CHOWN", "KILL", "SETUID"]\ntz = "Asia/Tokyo"\n'
const ORACLE_PROBE = 'env | grep -v ^HOSTNAME= | sort; umask; ulimit -Sn; ulimit -Hn; cat /proc/sys/net/ipv4/ping_group_range; ' +
  'grep CapBnd /proc/self/status; md5sum /etc/localtime'

for (const name of COCKER_MODES) {
  test(`the same containers.conf, podman run and cocker run see the same (${name})`, async () => {
    const title = `containers.conf against podman (${name})`
    const pe = await podmanOrSkip(name, title)
    if (!pe) return
    const mode = busyboxModeOrSkip(name, title)
    if (!mode) return
    const m = await mode
    const file = pe.env.CONTAINERS_CONF!
    const text = readFileSync(file, 'utf8')
    if (!text.includes('FROM_CONF')) writeFileSync(file, text.replace('[containers]\n', `[containers]\n${ORACLE_KEYS}`))
    const args = ['--rm', FIXTURE_IMAGE, 'sh', '-c', ORACLE_PROBE]
    const theirs = await podmanRun(pe, args, { status: 0 })
    const ours = await cocker(m, ['run', '--network', 'none', ...args], { status: 0, env: { CONTAINERS_CONF: file } })
    assert.is(ours.stdout, theirs.stdout)
    assert.match(ours.stdout, /^FROM_CONF=1\n/m)
  })
}
test.after(cleanupPodman)

test.run()
