import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { lingerWarning } from '../../../lib/systemd/linger.js'

test('lingerWarning: one line for a user without lingering, none for root or a lingering user', () => {
  const none = () => false
  assert.is(lingerWarning({ uid: 1000, name: 'ann' }, none),
    'lingering is not enabled for ann: the units stop when ann logs out; "loginctl enable-linger ann" keeps them running')
  assert.is(lingerWarning({ uid: 0, name: 'root' }, none), undefined)
  const seen: string[] = []
  assert.is(lingerWarning({ uid: 1000, name: 'ann' }, p => { seen.push(p); return true }), undefined)
  assert.equal(seen, ['/var/lib/systemd/linger/ann'])
})

test.run()
