// top's descriptors and what it reads of a process from /proc.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_TOP_DESCRIPTORS, describeProcesses, goDuration, parseDescriptors } from '../../../lib/container/top.js'
import { endProcess, startSleeper } from '../../support/container-records.js'

test('descriptors: podman\'s default, names, AIX codes, ps(1) -eo lists; an unknown one is an error', () => {
  assert.equal(parseDescriptors([]), DEFAULT_TOP_DESCRIPTORS)
  assert.equal(parseDescriptors(['pid', 'user', 'args']), ['pid', 'user', 'args'])
  assert.equal(parseDescriptors(['%p', '%U', '%a']), ['pid', 'user', 'args'])
  assert.equal(parseDescriptors(['-eo', 'pid,comm']), ['pid', 'comm'])
  assert.equal(parseDescriptors(['pid,elapsed', 'command']), ['pid', 'etime', 'args'])
  assert.throws(() => parseDescriptors(['bogus']), /unknown top descriptor "bogus"/)
})

test('Go durations as podman prints ELAPSED and TIME', () => {
  assert.is(goDuration(0), '0s')
  assert.is(goDuration(12_838.281612), '12.838281612s')
  assert.is(goDuration(62_500), '1m2.5s')
  assert.is(goDuration(3_723_000), '1h2m3s')
  assert.is(goDuration(10), '10ms')
})

test('a process of ours: host pid, command line, command name, state, no terminal', async () => {
  const p = await startSleeper()
  try {
    const [row] = describeProcesses([p.pid!], ['hpid', 'args', 'comm', 'tty', 'ppid', 'time', 'state'])
    // not in a pid namespace of its own: its pid is its host pid, its parent is not among the pids given
    assert.equal(row!.slice(0, 6), [String(p.pid), 'sleep 1000', 'sleep', '?', '0', '0s'])
    // sleeping, or still running its start when the machine is busy
    assert.match(row![6]!, /^[SR]$/)
    assert.equal(describeProcesses([999_999_999], ['pid']), [])
  } finally {
    await endProcess(p)
  }
})

test.run()
