import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { removeFile, removeTree } from '../../../lib/sys/remove.js'

test('removeTree removes a container-like tree, and not what its symlinks point to', () => {
  const top = mkdtempSync(path.join(os.tmpdir(), 'cocker-remove-'))
  try {
    const outside = path.join(top, 'outside')
    mkdirSync(outside)
    writeFileSync(path.join(outside, 'keep'), 'x')
    const dir = path.join(top, 'ct')
    mkdirSync(path.join(dir, 'upper/etc'), { recursive: true })
    writeFileSync(path.join(dir, 'upper/etc/hosts'), '')
    writeFileSync(path.join(dir, 'container.json'), '{}')
    symlinkSync(outside, path.join(dir, 'upper/link-to-dir'))
    symlinkSync('/nonexistent', path.join(dir, 'dangling'))
    // overlay's work/work: empty and mode 000
    mkdirSync(path.join(dir, 'work/work'), { recursive: true })
    chmodSync(path.join(dir, 'work/work'), 0)
    removeTree(dir)
    assert.not.ok(existsSync(dir))
    assert.ok(existsSync(path.join(outside, 'keep')))
    removeTree(dir) // gone already: fine
  } finally {
    rmSync(top, { recursive: true, force: true })
  }
})

test('removeFile removes a file or a symlink, and a missing one is fine', () => {
  const top = mkdtempSync(path.join(os.tmpdir(), 'cocker-remove-'))
  try {
    writeFileSync(path.join(top, 'f'), '')
    symlinkSync(top, path.join(top, 'l'))
    removeFile(path.join(top, 'f'))
    removeFile(path.join(top, 'l'))
    removeFile(path.join(top, 'f'))
    assert.not.ok(existsSync(path.join(top, 'f')))
    assert.ok(existsSync(top))
    assert.throws(() => removeFile(top), /EISDIR|EPERM/)
  } finally {
    rmSync(top, { recursive: true, force: true })
  }
})

test.run()
