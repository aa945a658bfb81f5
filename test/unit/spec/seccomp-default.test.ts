import { existsSync, readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CAPABILITIES } from '../../../lib/runtime/linux.js'
import type { SeccompSyscall } from '../../../lib/runtime/oci-spec.js'
import { compileSeccomp } from '../../../lib/runtime/seccomp.js'
import { SYSCALLS_AARCH64, SYSCALLS_X86, SYSCALLS_X86_64 } from '../../../lib/runtime/syscalls.js'
import { defaultSeccompProfile } from '../../../lib/spec/seccomp-default.js'
import { checkProgram, runProgram } from '../../support/bpf.js'
import { PODMAN_4_EXTRA_CAPABILITIES, PODMAN_5_CAPABILITIES } from '../../support/podman-defaults.js'
import { skipUnless } from '../../support/requires.js'

const ALLOW = 0x7fff0000
const errno = (e: number) => (0x00050000 | e) >>> 0
const EPERM = 1
const EINVAL = 22
const ENOSYS = 38
const X86_64 = 0xc000003e
const I386 = 0x40000003
const AARCH64 = 0xc00000b7


function filter(caps: readonly string[] = PODMAN_5_CAPABILITIES, arch = 'x64') {
  const prog = compileSeccomp(defaultSeccompProfile(caps, arch), arch)
  checkProgram(prog)
  const audit = arch === 'x64' ? X86_64 : AARCH64
  const table = arch === 'x64' ? SYSCALLS_X86_64 : SYSCALLS_AARCH64
  return (name: string, args: number[] = []) => {
    if (!Object.hasOwn(table, name)) throw new Error(`no ${name}`)
    return runProgram(prog, { arch: audit, nr: table[name], args })
  }
}

test('compiles for x86_64 and aarch64', () => {
  for (const arch of ['x64', 'arm64']) checkProgram(compileSeccomp(defaultSeccompProfile(PODMAN_5_CAPABILITIES, arch), arch))
})

test('allows what programs use', () => {
  const call = filter()
  for (const name of ['read', 'write', 'openat', 'execve', 'clone', 'clone3', 'futex', 'arch_prctl', 'statx']) {
    assert.is(call(name), ALLOW, name)
  }
})

test('refuses kexec_load, swapon, userfaultfd and the like with EPERM', () => {
  const call = filter()
  for (const name of ['kexec_load', 'kexec_file_load', 'swapon', 'swapoff', 'userfaultfd', 'vmsplice', 'sysfs']) {
    assert.is(call(name), errno(EPERM), name)
  }
})

test('a syscall the profile does not name gets ENOSYS, so libc falls back', () => {
  const call = filter()
  for (const name of ['io_uring_setup', 'add_key', 'request_key']) assert.is(call(name), errno(ENOSYS), name)
})

test('reboot is allowed, as in podman\'s profile: the kernel wants CAP_SYS_BOOT and ends only the PID namespace', () => {
  assert.is(filter()('reboot'), ALLOW)
})

test('capability-gated syscalls follow the bounding set', () => {
  const call = filter()
  assert.is(call('chroot'), ALLOW)
  for (const name of ['ptrace', 'mount', 'unshare']) assert.is(call(name), ALLOW, name)
  for (const name of ['init_module', 'settimeofday', 'acct', 'iopl', 'vhangup', 'open_by_handle_at', 'sethostname', 'bpf']) {
    assert.is(call(name), errno(EPERM), name)
  }
  const admin = filter([...PODMAN_5_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_TIME'])
  for (const name of ['sethostname', 'bpf', 'settimeofday']) assert.is(admin(name), ALLOW, name)
  assert.is(filter(['CAP_KILL'])('chroot'), errno(EPERM))
})

test('personality: only the listed personas', () => {
  const call = filter()
  assert.is(call('personality', [0]), ALLOW)
  assert.is(call('personality', [0x8]), ALLOW)
  assert.is(call('personality', [0xffffffff]), ALLOW)
  assert.is(call('personality', [0x0040000]), errno(ENOSYS))
})

test('socket: no audit netlink without CAP_AUDIT_WRITE', () => {
  const AF_INET = 2
  const AF_NETLINK = 16
  const NETLINK_ROUTE = 0
  const NETLINK_AUDIT = 9
  const call = filter()
  assert.is(call('socket', [AF_INET, 1, 0]), ALLOW)
  assert.is(call('socket', [AF_NETLINK, 3, NETLINK_ROUTE]), ALLOW)
  assert.is(call('socket', [AF_NETLINK, 3, NETLINK_AUDIT]), errno(EINVAL))
  assert.is(filter([...PODMAN_5_CAPABILITIES, 'CAP_AUDIT_WRITE'])('socket', [AF_NETLINK, 3, NETLINK_AUDIT]), ALLOW)
})

test('32-bit x86 programs are filtered too', () => {
  const prog = compileSeccomp(defaultSeccompProfile(PODMAN_5_CAPABILITIES, 'x64'), 'x64')
  assert.is(runProgram(prog, { arch: I386, nr: SYSCALLS_X86.read }), ALLOW)
  assert.is(runProgram(prog, { arch: I386, nr: SYSCALLS_X86.kexec_load }), errno(EPERM))
})

// Podman's own profile, where the host has one (Debian: golang-github-containers-common)
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json'

interface Conditions { caps?: string[]; arches?: string[] }
interface PodmanRule extends SeccompSyscall { includes?: Conditions; excludes?: Conditions }
interface PodmanProfile {
  defaultAction: string
  defaultErrnoRet?: number
  archMap: { architecture: string; subArchitectures: string[] }[]
  syscalls: PodmanRule[]
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' }

/** Podman's profile for a container with the bounding set `caps` on `arch`: the rules whose includes and excludes hold. */
function resolvePodman(profile: PodmanProfile, caps: readonly string[], arch: string): PodmanRule[] {
  const goArch = GOARCH[arch]!
  return profile.syscalls.filter(({ includes: inc = {}, excludes: exc = {} }) =>
    (inc.caps ?? []).every(c => caps.includes(c)) && !(exc.caps ?? []).some(c => caps.includes(c)) &&
    (!inc.arches?.length || inc.arches.includes(goArch)) && !(exc.arches ?? []).includes(goArch))
}

/** One line per syscall and rule, sorted and without repeats: what a call meets, whatever the order of the rules. */
function ruleLines(rules: SeccompSyscall[]): string[] {
  const lines = rules.flatMap(r => r.names.map(name => `${name}: ${r.action}${r.action === 'SCMP_ACT_ERRNO' ? ` ${r.errnoRet}` : ''}` +
    (r.args?.length ? ` if ${r.args.map(a => `arg${a.index} ${a.op} ${a.value}`).join(' and ')}` : '')))
  return [...new Set(lines)].sort()
}

test('resolved against the same capabilities and architecture, every syscall meets the rules of the installed Podman profile', () => {
  if (skipUnless(existsSync(PODMAN_PROFILE), 'the default profile against Podman\'s', `${PODMAN_PROFILE} is not installed (apt-get install golang-github-containers-common)`)) return
  const podman = JSON.parse(readFileSync(PODMAN_PROFILE, 'utf8')) as PodmanProfile
  const capSets: [string, readonly string[]][] = [
    ['cocker\'s default', PODMAN_5_CAPABILITIES], ['+ CAP_SYS_ADMIN', [...PODMAN_5_CAPABILITIES, 'CAP_SYS_ADMIN']],
    ['Podman 4.3\'s default', [...PODMAN_5_CAPABILITIES, ...PODMAN_4_EXTRA_CAPABILITIES]], ['all', CAPABILITIES],
  ]
  for (const arch of ['x64', 'arm64']) {
    const native = podman.archMap.find(a => a.architecture === (arch === 'x64' ? 'SCMP_ARCH_X86_64' : 'SCMP_ARCH_AARCH64'))!
    for (const [what, caps] of capSets) {
      const ours = defaultSeccompProfile(caps, arch)
      const where = `${arch}, capabilities ${what}`
      assert.is(ours.defaultAction, podman.defaultAction, where)
      assert.is(ours.defaultErrnoRet, podman.defaultErrnoRet, where)
      assert.equal(ours.architectures, [native.architecture, ...native.subArchitectures], where)
      const theirs = ruleLines(resolvePodman(podman, caps, arch))
      const mine = ruleLines(ours.syscalls!)
      assert.ok(theirs.length > 300, `${where}: ${theirs.length} rules resolved from ${PODMAN_PROFILE}`)
      assert.equal({ onlyPodman: theirs.filter(l => !mine.includes(l)), onlyCocker: mine.filter(l => !theirs.includes(l)) },
        { onlyPodman: [], onlyCocker: [] }, where)
    }
  }
})

test.run()
