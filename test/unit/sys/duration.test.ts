import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { durationNs, formatDurationNs } from '../../../lib/sys/duration.js'

test('Go durations read as podman reads them', () => {
  assert.is(durationNs('30s'), 30e9)
  assert.is(durationNs('1m30s'), 90e9)
  assert.is(durationNs('1.5h'), 5400e9)
  assert.is(durationNs('500ms'), 500e6)
  assert.is(durationNs('10'), undefined)
  assert.is(durationNs('10 s'), undefined)
})

test('Go durations printed as Go prints them', () => {
  assert.is(formatDurationNs(1e9), '1s')
  assert.is(formatDurationNs(90e9), '1m30s')
  assert.is(formatDurationNs(120e9), '2m0s')
  assert.is(formatDurationNs(3600e9), '1h0m0s')
  assert.is(formatDurationNs(500e6), '500ms')
  assert.is(formatDurationNs(1.5e9), '1.5s')
})

test.run()
