import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatTabTable } from '../../../../lib/cli/render/table.js'

test('runc list layout: columns of max(12, widest + 3), last column unpadded', () => {
  const text = formatTabTable([
    ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ['t1', '6688', 'running', '/tmp/rb', '2026-11-30T03:02:35.324066945Z', 'root'],
  ])
  // Byte for byte what runc 1.1 printed for the same container.
  assert.is(text,
    'ID          PID         STATUS      BUNDLE      CREATED                          OWNER\n' +
    't1          6688        running     /tmp/rb     2026-11-30T03:02:35.324066945Z   root\n')
})

test('header only', () => {
  assert.is(formatTabTable([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']]), 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n')
})

test.run()
