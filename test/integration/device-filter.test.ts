// cgroup v2 device rules: the eBPF program the helper attaches to the container's
// cgroup decides which device nodes it may open. On a cgroup v1 or hybrid host the
// runtime uses the v1 devices controller instead, so this drives the helper itself
// with a plan whose cgroup is in the cgroup2 mount (the hybrid host's "unified" one).
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compileDeviceFilter } from '../../lib/cgroups/device-filter.js'
import { compilePlan } from '../../lib/runtime/compile.js'
import { runHelper } from '../../lib/runtime/helper.js'
import type { Spec } from '../../lib/runtime/oci-spec.js'
import { encodePlan } from '../../lib/runtime/protocol.js'
import { makeTempDir } from '../fixtures/bundle.js'
import { makeBusyboxBundle } from '../fixtures/busybox-bundle.js'
import { isRoot, skipUnless } from '../support/requires.js'

function cgroup2Mount(): string | undefined {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find(l => l.includes(' - cgroup2 '))
  return line?.split(' ')[4]
}

test('a container opens only the devices its rules allow (cgroup v2 eBPF filter)', async () => {
  const name = 'a container opens only the devices its rules allow'
  const mount = cgroup2Mount()
  if (skipUnless(isRoot(), name, 'attaching a BPF program needs root')) return
  if (skipUnless(mount !== undefined, name, 'no cgroup2 mount')) return
  const dir = path.join(mount!, `cocker-devtest-${process.pid}`)
  mkdirSync(dir)
  try {
    const bundle = makeBusyboxBundle(makeTempDir(), {
      args: ['sh', '-c', 'echo x > /dev/null && echo null-ok; head -c1 /dev/zero 2>&1 >/dev/null && echo zero-ok; exit 0'],
    })
    const spec = JSON.parse(readFileSync(path.join(bundle.dir, 'config.json'), 'utf8')) as Spec
    delete spec.linux!.resources
    // /dev/zero (1:5) may be made but not opened; /dev/null (1:3) is allowed
    const program = compileDeviceFilter([
      { allow: false, access: 'rwm' }, { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    ])
    const plan = compilePlan(spec, {
      bundle: bundle.dir, rootless: false, hostUid: 0, hostGid: 0, mode: 'wait',
      cgroupProcs: [path.join(dir, 'cgroup.procs')], deviceFilter: { dir, program },
    })
    const outFile = path.join(bundle.dir, 'out')
    const out = openSync(outFile, 'w')
    try {
      const r = await runHelper(encodePlan(plan.ops), { until: 'exit', stdio: ['ignore', out, 'inherit'] })
      assert.is(r.exitCode, 0)
    } finally {
      closeSync(out)
    }
    // EPERM is the filter's answer; a missing node or a mode would give another error
    assert.is(readFileSync(outFile, 'utf8'), 'null-ok\nhead: /dev/zero: Operation not permitted\n')
  } finally {
    rmdirSync(dir)
  }
})

test.run()
