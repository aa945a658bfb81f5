import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bindPositionals, parseArgv } from '../../../lib/cli/argv.js'
import { parseEntrypoint, parseRunOptions, type RunOptionsHost } from '../../../lib/cli/commands/run-options.js'
import { runOptions, runPositionals } from '../../../lib/cli/flags/run.js'
import { defaultRunOptions } from '../../../lib/spec/run-options.js'
import { throwsCode } from '../../support/assert.js'

const FILES: Record<string, string> = {
  '/work/app.env': '# comment\n\nA=1\nB=two words\r\nFROM_HOST\nUNSET_ON_HOST\n',
  '/work/profile.json': '{"defaultAction": "SCMP_ACT_ALLOW"}',
  '/work/bad.json': '{"syscalls": []}',
}
const HOST: RunOptionsHost = {
  env: { FROM_HOST: 'h', TERM: 'screen' },
  cwd: '/work',
  readFile: p => {
    if (!(p in FILES)) throw new Error(`ENOENT: no such file or directory, open '${p}'`)
    return FILES[p]
  },
  exists: p => ['/srv', '/work/data', '/work'].includes(p),
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgv(argv, { options: runOptions, positionals: runPositionals })
  bindPositionals(runPositionals, positionals, values)
  return parseRunOptions(values, HOST)
}

test('option definitions: sorted, unique names and short flags, podman\'s letters', () => {
  const names = runOptions.map(o => o.name)
  assert.equal(names, [...names].sort())
  assert.is(new Set(names).size, names.length)
  const aliases = runOptions.filter(o => o.alias).map(o => `${o.alias}=${o.name}`)
  assert.is(new Set(aliases.map(a => a[0])).size, aliases.length)
  assert.equal(aliases.sort(), ['d=detach', 'e=env', 'h=hostname', 'i=interactive', 'l=label', 'm=memory', 'p=publish', 't=tty', 'u=user',
    'v=volume', 'w=workdir'])
})

test('a bare run is the defaults', () => {
  assert.equal(parse(['busybox']), defaultRunOptions())
})

test('the command after the image is taken as is, flags included', () => {
  const o = parse(['-it', '--rm', 'busybox', 'ls', '-l', '--color'])
  assert.equal(o.command, ['ls', '-l', '--color'])
  assert.ok(o.tty && o.interactive && o.rm)
})

test('--entrypoint: a word, a JSON array, or empty', () => {
  assert.equal(parseEntrypoint('/bin/echo x'), ['/bin/echo x'])
  assert.equal(parseEntrypoint('["/bin/echo", "a"]'), ['/bin/echo', 'a'])
  assert.equal(parseEntrypoint(''), [])
  assert.equal(parseEntrypoint('[not json'), ['[not json'])
  throwsCode(() => parseEntrypoint('[1, 2]'), 'INVALID_ARGUMENT', /array of strings/)
  assert.equal(parse(['--entrypoint', '', 'img']).entrypoint, [])
  assert.is(parse(['img']).entrypoint, undefined)
})

test('env: --env-file first, then -e; a bare KEY takes the host\'s value or is left out', () => {
  const o = parse(['--env-file', '/work/app.env', '-e', 'A=override', '-e', 'TERM', '-e', 'NOPE', 'img'])
  assert.equal(o.env, ['A=1', 'B=two words', 'FROM_HOST=h', 'A=override', 'TERM=screen'])
  throwsCode(() => parse(['--env-file', '/work/missing.env', 'img']), 'INVALID_ARGUMENT', /--env-file \/work\/missing.env: cannot read it/)
  throwsCode(() => parse(['-e', '=x', 'img']), 'INVALID_ARGUMENT', /variable name is empty/)
})

test('volumes, mounts and tmpfs, with the host path checked', () => {
  const o = parse(['-v', '/srv:/srv:ro', '-v', './data:/data', '--mount', 'type=tmpfs,target=/t', '--tmpfs', '/run', 'img'])
  assert.equal(o.mounts.map(m => m.destination), ['/srv', '/data', '/t', '/run'])
  assert.equal(o.mounts[1], { type: 'bind', source: '/work/data', destination: '/data', options: ['rbind', 'rprivate'] })
  throwsCode(() => parse(['-v', '/nope:/x', 'img']), 'INVALID_ARGUMENT', '--volume /nope:/x: the host path /nope does not exist')
  throwsCode(() => parse(['-v', '/srv:/x', '--tmpfs', '/x', 'img']), 'INVALID_ARGUMENT', /more than one mount/)
})

test('resources', () => {
  const o = parse(['-m', '512m', '--memory-swap', '-1', '--cpus', '1.5', '--pids-limit', '100', 'img'])
  assert.is(o.memory, 512 * 1024 ** 2)
  assert.is(o.memorySwap, -1)
  assert.is(o.cpus, 1.5)
  assert.is(o.pidsLimit, 100)
  throwsCode(() => parse(['--memory', '12q', 'img']), 'INVALID_ARGUMENT', '--memory 12q: invalid size; use a number with an optional b, k, m or g suffix')
  throwsCode(() => parse(['--cpus', '0', 'img']), 'INVALID_ARGUMENT', /--cpus 0: must be a number above 0/)
  throwsCode(() => parse(['--pids-limit', '-5', 'img']), 'INVALID_ARGUMENT', /--pids-limit -5/)
})

test('security: caps, seccomp profiles, no-new-privileges', () => {
  const o = parse(['--cap-add', 'net_admin,sys_ptrace', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--security-opt', 'seccomp=/work/profile.json', 'img'])
  assert.equal(o.capAdd, ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE'])
  assert.equal(o.capDrop, ['ALL'])
  assert.ok(o.noNewPrivileges)
  assert.equal(o.seccomp, { kind: 'profile', profile: { defaultAction: 'SCMP_ACT_ALLOW' } })
  assert.equal(parse(['--security-opt', 'seccomp=unconfined', 'img']).seccomp, { kind: 'unconfined' })
  throwsCode(() => parse(['--security-opt', 'seccomp=/work/bad.json', 'img']), 'INVALID_ARGUMENT', /not a seccomp profile/)
  throwsCode(() => parse(['--security-opt', 'seccomp=/work/none.json', 'img']), 'INVALID_ARGUMENT', /cannot read the profile/)
})

test('namespaces, --net as an alias of --network', () => {
  const o = parse(['--net', 'host', '--pid', 'host', '--ipc', 'private', 'img'])
  assert.equal(o.network, { mode: 'host' })
  assert.equal(o.pid, { mode: 'host' })
  assert.equal(o.ipc, { mode: 'private' })
  assert.equal(parse(['--network', 'none', 'img']).network, { mode: 'private' })
})

test('identity, labels, annotations, sysctls, ulimits, stop signal', () => {
  const o = parse(['-u', 'alice:staff', '-w', '/app', '-h', 'web', '--name', 'web-1', '-l', 'a=b', '-l', 'flag',
    '--annotation', 'x=y', '--sysctl', 'net.core.somaxconn=1024', '--ulimit', 'nofile=10:20', '--stop-signal', 'SIGQUIT', 'img'])
  assert.is(o.user, 'alice:staff')
  assert.is(o.workdir, '/app')
  assert.is(o.hostname, 'web')
  assert.is(o.name, 'web-1')
  assert.equal(o.labels, { a: 'b', flag: '' })
  assert.equal(o.annotations, { x: 'y' })
  assert.equal(o.sysctls, { 'net.core.somaxconn': '1024' })
  assert.equal(o.ulimits, [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }])
  assert.is(o.stopSignal, 'SIGQUIT')
  throwsCode(() => parse(['-w', 'app', 'img']), 'INVALID_ARGUMENT', /--workdir app: the path must be absolute/)
  throwsCode(() => parse(['--name', '-bad', 'img']), 'INVALID_ARGUMENT', /names must match/)
  throwsCode(() => parse(['--stop-signal', 'SIGNOPE', 'img']), 'INVALID_ARGUMENT', /unknown signal/)
  throwsCode(() => parse(['--ulimit', 'nofile=1', '--ulimit', 'nofile=2', 'img']), 'INVALID_ARGUMENT', /nofile is given twice/)
  throwsCode(() => parse(['--sysctl', 'novalue', 'img']), 'INVALID_ARGUMENT', /KEY=VALUE/)
})

test('image selection and pulling', () => {
  const o = parse(['--pull', 'never', '--platform', 'linux/arm64/v8', '--tls-verify=false', 'img'])
  assert.is(o.pull, 'never')
  assert.equal(o.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' })
  assert.is(o.tlsVerify, false)
  assert.equal(parse(['--arch', 'arm64', 'img']).platform, { architecture: 'arm64' })
  throwsCode(() => parse(['--platform', 'linux', 'img']), 'INVALID_ARGUMENT', /OS\/ARCH/)
})

test('--read-only, --read-only-tmpfs=false, --privileged, --cgroups disabled, -d', () => {
  const o = parse(['--read-only', '--read-only-tmpfs=false', '--privileged', '--cgroups', 'disabled', '-d', 'img'])
  assert.ok(o.readOnly && o.privileged && o.detach)
  assert.is(o.readOnlyTmpfs, false)
  assert.is(o.cgroups, 'disabled')
})

test('--env-host takes the host\'s environment; --uidmap alone serves for gids; --group-add; conflicting user namespace flags', () => {
  assert.equal(parse(['--env-host', '-e', 'TERM=flag', 'img']).env, ['FROM_HOST=h', 'TERM=screen', 'TERM=flag'])
  assert.equal(parse(['img']).env, [])
  const map = { containerID: 0, hostID: 0, size: 1 }
  assert.equal(parse(['--uidmap', '0:0:1', 'img']).userns, { mode: 'maps', uid: [map], gid: [map] })
  assert.equal(parse(['--userns', 'keep-id', 'img']).userns, { mode: 'keep-id' })
  throwsCode(() => parse(['--userns', 'keep-id', '--gidmap', '0:0:1', 'img']), 'INVALID_ARGUMENT',
    '--userns keep-id cannot be combined with --uidmap or --gidmap')
  assert.equal(parse(['--group-add', '10', '--group-add', 'wheel,audio', 'img']).groupAdd, ['10', 'wheel', 'audio'])
  throwsCode(() => parse(['--group-add', 'keep-groups', '--group-add', '10', 'img']), 'INVALID_ARGUMENT', /keep-groups cannot be combined/)
  assert.is(parse(['--oom-score-adj', '-5', 'img']).oomScoreAdj, -5)
  throwsCode(() => parse(['--oom-score-adj', 'lots', 'img']), 'INVALID_ARGUMENT', '--oom-score-adj lots')
})

test('--rootfs: IMAGE names a directory, absolute or relative, with :O for an overlay', () => {
  assert.equal(parse(['--rootfs', '/srv', 'true']).rootfs, { path: '/srv', overlay: false })
  assert.equal(parse(['--rootfs', '/srv:O', 'true']).rootfs, { path: '/srv', overlay: true })
  assert.equal(parse(['--rootfs', 'data', 'true']).rootfs, { path: '/work/data', overlay: false })
  assert.is(parse(['/srv', 'true']).rootfs, undefined)
  throwsCode(() => parse(['--rootfs', '/nope', 'true']), 'INVALID_ARGUMENT', '--rootfs /nope: the directory /nope does not exist')
})

test.run()
