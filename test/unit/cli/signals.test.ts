import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseSignal } from '../../../lib/cli/signals.js'
import { CockerError } from '../../../lib/errors.js'

test('names with or without SIG, any case, and numbers', () => {
  for (const s of ['KILL', 'SIGKILL', 'kill', '9']) assert.is(parseSignal(s), 'SIGKILL')
  assert.is(parseSignal('TERM'), 'SIGTERM')
  assert.is(parseSignal('15'), 'SIGTERM')
  assert.is(parseSignal('SIGUSR1'), 'SIGUSR1')
})

test('real-time signals', () => {
  assert.is(parseSignal('RTMIN'), 'SIGRTMIN')
  assert.is(parseSignal('RTMIN+3'), 'SIGRTMIN+3')
  assert.is(parseSignal('SIGRTMAX-1'), 'SIGRTMIN+29')
  assert.is(parseSignal('37'), 'SIGRTMIN+3')
})

test('invalid signals', () => {
  for (const s of ['FOO', '0', '65', 'RTMAX+1', '', '-9']) {
    try {
      parseSignal(s)
      assert.unreachable(s)
    } catch (err) {
      assert.instance(err, CockerError)
      assert.is((err as CockerError).message, `invalid signal "${s}"`)
    }
  }
})

test.run()
