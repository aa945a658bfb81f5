import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { applyContainersConf, cachedContainersConf, containersConf, containersConfFiles, loadContainersConf } from '../../../lib/config/containers-conf.js'
import { makeTempDir } from '../../fixtures/bundle.js'
import { throwsCode } from '../../support/assert.js'

function files(entries: Record<string, string>): string {
  const dir = makeTempDir('cocker-conf-')
  for (const [name, text] of Object.entries(entries)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

test('which files: the user\'s file and then its drop-ins by name, rootless only; CONTAINERS_CONF alone; the override last', () => {
  const dir = files({
    'containers/containers.conf': '', 'containers/containers.conf.d/b.conf': '', 'containers/containers.conf.d/a.conf': '',
    'containers/containers.conf.d/skipped.txt': '', 'containers/containers.conf.d/sub/c.conf': '', 'only.conf': '', 'last.conf': '',
  })
  const mine = (list: string[]) => list.filter(f => f.startsWith(dir)).map(f => path.relative(dir, f))
  const env = { XDG_CONFIG_HOME: dir, HOME: '/nonexistent' }
  assert.equal(mine(containersConfFiles(env, true)), ['containers/containers.conf', 'containers/containers.conf.d/a.conf', 'containers/containers.conf.d/b.conf'])
  assert.equal(mine(containersConfFiles(env, false)), [])
  // the system's files come first, when they exist
  assert.ok(containersConfFiles(env, true).indexOf(path.join(dir, 'containers/containers.conf')) >= containersConfFiles(env, false).length)
  const only = path.join(dir, 'only.conf')
  const last = path.join(dir, 'last.conf')
  assert.equal(containersConfFiles({ ...env, CONTAINERS_CONF: only }, true), [only])
  assert.equal(containersConfFiles({ ...env, CONTAINERS_CONF: only, CONTAINERS_CONF_OVERRIDE: last }, true), [only, last])
  assert.equal(containersConfFiles({ ...env, CONTAINERS_CONF_OVERRIDE: last }, true).at(-1), last)
  throwsCode(() => containersConfFiles({ CONTAINERS_CONF: path.join(dir, 'missing.conf') }, true), 'CONFIG_INVALID',
    `CONTAINERS_CONF names ${dir}/missing.conf, which does not exist`)
})

test('podman\'s defaults when no file sets a key', async () => {
  const conf = await loadContainersConf([])
  assert.equal(conf.files, [])
  assert.equal(conf.containers.env, [])
  assert.is(conf.containers.defaultCapabilities, undefined)
  assert.is(conf.containers.pidsLimit, undefined)
  assert.is(conf.containers.umask, 0o022)
  assert.is(conf.containers.logDriver, 'k8s-file')
  assert.is(conf.containers.logSizeMax, -1)
  assert.is(conf.containers.init, false)
  assert.equal(conf.engine, { detachKeys: 'ctrl-p,ctrl-q', runtimes: {}, stopTimeout: 10 })
})

test('later files override the keys they set; a list replaces the whole list; unknown keys and tables are ignored', async () => {
  const dir = files({
    '1.conf': '[containers]\nenv = ["A=1", "B=2"]\ndefault_ulimits = ["nofile=10:20"]\numask = "0077"\nunknown_key = 1\n' +
      '[engine]\nstop_timeout = 30\nevents_logger = "file"\nimage_default_transport = "docker://"\n[engine.runtimes]\ncrun = ["/usr/bin/crun"]\n[machine]\ncpus = 2\n',
    '2.conf': '[containers]\nenv = ["C=3"]\npids_limit = 0\ntz = "local"\ninit = true\ninit_path = "/usr/libexec/catatonit"\n' +
      'log_driver = "json-file"\nlog_size_max = 1048576\n[engine]\ndetach_keys = "ctrl-a"\nruntime = "crun"\n',
  })
  const conf = await loadContainersConf([path.join(dir, '1.conf'), path.join(dir, '2.conf')])
  assert.equal(conf.files, [path.join(dir, '1.conf'), path.join(dir, '2.conf')])
  assert.equal(conf.containers.env, ['C=3'])
  assert.equal(conf.containers.defaultUlimits, ['nofile=10:20'])
  assert.is(conf.containers.umask, 0o077)
  assert.is(conf.containers.pidsLimit, 0)
  assert.is(conf.containers.tz, 'local')
  assert.is(conf.containers.init, true)
  assert.is(conf.containers.initPath, '/usr/libexec/catatonit')
  assert.is(conf.containers.logDriver, 'json-file')
  assert.is(conf.containers.logSizeMax, 1048576)
  assert.equal(conf.engine, { detachKeys: 'ctrl-a', stopTimeout: 30, runtime: 'crun', runtimes: { crun: ['/usr/bin/crun'] } })
  assert.is(conf.origin['containers.env'], `${path.join(dir, '2.conf')}:2`)
  assert.is(conf.origin['containers.default_ulimits'], `${path.join(dir, '1.conf')}:3`)
})

test('a value\'s line is found in its own table', async () => {
  const dir = files({ 'c.conf': '[engine]\nenv = ["X=1"]\n\n[containers]\n# env = []\nenv = ["A=1"]\n' })
  assert.is((await loadContainersConf([path.join(dir, 'c.conf')])).origin['containers.env'], `${path.join(dir, 'c.conf')}:6`)
})

test('a broken file: one line with its path, the line, and what is wrong', async () => {
  const dir = files({ 'syntax.conf': '[containers]\nenv = ["A=1"\n\n[engine]\n', 'type.conf': '# x\n[containers]\n  default_ulimits = "nofile=1"\n' })
  const err = await loadContainersConf([path.join(dir, 'syntax.conf')]).catch(e => e)
  assert.is(err.code, 'CONFIG_INVALID')
  assert.match(err.message, new RegExp(`^${dir}/syntax.conf:4:1: expected comma or end of structure$`))
  assert.not.match(err.message, /\n/)
  const typed = await loadContainersConf([path.join(dir, 'type.conf')]).catch(e => e)
  assert.is(typed.message, `${dir}/type.conf:3: [containers] default_ulimits must be a list of strings`)
  const conf = await loadContainersConf([])
  throwsCode(() => applyContainersConf(conf, { doc: { containers: { umask: '9' } }, lines: {} }, '/c.conf'), 'CONFIG_INVALID', '/c.conf: [containers] umask must be an octal string such as "0022"')
  throwsCode(() => applyContainersConf(conf, { doc: { engine: { stop_timeout: '10' } }, lines: {} }, '/c.conf'), 'CONFIG_INVALID', '/c.conf: [engine] stop_timeout must be a whole number')
  throwsCode(() => applyContainersConf(conf, { doc: { containers: 3 }, lines: {} }, '/c.conf'), 'CONFIG_INVALID', '/c.conf: containers must be a table ([containers])')
  throwsCode(() => applyContainersConf(conf, { doc: { engine: { runtimes: { crun: '/usr/bin/crun' } } }, lines: {} }, '/c.conf'), 'CONFIG_INVALID',
    '/c.conf: [engine.runtimes] crun must be a list of paths')
})

test('containersConf: CONTAINERS_CONF read once per process and environment', async () => {
  const dir = files({ 'c.conf': '[engine]\nstop_timeout = 5\n' })
  const env = { CONTAINERS_CONF: path.join(dir, 'c.conf'), HOME: dir }
  const first = await containersConf(env)
  assert.is(first.engine.stopTimeout, 5)
  writeFileSync(path.join(dir, 'c.conf'), '[engine]\nstop_timeout = 6\n')
  assert.is(await containersConf(env), first)
})

test('the cache file: used while every file is unchanged, parsed again when one changes', async () => {
  const dir = files({ 'a.conf': '[engine]\nstop_timeout = 5\n', 'b.conf': '' })
  const list = [path.join(dir, 'a.conf'), path.join(dir, 'b.conf')]
  const cache = path.join(dir, 'cache.json')
  assert.is((await cachedContainersConf(list, cache)).engine.stopTimeout, 5)
  // what the cache says is what is used: doctor it to see it read
  const saved = JSON.parse(readFileSync(cache, 'utf8'))
  saved.parsed[0].doc.engine.stop_timeout = 99
  writeFileSync(cache, JSON.stringify(saved))
  assert.is((await cachedContainersConf(list, cache)).engine.stopTimeout, 99)
  writeFileSync(path.join(dir, 'b.conf'), '[engine]\ndetach_keys = "ctrl-x"\n')
  const fresh = await cachedContainersConf(list, cache)
  assert.equal([fresh.engine.stopTimeout, fresh.engine.detachKeys], [5, 'ctrl-x'])
  // a cache that cannot be written is no error
  assert.is((await cachedContainersConf(list, path.join(dir, 'no/such/dir/cache.json'))).engine.stopTimeout, 5)
  writeFileSync(cache, '{"key": ')
  assert.is((await cachedContainersConf(list, cache)).engine.stopTimeout, 5)
})

test.run()
