import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeOption, optionSignature, renderHelp, wrap } from '../../../lib/cli/help.js'
import { runtimeProgram } from '../../../lib/cli/runtime-commands/index.js'
import { FIXTURE } from './fixture-program.js'

const cmd = (name: string) => runtimeProgram.commands.find(c => c.name === name)!

test('program help lists every command and the global options', () => {
  const text = renderHelp(runtimeProgram, [])
  assert.ok(text.startsWith('Usage: cocker-runtime [global options] <command> [command options] [arguments...]\n'))
  for (const c of runtimeProgram.commands) assert.match(text, new RegExp(`^  ${c.name} +${c.describe.replace(/[()]/g, '\\$&')}$`, 'm'))
  assert.match(text, /^ {6}--root <dir> +root directory/m)
  assert.match(text, /^ {2}-v, --version +print the version$/m)
})

test('command help: usage, description, options with aliases and defaults, examples', () => {
  const text = renderHelp(runtimeProgram, [cmd('list')])
  assert.is(text, `Usage: cocker-runtime list [options]

list containers started by cocker-runtime with the given root

Options:
  -f, --format <value>  output format (one of: table, json; default: "table")
  -q, --quiet           display only container IDs
  -h, --help            show help

Examples:
  list the containers under the default --root:
    $ cocker-runtime list
  list the containers under another root, as JSON:
    $ cocker-runtime --root /run/other list --format json
`)
})

test('every line of every help text fits in 80 columns, except long option signatures', () => {
  for (const c of runtimeProgram.commands) {
    for (const line of renderHelp(runtimeProgram, [c]).split('\n')) {
      if (line.startsWith('    $ ')) continue
      assert.ok(line.length <= 80, `${c.name}: ${line}`)
    }
  }
})

test('groups: help lists subcommands with aliases; globals shown apart when accepted after the command', () => {
  const image = FIXTURE.commands[0]
  const text = renderHelp(FIXTURE, [image])
  assert.match(text, /^  list, ls +list images in local storage$/m)
  assert.match(text, /Run 'fixture image <command> --help'/)
  const pull = renderHelp(FIXTURE, [image, image.subcommands![1]])
  assert.ok(pull.startsWith('Usage: fixture image pull [options] <image>\n'))
  assert.match(pull, /Options:\n {2}-q, --quiet +suppress output\n\nGlobal options:\n {2}-h, --help/)
})

test('option signature and description', () => {
  assert.is(optionSignature({ name: 'bundle', alias: 'b', type: 'string', describe: '', valueName: 'dir' }), '-b, --bundle <dir>')
  assert.is(optionSignature({ name: 'keep', type: 'boolean', describe: '' }), '    --keep')
  assert.is(optionSignature({ name: 'n', type: 'number', describe: '' }), '    --n <n>')
  assert.is(describeOption({ name: 'env', type: 'array', describe: 'set a variable' }), 'set a variable (may be repeated)')
  assert.is(describeOption({ name: 'x', type: 'boolean', default: false, describe: 'x' }), 'x')
})

test('wrap', () => {
  assert.equal(wrap('aaa bbb ccc', 7), ['aaa bbb', 'ccc'])
  assert.equal(wrap('', 7), [''])
})

test.run()
