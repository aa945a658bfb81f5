/**
 * An interpreter for the few eBPF instructions a device filter uses, to check
 * lib/cgroups/device-filter.ts without loading programs into a kernel. It is
 * written from linux/bpf.h, not from the compiler, so the two check each other.
 */

export interface DeviceAccess { type: 'b' | 'c'; major: number; minor: number; access: string }

const TYPES = { b: 1, c: 2 }
const ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 }

export function runDeviceFilter(prog: Buffer, req: DeviceAccess): number {
  const ctx = [
    ([...req.access].reduce((a, c) => a | ACCESS[c], 0) << 16) | TYPES[req.type],
    req.major,
    req.minor,
  ]
  const reg = new Array<number>(11).fill(0)
  for (let pc = 0, steps = 0; pc * 8 < prog.length && steps < 10000; pc++, steps++) {
    const code = prog.readUInt8(pc * 8)
    const dst = prog.readUInt8(pc * 8 + 1) & 0xf
    const src = prog.readUInt8(pc * 8 + 1) >> 4
    const off = prog.readInt16LE(pc * 8 + 2)
    const imm = prog.readInt32LE(pc * 8 + 4)
    switch (code) {
      case 0x61: // ldx w: only loads from the context (r1) are legal here
        if (src !== 1 || off % 4 || off > 8) throw new Error(`bad load at ${pc}`)
        reg[dst] = ctx[off / 4]
        break
      case 0xb7: reg[dst] = imm; break // mov k
      case 0xbf: reg[dst] = reg[src]; break // mov x
      case 0x57: reg[dst] &= imm; break // and k
      case 0x77: reg[dst] >>>= imm; break // rsh k
      case 0x55: if (reg[dst] !== imm) pc += off; break // jne k
      case 0x15: if (reg[dst] === imm) pc += off; break // jeq k
      case 0x95: return reg[0] // exit
      default: throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`)
    }
  }
  throw new Error('the program ran off its end')
}
