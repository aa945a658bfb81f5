import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseLogTime } from '../../../lib/container/logs.js'

const NOW = Date.parse('2026-12-03T12:00:00Z')
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n

test('logs --since/--until: Go durations back from now, as podman takes them', () => {
  assert.is(parseLogTime('--since', '10m', NOW), ns('2026-12-03T11:50:00Z'))
  assert.is(parseLogTime('--since', '1h30m', NOW), ns('2026-12-03T10:30:00Z'))
  assert.is(parseLogTime('--since', '500ms', NOW), ns('2026-12-03T11:59:59.500Z'))
})

test('logs --since/--until: Unix seconds and RFC 3339 times, a date alone at midnight UTC', () => {
  assert.is(parseLogTime('--since', '1764763200', NOW), ns('2025-12-03T12:00:00Z'))
  assert.is(parseLogTime('--until', '2026-12-03T10:00:00+01:00', NOW), ns('2026-12-03T09:00:00Z'))
  assert.is(parseLogTime('--until', '2026-12-03', NOW), ns('2026-12-03T00:00:00Z'))
})

test('logs --since: anything else is one line saying what it takes', () => {
  assert.throws(() => parseLogTime('--since', '10 minutes', NOW), (e: Error) =>
    e.message === '--since 10 minutes: not a time')
})

test.run()
