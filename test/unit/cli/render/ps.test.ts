import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { filterPsOutput } from '../../../../lib/cli/render/ps.js'
import { CockerError } from '../../../../lib/errors.js'

const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 02:57 ?        00:00:03 /sbin/init
root        6688       1  0 03:02 ?        00:00:00 /bin/busybox sleep 100
root        6690    6688  0 03:02 ?        00:00:00 /bin/sh
`

test('keeps the header and the container\'s processes', () => {
  assert.is(filterPsOutput(PS_EF, [6688, 6690]), PS_EF.split('\n').filter((_, i) => i !== 1).join('\n'))
  assert.is(filterPsOutput(PS_EF, []), PS_EF.split('\n')[0] + '\n')
})

test('finds PID in any column', () => {
  assert.is(filterPsOutput('COMMAND  PID\nsleep    12\nsh       13\n', [13]), 'COMMAND  PID\nsh       13\n')
})

test('no PID column is an error that says what to do', () => {
  try {
    filterPsOutput('COMMAND\nsleep\n', [1])
    assert.unreachable()
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).message, "couldn't find PID field in ps output")
  }
})

test.run()
