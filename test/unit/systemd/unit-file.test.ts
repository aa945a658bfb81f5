import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { escapeWords, splitWords, UnitFile } from '../../../lib/systemd/unit-file.js'

test('sections, repeated keys, comments, an empty assignment clearing a list', () => {
  const u = UnitFile.parse([
    '# comment', '; another', '[Unit]', 'Description = a web server ', '', '[Container]', 'Environment=A=1', 'Environment=B=2',
    'Environment=', 'Environment=C=3', 'Volume=/a:/a', '[Container]', 'Volume=/b:/b', 'Image="docker.io/library/nginx"',
  ].join('\n'))
  assert.equal(u.get('Unit', 'Description'), 'a web server')
  assert.equal(u.all('Container', 'Environment'), ['C=3'])
  assert.equal(u.all('Container', 'Volume'), ['/a:/a', '/b:/b'], 'a section given twice is one section')
  assert.equal(u.get('Container', 'Image'), 'docker.io/library/nginx', 'a pair of quotes around a value goes')
  assert.equal(u.keys('Container'), ['Environment', 'Volume', 'Image'])
})

test('a trailing backslash continues the line with a space; comments inside are skipped; "\\\\" ends no line', () => {
  const u = UnitFile.parse('[Container]\nExec=sh -c \\\n# skipped\n  "echo hi"\nPodmanArgs=--x=a\\\\\nLabel=z=1\n')
  assert.equal(u.get('Container', 'Exec'), 'sh -c  "echo hi"')
  assert.equal(u.words('Container', 'Exec'), ['sh', '-c', 'echo hi'])
  assert.equal(u.get('Container', 'PodmanArgs'), '--x=a\\\\')
  assert.equal(u.get('Container', 'Label'), 'z=1')
})

test('booleans as systemd reads them', () => {
  const u = UnitFile.parse('[C]\na=yes\nb=Off\nc=1\nd=maybe\n')
  assert.equal([u.bool('C', 'a'), u.bool('C', 'b'), u.bool('C', 'c'), u.bool('C', 'd'), u.bool('C', 'e')], [true, false, true, undefined, undefined])
})

test('a line that is no key, section or comment names the file and line', () => {
  assert.throws(() => UnitFile.parse('[Container]\nImage=x\njunk\n', '/q/web.container'), /\/q\/web\.container:3: "junk" is neither/)
  assert.throws(() => UnitFile.parse('Image=x\n', 'a.container'), /a\.container:1: Image= comes before any \[Section\]/)
})

test('words: quotes, C escapes, quotes inside a word', () => {
  assert.equal(splitWords(`a "b c" 'd e' f"g h"i \\x41\\s\\n "q\\"r" \\101 ''`), ['a', 'b c', 'd e', 'fg hi', 'A \n', 'q"r', 'A', ''])
  assert.equal(splitWords('  '), [])
  assert.equal(splitWords('find . -exec rm {} \\;'), ['find', '.', '-exec', 'rm', '{}', ';'])
  assert.equal(escapeWords(['x', ';']), 'x \\;', 'a lone ; would end the command')
  assert.equal(splitWords('%t/%N.cid $HOME ${X}'), ['%t/%N.cid', '$HOME', '${X}'], 'specifiers and variables are systemd\'s')
})

// anything but NUL, which no unit file can hold
const word = fc.string({ unit: 'grapheme', maxLength: 12 }).filter(w => !w.includes('\0'))
const anyChars = fc.string({ unit: fc.constantFrom(' ', '\t', '"', "'", '\\', 'a', 'b', '=', '%', '$', ';', '\n', 'é', '\x01'), maxLength: 10 })

test('property: escapeWords then splitWords gives the words back', () => {
  fc.assert(fc.property(fc.array(fc.oneof(word, anyChars), { maxLength: 6 }), words => {
    assert.equal(splitWords(escapeWords(words)), words)
  }), { numRuns: 2000 })
})

test('property: a command written into a unit file and read back is the same argv', () => {
  fc.assert(fc.property(fc.array(fc.oneof(word, anyChars), { minLength: 1, maxLength: 6 }), argv => {
    const u = new UnitFile()
    u.addCommand('Service', 'ExecStart', argv)
    assert.equal(UnitFile.parse(u.toString()).words('Service', 'ExecStart'), argv)
  }), { numRuns: 1000 })
})

const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/)
// what a parsed value can be: one line, no blanks at its ends, not ending in a lone backslash
const value = fc.string({ maxLength: 16 }).map(v => v.replace(/[\r\n]/g, ' ').trim()).filter(v => !/(^|[^\\])(\\\\)*\\$/.test(v))
const section = fc.record({ name: fc.stringMatching(/^[A-Z][A-Za-z-]{0,8}$/), entries: fc.array(fc.record({ key, value }), { maxLength: 5 }) })

test('property: toString then parse is the same unit (keys repeated, order kept)', () => {
  fc.assert(fc.property(fc.uniqueArray(section, { selector: s => s.name, maxLength: 4 }), sections => {
    const u = new UnitFile()
    for (const s of sections) {
      u.section(s.name, true)
      for (const e of s.entries) u.add(s.name, e.key, e.value)
    }
    assert.equal(UnitFile.parse(u.toString()).sections, u.sections)
  }), { numRuns: 1000 })
})

test('property: continuation lines split anywhere between words read as the one line', () => {
  fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z0-9=%/.-]{1,6}$/), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), (words, breaks) => {
    const text = words.map((w, i) => (i > 0 && breaks[i] ? `\\\n  ${w}` : ` ${w}`)).join('')
    assert.equal(UnitFile.parse(`[Container]\nExec=${text}\n`).words('Container', 'Exec'), words)
  }), { numRuns: 500 })
})

test.run()
