import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpuCores, cpuQuantity, memoryBytes, memoryQuantity } from '../../../lib/kube/quantity.js'

test('quantities of memory and CPU, read', () => {
  assert.equal([memoryBytes('m', '64Mi'), memoryBytes('m', '1G'), memoryBytes('m', 1024), memoryBytes('m', '512k')], [64 * 1024 ** 2, 1e9, 1024, 512000])
  assert.equal([cpuCores('c', '500m'), cpuCores('c', 2), cpuCores('c', '0.5')], [0.5, 2, 0.5])
  assert.throws(() => memoryBytes('limits.memory', 'lots'), /^limits\.memory: lots is not a quantity$/)
})

test('quantities as Kubernetes writes them', () => {
  assert.equal([memoryQuantity(64 * 1024 ** 2), memoryQuantity(2 * 1024 ** 3), memoryQuantity(1536), memoryQuantity(1000)], ['64Mi', '2Gi', '1536', '1000'])
  assert.equal([cpuQuantity(0.5), cpuQuantity(2), cpuQuantity(1.25), cpuQuantity(0.0001)], ['500m', '2', '1250m', undefined])
})

test('what generate writes, play reads back the same', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 44 }), n => memoryBytes('m', memoryQuantity(n)) === n))
  fc.assert(fc.property(fc.integer({ min: 1, max: 256_000 }), milli => cpuCores('c', cpuQuantity(milli / 1000)) === milli / 1000))
})

test.run()
