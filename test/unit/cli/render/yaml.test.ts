import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatYaml } from '../../../../lib/cli/render/yaml.js'

test('podman info\'s shape: nested maps, sequences of maps, {} and null, quoted where YAML would misread', () => {
  const out = formatYaml({
    host: { idMappings: { gidmap: [{ container_id: 0, host_id: 1000, size: 1 }, { container_id: 1, host_id: 100000, size: 65536 }], uidmap: null }, security: { rootless: true } },
    store: { graphDriverName: 'overlay', graphOptions: {}, graphStatus: { 'Native Overlay Diff': 'true', 'Backing Filesystem': 'extfs' }, empty: '', colon: 'a: b' },
  })
  assert.is(out, [
    'host:',
    '  idMappings:',
    '    gidmap:',
    '    - container_id: 0',
    '      host_id: 1000',
    '      size: 1',
    '    - container_id: 1',
    '      host_id: 100000',
    '      size: 65536',
    '    uidmap: null',
    '  security:',
    '    rootless: true',
    'store:',
    '  graphDriverName: overlay',
    '  graphOptions: {}',
    '  graphStatus:',
    '    Native Overlay Diff: "true"',
    '    Backing Filesystem: extfs',
    '  empty: ""',
    '  colon: "a: b"',
    '',
  ].join('\n'))
})

test.run()
