/**
 * The certificates a registry's TLS may chain to. Node parses NODE_EXTRA_CA_CERTS
 * at every start (35 ms here, most of a short command), so bin/cocker hands the
 * path on as _COCKER_EXTRA_CA_CERTS instead, and it is read here, once, when a
 * registry is first reached over TLS: node's own roots plus those, as node would
 * have trusted them. An unreadable file is skipped with a warning, as node does.
 */
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'

const EXTRA_CA_ENV = '_COCKER_EXTRA_CA_CERTS'

let cached: { ca?: string[] } | undefined

export function registryTrust(): { ca?: string[] } {
  if (cached) return cached
  const file = process.env[EXTRA_CA_ENV]
  cached = {}
  if (!file) return cached
  try {
    cached = { ca: [...rootCertificates, readFileSync(file, 'utf8')] }
  } catch (err) {
    process.stderr.write(`WARN: ignoring the extra CA certificates in ${file} (NODE_EXTRA_CA_CERTS): ${(err as Error).message}\n`)
  }
  return cached
}
