import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { podStatus } from '../../../lib/pod/pods.js'
import { findPod, podDirOf, releasePodName, requirePod, reservePodName, writePodRecord, type PodRecord } from '../../../lib/pod/record.js'

test('podStatus: Podman\'s pod states from its containers\'', () => {
  assert.is(podStatus([]), 'Created')
  assert.is(podStatus(['created', 'created']), 'Created')
  assert.is(podStatus(['running', 'running']), 'Running')
  assert.is(podStatus(['running', 'exited']), 'Degraded')
  assert.is(podStatus(['running', 'created']), 'Degraded')
  assert.is(podStatus(['exited', 'exited']), 'Exited')
  assert.is(podStatus(['exited', 'created']), 'Stopped')
  assert.is(podStatus(['paused', 'paused']), 'Paused')
})

const pod = (id: string, name: string): PodRecord => ({ id, name, created: '2026-12-03T12:00:00.000000000Z', labels: {}, infraId: 'f'.repeat(64), share: ['network', 'ipc', 'uts'] })

test('pod records: found by id, name and unique prefix; a name is reserved once, and freed', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-pods-'))
  try {
    for (const [id, name] of [['ab'.repeat(32), 'one'], ['ac'.repeat(32), 'two']]) {
      reservePodName(root, name, id)
      mkdirSync(podDirOf(root, id), { recursive: true })
      writePodRecord(podDirOf(root, id), pod(id, name))
    }
    assert.is(findPod(root, 'one')?.record.id, 'ab'.repeat(32))
    assert.is(findPod(root, 'aca')?.record.name, 'two')
    assert.is(findPod(root, 'ac'.repeat(32))?.record.name, 'two')
    assert.is(findPod(root, 'three'), undefined)
    assert.throws(() => findPod(root, 'a'), /more than one pod matches the id prefix "a"/)
    assert.throws(() => requirePod(root, 'three'), /^no pod with name or ID three found: no such pod$/)
    assert.throws(() => reservePodName(root, 'one', 'cd'.repeat(32)), /the pod name "one" is already in use/)
    // a name whose pod never got its record, and whose creator is gone, is taken over
    reservePodName(root, 'half', 'ef'.repeat(32))
    mkdirSync(podDirOf(root, 'ef'.repeat(32)), { recursive: true })
    writeFileSync(path.join(podDirOf(root, 'ef'.repeat(32)), 'creator'), '999999999 1')
    reservePodName(root, 'half', 'cd'.repeat(32))
    releasePodName(root, 'half', 'cd'.repeat(32))
    reservePodName(root, 'half', 'ef'.repeat(32))
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test.run()
