// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
//   Basic realm="Registry Realm"

export interface Challenge {
  /** Lower case: 'bearer', 'basic'. */
  scheme: string
  /** Parameter names lower case; values unquoted. */
  params: Record<string, string>
}

/**
 * Every challenge in the header values. A header may hold several challenges
 * separated by commas, so a comma starts a new challenge when what follows is
 * a bare token not followed by '='.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header]
  const out: Challenge[] = []
  for (const value of values) {
    let i = 0
    let current: Challenge | undefined
    const skip = (re: RegExp) => {
      while (i < value.length && re.test(value[i]!)) i++
    }
    while (i < value.length) {
      skip(/[\s,]/)
      const start = i
      while (i < value.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(value[i]!)) i++
      const token = value.slice(start, i)
      if (!token) break
      skip(/\s/)
      if (value[i] === '=' && current) {
        i++
        skip(/\s/)
        let v = ''
        if (value[i] === '"') {
          i++
          while (i < value.length && value[i] !== '"') {
            if (value[i] === '\\') i++
            v += value[i] ?? ''
            i++
          }
          i++
        } else {
          const vs = i
          while (i < value.length && value[i] !== ',') i++
          v = value.slice(vs, i).trim()
        }
        current.params[token.toLowerCase()] = v
      } else {
        current = { scheme: token.toLowerCase(), params: {} }
        out.push(current)
      }
    }
  }
  return out
}

/** The scope a token is asked for: `repository:library/alpine:pull` or `...:pull,push`. */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`
}
