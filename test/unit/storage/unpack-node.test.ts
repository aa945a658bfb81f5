// unpack.test.ts again, its 'overlay' tests against the node unpacker (lib/storage/unpack.ts,
// the reference) instead of C's: both must keep every rule.
process.env.COCKER_TEST_UNPACKER = 'node'
await import('./unpack.test.js')
