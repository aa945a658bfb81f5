/**
 * linux.resources.devices for cgroup v2, which has no devices.allow/deny files:
 * an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE that the helper attaches to
 * the container's cgroup. The kernel runs it on every open and mknod of a device
 * node with a struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor }
 * (access_type = access << 16 | type) and allows the access when it returns 1.
 *
 * The rules mean what they mean on v1: later rules override earlier ones, so the
 * program tries them last to first and the first that matches decides. An allow
 * rule matches when it grants every requested access; a deny rule when it takes
 * any. With a deny-all rule nothing else allows is denied, else it is allowed.
 */
import type { DeviceCgroup } from '../runtime/oci-spec.js'

const DEV_TYPE: Record<string, number> = { b: 1, c: 2 } // BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 } // BPF_DEVCG_ACC_MKNOD, _READ, _WRITE

// eBPF opcodes (linux/bpf.h) and the registers this program uses
const LDX_W = 0x61, MOV_K = 0xb7, MOV_X = 0xbf, AND_K = 0x57, RSH_K = 0x77, JNE_K = 0x55, JEQ_K = 0x15, EXIT = 0x95
const R0 = 0, R1 = 1, TYPE = 2, ACC = 3, MAJOR = 4, MINOR = 5

type Insn = [code: number, dst: number, src: number, off: number, imm: number]

function accessBits(access: string | undefined): number {
  return [...(access ?? 'rwm')].reduce((bits, c) => bits | (ACCESS[c] ?? 0), 0)
}

const isWildcard = (n: number | undefined) => n === undefined || n < 0

/** Every device, every access: the rule that sets what happens to the rest. */
function coversAll(rule: DeviceCgroup): boolean {
  return (rule.type ?? 'a') === 'a' && isWildcard(rule.major) && isWildcard(rule.minor) && accessBits(rule.access) === 7
}

/** The checks of one rule, each jumping to its end when it does not match. */
function ruleBlock(rule: DeviceCgroup): Insn[] {
  const checks: Insn[][] = []
  const type = rule.type ?? 'a'
  if (type !== 'a') checks.push([[JNE_K, TYPE, 0, 0, DEV_TYPE[type] ?? 0]])
  if (!isWildcard(rule.major)) checks.push([[JNE_K, MAJOR, 0, 0, rule.major!]])
  if (!isWildcard(rule.minor)) checks.push([[JNE_K, MINOR, 0, 0, rule.minor!]])
  const bits = accessBits(rule.access)
  if (bits !== 7) {
    checks.push(rule.allow
      ? [[MOV_X, R0, ACC, 0, 0], [AND_K, R0, 0, 0, ~bits & 7], [JNE_K, R0, 0, 0, 0]] // asks for more than granted
      : [[MOV_X, R0, ACC, 0, 0], [AND_K, R0, 0, 0, bits], [JEQ_K, R0, 0, 0, 0]]) // asks for none of what is taken
  }
  const insns = [...checks.flat(), [MOV_K, R0, 0, 0, rule.allow ? 1 : 0], [EXIT, 0, 0, 0, 0]] as Insn[]
  // a failed check skips the rest of the block
  return insns.map((insn, i) => (insn[0] === JNE_K || insn[0] === JEQ_K ? [insn[0], insn[1], insn[2], insns.length - 1 - i, insn[4]] : insn))
}

/** The program for a rule list, as struct bpf_insn bytes (8 each, little endian). */
export function compileDeviceFilter(rules: readonly DeviceCgroup[]): Buffer {
  let last = rules.length - 1
  while (last >= 0 && !coversAll(rules[last])) last--
  const fallback = last >= 0 ? (rules[last].allow ? 1 : 0) : 1
  const insns: Insn[] = [
    [LDX_W, TYPE, R1, 0, 0], [AND_K, TYPE, 0, 0, 0xffff],
    [LDX_W, ACC, R1, 0, 0], [RSH_K, ACC, 0, 0, 16],
    [LDX_W, MAJOR, R1, 4, 0], [LDX_W, MINOR, R1, 8, 0],
  ]
  // rules before the last all-covering one can never decide anything
  for (const rule of rules.slice(last + 1).reverse()) insns.push(...ruleBlock(rule))
  insns.push([MOV_K, R0, 0, 0, fallback], [EXIT, 0, 0, 0, 0])
  const out = Buffer.alloc(insns.length * 8)
  insns.forEach(([code, dst, src, off, imm], i) => {
    out.writeUInt8(code, i * 8)
    out.writeUInt8((src << 4) | dst, i * 8 + 1)
    out.writeInt16LE(off, i * 8 + 2)
    out.writeInt32LE(imm, i * 8 + 4)
  })
  return out
}
