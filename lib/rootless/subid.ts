/** /etc/subuid and /etc/subgid: which host id ranges a user may map into a user namespace. */

export interface SubidRange { start: number; count: number }

/** The ranges of one user, who may be named by name or by numeric id (both forms occur). */
export function parseSubid(text: string, user: string, uid: number): SubidRange[] {
  const ranges: SubidRange[] = []
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':')
    if (!owner || owner.startsWith('#') || (owner !== user && owner !== String(uid))) continue
    if (!/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue
    const c = Number(count)
    if (c > 0) ranges.push({ start: Number(start), count: c })
  }
  return ranges
}

/** Whether host ids [start, start+count) are all the user's own id or within their ranges. */
export function coversRange(ranges: SubidRange[], self: number, start: number, count: number): boolean {
  for (let id = start; id < start + count;) {
    if (id === self) { id++; continue }
    const r = ranges.find(r => id >= r.start && id < r.start + r.count)
    if (!r) return false
    id = r.start + r.count
  }
  return true
}
