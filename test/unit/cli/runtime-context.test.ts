import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultRoot, formatLogLine, makeRuntimeContext, type RuntimeLog } from '../../../lib/cli/runtime-context.js'

const when = new Date('2026-01-02T03:04:05.678Z')

test('log lines: logrus text and the JSON podman and conmon read', () => {
  assert.is(formatLogLine('error', 'container "x" does not exist', 'json', when), '{"level":"error","msg":"container \\"x\\" does not exist","time":"2026-01-02T03:04:05Z"}\n')
  assert.is(formatLogLine('warning', 'a "b"', 'text', when), 'time="2026-01-02T03:04:05Z" level=warning msg="a \\"b\\""\n')
})

test('default root: /run for root, XDG_RUNTIME_DIR when rootless, /tmp when that is unusable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-xdg-'))
  try {
    assert.is(defaultRoot({ XDG_RUNTIME_DIR: dir }, 0, false), '/run/cocker-runtime')
    assert.is(defaultRoot({ XDG_RUNTIME_DIR: dir }, 1000, false), `${dir}/cocker-runtime`)
    assert.is(defaultRoot({ XDG_RUNTIME_DIR: dir }, 0, true), `${dir}/cocker-runtime`)
    assert.is(defaultRoot({}, 1000, false), '/tmp/cocker-runtime-1000')
    assert.is(defaultRoot({ XDG_RUNTIME_DIR: 'relative' }, 1000, false), '/tmp/cocker-runtime-1000')
    assert.is(defaultRoot({ XDG_RUNTIME_DIR: join(dir, 'missing') }, 1000, false), '/tmp/cocker-runtime-1000')
    assert.is(defaultRoot({}, 0, true), '/run/cocker-runtime')
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('context: --root made absolute, --rootless, warnings to stderr and the log, debug only with --debug', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cocker-log-'))
  try {
    const stderr: string[] = []
    const log: RuntimeLog = { file: join(dir, 'log'), format: 'json', debug: false, stderr: t => stderr.push(t) }
    const ctx = makeRuntimeContext({ root: 'rel', rootless: 'true', systemdCgroup: true }, {}, log)
    assert.is(ctx.root, join(process.cwd(), 'rel'))
    assert.is(ctx.rootless, true)
    assert.is(ctx.systemdCgroup, true)
    ctx.warn('no cgroup delegation')
    ctx.debug('hidden')
    assert.equal(stderr, ['cocker-runtime: warning: no cgroup delegation\n'])
    const lines = readFileSync(log.file!, 'utf8').trim().split('\n').map(l => JSON.parse(l))
    assert.equal(lines.map(l => [l.level, l.msg]), [['warning', 'no cgroup delegation']])
    log.debug = true
    log.file = undefined
    ctx.debug('shown')
    assert.is(stderr[1], 'cocker-runtime: debug: shown\n')
    assert.is(makeRuntimeContext({ rootless: 'false' }, {}, log).rootless, false)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test.run()
