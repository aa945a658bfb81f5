import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderRows } from '../../../../lib/cli/render/go-template.js'

test('table formats: spaces between actions separate columns, as podman\'s do; spaces inside an action stay', () => {
  const rows = [{ ID: 'abc', Names: 'web', L: ['x', 'y'] }, { ID: 'defghi', Names: 'db', L: [] }]
  assert.is(renderRows('table {{.ID}} {{.Names}}', rows, { ID: 'CONTAINER ID' }),
    'CONTAINER ID  NAMES\nabc           web\ndefghi        db\n')
  assert.is(renderRows('table {{ .ID }}:{{.Names}} x', rows, { ID: 'CONTAINER ID' }), 'CONTAINER ID:NAMES  x\nabc:web             x\ndefghi:db           x\n')
  assert.is(renderRows('{{.ID}} {{.Names}}', rows), 'abc web\ndefghi db\n')
})

test.run()
