import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bindPositionals, parseArgv, UsageError } from '../../../lib/cli/argv.js'
import type { OptionDef, PositionalDef } from '../../../lib/cli/command.js'

const OPTIONS: OptionDef[] = [
  { name: 'bundle', alias: 'b', type: 'string', describe: '' },
  { name: 'detach', alias: 'd', type: 'boolean', describe: '' },
  { name: 'tty', alias: 't', type: 'boolean', describe: '' },
  { name: 'no-pivot', type: 'boolean', describe: '' },
  { name: 'keep', type: 'boolean', default: true, describe: '' },
  { name: 'preserve-fds', type: 'number', default: 0, describe: '' },
  { name: 'env', alias: 'e', type: 'array', describe: '' },
  { name: 'format', alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table', describe: '' },
]

const parse = (argv: string[], positionals: PositionalDef[] = []) => parseArgv(argv, { options: OPTIONS, positionals })

function usageError(fn: () => unknown, message: string): void {
  try {
    fn()
  } catch (err) {
    assert.instance(err, UsageError)
    assert.is((err as Error).message, message)
    return
  }
  assert.unreachable(`did not throw: ${message}`)
}

test('defaults: booleans false, arrays empty, declared defaults, unset strings absent', () => {
  const { values, positionals } = parse([])
  assert.equal(values, { detach: false, tty: false, noPivot: false, keep: true, preserveFds: 0, env: [], format: 'table' })
  assert.not.ok('bundle' in values)
  assert.equal(positionals, [])
})

test('a tristate boolean stays unset when absent: --tls-verify must not default to false', () => {
  const options: OptionDef[] = [{ name: 'tls-verify', type: 'boolean', tristate: true, describe: '' }]
  assert.is(parseArgv([], { options }).values.tlsVerify, undefined)
  assert.is(parseArgv(['--tls-verify=false'], { options }).values.tlsVerify, false)
  assert.is(parseArgv(['--tls-verify'], { options }).values.tlsVerify, true)
})

test('long flags: --flag value and --flag=value', () => {
  assert.is(parse(['--bundle', '/b']).values.bundle, '/b')
  assert.is(parse(['--bundle=/b']).values.bundle, '/b')
  assert.is(parse(['--bundle=']).values.bundle, '')
  assert.is(parse(['--bundle=a=b']).values.bundle, 'a=b')
})

test('a value may start with a dash when given as the next word', () => {
  assert.is(parse(['--bundle', '-x']).values.bundle, '-x')
  assert.is(parse(['--preserve-fds', '-1']).values.preserveFds, -1)
})

test('short flags: -b value, -bvalue, -b=value', () => {
  assert.is(parse(['-b', '/b']).values.bundle, '/b')
  assert.is(parse(['-b/b']).values.bundle, '/b')
  assert.is(parse(['-b=/b']).values.bundle, '/b')
})

test('boolean flags, --no-x, --x=false, and names that start with no-', () => {
  assert.is(parse(['--detach']).values.detach, true)
  assert.is(parse(['--keep']).values.keep, true)
  assert.is(parse(['--no-keep']).values.keep, false)
  assert.is(parse(['--detach=false']).values.detach, false)
  assert.is(parse(['--detach=true']).values.detach, true)
  assert.is(parse(['--no-pivot']).values.noPivot, true)
  usageError(() => parse(['--no-keep=1']), 'flag --no-keep does not take a value')
  usageError(() => parse(['--detach=maybe']), 'invalid value "maybe" for --detach: must be true or false')
})

test('combined short booleans, and a value-taking flag last in the group', () => {
  const a = parse(['-dt']).values
  assert.is(a.detach, true)
  assert.is(a.tty, true)
  const b = parse(['-dtb', '/b']).values
  assert.is(b.bundle, '/b')
  assert.is(b.tty, true)
  assert.is(parse(['-db/b']).values.bundle, '/b')
})

test('array options collect repeated values in order', () => {
  assert.equal(parse(['-e', 'A=1', '--env', 'B=2', '--env=C=3', '-eD=4']).values.env, ['A=1', 'B=2', 'C=3', 'D=4'])
})

test('number options', () => {
  assert.is(parse(['--preserve-fds', '3']).values.preserveFds, 3)
  usageError(() => parse(['--preserve-fds', 'x']), 'invalid value "x" for --preserve-fds: not a number')
  usageError(() => parse(['--preserve-fds=']), 'invalid value "" for --preserve-fds: not a number')
})

test('choices', () => {
  assert.is(parse(['-f', 'json']).values.format, 'json')
  usageError(() => parse(['--format', 'xml']), 'invalid value "xml" for --format: must be one of table, json')
})

test('single-dash long names, as Go flag parsers accept them', () => {
  assert.is(parse(['-bundle', '/b']).values.bundle, '/b')
  assert.is(parse(['-bundle=/b']).values.bundle, '/b')
  assert.is(parse(['-keep']).values.keep, true)
})

test('unknown flags name the flag', () => {
  usageError(() => parse(['--bogus']), 'unknown flag: --bogus')
  usageError(() => parse(['--bogus=1']), 'unknown flag: --bogus')
  usageError(() => parse(['-x']), 'unknown flag: -x')
  usageError(() => parse(['-dx']), "unknown shorthand flag: 'x' in -dx")
  usageError(() => parse(['--no-bundle']), 'unknown flag: --no-bundle')
})

test('a value-taking flag at the end is an error', () => {
  usageError(() => parse(['--bundle']), 'flag needs an argument: --bundle')
  usageError(() => parse(['-b']), 'flag needs an argument: -b')
})

test('flags and positionals may be interleaved; -- ends the flags', () => {
  const r = parse(['a', '-d', 'b', '--', '-t', '--x'])
  assert.equal(r.positionals, ['a', 'b', '-t', '--x'])
  assert.is(r.values.detach, true)
  assert.is(r.values.tty, false)
  assert.equal(parse(['-']).positionals, ['-'])
})

test('a raw positional takes everything from where it starts, dashes included', () => {
  const defs: PositionalDef[] = [
    { name: 'container-id', required: true },
    { name: 'command', required: false },
    { name: 'args', required: false, variadic: true, raw: true },
  ]
  const r = parse(['-d', 'c1', '-t', 'sh', '-c', 'echo --x', '--', '-d'], defs)
  assert.equal(r.positionals, ['c1', 'sh', '-c', 'echo --x', '--', '-d'])
  assert.is(r.values.detach, true)
  assert.is(r.values.tty, true)
  bindPositionals(defs, r.positionals, r.values)
  assert.is(r.values.containerId, 'c1')
  assert.is(r.values.command, 'sh')
  assert.equal(r.values.args, ['-c', 'echo --x', '--', '-d'])
})

test('a raw positional right after the first takes the rest (ps options)', () => {
  const defs: PositionalDef[] = [{ name: 'container-id', required: true }, { name: 'ps-options', required: false, variadic: true, raw: true }]
  const r = parse(['-f', 'table', 'c1', '-o', 'pid', '-f'], defs)
  assert.is(r.values.format, 'table')
  assert.equal(r.positionals, ['c1', '-o', 'pid', '-f'])
})

test('stopAtPositional returns the first positional and the rest unparsed', () => {
  const r = parseArgv(['-d', 'create', '--bogus', 'x'], { options: OPTIONS, stopAtPositional: true })
  assert.is(r.values.detach, true)
  assert.equal(r.rest, ['create', '--bogus', 'x'])
  assert.equal(parseArgv(['-d', '--', 'x'], { options: OPTIONS, stopAtPositional: true }).rest, ['x'])
})

test('initial values survive and are not reset to defaults', () => {
  const r = parseArgv(['-t'], { options: OPTIONS, initial: { detach: true, format: 'json' } })
  assert.is(r.values.detach, true)
  assert.is(r.values.format, 'json')
  assert.is(r.values.tty, true)
})

test('bindPositionals: required, optional with default, variadic, too many', () => {
  const defs: PositionalDef[] = [{ name: 'container-id', required: true }, { name: 'signal', required: false, default: 'SIGTERM' }]
  const v: Record<string, unknown> = {}
  bindPositionals(defs, ['c1'], v)
  assert.equal(v, { containerId: 'c1', signal: 'SIGTERM' })
  usageError(() => bindPositionals(defs, [], {}), 'missing argument: <container-id>')
  usageError(() => bindPositionals(defs, ['a', 'b', 'c'], {}), 'unexpected argument: "c"')
  usageError(() => bindPositionals([], ['x'], {}), 'unexpected argument: "x"')
  const rest: PositionalDef[] = [{ name: 'names', required: true, variadic: true }]
  const w: Record<string, unknown> = {}
  bindPositionals(rest, ['a', 'b'], w)
  assert.equal(w.names, ['a', 'b'])
  usageError(() => bindPositionals(rest, [], {}), 'missing argument: <names>')
})

test.run()
