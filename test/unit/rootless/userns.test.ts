import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { planUsernsMaps, usernsPlan } from '../../../lib/rootless/userns.js'

const alice = { name: 'alice', uid: 1000, gid: 1000 }

test('subordinate ranges are stacked from 1 up, after the caller as root', () => {
  const maps = planUsernsMaps(alice, 'bob:100000:65536\nalice:200000:1000\n1000:300000:10\n', 'alice:400000:65536\n')
  assert.is(maps.method, 'external')
  assert.is(maps.warning, undefined)
  assert.equal(maps.uid, [
    { containerID: 0, hostID: 1000, size: 1 },
    { containerID: 1, hostID: 200000, size: 1000 },
    { containerID: 1001, hostID: 300000, size: 10 },
  ])
  assert.equal(maps.gid, [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 400000, size: 65536 }])
})

test('without ranges only the caller is mapped, and the warning says how to get more', () => {
  const maps = planUsernsMaps(alice, 'bob:100000:65536\n', '')
  assert.is(maps.method, 'direct')
  assert.equal(maps.uid, [{ containerID: 0, hostID: 1000, size: 1 }])
  assert.match(maps.warning!, /alice has no range in \/etc\/subuid and \/etc\/subgid: only uid 0 is mapped/)
  assert.match(maps.warning!, /"alice:100000:65536"/)
})

test('the plan: new user and mount namespace, maps, root, then exec where we are', () => {
  const direct = usernsPlan(planUsernsMaps(alice, '', ''), ['id', '-u'], { A: '1' }, '/home/alice')
  assert.equal(direct, [
    ['mode', 'wait'], ['ns-new', 'user,mnt'], ['uid-map', 0, 1000, 1], ['gid-map', 0, 1000, 1], ['setgroups-deny'],
    ['setid', 0, 0], ['cwd', '/home/alice'], ['env', 'A=1'], ['argv', ['id', '-u']], ['check-exec'], ['die-with-parent'], ['exec'],
  ])
  const external = usernsPlan(planUsernsMaps(alice, 'alice:1:2', 'alice:1:2'), ['sh'], {}, '/')
  assert.equal(external.slice(0, 8), [
    ['mode', 'wait'], ['ns-new', 'user,mnt'], ['uid-map', 0, 1000, 1], ['uid-map', 1, 1, 2], ['gid-map', 0, 1000, 1], ['gid-map', 1, 1, 2],
    ['idmap-external', 'newuidmap', 'newgidmap'], ['setid', 0, 0],
  ])
})

test.run()
