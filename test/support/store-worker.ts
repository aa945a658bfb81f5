// Child process for the store's concurrency tests:
//   node store-worker.js ROOT layer ID       creates layer ID (a slow fill), prints its link
//   node store-worker.js ROOT image TAG      adds an image named localhost/TAG
//   node store-worker.js ROOT hang           starts a layer whose fill never ends (for kill -9)
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { openStore } from '../../lib/storage/store.js'
import { addTestImage } from './store-fixture.js'

const [root, action, arg] = process.argv.slice(2)
const store = openStore({ root })
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

if (action === 'layer') {
  const record = await store.layers.create(arg!, { diffId: `sha256:${arg}` }, async dir => {
    writeFileSync(path.join(dir, 'who'), String(process.pid))
    await sleep(300)
    return { size: 7 }
  })
  process.stdout.write(`${record.link}\n`)
} else if (action === 'image') {
  const image = await addTestImage(store, { names: [arg!], layers: [{ 'etc/base': 'shared base' }, { [`etc/${arg}`]: arg! }], tag: arg })
  process.stdout.write(`${image.id}\n`)
} else if (action === 'hang') {
  await store.layers.create('f'.repeat(64), { diffId: `sha256:${'f'.repeat(64)}` }, async dir => {
    writeFileSync(path.join(dir, 'half'), 'x')
    process.stdout.write('filling\n')
    await sleep(60_000)
    return { size: 1 }
  })
}
