// node dist/test/support/fill-store.js ROOT N: a store with N images (two layers each, a shared base), for bench/images.sh.
import { openStore } from '../../lib/storage/store.js'
import { addTestImage } from './store-fixture.js'

const [root, n] = process.argv.slice(2)
const store = openStore({ root })
for (let i = 0; i < Number(n); i++) {
  await addTestImage(store, { names: [`localhost/bench${i}:latest`], layers: [{ 'etc/base': 'base' }, { [`app${i}`]: `image ${i}` }], tag: String(i) })
}
