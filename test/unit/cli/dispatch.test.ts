import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { camelCase, UsageError } from '../../../lib/cli/argv.js'
import type { CommandDef, ProgramDef } from '../../../lib/cli/command.js'
import { cockerProgram } from '../../../lib/cli/commands/index.js'
import { commandOptions, resolveInvocation } from '../../../lib/cli/dispatch.js'
import { runtimeProgram } from '../../../lib/cli/runtime-commands/index.js'
import { FIXTURE } from './fixture-program.js'

function usageError(fn: () => unknown, message: string, path: string[]): void {
  try {
    fn()
  } catch (err) {
    assert.instance(err, UsageError)
    assert.is((err as UsageError).message, message)
    assert.equal((err as UsageError).path, path)
    return
  }
  assert.unreachable('did not throw')
}

test('global options before the command, command options after it', () => {
  const inv = resolveInvocation(runtimeProgram, ['--root', '/r', '--log-format=json', 'kill', '-a', 'c1', 'KILL'])
  if (inv.kind !== 'run') throw new Error(inv.kind)
  assert.is(inv.command.name, 'kill')
  assert.equal(inv.path, ['kill'])
  assert.is(inv.globals.root, '/r')
  assert.is(inv.globals.logFormat, 'json')
  assert.is(inv.globals.rootless, 'auto')
  assert.equal(inv.args, { all: true, containerId: 'c1', signal: 'KILL' })
})

test('runc: global options are not accepted after the command', () => {
  usageError(() => resolveInvocation(runtimeProgram, ['list', '--root', '/r']), 'unknown flag: --root', ['list'])
})

test('cocker: global options are accepted after the command too', () => {
  const inv = resolveInvocation(FIXTURE, ['pull', '--log-level', 'debug', 'alpine'])
  if (inv.kind !== 'run') throw new Error(inv.kind)
  assert.is(inv.globals.logLevel, 'debug')
  assert.is(inv.args.image, 'alpine')
  const before = resolveInvocation(FIXTURE, ['--log-level=info', 'pull', 'alpine'])
  if (before.kind !== 'run') throw new Error(before.kind)
  assert.is(before.globals.logLevel, 'info')
})

test('help, version and a missing command', () => {
  assert.equal(resolveInvocation(runtimeProgram, ['--help']), { kind: 'help', path: [] })
  assert.equal(resolveInvocation(runtimeProgram, ['-h', 'create']), { kind: 'help', path: [] })
  assert.equal(resolveInvocation(runtimeProgram, ['-v']), { kind: 'version' })
  assert.equal(resolveInvocation(runtimeProgram, []), { kind: 'missing-command' })
  const create = runtimeProgram.commands.find(c => c.name === 'create')
  assert.equal(resolveInvocation(runtimeProgram, ['create', '--help']), { kind: 'help', path: [create] })
  assert.equal(resolveInvocation(runtimeProgram, ['create', '-h']), { kind: 'help', path: [create] })
  assert.equal(resolveInvocation(runtimeProgram, ['help', 'create']), { kind: 'help', path: [create] })
})

test('--help wins over a missing positional, not over an unknown flag', () => {
  assert.is(resolveInvocation(runtimeProgram, ['kill', '--help']).kind, 'help')
  usageError(() => resolveInvocation(runtimeProgram, ['kill', '--bogus', '--help']), 'unknown flag: --bogus', ['kill'])
})

test('unknown commands', () => {
  usageError(() => resolveInvocation(runtimeProgram, ['nope']), 'unknown command "nope"', [])
  usageError(() => resolveInvocation(runtimeProgram, ['help', 'nope']), 'unknown command "nope"', [])
  usageError(() => resolveInvocation(FIXTURE, ['image', 'nope']), 'unknown command "image nope"', ['image'])
})

test('errors carry the global options parsed before them (for --log)', () => {
  try {
    resolveInvocation(runtimeProgram, ['--log', '/tmp/x', 'state'])
    assert.unreachable()
  } catch (err) {
    assert.is((err as UsageError).globals?.log, '/tmp/x')
  }
})

test('groups: `image pull` and `pull` reach the same definition; aliases work', () => {
  const a = resolveInvocation(FIXTURE, ['image', 'pull', 'alpine'])
  const b = resolveInvocation(FIXTURE, ['pull', 'alpine'])
  if (a.kind !== 'run' || b.kind !== 'run') throw new Error('not run')
  assert.is(a.command, b.command)
  assert.equal(a.path, ['image', 'pull'])
  assert.equal(b.path, ['pull'])
  const c = resolveInvocation(FIXTURE, ['image', 'ls'])
  if (c.kind !== 'run') throw new Error(c.kind)
  assert.is(c.command.name, 'list')
  const group = FIXTURE.commands.find(x => x.name === 'image')
  assert.equal(resolveInvocation(FIXTURE, ['image']), { kind: 'help', path: [group] })
  assert.equal(resolveInvocation(FIXTURE, ['image', '--help']), { kind: 'help', path: [group] })
})

test('a command that uses -h for something else keeps --help only', () => {
  const run = FIXTURE.commands.find(c => c.name === 'run')!
  const help = commandOptions(FIXTURE, run).find(o => o.name === 'help')
  assert.is(help?.alias, undefined)
  const inv = resolveInvocation(FIXTURE, ['run', '-h', 'box', 'alpine'])
  if (inv.kind !== 'run') throw new Error(inv.kind)
  assert.is(inv.args.hostname, 'box')
})

function checkProgram(program: ProgramDef<any>): void {
  const check = (commands: readonly CommandDef<any>[], where: string): void => {
    const names = commands.map(c => c.name)
    assert.equal(names, [...names].sort(), `${where}: commands must be sorted`)
    const spellings = commands.flatMap(c => [c.name, ...(c.aliases ?? [])])
    assert.is(new Set(spellings).size, spellings.length, `${where}: duplicate command name or alias`)
    for (const c of commands) {
      if (c.subcommands) {
        check(c.subcommands, `${where} ${c.name}`)
        continue
      }
      assert.ok(c.load, `${where} ${c.name}: no load`)
      const options = commandOptions(program, c)
      const keys = [...options.map(o => camelCase(o.name)), ...c.positionals.map(p => camelCase(p.name))]
      assert.is(new Set(keys).size, keys.length, `${where} ${c.name}: two options or positionals share a key`)
      const shorts = options.filter(o => o.alias).map(o => o.alias)
      assert.is(new Set(shorts).size, shorts.length, `${where} ${c.name}: duplicate short flag`)
      assert.ok(c.usage.startsWith(`${c.name}`), `${where} ${c.name}: usage must start with the name`)
      c.positionals.forEach((p, i) => {
        if (p.variadic) assert.is(i, c.positionals.length - 1, `${c.name}: only the last positional may be variadic`)
      })
    }
  }
  check(program.commands, program.name)
}

test('the real programs: sorted, unique names, keys and short flags', () => {
  checkProgram(runtimeProgram)
  checkProgram(cockerProgram)
  checkProgram(FIXTURE)
})

test('cocker-runtime has runc\'s commands', () => {
  assert.equal(runtimeProgram.commands.map(c => c.name), [
    'create', 'delete', 'exec', 'features', 'kill', 'list', 'pause', 'ps', 'resume', 'run', 'spec', 'start', 'state',
  ])
})

test('runc flag spellings', () => {
  const flags = (name: string) => runtimeProgram.commands.find(c => c.name === name)!.options.map(o => (o.alias ? `${o.name}/${o.alias}` : o.name))
  assert.equal(flags('create'), ['bundle/b', 'console-socket', 'pid-file', 'no-pivot', 'no-new-keyring', 'preserve-fds'])
  assert.equal(flags('run'), ['bundle/b', 'console-socket', 'detach/d', 'keep', 'pid-file', 'no-pivot', 'no-new-keyring', 'preserve-fds', 'no-subreaper'])
  assert.equal(flags('delete'), ['force/f'])
  assert.equal(flags('exec'), [
    'console-socket', 'cwd', 'env/e', 'tty/t', 'user/u', 'additional-gids/g', 'process/p', 'detach/d', 'pid-file',
    'process-label', 'apparmor', 'no-new-privs', 'cap/c', 'preserve-fds', 'cgroup', 'ignore-paused',
  ])
  assert.equal(flags('kill'), ['all/a'])
  assert.equal(flags('list'), ['format/f', 'quiet/q'])
  assert.equal(flags('ps'), ['format/f'])
  assert.equal(flags('spec'), ['bundle/b', 'rootless'])
  assert.equal(runtimeProgram.globalOptions.map(o => (o.alias ? `${o.name}/${o.alias}` : o.name)), [
    'debug', 'log', 'log-format', 'root', 'criu', 'cgroup-manager', 'systemd-cgroup', 'rootless', 'help/h', 'version/v',
  ])
})

test('exec: options before the command, everything after it is argv', () => {
  const inv = resolveInvocation(runtimeProgram, ['exec', '-t', '--env', 'A=1', 'c1', 'sh', '-c', 'ls -l', '--tty'])
  if (inv.kind !== 'run') throw new Error(inv.kind)
  assert.is(inv.args.tty, true)
  assert.equal(inv.args.env, ['A=1'])
  assert.is(inv.args.command, 'sh')
  assert.equal(inv.args.args, ['-c', 'ls -l', '--tty'])
  const p = resolveInvocation(runtimeProgram, ['exec', '-p', 'proc.json', 'c1'])
  if (p.kind !== 'run') throw new Error(p.kind)
  assert.is(p.args.process, 'proc.json')
  assert.is(p.args.command, undefined)
})

test('ps: everything after the container id goes to ps', () => {
  const inv = resolveInvocation(runtimeProgram, ['ps', 'c1', '-o', 'pid,comm'])
  if (inv.kind !== 'run') throw new Error(inv.kind)
  assert.equal(inv.args.psOptions, ['-o', 'pid,comm'])
  assert.is(inv.args.format, 'table')
})

test.run()
