import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatState } from '../../../../lib/cli/render/state.js'

test('runc state: its field order, two-space indent, no final newline', () => {
  const text = formatState({ id: 't1', status: 'running', ociVersion: '1.0.2-dev', bundle: '/tmp/rb', pid: 6688, owner: '', created: '2026-11-30T03:02:35.324066945Z', rootfs: '/tmp/rb/rootfs' })
  // Byte for byte what runc 1.1 printed for the same container.
  assert.is(text, `{
  "ociVersion": "1.0.2-dev",
  "id": "t1",
  "pid": 6688,
  "status": "running",
  "bundle": "/tmp/rb",
  "rootfs": "/tmp/rb/rootfs",
  "created": "2026-11-30T03:02:35.324066945Z",
  "owner": ""
}`)
})

test('fields runc does not know come last; annotations before owner', () => {
  const text = formatState({ extra: 1, owner: 'u', annotations: { a: 'b' }, id: 'x' })
  assert.equal(Object.keys(JSON.parse(text)), ['id', 'annotations', 'owner', 'extra'])
})

test.run()
