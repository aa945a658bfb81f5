import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { monitorOps, parseDetachKeys, type MonitorOptions } from '../../../lib/runtime/monitor.js'
import { encodePlan } from '../../../lib/runtime/protocol.js'
import { throwsCode } from '../../support/assert.js'

test('detach keys: podman\'s syntax to bytes', () => {
  assert.is(parseDetachKeys('ctrl-p,ctrl-q'), '1011')
  assert.is(parseDetachKeys(''), '')
  assert.is(parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_'), '00011a1b1c1d1e1f')
  assert.is(parseDetachKeys('CTRL-P,x'), '1078', 'ctrl- is case-insensitive and single characters are themselves')
})

test('detach keys: what is not a key is refused in one line', () => {
  for (const bad of ['ctrl-', 'ctrl-1', 'ctrl-pq', 'alt-p', 'é', 'ctrl-p,,', ',']) {
    throwsCode(() => parseDetachKeys(bad), 'INVALID_ARGUMENT', /--detach-keys/)
  }
})

const BASE: MonitorOptions = {
  exitFile: '/c/exit', socket: '/c/attach', stdin: false, foreground: false, detachKeys: 'ctrl-p,ctrl-q', cleanup: ['/bin/cocker', 'container', 'cleanup', 'ID'],
}

test('monitor ops: a detached container with a log', () => {
  const ops = monitorOps({ ...BASE, logFile: '/c/ctr.log', logMaxSize: 1000 })
  assert.equal(ops, [
    ['monitor-exit', '/c/exit'], ['monitor-socket', '/c/attach'], ['monitor-log', '/c/ctr.log'], ['monitor-log-max', 1000],
    ['monitor-detach-keys', '1011'], ['monitor-cleanup', ['/bin/cocker', 'container', 'cleanup', 'ID']],
  ])
  encodePlan(ops)
})

test('monitor ops: foreground with stdin and a health check; passthrough has no log', () => {
  const ops = monitorOps({ ...BASE, stdin: true, foreground: true, detachKeys: '', health: { intervalMs: 30000, argv: ['/bin/cocker', 'healthcheck', 'run', 'ID'] } })
  assert.equal(ops.map(op => op[0]), ['monitor-exit', 'monitor-socket', 'monitor-stdin', 'monitor-foreground', 'monitor-cleanup', 'monitor-health'])
  encodePlan(ops)
  const pass = monitorOps({ ...BASE, logFile: '/c/ctr.log', passthrough: true })
  assert.equal(pass.map(op => op[0]), ['monitor-exit', 'monitor-socket', 'monitor-passthrough', 'monitor-detach-keys', 'monitor-cleanup'])
})

test('monitor ops: sd_notify is one op, the last, and encodes with an empty socket', () => {
  const ops = monitorOps({ ...BASE, notify: { socket: '', mode: 'container', proxyDir: '/c/userdata/notify' } })
  assert.equal(ops.at(-1), ['monitor-notify', '', 'container', '/c/userdata/notify'])
  encodePlan(ops)
})

test('monitor ops: the dirs a foreground --rm has the monitor empty; none in the background, where nothing answers the exit', () => {
  const removeAtExit = { dirs: ['/c/upper', '/c/work'], wanted: () => true }
  assert.equal(monitorOps({ ...BASE, foreground: true, removeAtExit }).at(-1), ['monitor-remove', ['/c/upper', '/c/work']])
  assert.not.ok(monitorOps({ ...BASE, removeAtExit }).some(op => op[0] === 'monitor-remove'))
  encodePlan(monitorOps({ ...BASE, foreground: true, removeAtExit }))
})

test.run()
