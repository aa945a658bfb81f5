// A classic-BPF interpreter for seccomp programs, so unit tests can run a compiled filter
// against (arch, nr, args) without installing it. `checkProgram` applies the kernel's load-time
// rules (bpf_check_classic + seccomp_check_filter) for the opcodes it knows.

export interface SeccompData { arch: number; nr: number; args?: (number | bigint)[]; ip?: bigint }

const SECCOMP_DATA_SIZE = 64
const MAXINSNS = 4096

interface Insn { code: number; jt: number; jf: number; k: number }

function decode(prog: Buffer): Insn[] {
  if (prog.length % 8 !== 0) throw new Error(`program is ${prog.length} bytes, not a multiple of 8`)
  const out: Insn[] = []
  for (let o = 0; o < prog.length; o += 8) {
    out.push({ code: prog.readUInt16LE(o), jt: prog.readUInt8(o + 2), jf: prog.readUInt8(o + 3), k: prog.readUInt32LE(o + 4) })
  }
  return out
}

const LD_W_ABS = 0x20
const ALU_AND_K = 0x54
const JA = 0x05
const JEQ_K = 0x15
const JGT_K = 0x25
const JGE_K = 0x35
const JSET_K = 0x45
const RET_K = 0x06

/** Throws unless the kernel would accept the program (limited to the opcodes above). */
export function checkProgram(prog: Buffer): void {
  const insns = decode(prog)
  if (insns.length === 0 || insns.length > MAXINSNS) throw new Error(`program has ${insns.length} instructions`)
  insns.forEach((insn, pc) => {
    const target = (off: number) => {
      if (pc + 1 + off >= insns.length) throw new Error(`insn ${pc}: jump past the end (+${off})`)
    }
    switch (insn.code) {
      case LD_W_ABS:
        if (insn.k >= SECCOMP_DATA_SIZE || insn.k % 4 !== 0) throw new Error(`insn ${pc}: bad load offset ${insn.k}`)
        break
      case ALU_AND_K:
      case RET_K:
        break
      case JA:
        target(insn.k)
        break
      case JEQ_K:
      case JGT_K:
      case JGE_K:
      case JSET_K:
        target(insn.jt)
        target(insn.jf)
        break
      default:
        throw new Error(`insn ${pc}: opcode 0x${insn.code.toString(16)} not allowed`)
    }
  })
  if (insns[insns.length - 1].code !== RET_K) throw new Error('last instruction is not a return')
}

/** Runs the program on one seccomp_data and returns the SECCOMP_RET_* value. */
export function runProgram(prog: Buffer, data: SeccompData): number {
  const mem = Buffer.alloc(SECCOMP_DATA_SIZE)
  mem.writeUInt32LE(data.nr >>> 0, 0)
  mem.writeUInt32LE(data.arch >>> 0, 4)
  mem.writeBigUInt64LE(data.ip ?? 0n, 8)
  ;(data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt(a), 16 + 8 * i))

  const insns = decode(prog)
  let A = 0
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]
    switch (code) {
      case LD_W_ABS: A = mem.readUInt32LE(k); break
      case ALU_AND_K: A = (A & k) >>> 0; break
      case JA: pc += k; break
      case JEQ_K: pc += A === k ? jt : jf; break
      case JGT_K: pc += A > k ? jt : jf; break
      case JGE_K: pc += A >= k ? jt : jf; break
      case JSET_K: pc += (A & k) !== 0 ? jt : jf; break
      case RET_K: return k
      default: throw new Error(`insn ${pc}: opcode 0x${code.toString(16)} not supported`)
    }
  }
  throw new Error('fell off the end of the program')
}

/** Number of sock_filter instructions. */
export const programLength = (prog: Buffer): number => prog.length / 8
