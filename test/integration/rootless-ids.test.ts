// The ids a rootless user's containers and layers get: `cocker info` shows the mappings
// (the user's id as root, then the /etc/subuid and /etc/subgid ranges), as podman's
// info does; and a user with no ranges still runs containers, with only their own id
// mapped, and cocker says so in one warning line. The second case runs as a user made
// for it without ranges (test/support/rootless-user.sh user-without-subids).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, cockerScenario, loadBusybox, rootlessMode, type CockerMode } from '../support/cocker-modes.js'
import { hasUserns, skipUnless } from '../support/requires.js'
import { rootlessUserWithoutSubids } from '../support/rootless.js'

interface IdMap { container_id: number; host_id: number; size: number }

/** podman's mappings of a user: their own id as 0, then each range of FILE from 1 up. */
function expectedMappings(file: string, name: string, self: number): IdMap[] {
  const maps: IdMap[] = [{ container_id: 0, host_id: self, size: 1 }]
  for (const line of readFileSync(file, 'utf8').split('\n').filter(l => l.startsWith(`${name}:`))) {
    const [, start, count] = line.split(':').map(Number)
    const last = maps[maps.length - 1]!
    maps.push({ container_id: last.container_id + last.size, host_id: start!, size: count! })
  }
  return maps
}

cockerScenario('info shows the id mappings: none as root; rootless, the user\'s id and subordinate ranges', async mode => {
  const info = JSON.parse((await cocker(mode, ['info', '--format', 'json'], { status: 0 })).stdout)
  if (!mode.user) {
    assert.equal(info.host.idMappings, { gidmap: null, uidmap: null })
    return
  }
  const uidmap = expectedMappings('/etc/subuid', mode.user.name, mode.user.uid)
  const gidmap = expectedMappings('/etc/subgid', mode.user.name, mode.user.gid)
  assert.ok(uidmap.length > 1 && gidmap.length > 1, `${mode.user.name} has ranges in /etc/subuid and /etc/subgid`)
  assert.equal(info.host.idMappings, { gidmap, uidmap })
  // and the human form
  const yaml = (await cocker(mode, ['info'], { status: 0 })).stdout
  assert.match(yaml, `  idMappings:\n    gidmap:\n    - container_id: 0\n      host_id: ${mode.user.gid}\n      size: 1\n    - container_id: 1\n      host_id: ${gidmap[1]!.host_id}\n`)
})

/** bin/cocker as the user without subordinate ids, on a store of its own; undefined after a skip. */
function withoutSubidsOrSkip(title: string): CockerMode | undefined {
  const probe = rootlessUserWithoutSubids()
  if (skipUnless(probe.user !== undefined, title, `no user without subordinate ids: ${probe.reason}`)) return undefined
  const user = probe.user!
  if (skipUnless(hasUserns(user), title, `${user.name} cannot create user namespaces`)) return undefined
  return rootlessMode(user, 'cocker-it-nosubids-')
}

const WARNING = (name: string) => `WARN: ${name} has no range in /etc/subuid and /etc/subgid: only uid 0 is mapped in the user namespace, ` +
  `so images with other owners will fail; add a line such as "${name}:100000:65536" to /etc/subuid and /etc/subgid (as root)\n`

test('rootless without subordinate ids: the container runs as root inside with only the user\'s id mapped, and cocker says so in one line', async () => {
  const title = 'rootless without subordinate ids'
  const mode = withoutSubidsOrSkip(title)
  if (!mode) return
  const user = mode.user!
  const info = JSON.parse((await cocker(mode, ['info', '--format', 'json'], { status: 0 })).stdout)
  const own = (id: number) => [{ container_id: 0, host_id: id, size: 1 }]
  assert.equal(info.host.idMappings, { gidmap: own(user.gid), uidmap: own(user.uid) })

  const image = await loadBusybox(mode)
  const r = await cocker(mode, ['run', '--rm', image, 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; cat /etc/motd'], { status: 0 })
  const [uid, gid, uidMap, gidMap, motd] = r.stdout.split('\n')
  assert.equal([uid, gid], ['0', '0'])
  assert.equal(uidMap!.trim().split(/\s+/), ['0', String(user.uid), '1'])
  assert.equal(gidMap!.trim().split(/\s+/), ['0', String(user.gid), '1'])
  assert.is(motd, 'hello from the cocker test image')
  assert.is(r.stderr, WARNING(user.name))
})

cockerScenario('rootless, a newuidmap that fails ends the run with its reason in one line, exit 125, and nothing left', async mode => {
  const fake = mkdtempSync(path.join(tmpdir(), 'cocker-fake-newuidmap-'))
  try {
    const tool = path.join(fake, 'newuidmap')
    writeFileSync(tool, '#!/bin/sh\necho "newuidmap: write to uid_map failed: the test says no" >&2\nexit 1\n')
    chmodSync(tool, 0o755)
    chmodSync(fake, 0o755)
    const image = await loadBusybox(mode)
    const r = await cocker(mode, ['run', '--rm', '--name', 'mapless', image, 'true'],
      { status: 125, env: { PATH: `${fake}:${mode.user!.env.PATH}` } })
    assert.match(r.stderr, /^Error: newuidmap \d+ 0 \d+ 1 1 \d+ \d+ failed: newuidmap: write to uid_map failed: the test says no; /)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.is((await cocker(mode, ['ps', '-a', '-q'], { status: 0 })).stdout, '')
  } finally {
    rmSync(fake, { recursive: true, force: true })
  }
}, ['rootless'])

test.run()
