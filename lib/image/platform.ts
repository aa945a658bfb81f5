// Choosing the image for a platform from an index, normalised as containerd
// does (platforms.Normalize): x86_64 is amd64, aarch64 is arm64, and arm64
// means arm64/v8 unless a variant says otherwise.
import { CockerError } from '../errors.js'
import type { Descriptor, ImageIndex, Platform } from './manifest.js'

export interface PlatformSpec {
  os: string
  architecture: string
  variant?: string
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
  i686: '386',
  x86: '386',
}

/** process.arch → GOARCH */
const NODE_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' }

export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  const os = p.os.toLowerCase()
  let architecture = p.architecture.toLowerCase()
  let variant = p.variant?.toLowerCase() || undefined
  if (architecture === 'armhf') variant ??= 'v7'
  if (architecture === 'armel') variant ??= 'v6'
  architecture = ARCH_ALIASES[architecture] ?? architecture
  if (architecture === 'arm64') {
    if (variant === '8' || variant === 'v8') variant = undefined
  } else if (architecture === 'arm') {
    if (variant && /^\d+$/.test(variant)) variant = `v${variant}`
    variant ??= 'v7'
  }
  return variant ? { os, architecture, variant } : { os, architecture }
}

/** This machine's platform; arm's variant is assumed v7 (node does not report it). */
export function hostPlatform(): PlatformSpec {
  return normalizePlatform({ os: process.platform, architecture: NODE_ARCH[process.arch] ?? process.arch })
}

/** "linux/arm64", "linux/arm/v7" */
export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

/** "linux/arm/v7" → {os, architecture, variant}, as --platform takes it; a bare architecture means linux. */
export function parsePlatform(s: string): PlatformSpec {
  const parts = s.split('/')
  if (parts.length > 3 || parts.some(p => !p)) {
    throw new CockerError('INVALID_ARGUMENT', `invalid platform "${s}"`, { hint: 'use OS/ARCH[/VARIANT], e.g. linux/arm64' })
  }
  const [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0]!] : parts
  return normalizePlatform({ os: os!, architecture: architecture!, ...(variant ? { variant } : {}) })
}

function matches(want: PlatformSpec, have: Platform): boolean {
  const h = normalizePlatform(have)
  return h.os === want.os && h.architecture === want.architecture && h.variant === want.variant
}

/**
 * The manifest of the index for `wanted` (default: this machine). The first exact match wins
 * (indexes list the preferred first); without one, an arm variant lower than the one wanted
 * runs too (v6 code on a v7 machine), highest first. Throws PLATFORM_NOT_FOUND listing what
 * the index offers.
 */
export function selectManifest(index: ImageIndex, what: string, wanted: PlatformSpec = hostPlatform()): Descriptor {
  const want = normalizePlatform(wanted)
  const candidates = index.manifests.filter(m => m.platform && !isAttestation(m))
  const exact = candidates.find(m => matches(want, m.platform!))
  if (exact) return exact
  if (want.architecture === 'arm' && want.variant) {
    const level = Number(want.variant.slice(1))
    const compatible = candidates
      .map(m => ({ m, p: normalizePlatform(m.platform!) }))
      .filter(({ p }) => p.os === want.os && p.architecture === 'arm' && Number(p.variant!.slice(1)) < level)
      .sort((a, b) => Number(b.p.variant!.slice(1)) - Number(a.p.variant!.slice(1)))
    if (compatible[0]) return compatible[0].m
  }
  const offered = [...new Set(candidates.map(m => formatPlatform(normalizePlatform(m.platform!))))]
  throw new CockerError(
    'PLATFORM_NOT_FOUND',
    `${what}: no image for ${formatPlatform(want)} (the image offers ${offered.length ? offered.join(', ') : 'no platforms'})`,
    { hint: offered.length ? `choose one with --platform, e.g. --platform ${offered[0]}` : undefined },
  )
}

// BuildKit stores provenance attestations in the index as platform "unknown/unknown".
function isAttestation(m: Descriptor): boolean {
  return m.platform?.os === 'unknown' || m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
}
