import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compileSeccomp, compileSeccompCached, seccompCacheEntry, seccompFeatures, seccompFilterFlags } from '../../../lib/runtime/seccomp.js'
import { SYSCALLS_AARCH64, SYSCALLS_X32, SYSCALLS_X86, SYSCALLS_X86_64 } from '../../../lib/runtime/syscalls.js'
import type { Seccomp, SeccompOperator } from '../../../lib/runtime/oci-spec.js'
import { checkProgram, programLength, runProgram } from '../../support/bpf.js'
import { throwsCode } from '../../support/assert.js'

const ALLOW = 0x7fff0000
const KILL_THREAD = 0
const KILL_PROCESS = 0x80000000
const TRAP = 0x00030000
const LOG = 0x7ffc0000
const errno = (e: number) => 0x00050000 | e
const trace = (e: number) => 0x7ff00000 | e

type Abi = 'x86_64' | 'x86' | 'x32' | 'aarch64' | 'arm'
const AUDIT: Record<Abi, number> = {
  x86_64: 0xc000003e, x32: 0xc000003e, x86: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028,
}
const TABLE: Record<Exclude<Abi, 'arm'>, Record<string, number>> = {
  x86_64: SYSCALLS_X86_64, x86: SYSCALLS_X86, x32: SYSCALLS_X32, aarch64: SYSCALLS_AARCH64,
}

/** Compiles, checks the program as the kernel would, and returns an evaluator. */
function filter(profile: Seccomp, native = 'x64') {
  const prog = compileSeccomp(profile, native)
  checkProgram(prog)
  return (call: string | number, args: (number | bigint)[] = [], abi: Abi = 'x86_64') => {
    const nr = typeof call === 'number' ? call : TABLE[abi as Exclude<Abi, 'arm'>][call]
    if (nr === undefined) throw new Error(`no ${call} on ${abi}`)
    return runProgram(prog, { arch: AUDIT[abi], nr, args })
  }
}


const hex = (n: number) => '0x' + (n >>> 0).toString(16)

test('syscall tables come from the kernel headers', () => {
  assert.is(SYSCALLS_X86_64.read, 0)
  assert.is(SYSCALLS_X86_64.mkdir, 83)
  assert.is(SYSCALLS_X86.mkdir, 39)
  assert.is(SYSCALLS_X86.socketcall, 102)
  assert.is(SYSCALLS_X32.mkdir, 0x40000053)
  assert.is(SYSCALLS_X32.rt_sigaction, 0x40000200) // x32's own entry, not x86_64's 13
  assert.is(SYSCALLS_AARCH64.mkdirat, 34)
  assert.is(SYSCALLS_AARCH64.fstat, 80)
  assert.is(SYSCALLS_AARCH64.mkdir, undefined)
})

test('default allow with one ERRNO rule', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
  })
  assert.is(run('mkdir'), errno(38))
  assert.is(run('mkdirat'), errno(38))
  assert.is(run('getcwd'), ALLOW)
  assert.is(run('read'), ALLOW)
})

test('errno defaults: defaultErrnoRet for the default action, EPERM for rules', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 6,
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
    ],
  })
  assert.is(run('getcwd'), errno(6))
  assert.is(run('mkdir'), errno(1))
  assert.is(run('read'), ALLOW)
  assert.is(filter({ defaultAction: 'SCMP_ACT_ERRNO' })('getcwd'), errno(1))
})

test('every action maps to its SECCOMP_RET value', () => {
  const cases: [Seccomp['defaultAction'], number | undefined, number][] = [
    ['SCMP_ACT_KILL', undefined, KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', undefined, KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', undefined, KILL_PROCESS],
    ['SCMP_ACT_TRAP', undefined, TRAP],
    ['SCMP_ACT_ERRNO', 13, errno(13)],
    ['SCMP_ACT_TRACE', undefined, trace(1)],
    ['SCMP_ACT_TRACE', 99, trace(99)],
    ['SCMP_ACT_ALLOW', undefined, ALLOW],
    ['SCMP_ACT_LOG', undefined, LOG],
  ]
  for (const [action, errnoRet, expected] of cases) {
    const run = filter({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action, errnoRet }] })
    assert.is(hex(run('mkdir')), hex(expected), action)
    assert.is(hex(filter({ defaultAction: action, defaultErrnoRet: errnoRet })('getpid')), hex(expected), action)
  }
})

const OPS: Record<Exclude<SeccompOperator, 'SCMP_CMP_MASKED_EQ'>, (a: bigint, v: bigint) => boolean> = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
}
const B32 = 2n ** 32n
// Values on both sides of 2^32, and pairs sharing a low word (5 vs 2^32+5) or a high word.
const SAMPLES = [0n, 4n, 5n, 6n, 0xffffffffn, B32, B32 + 4n, B32 + 5n, B32 + 6n, 2n * B32 + 5n, 2n ** 53n - 1n, 2n ** 64n - 1n]
const RULE_VALUES = [5, 0xffffffff, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1, 0]

test('argument operators compare unsigned 64-bit values', () => {
  for (const [op, holds] of Object.entries(OPS)) {
    for (const value of RULE_VALUES) {
      const run = filter({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op: op as SeccompOperator }] }],
      })
      for (const arg of SAMPLES) {
        const expected = holds(arg, BigInt(value)) ? errno(1) : ALLOW
        assert.is(hex(run('ioctl', [7, arg])), hex(expected), `${arg} ${op} ${value}`)
      }
    }
  }
})

test('argument index selects the right word of seccomp_data', () => {
  for (let index = 0; index < 6; index++) {
    const run = filter({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mmap'], action: 'SCMP_ACT_KILL_PROCESS', args: [{ index, value: 2 ** 40 + 3, op: 'SCMP_CMP_EQ' }] }],
    })
    const args = [0, 0, 0, 0, 0, 0].map(() => BigInt(2 ** 40 + 3))
    assert.is(run('mmap', args), KILL_PROCESS)
    args[index] = 3n
    assert.is(run('mmap', args), ALLOW, `index ${index}`)
  }
})

test('MASKED_EQ: (arg & value) == valueTwo, 32- and 64-bit masks', () => {
  // Docker's clone rule: no namespace flags.
  const ns = 0x7e020000
  const run = filter({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: ns, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0xff_0000_00ff, valueTwo: 0x12_0000_0034, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  })
  assert.is(run('clone', [0x11]), ALLOW)
  assert.is(run('clone', [0x11 | 0x10000000]), errno(1)) // CLONE_NEWUSER
  assert.is(run('clone', [0xffff_ffff_0000_0011n]), ALLOW) // high word outside the 32-bit mask
  assert.is(run('ioctl', [0, 0x12_0000_0034]), ALLOW)
  assert.is(run('ioctl', [0, 0xab12_ffff_ff34n]), ALLOW)
  assert.is(run('ioctl', [0, 0x13_0000_0034]), errno(1))
  assert.is(run('ioctl', [0, 0x12_0000_0035]), errno(1))
  assert.is(run('ioctl', [0, 0x34]), errno(1))
})

test('conditions on different arguments are ANDed', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{
      names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97,
      args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2 ** 33, op: 'SCMP_CMP_LT' }],
    }],
  })
  assert.is(run('socket', [40, 1]), errno(97))
  assert.is(run('socket', [40, 2n ** 33n]), ALLOW)
  assert.is(run('socket', [2, 1]), ALLOW)
})

test('two conditions on the same argument are ORed, as runc does', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{
      names: ['personality'], action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
    }],
  })
  assert.is(run('personality', [0]), ALLOW)
  assert.is(run('personality', [8]), ALLOW)
  assert.is(run('personality', [9]), errno(1))
})

test('several rules for one syscall: first match wins, then the default', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [{ index: 1, value: 9, op: 'SCMP_CMP_GE' }] },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 15, op: 'SCMP_CMP_EQ' }] },
      { names: ['kill', 'tkill'], action: 'SCMP_ACT_ERRNO', errnoRet: 33, args: [{ index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['tkill'], action: 'SCMP_ACT_TRAP' },
      { names: ['tkill'], action: 'SCMP_ACT_ERRNO', errnoRet: 44, args: [{ index: 1, value: 3, op: 'SCMP_CMP_EQ' }] },
      { names: ['getpid'], action: 'SCMP_ACT_LOG' },
      { names: ['getpid'], action: 'SCMP_ACT_TRAP' },
    ],
  })
  assert.is(run('kill', [1, 9]), errno(11))
  assert.is(run('kill', [1, 15]), errno(11))
  assert.is(run('kill', [1, 2]), errno(33))
  assert.is(run('kill', [1, 1]), ALLOW)
  assert.is(run('tkill', [1, 2]), errno(33))
  assert.is(run('tkill', [1, 3]), TRAP)
  assert.is(run('tkill', [1, 1]), TRAP)
  assert.is(run('getpid'), LOG)
})

test('rules that repeat the default action are dropped', () => {
  const base: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }] }
  const redundant: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
      ...base.syscalls!,
    ],
  }
  assert.is(filter(redundant)('mkdir', [0, 0]), ALLOW)
  assert.ok(compileSeccomp(redundant, 'x64').equals(compileSeccomp(base, 'x64')))
  // SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD are the same action: no comparison with mkdir's number
  const kill = compileSeccomp({ defaultAction: 'SCMP_ACT_KILL', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL_THREAD' }] }, 'x64')
  const JEQ_K = 0x15
  const jeqs = Array.from({ length: programLength(kill) }, (_, i) => kill.subarray(i * 8, i * 8 + 8))
    .filter(insn => insn.readUInt16LE(0) === JEQ_K).map(insn => insn.readUInt32LE(4))
  assert.equal(jeqs, [0xc000003e])
  // a different errno is a different action
  const other = filter({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 2 }] })
  assert.is(other('mkdir'), errno(2))
})

test('unknown syscall names are skipped, including Object.prototype names', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['no_such_syscall', 'toString', 'constructor', '__proto__'], action: 'SCMP_ACT_KILL' }],
  })
  assert.is(run('read'), ALLOW)
  assert.is(run(0x3ff), ALLOW)
})

test('an architecture that is not allowed gets the bad-arch action (kill thread)', () => {
  const run = filter({ defaultAction: 'SCMP_ACT_ALLOW' })
  assert.is(run('read'), ALLOW)
  assert.is(run('read', [], 'x86'), KILL_THREAD)
  assert.is(run('read', [], 'aarch64'), KILL_THREAD)
  assert.is(run('read', [], 'x32'), KILL_THREAD) // x32 shares AUDIT_ARCH_X86_64
  assert.is(run(0, [], 'arm'), KILL_THREAD)
})

test('listed architectures get their own syscall numbers', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 30 }],
  }
  const run = filter(profile)
  for (const abi of ['x86_64', 'x86', 'x32'] as const) {
    assert.is(run('mkdir', [], abi), errno(30), abi)
    assert.is(run('mkdirat', [], abi), errno(30), abi)
    assert.is(run('getcwd', [], abi), ALLOW, abi)
  }
  assert.is(run('mkdirat', [], 'aarch64'), errno(30))
  assert.is(run('getcwd', [], 'aarch64'), ALLOW)
  assert.is(run(83, [], 'x86'), ALLOW) // 83 is mkdir on x86_64 only
  assert.is(run(0, [], 'arm'), KILL_THREAD) // no aarch32 table: ignored like a bad arch
})

test('x32 syscalls are told apart by __X32_SYSCALL_BIT', () => {
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['rt_sigaction'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 },
      { names: ['kexec_load'], action: 'SCMP_ACT_TRAP' }, // 246 on x86_64, 528 (compat) on x32
    ],
  })
  assert.is(run('rt_sigaction'), errno(5))
  assert.is(run('rt_sigaction', [], 'x32'), errno(5))
  assert.is(run(0x40000000 | 13, [], 'x32'), ALLOW) // x86_64's number with the bit is not x32's rt_sigaction
  assert.is(run('kexec_load'), TRAP)
  assert.is(run(0x40000000 | SYSCALLS_X86_64.kexec_load, [], 'x32'), ALLOW)
})

test('native arch decides the default tables', () => {
  const profile: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat'], action: 'SCMP_ACT_ERRNO' }] }
  const arm = filter(profile, 'arm64')
  assert.is(arm('mkdirat', [], 'aarch64'), errno(1))
  assert.is(arm('mkdirat', [], 'x86_64'), KILL_THREAD)
  const i386 = filter(profile, 'ia32')
  assert.is(i386('mkdirat', [], 'x86'), errno(1))
  assert.is(i386('mkdirat', [], 'x86_64'), KILL_THREAD)
  throwsCode(() => compileSeccomp(profile, 'ppc64'), 'NOT_SUPPORTED', /no syscall table for architecture "ppc64"/)
})

test('-ENOSYS for syscalls newer than the profile, as runc does', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write', 'openat2'], action: 'SCMP_ACT_ALLOW' }],
  }
  const run = filter(profile)
  assert.is(run('openat2'), ALLOW)
  assert.is(run('clone3'), errno(1)) // 435 < openat2 (437): known to the profile's kernel, just not allowed
  assert.is(run('futex_waitv'), errno(38))
  assert.is(run(1000), errno(38))
  assert.is(run('futex_waitv', [], 'x32'), errno(38))
  assert.is(run('futex_waitv', [], 'x86'), errno(38))
  // not for permissive defaults, nor when the default already says ENOSYS
  assert.is(filter({ ...profile, defaultAction: 'SCMP_ACT_LOG' })(1000), LOG)
  assert.is(filter({ ...profile, defaultAction: 'SCMP_ACT_TRACE' })(1000), trace(1))
  assert.is(filter({ ...profile, defaultErrnoRet: 38 })(1000), errno(38))
  assert.is(filter({ defaultAction: 'SCMP_ACT_KILL_PROCESS' })(1000), KILL_PROCESS) // no names: no stub
})

test('a 400-name profile with argument rules stays under BPF_MAXINSNS with valid jumps', () => {
  const names = Object.keys(SYSCALLS_X86_64)
  const fake = Array.from({ length: 400 - names.length }, (_, i) => `future_syscall_${i}`)
  const withArgs = names.filter((_, i) => i % 9 === 0) // 41 syscalls
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      ...withArgs.map((name, i) => ({
        names: [name], action: 'SCMP_ACT_ALLOW' as const,
        args: [{ index: i % 6, value: 2 ** 32 + i, op: 'SCMP_CMP_EQ' as const }, { index: (i + 1) % 6, value: 0xff, valueTwo: 1, op: 'SCMP_CMP_MASKED_EQ' as const }],
      })),
      { names: withArgs, action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 5, value: 7, op: 'SCMP_CMP_GT' }] },
      { names: [...names.filter(n => !withArgs.includes(n)), ...fake], action: 'SCMP_ACT_ALLOW' },
    ],
  }
  const prog = compileSeccomp(profile, 'x64')
  assert.ok(programLength(prog) <= 4096, `${programLength(prog)} instructions`)
  checkProgram(prog)
  const run = filter(profile)
  for (const abi of ['x86_64', 'x86', 'x32'] as const) {
    for (const name of names.filter(n => n in TABLE[abi])) {
      const i = withArgs.indexOf(name)
      if (i < 0) {
        assert.is(run(name, [], abi), ALLOW, `${abi} ${name}`)
        continue
      }
      const args = [0n, 0n, 0n, 0n, 0n, 0n]
      assert.is(run(name, args, abi), errno(1), `${abi} ${name}`)
      args[5] = 8n
      assert.is(run(name, args, abi), errno(22), `${abi} ${name}`)
      args[i % 6] = 2n ** 32n + BigInt(i)
      args[(i + 1) % 6] = 0x301n
      assert.is(run(name, args, abi), ALLOW, `${abi} ${name}`)
    }
  }
})

test('a syscall with more than 255 instructions of rules is skipped with a long jump', () => {
  const rules = Array.from({ length: 80 }, (_, i) => ({
    names: ['ioctl'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 100 + i,
    args: [{ index: 1, value: 0x5400 + i, op: 'SCMP_CMP_EQ' as const }],
  }))
  const run = filter({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [...rules, { names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 2, args: [{ index: 0, value: 0, op: 'SCMP_CMP_NE' }] }],
  })
  assert.is(run('ioctl', [0, 0x5400]), errno(100))
  assert.is(run('ioctl', [0, 0x5400 + 79]), errno(179))
  assert.is(run('ioctl', [0, 1]), ALLOW)
  assert.is(run('getcwd', [1]), errno(2))
  assert.is(run('getcwd', [0]), ALLOW)
})

test('output is deterministic and 8 bytes per little-endian sock_filter', () => {
  const profile: Seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['write', 'read'], action: 'SCMP_ACT_ALLOW' }],
  }
  const a = compileSeccomp(profile, 'x64')
  assert.ok(a.equals(compileSeccomp(structuredClone(profile), 'x64')))
  assert.is(a.length % 8, 0)
  // first instruction: BPF_LD|BPF_W|BPF_ABS of seccomp_data.arch
  assert.equal([...a.subarray(0, 8)], [0x20, 0, 0, 0, 4, 0, 0, 0])
})

test('SCMP_ACT_NOTIFY is rejected with a clear error', () => {
  throwsCode(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, 'x64'),
    'NOT_SUPPORTED', /syscalls\[0\] \(mkdir\): seccomp action SCMP_ACT_NOTIFY needs a listener, which cocker does not support yet/)
  throwsCode(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }, 'x64'), 'NOT_SUPPORTED', /SCMP_ACT_NOTIFY needs a listener/)
})

test('invalid profiles are rejected with SECCOMP_INVALID', () => {
  const rule = (extra: object) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', ...extra }] }) as Seccomp
  throwsCode(() => compileSeccomp({ defaultAction: 'SCMP_ACT_BOGUS' as never }, 'x64'), 'SECCOMP_INVALID', /unknown action "SCMP_ACT_BOGUS"/)
  throwsCode(() => compileSeccomp(rule({ args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }), 'x64'), 'SECCOMP_INVALID', /argument index 6/)
  throwsCode(() => compileSeccomp(rule({ args: [{ index: 0, value: 0, op: 'SCMP_CMP_IN' }] }), 'x64'), 'SECCOMP_INVALID', /unknown operator "SCMP_CMP_IN"/)
  throwsCode(() => compileSeccomp(rule({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), 'x64'), 'SECCOMP_INVALID', /value -1 is not an integer between 0 and 2\^53-1/)
  throwsCode(() => compileSeccomp(rule({ args: [{ index: 0, value: 0, valueTwo: 2 ** 64, op: 'SCMP_CMP_MASKED_EQ' }] }), 'x64'), 'SECCOMP_INVALID', /valueTwo 18446744073709552000/)
  throwsCode(() => compileSeccomp(rule({ args: [{ index: 0, value: 1.5, op: 'SCMP_CMP_EQ' }] }), 'x64'), 'SECCOMP_INVALID', /value 1.5/)
  throwsCode(() => compileSeccomp(rule({ errnoRet: 70000 }), 'x64'), 'SECCOMP_INVALID', /errno 70000/)
  throwsCode(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }, 'x64'), 'SECCOMP_INVALID', /"names"/)
  throwsCode(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] }, 'x64'), 'SECCOMP_INVALID', /unknown seccomp architecture "SCMP_ARCH_Z80"/)
})

test('filter flags map to SECCOMP_FILTER_FLAG_* bits', () => {
  assert.is(seccompFilterFlags(undefined), 0)
  assert.is(seccompFilterFlags([]), 0)
  assert.is(seccompFilterFlags(['SECCOMP_FILTER_FLAG_TSYNC']), 1)
  assert.is(seccompFilterFlags(['SECCOMP_FILTER_FLAG_LOG']), 2)
  assert.is(seccompFilterFlags(['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG']), 6)
  // needs a listener, which cocker never creates: accepted, not passed (the kernel would say EINVAL)
  assert.is(seccompFilterFlags(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC']), 1)
  throwsCode(() => seccompFilterFlags(['SECCOMP_FILTER_FLAG_NEW_LISTENER']), 'SECCOMP_INVALID', /unknown seccomp flag "SECCOMP_FILTER_FLAG_NEW_LISTENER"/)
  throwsCode(() => seccompFilterFlags(['bogus']), 'SECCOMP_INVALID', /unknown seccomp flag "bogus"/)
})

test('features list what the compiler accepts', () => {
  assert.equal(seccompFeatures.archs, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'])
  assert.not.ok(seccompFeatures.actions.includes('SCMP_ACT_NOTIFY'))
  assert.is(seccompFeatures.operators.length, 7)
  assert.ok(seccompFeatures.supportedFlags.every(f => seccompFeatures.knownFlags.includes(f)))
  for (const action of seccompFeatures.actions) {
    compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: action as never }] }, 'x64')
  }
})

const CACHED: Seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] }

/** A cache dir with the one file the profile left there, and that file's bytes. */
function withCache(body: (dir: string, file: () => string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'cocker-seccomp-cache-'))
  try {
    body(dir, () => {
      const files = readdirSync(dir)
      assert.is(files.length, 1, `one cached program, found ${files.join(' ')}`)
      return path.join(dir, files[0]!)
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a cached program is the compiled one, and a second compile takes it from the cache', () => {
  withCache((dir, file) => {
    const program = compileSeccompCached(CACHED, dir)
    assert.ok(program.equals(compileSeccomp(CACHED)))
    // a valid entry of another program under the same name and key shows where the second answer came from
    const other = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' })
    const data = readFileSync(file())
    const key = data.toString('utf8', 4, 4 + data.readUInt32LE(0))
    writeFileSync(file(), seccompCacheEntry(key, other))
    assert.ok(compileSeccompCached(CACHED, dir).equals(other))
    // the same entry under another key (two keys of one name) is not taken
    writeFileSync(file(), seccompCacheEntry(`${key} of another build`, other))
    assert.ok(compileSeccompCached(CACHED, dir).equals(program))
    writeFileSync(file(), seccompCacheEntry(key, other))
    // another profile has a name of its own
    assert.ok(compileSeccompCached({ defaultAction: 'SCMP_ACT_ALLOW' }, dir).equals(other))
    assert.is(readdirSync(dir).length, 2)
  })
})

test('a damaged cache file is compiled again and replaced, never installed', () => {
  withCache((dir, file) => {
    const program = compileSeccompCached(CACHED, dir)
    const whole = readFileSync(file())
    const flipped = Buffer.from(whole)
    flipped[flipped.length - 3] ^= 1
    for (const damage of [Buffer.alloc(0), whole.subarray(0, 40), whole.subarray(0, whole.length - 8), flipped]) {
      writeFileSync(file(), damage)
      assert.ok(compileSeccompCached(CACHED, dir).equals(program))
      assert.ok(readFileSync(file()).equals(whole), 'the file is whole again')
    }
  })
})

test('an unwritable cache only costs a compile', () => {
  withCache(dir => {
    const ro = path.join(dir, 'ro')
    writeFileSync(ro, 'a file where the cache dir would be')
    assert.ok(compileSeccompCached(CACHED, path.join(ro, 'seccomp')).equals(compileSeccomp(CACHED)))
  })
})

test.run()
