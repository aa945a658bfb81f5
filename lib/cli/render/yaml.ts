/**
 * The YAML that podman's default output of `info` is: block maps in the given key order,
 * sequences of maps as "- key: value", an empty map as {}, null as null. Strings are
 * quoted only where YAML would read them as something else.
 */
export function formatYaml(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${scalar(value)}\n`
  let out = ''
  if (Array.isArray(value)) {
    if (!value.length) return '[]\n'
    for (const item of value) {
      const text = item !== null && typeof item === 'object' && !isEmpty(item) ? formatYaml(item, `${indent}  `).slice(indent.length + 2) : formatYaml(item)
      out += `${indent}- ${text}`
    }
    return out
  }
  const entries = Object.entries(value)
  if (!entries.length) return '{}\n'
  for (const [k, v] of entries) {
    const key = scalar(k)
    if (v !== null && typeof v === 'object' && !isEmpty(v)) {
      out += `${indent}${key}:\n${formatYaml(v, Array.isArray(v) ? indent : `${indent}  `)}`
    } else out += `${indent}${key}: ${formatYaml(v)}`
  }
  return out
}

function isEmpty(v: object): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0
}

function scalar(v: unknown): string {
  if (typeof v !== 'string') return String(v)
  const plain = v !== '' && !/^[\s\-?:,[\]{}#&*!|>'"%@`]|[:#]\s|\s$|:$/.test(v) &&
    !/^(true|false|yes|no|on|off|null|~|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?)$/i.test(v)
  return plain ? v : JSON.stringify(v)
}
