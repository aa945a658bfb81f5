// `cocker run`'s security flags, root and rootless, checked against what the kernel shows
// inside the container: capability sets, NoNewPrivs and Seccomp in /proc/self/status, and the
// mounts that mask paths (/proc/mounts). Expected capability sets are bit masks built here
// from capabilities(7)'s numbers, or read from the kernel, never from cocker's constants.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { modeDir } from '../support/cocker-modes.js'
import { runCmd } from '../support/exec.js'
import { skipUnless } from '../support/requires.js'
import { busyboxScenario, capField, runSh, statusField, type BusyboxMode } from '../support/run-scenario.js'

// capabilities(7)
const CAP = { CHOWN: 0, KILL: 5, NET_BIND_SERVICE: 10, NET_ADMIN: 12, SYS_ADMIN: 21 } as const
const bit = (cap: number) => 1n << BigInt(cap)
const hex = (mask: bigint) => mask.toString(16).padStart(16, '0')

const status = async (mode: BusyboxMode, flags: string[]) => (await runSh(mode, flags, 'cat /proc/self/status')).stdout

busyboxScenario('--cap-add and --cap-drop change the bounding and effective sets', async mode => {
  const base = capField(await status(mode, []), 'CapBnd')
  assert.ok(base & bit(CAP.CHOWN) && !(base & bit(CAP.NET_ADMIN)), `CHOWN in and NET_ADMIN out of the default set ${hex(base)}`)
  const changed = await status(mode, ['--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN'])
  const want = (base | bit(CAP.NET_ADMIN)) & ~bit(CAP.CHOWN)
  for (const field of ['CapBnd', 'CapEff', 'CapPrm']) assert.is(hex(capField(changed, field)), hex(want), field)
  const only = await status(mode, ['--cap-drop', 'all', '--cap-add', 'kill'])
  for (const field of ['CapBnd', 'CapEff']) assert.is(statusField(only, field), hex(bit(CAP.KILL)), field)
  const none = await status(mode, ['--cap-drop', 'ALL'])
  for (const field of ['CapBnd', 'CapEff', 'CapPrm']) assert.is(statusField(none, field), hex(0n), field)
})

busyboxScenario('--cap-add for a non-root user: the capability is effective and ambient, the rest empty', async mode => {
  const s = await status(mode, ['-u', '65534', '--cap-add', 'NET_BIND_SERVICE,SYS_ADMIN'])
  const want = hex(bit(CAP.NET_BIND_SERVICE) | bit(CAP.SYS_ADMIN))
  for (const field of ['CapEff', 'CapPrm', 'CapAmb']) assert.is(statusField(s, field), want, field)
  assert.is(statusField(s, 'Uid').split(/\s+/)[0], '65534')
})

busyboxScenario('--cap-add of a capability outside cocker\'s bounding set: one warning, and the container runs without it', async mode => {
  const title = '--cap-add outside the bounding set (root)'
  const bounding = capField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd')
  // setpriv lists the kernel's capabilities in bit order
  const names = (await runCmd(['setpriv', '--list-caps'], { status: 0 })).stdout.trim().split('\n')
  const missing = names.findIndex((_, cap) => !(bounding & bit(cap)))
  if (skipUnless(missing >= 0, title, `root's bounding set here has every capability (${hex(bounding)})`)) return
  const r = await runSh(mode, ['--cap-add', names[missing]!], 'grep ^CapEff: /proc/self/status')
  assert.is(capField(r.stdout, 'CapEff') & bit(missing), 0n)
  assert.is(r.stderr, `WARN: --cap-add CAP_${names[missing]!.toUpperCase()}: not in the bounding set cocker runs with, so the container runs without it\n`)
}, ['root'])

/** What --privileged can give: as root, this process's bounding set; rootless, every capability of the kernel. */
function privilegedCaps(mode: BusyboxMode): bigint {
  if (mode.name === 'root') return capField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd')
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'))
  return (1n << BigInt(last + 1)) - 1n
}

busyboxScenario('--privileged: every capability it can have, no seccomp, the host\'s /dev, writable /sys, nothing masked', async mode => {
  const script = 'cat /proc/self/status; echo ---; cat /proc/mounts; echo ---; ls /dev/kmsg'
  const split = (out: string) => out.split('---\n')
  const [defStatus = '', defMounts = ''] = split((await runSh(mode, [], `${script} 2>&1; true`)).stdout)
  // the default has what --privileged takes away, so each check below can fail
  assert.is(statusField(defStatus, 'Seccomp'), '2')
  assert.match(defMounts, / \/proc\/keys /)
  assert.match(defMounts, / \/sys sysfs ro,/)

  const [s = '', mounts = '', dev = ''] = split((await runSh(mode, ['--privileged'], script)).stdout)
  const caps = hex(privilegedCaps(mode))
  for (const field of ['CapBnd', 'CapEff', 'CapPrm']) assert.is(statusField(s, field), caps, field)
  assert.is(statusField(s, 'Seccomp'), '0')
  assert.is(statusField(s, 'NoNewPrivs'), '0')
  assert.is(dev, '/dev/kmsg\n', 'the host\'s /dev has /dev/kmsg; the default /dev does not')
  assert.match(mounts, / \/sys sysfs rw,/)
  for (const p of ['/proc/keys', '/proc/timer_list', '/proc/sys', '/sys/firmware']) {
    assert.not.ok(mounts.includes(` ${p} `), `${p} is neither masked nor read-only:\n${mounts}`)
  }
})

busyboxScenario('--security-opt seccomp=unconfined turns the filter off; seccomp=PROFILE applies that profile', async mode => {
  const profile = path.join(modeDir(mode), 'no-mkdir.json')
  writeFileSync(profile, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  }), { mode: 0o644 })
  const script = 'grep "^Seccomp:" /proc/self/status; mkdir /made && echo made'
  assert.is((await runSh(mode, ['--security-opt', 'seccomp=unconfined'], script)).stdout, 'Seccomp:\t0\nmade\n')
  const refused = await runSh(mode, ['--security-opt', `seccomp=${profile}`], script, { status: 1 })
  assert.is(refused.stdout, 'Seccomp:\t2\n')
  assert.match(refused.stderr, /mkdir: can't create directory '\/made': Operation not permitted/)
})

busyboxScenario('--security-opt no-new-privileges sets NoNewPrivs', async mode => {
  assert.is(statusField(await status(mode, []), 'NoNewPrivs'), '0')
  assert.is(statusField(await status(mode, ['--security-opt', 'no-new-privileges']), 'NoNewPrivs'), '1')
})

busyboxScenario('--security-opt mask= hides paths, unmask= exposes masked and read-only ones', async mode => {
  const script = 'grep -E " /(proc/keys|proc/timer_list|proc/sys|etc/motd|opt/data) " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1;' +
    ' stat -c "%n %F %t:%T" /etc/motd; ls -A /opt/data; touch /opt/data/x'
  const def = await runSh(mode, [], script)
  assert.match(def.stdout, /^\/etc\/motd regular file 0:0\nhello.txt\n/m)
  assert.match(def.stdout, /^\/proc\/keys rw$/m)
  assert.match(def.stdout, /^\/proc\/sys ro$/m)
  const r = await runSh(mode, ['--security-opt', 'mask=/etc/motd:/opt/data', '--security-opt', 'unmask=/proc/keys:/proc/sys'], script, { status: 1 })
  // /etc/motd becomes /dev/null (character device 1:3), /opt/data an empty read-only tmpfs
  assert.is(r.stdout, '/proc/timer_list rw\n/etc/motd rw\n/opt/data ro\n/etc/motd character special file 1:3\n')
  assert.match(r.stderr, /touch: \/opt\/data\/x: Read-only file system/)
})

test.run()
