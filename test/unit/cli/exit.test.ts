import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { UsageError } from '../../../lib/cli/argv.js'
import { describeChain, engineFailure, ENGINE_EXIT_STATUSES, runtimeFailure } from '../../../lib/cli/exit.js'
import { CockerError, ExecError, InternalError } from '../../../lib/errors.js'

const ctx = { version: '9.9.9' }

test('cocker: usage errors are 125 with a pointer to --help, as podman', () => {
  const f = engineFailure(new UsageError('unknown flag: --bogus', ['image', 'pull']), ctx)
  assert.is(f.status, 125)
  assert.is(f.stderr, "Error: unknown flag: --bogus\nSee 'cocker image pull --help'.\n")
})

test('cocker: CockerError is 125 with its hint on the same line; ExecError is 127 or 126', () => {
  const f = engineFailure(new CockerError('CONTAINER_NOT_FOUND', 'no container "x"', { hint: 'see cocker ps -a' }), ctx)
  assert.is(f.status, 125)
  assert.is(f.stderr, 'Error: no container "x"; see cocker ps -a\n')
  assert.is(engineFailure(new ExecError(2, '/nope', 'exec /nope: not found'), ctx).status, 127)
  assert.is(engineFailure(new ExecError(13, '/etc', 'exec /etc: permission denied'), ctx).status, 126)
})

test('cocker: unexpected errors are 125 and ask for a report', () => {
  const f = engineFailure(new InternalError('state file has no id'), ctx)
  assert.is(f.status, 125)
  assert.match(f.stderr, /^Error: internal error: state file has no id\nThis is a bug in cocker\. Please report it .*cocker 9\.9\.9/)
  assert.match(engineFailure(new TypeError('x is undefined'), ctx).stderr, /probably a bug/)
  assert.not.match(engineFailure(new TypeError('x'), ctx).stderr, /at /)
  assert.match(engineFailure(new TypeError('x'), { ...ctx, debug: true }).stderr, /\n\s+at /)
})

test('a path the host refuses (permissions, read-only, full) is one line with what to do, not a bug report', () => {
  const eacces = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/store/tmp'"), { code: 'EACCES', syscall: 'mkdir', path: '/srv/store/tmp' })
  const f = engineFailure(eacces, ctx)
  assert.is(f.status, 125)
  assert.is(f.stderr, 'Error: cannot mkdir /srv/store/tmp: permission denied; check the owner and mode of that path, or choose a place of yours (--root)\n')
  const enospc = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write', path: '/srv/store/blobs/x' })
  assert.is(runtimeFailure(enospc, ctx).stderr, 'cocker-runtime: cannot write /srv/store/blobs/x: no space left on the device; free some (cocker system df shows what the store holds)\n')
  // without a path, or with another code, it is still a bug to report
  assert.match(engineFailure(Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'connect' }), ctx).stderr, /internal error.*\nThis is probably a bug/)
  assert.match(engineFailure(Object.assign(new Error('EBADF'), { code: 'EBADF', syscall: 'read', path: '/x' }), ctx).stderr, /internal error/)
})

test('cocker-runtime: every failure is status 1 and lines start with the program name', () => {
  const u = runtimeFailure(new UsageError('unknown flag: --bogus', ['create']), ctx)
  assert.is(u.status, 1)
  assert.is(u.stderr, 'cocker-runtime: unknown flag: --bogus (see "cocker-runtime create --help")\n')
  const c = runtimeFailure(new CockerError('CONTAINER_NOT_FOUND', 'container "x" does not exist', { hint: 'cocker-runtime list shows the containers' }), ctx)
  assert.is(c.status, 1)
  assert.is(c.stderr, 'cocker-runtime: container "x" does not exist; cocker-runtime list shows the containers\n')
  assert.is(c.logMessage, 'container "x" does not exist; cocker-runtime list shows the containers')
  assert.is(runtimeFailure(new ExecError(2, '/x', 'exec /x'), ctx).status, 1)
  const i = runtimeFailure(new Error('boom'), ctx)
  assert.is(i.status, 1)
  for (const line of i.stderr.trimEnd().split('\n')) assert.ok(line.startsWith('cocker-runtime: '), line)
})

test('the cause chain is joined with ": ", without repeating text', () => {
  const inner = new Error('ENOENT: no such file')
  const outer = new CockerError('CONFIG_INVALID', 'reading config.json', { cause: inner })
  assert.is(describeChain(outer), 'reading config.json: ENOENT: no such file')
  const repeated = new CockerError('CONFIG_INVALID', 'reading config.json: ENOENT: no such file', { cause: inner })
  assert.is(describeChain(repeated), 'reading config.json: ENOENT: no such file')
  const ssl = new CockerError('REGISTRY_UNREACHABLE', 'cannot reach registry r', { cause: new Error('write EPROTO ...:wrong version number:ssl3_record.c:350:\n') })
  assert.is(describeChain(ssl), 'cannot reach registry r: write EPROTO ...:wrong version number:ssl3_record.c:350:', 'a cause\'s newlines do not break the line')
})

test('the exit table has podman\'s statuses', () => {
  const statuses = ENGINE_EXIT_STATUSES.map(s => s.status)
  for (const s of ['0', '125', '126', '127', '128+N']) assert.ok(statuses.includes(s), s)
})

test.run()
