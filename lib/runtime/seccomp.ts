// Compiles the OCI seccomp object to a classic BPF program, as libseccomp does for runc and
// crun. The helper only passes the bytes to seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog).
//
// Program layout (every syscall check is linear; far targets are reached with BPF_JA):
//
//   ld arch; for each allowed AUDIT_ARCH: jeq → ja section; ret BAD_ARCH
//   section: ld nr
//            (x86_64: nr >= 0x40000000 is x32: ja x32 section, or BAD_ARCH if x32 is not allowed)
//            runs of unconditional syscalls sharing an action: jeq nr → ret ACTION
//            one block per syscall with argument rules: jeq nr; rule; rule; …; ret DEFAULT
//            [jgt highest named nr → ret ERRNO(ENOSYS)]; ret DEFAULT
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Seccomp, SeccompAction, SeccompArg, SeccompOperator, SeccompSyscall } from './oci-spec.js'
import { CockerError, InternalError } from '../errors.js'
import { packageRoot, packageVersion } from '../package-root.js'
import { SYSCALLS_AARCH64, SYSCALLS_X32, SYSCALLS_X86, SYSCALLS_X86_64 } from './syscalls.js'

const EPERM = 1
const ENOSYS = 38 // the same on every arch with a table here (MIPS differs)
const X32_SYSCALL_BIT = 0x40000000
const BPF_MAXINSNS = 4096

// <linux/seccomp.h>
const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const

// libseccomp's default bad-arch action is SCMP_ACT_KILL (kill the thread) and neither runc nor
// crun changes it, so a syscall from an ABI the profile does not list kills the caller.
const RET_BAD_ARCH = RET.KILL_THREAD

const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  // Only meaningful with SECCOMP_FILTER_FLAG_NEW_LISTENER (the kernel returns EINVAL without it).
  // cocker never installs a listener, so like libseccomp we accept the flag and do not pass it.
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 0,
}

interface SyscallAbi { table: Record<string, number>; audit: number }

// AUDIT_ARCH_* from <linux/audit.h>. x32 shares AUDIT_ARCH_X86_64 and sets X32_SYSCALL_BIT in nr.
const ABIS: Record<string, SyscallAbi> = {
  SCMP_ARCH_X86_64: { table: SYSCALLS_X86_64, audit: 0xc000003e },
  SCMP_ARCH_X86: { table: SYSCALLS_X86, audit: 0x40000003 },
  SCMP_ARCH_X32: { table: SYSCALLS_X32, audit: 0xc000003e },
  SCMP_ARCH_AARCH64: { table: SYSCALLS_AARCH64, audit: 0xc00000b7 },
}

const NATIVE_ABI: Record<string, string> = {
  x64: 'SCMP_ARCH_X86_64',
  ia32: 'SCMP_ARCH_X86',
  arm64: 'SCMP_ARCH_AARCH64',
}

// Names libseccomp knows but cocker has no table for: accepted and ignored, so their syscalls
// get the bad-arch action. Anything else is a typo and rejected, as runc does.
const OTHER_LIBSECCOMP_ARCHS = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
])

const OPERATORS: SeccompOperator[] = [
  'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE',
]

/** Names of the actions/archs/flags/operators supported, for `cocker-runtime features`. */
export const seccompFeatures: {
  actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[]
} = {
  actions: [
    'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
  ],
  operators: [...OPERATORS],
  archs: Object.keys(ABIS).sort(),
  knownFlags: Object.keys(FILTER_FLAGS).sort(),
  supportedFlags: Object.keys(FILTER_FLAGS).filter(f => FILTER_FLAGS[f] !== 0).sort(),
}

/** SECCOMP_FILTER_FLAG_* bits for the spec's flags. Unknown flag → CockerError. */
export function seccompFilterFlags(flags: string[] | undefined): number {
  let bits = 0
  for (const flag of flags ?? []) {
    if (!Object.hasOwn(FILTER_FLAGS, flag)) {
      throw new CockerError('SECCOMP_INVALID', `unknown seccomp flag "${flag}"`,
        { hint: `known flags: ${seccompFeatures.knownFlags.join(', ')}` })
    }
    bits |= FILTER_FLAGS[flag]
  }
  return bits
}

/**
 * Compile an OCI seccomp object for the native arch (process.arch) to a BPF program: 8 bytes per
 * sock_filter, little endian (u16 code, u8 jt, u8 jf, u32 k).
 */
export function compileSeccomp(profile: Seccomp, nativeArch: string = process.arch): Buffer {
  const native = NATIVE_ABI[nativeArch]
  if (!native) {
    throw new CockerError('NOT_SUPPORTED', `seccomp: cocker has no syscall table for architecture "${nativeArch}"`,
      { hint: 'run without seccomp (--security-opt seccomp=unconfined)' })
  }
  const defaultRet = actionRet(profile.defaultAction, profile.defaultErrnoRet, 'seccomp defaultAction')
  const rules = normalizeRules(profile.syscalls ?? [], defaultRet)
  // As runc does: syscalls numbered above every name in the profile are newer than it and get
  // ENOSYS, which libc falls back from (clone3 → clone), unless the default lets them through.
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(profile.defaultAction)
  const enosys = !permissive && defaultRet !== (RET.ERRNO | ENOSYS)
  const allNames = (profile.syscalls ?? []).flatMap(s => s.names)

  const abis = allowedAbis(native, profile.architectures ?? [])
  const body = (abi: string) => emitAbi(ABIS[abi].table, rules, defaultRet, enosys ? allNames : [])
  const items: Item[] = [ld(DATA_ARCH)]
  const sections: Item[] = []
  for (const audit of new Set(abis.map(a => ABIS[a].audit))) {
    const start = new Label()
    items.push(jeq(audit, undefined, 1), ja(start))
    sections.push(start, ld(DATA_NR), ...emitSection(audit, abis, body))
  }
  items.push(ret(RET_BAD_ARCH), ...sections)

  const program = link(items)
  if (program.length / 8 > BPF_MAXINSNS) {
    throw new CockerError('SECCOMP_INVALID',
      `seccomp profile compiles to ${program.length / 8} BPF instructions, more than the kernel's ${BPF_MAXINSNS}`,
      { hint: 'list fewer architectures or fewer argument rules' })
  }
  return program
}

// ---- the cache ----

/**
 * compileSeccomp through a cache in `dir`: cocker's default profile is the same for nearly
 * every container, and compiling it cost every start ~15 ms.
 * A file is named by a hash of its key (the compiler's build, the arch and the profile) and
 * holds the key, then a checksum of the program, then the program: a file of another key (two
 * keys of one name) or a damaged one is compiled again and replaced, never installed. Written
 * whole, then renamed: a crash leaves no half file under the name.
 */
export function compileSeccompCached(profile: Seccomp, dir: string): Buffer {
  const build = compilerBuild()
  if (!build) return compileSeccomp(profile)
  const key = `${build}\0${process.arch}\0${JSON.stringify(profile)}`
  const file = path.join(dir, `${hex32(fnv1a(key))}${hex32(fnv1a(key, FNV_OTHER_BASIS))}.bpf`)
  const cached = readCachedProgram(file, key)
  if (cached) return cached
  const program = compileSeccomp(profile)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, seccompCacheEntry(key, program))
    renameSync(tmp, file)
  } catch { /* unwritable: the next start compiles again */ }
  return program
}

/** A cache file's bytes: the key's length and the key, the program's checksum, the program. */
export function seccompCacheEntry(key: string, program: Buffer): Buffer {
  const k = Buffer.from(key)
  const head = Buffer.alloc(4)
  head.writeUInt32LE(k.length)
  const sum = Buffer.alloc(4)
  sum.writeUInt32LE(fnv1a(program))
  return Buffer.concat([head, k, sum, program])
}

/**
 * FNV-1a (32 bits) of a string's UTF-16 units or of bytes. Not node:crypto: loading it cost
 * every `exec` ~5 ms, and what the cache guards against is damage and another key, which
 * the file's own copy of its key settles; the dir is the user's own (0700).
 */
function fnv1a(data: string | Buffer, basis = 0x811c9dc5): number {
  let h = basis
  if (typeof data === 'string') for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 0x01000193)
  else for (const b of data) h = Math.imul(h ^ b, 0x01000193)
  return h >>> 0
}
const FNV_OTHER_BASIS = 0x050c5d1f
const hex32 = (n: number) => n.toString(16).padStart(8, '0')

/**
 * This build of the compiler: a program cached by another (an upgrade, a rebuild) is not
 * taken. Undefined where the compiled modules cannot be found: then nothing is cached.
 */
function compilerBuild(): string | undefined {
  try {
    const files = ['seccomp.js', 'syscalls.js'].map(f => statSync(`${packageRoot()}dist/lib/runtime/${f}`))
    return [packageVersion(), ...files.map(s => `${s.ino}:${s.size}:${s.mtimeMs}`)].join(' ')
  } catch {
    return undefined
  }
}

function readCachedProgram(file: string, key: string): Buffer | undefined {
  let data: Buffer
  try {
    data = readFileSync(file)
  } catch {
    return undefined
  }
  if (data.length < 8) return undefined
  const keyEnd = 4 + data.readUInt32LE(0)
  if (keyEnd + 4 > data.length || data.toString('utf8', 4, keyEnd) !== key) return undefined
  const program = data.subarray(keyEnd + 4)
  const whole = program.length > 0 && program.length % 8 === 0 && fnv1a(program) === data.readUInt32LE(keyEnd)
  return whole ? program : undefined
}

// ---- profile → rules ----

interface Cond { index: number; op: SeccompOperator; value: bigint; valueTwo: bigint }
interface Rule { names: string[]; ret: number; conds: Cond[] }

function actionRet(action: SeccompAction, errnoRet: number | undefined, where: string): number {
  const data = () => {
    const errno = errnoRet ?? EPERM
    if (!Number.isInteger(errno) || errno < 0 || errno > 0xffff) {
      throw new CockerError('SECCOMP_INVALID', `${where}: errno ${errno} is not between 0 and 65535`)
    }
    return errno
  }
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS
    case 'SCMP_ACT_TRAP': return RET.TRAP
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | data()) >>> 0
    case 'SCMP_ACT_TRACE': return (RET.TRACE | data()) >>> 0
    case 'SCMP_ACT_ALLOW': return RET.ALLOW
    case 'SCMP_ACT_LOG': return RET.LOG
    case 'SCMP_ACT_NOTIFY':
      throw new CockerError('NOT_SUPPORTED',
        `${where}: seccomp action SCMP_ACT_NOTIFY needs a listener, which cocker does not support yet`,
        { hint: 'use SCMP_ACT_ERRNO or SCMP_ACT_TRACE for these syscalls' })
    default:
      throw new CockerError('SECCOMP_INVALID', `${where}: unknown action "${String(action)}"`,
        { hint: `supported actions: ${seccompFeatures.actions.join(', ')}` })
  }
}

/** Validates the rules, drops those that repeat the default action, splits same-index conditions. */
function normalizeRules(syscalls: SeccompSyscall[], defaultRet: number): Rule[] {
  const rules: Rule[] = []
  syscalls.forEach((s, i) => {
    if (!Array.isArray(s.names) || s.names.length === 0 || s.names.some(n => typeof n !== 'string' || n === '')) {
      throw new CockerError('SECCOMP_INVALID', `seccomp syscalls[${i}]: "names" must list at least one syscall name`)
    }
    const where = `seccomp syscalls[${i}] (${s.names.join(', ')})`
    // Per the runtime spec a rule's errnoRet defaults to EPERM, not to defaultErrnoRet (runc agrees).
    const ret = actionRet(s.action, s.errnoRet, where)
    const conds = (s.args ?? []).map(a => toCond(a, where))
    // Redundant with the default: libseccomp refuses such rules, runc skips them.
    if (ret === defaultRet) return
    // libseccomp rejects two conditions on one argument; runc (and crun) then add each condition
    // as its own rule, so they are ORed instead of ANDed. Keep that meaning.
    const indexes = conds.map(c => c.index)
    if (new Set(indexes).size !== indexes.length) {
      for (const c of conds) rules.push({ names: s.names, ret, conds: [c] })
    } else {
      rules.push({ names: s.names, ret, conds })
    }
  })
  return rules
}

function toCond(arg: SeccompArg, where: string): Cond {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new CockerError('SECCOMP_INVALID', `${where}: argument index ${arg.index} is not between 0 and 5`)
  }
  if (!OPERATORS.includes(arg.op)) {
    throw new CockerError('SECCOMP_INVALID', `${where}: unknown operator "${String(arg.op)}"`,
      { hint: `supported operators: ${OPERATORS.join(', ')}` })
  }
  // A JSON number above 2^53 has already lost its low bits; comparing against a neighbour of the
  // value the profile meant would be silently wrong, so refuse it.
  const u64 = (v: number | undefined, field: string): bigint => {
    const n = v ?? 0
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new CockerError('SECCOMP_INVALID', `${where}: argument ${field} ${n} is not an integer between 0 and 2^53-1`,
        { hint: 'larger JSON numbers cannot be represented exactly in JavaScript' })
    }
    return BigInt(n)
  }
  return { index: arg.index, op: arg.op, value: u64(arg.value, 'value'), valueTwo: u64(arg.valueTwo, 'valueTwo') }
}

function allowedAbis(native: string, listed: string[]): string[] {
  for (const arch of listed) {
    if (!Object.hasOwn(ABIS, arch) && !OTHER_LIBSECCOMP_ARCHS.has(arch)) {
      throw new CockerError('SECCOMP_INVALID', `unknown seccomp architecture "${arch}"`,
        { hint: `supported architectures: ${seccompFeatures.archs.join(', ')}` })
    }
  }
  // Native first: it serves nearly every syscall, so it gets the first arch comparison.
  const rest = Object.keys(ABIS).filter(a => a !== native && listed.includes(a))
  return [native, ...rest]
}

// ---- rules → BPF for one syscall ABI ----

/** One AUDIT_ARCH. x86_64 splits into its 64-bit and x32 ABIs on X32_SYSCALL_BIT, as libseccomp does. */
function emitSection(audit: number, abis: string[], body: (abi: string) => Item[]): Item[] {
  if (audit !== ABIS.SCMP_ARCH_X86_64.audit) return body(abis.find(a => ABIS[a].audit === audit)!)
  const x32 = new Label()
  const has = (abi: string) => abis.includes(abi)
  return [
    jge(X32_SYSCALL_BIT, undefined, 1), has('SCMP_ARCH_X32') ? ja(x32) : ret(RET_BAD_ARCH),
    ...(has('SCMP_ARCH_X86_64') ? body('SCMP_ARCH_X86_64') : [ret(RET_BAD_ARCH)]),
    ...(has('SCMP_ARCH_X32') ? [x32, ...body('SCMP_ARCH_X32')] : []),
  ]
}

function emitAbi(table: Record<string, number>, rules: Rule[], defaultRet: number, enosysNames: string[]): Item[] {
  const nr = (name: string) => (Object.hasOwn(table, name) ? table[name] : undefined)
  // Rules of one syscall, in profile order: the first whose conditions hold decides.
  const bySyscall = new Map<number, Rule[]>()
  for (const rule of rules) {
    for (const n of new Set(rule.names.map(nr))) {
      if (n === undefined) continue // libseccomp ignores names this ABI does not have
      bySyscall.set(n, [...(bySyscall.get(n) ?? []), rule])
    }
  }
  const plain = new Map<number, number[]>() // action → syscalls that take it unconditionally
  const guarded: [number, Rule[]][] = []
  for (const [n, list] of [...bySyscall].sort((a, b) => a[0] - b[0])) {
    const first = list[0]
    if (first.conds.length === 0) plain.set(first.ret, [...(plain.get(first.ret) ?? []), n])
    else guarded.push([n, list])
  }

  const out: Item[] = []
  for (const [action, nrs] of [...plain].sort((a, b) => a[0] - b[0])) {
    for (let i = 0; i < nrs.length; i += 255) out.push(...emitRun(nrs.slice(i, i + 255), action))
  }
  for (const [n, list] of guarded) out.push(...emitGuarded(n, list, defaultRet))
  const named = enosysNames.map(nr).filter((n): n is number => n !== undefined)
  if (named.length > 0) out.push(jgt(Math.max(...named), undefined, 1), ret((RET.ERRNO | ENOSYS) >>> 0))
  out.push(ret(defaultRet))
  return out
}

/** `jeq a → R; jeq b → R; …; R: ret action`. At most 255 syscalls so every jt fits in 8 bits. */
function emitRun(nrs: number[], action: number): Item[] {
  const hit = new Label()
  const miss = new Label()
  const out: Item[] = nrs.map((n, i) => (i < nrs.length - 1 ? jeq(n, hit) : jeq(n, undefined, miss)))
  out.push(hit, ret(action), miss)
  return out
}

function emitGuarded(n: number, rules: Rule[], defaultRet: number): Item[] {
  const block: Item[] = []
  let last = ret(defaultRet) // the syscall matched but none of its rules did
  for (const rule of rules) {
    if (rule.conds.length === 0) {
      last = ret(rule.ret) // rules after an unconditional one are unreachable
      break
    }
    const next = new Label()
    for (const c of rule.conds) block.push(...emitCond(c, next))
    block.push(ret(rule.ret), next)
  }
  block.push(last)
  const end = new Label()
  const enter = new Label()
  const head = countInsns(block) <= 255 ? [jeq(n, undefined, end)] : [jeq(n, enter), ja(end), enter]
  return [...head, ...block, end]
}

// struct seccomp_data: u32 nr, u32 arch, u64 instruction_pointer, u64 args[6] (little endian)
const DATA_NR = 0
const DATA_ARCH = 4
const argLo = (i: number) => 16 + 8 * i
const argHi = (i: number) => 20 + 8 * i

/**
 * Unsigned 64-bit comparison from two 32-bit loads: decide on the high word, compare the low
 * word only when the high words are equal. Falls through when the condition holds, jumps to
 * `fail` otherwise. 32-bit ABIs get zero-extended args, so this is exact for them too
 * (libseccomp truncates the rule's value to 32 bits there instead).
 */
function emitCond(c: Cond, fail: Label): Item[] {
  const pass = new Label()
  const lo = (v: bigint) => Number(v & 0xffffffffn)
  const hi = (v: bigint) => Number(v >> 32n)
  const [H, L] = [hi(c.value), lo(c.value)]
  const ldHi = ld(argHi(c.index))
  const ldLo = ld(argLo(c.index))
  switch (c.op) {
    case 'SCMP_CMP_EQ': return [ldHi, jeq(H, undefined, fail), ldLo, jeq(L, undefined, fail)]
    case 'SCMP_CMP_NE': return [ldHi, jeq(H, undefined, pass), ldLo, jeq(L, fail), pass]
    case 'SCMP_CMP_GT': return [ldHi, jgt(H, pass), jeq(H, undefined, fail), ldLo, jgt(L, undefined, fail), pass]
    case 'SCMP_CMP_GE': return [ldHi, jgt(H, pass), jeq(H, undefined, fail), ldLo, jge(L, undefined, fail), pass]
    case 'SCMP_CMP_LT': return [ldHi, jgt(H, fail), jeq(H, undefined, pass), ldLo, jge(L, fail), pass]
    case 'SCMP_CMP_LE': return [ldHi, jgt(H, fail), jeq(H, undefined, pass), ldLo, jgt(L, fail), pass]
    case 'SCMP_CMP_MASKED_EQ': {
      // (arg & value) == valueTwo. Masks are usually 32-bit: skip a high word that always matches.
      const [mH, vH] = [hi(c.value), hi(c.valueTwo)]
      const high = mH === 0 && vH === 0 ? [] : [ldHi, and(mH), jeq(vH, undefined, fail)]
      return [...high, ldLo, and(L), jeq(lo(c.valueTwo), undefined, fail)]
    }
  }
}

// ---- a tiny assembler: instructions with label targets, linked to sock_filter bytes ----

class Label { pos = -1 }
interface Insn { code: number; k: number; jt?: Label; jf?: Label | 1 }
type Item = Insn | Label

const BPF_LD_W_ABS = 0x20
const BPF_ALU_AND_K = 0x54
const BPF_JMP_JA = 0x05
const BPF_JMP_JEQ_K = 0x15
const BPF_JMP_JGT_K = 0x25
const BPF_JMP_JGE_K = 0x35
const BPF_RET_K = 0x06

const ld = (offset: number): Insn => ({ code: BPF_LD_W_ABS, k: offset })
const and = (k: number): Insn => ({ code: BPF_ALU_AND_K, k })
const ret = (k: number): Insn => ({ code: BPF_RET_K, k })
const ja = (to: Label): Insn => ({ code: BPF_JMP_JA, k: 0, jt: to })
// A missing target means "next instruction"; jf 1 skips exactly one (used before a `ja`/`ret`).
const jeq = (k: number, jt?: Label, jf?: Label | 1): Insn => ({ code: BPF_JMP_JEQ_K, k, jt, jf })
const jgt = (k: number, jt?: Label, jf?: Label | 1): Insn => ({ code: BPF_JMP_JGT_K, k, jt, jf })
const jge = (k: number, jt?: Label, jf?: Label | 1): Insn => ({ code: BPF_JMP_JGE_K, k, jt, jf })

const countInsns = (items: Item[]) => items.filter(i => !(i instanceof Label)).length

function link(items: Item[]): Buffer {
  const insns: Insn[] = []
  for (const item of items) {
    if (item instanceof Label) item.pos = insns.length
    else insns.push(item)
  }
  const buf = Buffer.alloc(insns.length * 8)
  insns.forEach((insn, pc) => {
    const offset = (t: Label | 1 | undefined, max: number) => {
      if (t === undefined) return 0
      if (t === 1) return 1
      const off = t.pos - pc - 1
      if (t.pos < 0 || off < 0 || off > max) throw new InternalError(`seccomp: jump from ${pc} to ${t.pos} does not fit`)
      return off
    }
    const isJa = insn.code === BPF_JMP_JA
    buf.writeUInt16LE(insn.code, pc * 8)
    buf.writeUInt8(isJa ? 0 : offset(insn.jt, 255), pc * 8 + 2)
    buf.writeUInt8(isJa ? 0 : offset(insn.jf, 255), pc * 8 + 3)
    buf.writeUInt32LE(isJa ? offset(insn.jt, 0xffffffff) : insn.k >>> 0, pc * 8 + 4)
  })
  return buf
}
