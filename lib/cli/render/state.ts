/** runc's field order for state and list JSON; fields it does not know follow. */
const RUNC_STATE_ORDER = ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']

export function orderStateFields(state: object): Record<string, unknown> {
  const source = state as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of RUNC_STATE_ORDER) if (key in source) out[key] = source[key]
  for (const key of Object.keys(source)) if (!(key in out)) out[key] = source[key]
  return out
}

/** `runc state` prints indented JSON without a final newline. */
export function formatState(state: object): string {
  return JSON.stringify(orderStateFields(state), null, 2)
}
