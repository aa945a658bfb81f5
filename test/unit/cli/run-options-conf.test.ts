// containers.conf through parseRunOptions: which flag each key is the default of, and errors
// that name the file, the line and the key.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bindPositionals, parseArgv } from '../../../lib/cli/argv.js'
import { parseRunOptions } from '../../../lib/cli/commands/run-options.js'
import { runOptions, runPositionals } from '../../../lib/cli/flags/run.js'
import { applyContainersConf, indexContainersConf, loadContainersConf, type ContainersConf } from '../../../lib/config/containers-conf.js'
import { parseToml } from '../../../lib/config/toml.js'
import { defaultRunOptions } from '../../../lib/spec/run-options.js'
import { throwsCode } from '../../support/assert.js'

async function conf(text: string): Promise<ContainersConf> {
  return applyContainersConf(await loadContainersConf([]), indexContainersConf(parseToml(text, '/c.conf', ''), text), '/c.conf')
}

function parse(argv: string[], c: ContainersConf, env: NodeJS.ProcessEnv = {}) {
  const { values, positionals } = parseArgv([...argv, 'img'], { options: runOptions, positionals: runPositionals })
  bindPositionals(runPositionals, positionals, values)
  return parseRunOptions(values, { env, cwd: '/work', readFile: () => '', exists: p => ['/srv', '/usr/share/zoneinfo/Asia/Tokyo', '/etc/localtime'].includes(p), conf: c })
}

test('no file: the same options as without containers.conf', async () => {
  assert.equal(parse([], await conf('')), { ...defaultRunOptions(), command: [] })
})

test('default_ulimits: --ulimit\'s default; any --ulimit replaces the whole list, as in podman', async () => {
  const c = await conf('[containers]\ndefault_ulimits = ["nofile=100:200", "nproc=50"]\n')
  assert.equal(parse([], c).ulimits, [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }, { type: 'RLIMIT_NPROC', soft: 50, hard: 50 }])
  assert.equal(parse(['--ulimit', 'core=0'], c).ulimits, [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }])
})

test('env, default_capabilities, default_sysctls, pids_limit, umask, no_hosts become the container\'s defaults', async () => {
  const o = parse([], await conf('[containers]\nenv = ["A=1"]\ndefault_capabilities = ["chown", "CAP_KILL"]\n' +
    'default_sysctls = ["net.ipv4.ip_forward=1"]\npids_limit = -1\numask = "0027"\nno_hosts = true\n'))
  assert.equal(o.defaults, { env: ['A=1'], capabilities: ['CAP_CHOWN', 'CAP_KILL'], sysctls: { 'net.ipv4.ip_forward': '1' }, pidsLimit: 0 })
  assert.is(o.umask, 0o027)
  assert.is(o.noHosts, true)
  assert.equal(o.env, [])
})

test('env_host: the host\'s environment under -e', async () => {
  assert.equal(parse(['-e', 'B=flag'], await conf('[containers]\nenv_host = true\n'), { A: 'host', B: 'host' }).env, ['A=host', 'B=host', 'B=flag'])
})

test('tz: a zone under /usr/share/zoneinfo or "local"', async () => {
  assert.equal(parse([], await conf('[containers]\ntz = "Asia/Tokyo"\n')).timezone, { name: 'Asia/Tokyo', file: '/usr/share/zoneinfo/Asia/Tokyo' })
  assert.equal(parse([], await conf('[containers]\ntz = "local"\n')).timezone, { name: 'local', file: '/etc/localtime' })
  const escape = await conf('[containers]\ntz = "../../etc/passwd"\n')
  throwsCode(() => parse([], escape), 'CONFIG_INVALID', '/c.conf:2: tz "../../etc/passwd": no such time zone in /usr/share/zoneinfo')
})

test('volumes: added, except where -v or --mount targets the same path', async () => {
  const c = await conf('[containers]\nvolumes = ["/srv:/srv:ro", "/srv:/data"]\n')
  assert.equal(parse([], c).mounts.map(m => [m.destination, m.options]), [['/srv', ['rbind', 'ro', 'rprivate']], ['/data', ['rbind', 'rprivate']]])
  assert.equal(parse(['-v', '/srv:/data:ro'], c).mounts.map(m => [m.destination, m.options]), [['/srv', ['rbind', 'ro', 'rprivate']], ['/data', ['rbind', 'ro', 'rprivate']]])
})

test('a bad value: one line naming the file, the line and the key', async () => {
  const [c1, c2, c3] = await Promise.all(['[containers]\n\ndefault_ulimits = ["nofile=x"]\n', '[containers]\ndefault_capabilities = ["NOPE"]\n',
    '[containers]\nvolumes = ["/missing:/m"]\n'].map(conf))
  throwsCode(() => parse([], c1!), 'CONFIG_INVALID', '/c.conf:3: default_ulimits nofile=x: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048')
  throwsCode(() => parse([], c2!), 'CONFIG_INVALID', '/c.conf:2: default_capabilities NOPE: unknown capability')
  throwsCode(() => parse([], c3!), 'CONFIG_INVALID', '/c.conf:2: volumes /missing:/m: the host path /missing does not exist')
})
test.run()
