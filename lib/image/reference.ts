// Image references: parsing with Docker's normalisation, short-name
// resolution against search registries, and the full and familiar forms.
// The grammar is the distribution spec's (distribution/reference):
//   reference := name [':' tag] ['@' digest]
//   name      := [domain '/'] path-component ['/' path-component]*
import { CockerError } from '../errors.js'

export interface ImageReference {
  /** 'docker.io', 'quay.io', 'localhost:5000', 'localhost', '[::1]:5000' */
  registry: string
  /** 'library/alpine', 'user/app' */
  repository: string
  /** 'latest' when neither tag nor digest was given */
  tag?: string
  /** 'sha256:<64 hex>' */
  digest?: string
}

const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
const NAME_MAX = 255
const TAG_MAX = 128

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/
const PORT = /^[0-9]+$/
const TAG = /^\w[\w.-]*$/
const DIGEST_ALGORITHM = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/
/** Hex length per algorithm; go-digest (and so Podman) rejects any other algorithm. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 }

/**
 * Docker's normalisation: "alpine" → docker.io/library/alpine:latest; "user/x" →
 * docker.io/user/x:latest; a first component with a '.' or ':' or equal to 'localhost'
 * is a registry; index.docker.io and registry-1.docker.io mean docker.io.
 * Throws CockerError INVALID_ARGUMENT naming the input and what is wrong.
 */
export function parseReference(input: string): ImageReference {
  const parts = splitReference(input)
  return build(input, parts.domain ?? DOCKER_HUB, parts)
}

/**
 * Whether the input names no registry (a short name, to be resolved against search
 * registries). Does not validate the input; parseReference does.
 */
export function isShortName(input: string): boolean {
  const name = input.split('@')[0]!
  return splitDomain(name)[0] === undefined
}

/**
 * The candidates for a short name given the search registries, in order (Podman's
 * unqualified-search-registries); a qualified name gives itself. docker.io candidates
 * get library/ for single-component names. Throws CockerError INVALID_ARGUMENT for an
 * invalid input or search registry, or a short name with no search registries.
 */
export function resolveShortName(input: string, searchRegistries: readonly string[]): ImageReference[] {
  const parts = splitReference(input)
  if (parts.domain !== undefined) return [build(input, parts.domain, parts)]
  if (searchRegistries.length === 0) {
    const example = fullReference(build(input, DOCKER_HUB, parts))
    throw new CockerError(
      'INVALID_ARGUMENT',
      `cannot resolve short name "${input}": no search registries are configured; use a fully qualified name such as ${example}`,
      { hint: 'name the registry in the image reference, or configure search registries' },
    )
  }
  const seen = new Set<string>()
  const candidates: ImageReference[] = []
  for (const registry of searchRegistries) {
    checkDomain(registry, what => invalid(input, `search registry "${registry}": ${what}`))
    const ref = build(input, registry, parts)
    const full = fullReference(ref)
    if (!seen.has(full)) {
      seen.add(full)
      candidates.push(ref)
    }
  }
  return candidates
}

/** 'docker.io/library/alpine:latest': the full form, as podman images shows it. */
export function fullReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`
}

/** Docker's familiar form: 'alpine:latest', 'user/x:1', 'quay.io/a/b@sha256:…'. */
export function familiarReference(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return fullReference(ref)
  let name = ref.repository
  const official = name.slice('library/'.length)
  if (name.startsWith('library/') && !official.includes('/')) name = official
  // 'docker.io/foo.com/x' shortened to 'foo.com/x' would name the registry foo.com.
  else if (splitDomain(name)[0] !== undefined) name = `${DOCKER_HUB}/${name}`
  return `${name}${suffix(ref)}`
}

function suffix(ref: ImageReference): string {
  return `${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`
}

function invalid(input: string, what: string): never {
  throw new CockerError('INVALID_ARGUMENT', `invalid image reference "${input}": ${what}`)
}

interface ReferenceParts {
  /** As written; undefined for a short name */
  domain?: string
  /** As written, without docker.io's library/ */
  path: string
  tag?: string
  digest?: string
}

/** Validates the input against the grammar and splits it, without normalising. */
function splitReference(input: string): ReferenceParts {
  const fail = (what: string): never => invalid(input, what)
  if (input === '') fail('it is empty')
  if (/\s/.test(input)) fail('it contains whitespace')

  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    checkDigest(digest, fail)
  }

  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    checkTag(tag, fail)
  }

  if (rest === '') fail('the repository name is missing')
  // An image ID, not a name: Docker refuses the ambiguity.
  if (/^[a-f0-9]{64}$/.test(rest)) fail('a 64-character hex string is an image ID, not a repository name')
  const [domain, path] = splitDomain(rest)
  if (domain !== undefined) checkDomain(domain, fail)
  checkPath(path, domain !== undefined, fail)
  return { domain, path, tag, digest }
}

/** Docker's rule: the first component is a registry if it has '.' or ':' or is 'localhost'. */
function splitDomain(name: string): [string | undefined, string] {
  const slash = name.indexOf('/')
  if (slash === -1) return [undefined, name]
  const first = name.slice(0, slash)
  if (first.includes('.') || first.includes(':') || first === 'localhost') return [first, name.slice(slash + 1)]
  return [undefined, name]
}

/** Normalises; like Docker, the length limit applies to the normalised name. */
function build(input: string, domain: string, { path, tag, digest }: ReferenceParts): ImageReference {
  const registry = DOCKER_HUB_ALIASES.has(domain.toLowerCase()) ? DOCKER_HUB : domain
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path
  const length = registry.length + 1 + repository.length
  if (length > NAME_MAX) {
    invalid(input, `the name on registry "${registry}" is ${length} characters long; at most ${NAME_MAX} are allowed`)
  }
  const ref: ImageReference = { registry, repository }
  if (tag !== undefined || digest === undefined) ref.tag = tag ?? 'latest'
  if (digest !== undefined) ref.digest = digest
  return ref
}

function checkDomain(domain: string, fail: (what: string) => never): void {
  let host = domain
  let port: string | undefined
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']')
    host = close === -1 ? domain : domain.slice(0, close + 1)
    const after = domain.slice(host.length)
    if (after !== '' && !after.startsWith(':')) fail(`registry "${domain}" has text after its IPv6 address`)
    if (after !== '') port = after.slice(1)
  } else if (domain.includes(':')) {
    host = domain.slice(0, domain.indexOf(':'))
    port = domain.slice(domain.indexOf(':') + 1)
  }
  if (port !== undefined && !PORT.test(port)) fail(`registry port "${port}" is not a number`)
  if (host.startsWith('[')) {
    if (!IPV6_HOST.test(host)) fail(`registry host "${host}" is not a bracketed IPv6 address`)
  } else if (host === '' || !host.split('.').every(c => DOMAIN_COMPONENT.test(c))) {
    fail(`registry host "${host}" is not a valid host name (letters, digits and '-' in dot-separated labels)`)
  }
}

function checkPath(path: string, hasDomain: boolean, fail: (what: string) => never): void {
  if (path === '') fail(hasDomain ? 'the repository after the registry is missing' : 'the repository name is missing')
  for (const component of path.split('/')) {
    if (component === '') fail(`the repository "${path}" has an empty path component ('//', or a leading or trailing '/')`)
    if (PATH_COMPONENT.test(component)) continue
    if (PATH_COMPONENT.test(component.toLowerCase())) fail(`the repository "${path}" must be lowercase`)
    fail(
      `repository path component "${component}" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes`,
    )
  }
}

function checkTag(tag: string, fail: (what: string) => never): void {
  if (tag === '') fail("the tag after ':' is empty")
  if (tag.length > TAG_MAX) fail(`the tag is ${tag.length} characters long; at most ${TAG_MAX} are allowed`)
  if (!TAG.test(tag)) fail(`tag "${tag}" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'`)
}

function checkDigest(digest: string, fail: (what: string) => never): void {
  if (digest === '') fail("the digest after '@' is empty")
  const colon = digest.indexOf(':')
  if (colon === -1) fail(`digest "${digest}" is not of the form algorithm:hex`)
  const algorithm = digest.slice(0, colon)
  const hex = digest.slice(colon + 1)
  if (!DIGEST_ALGORITHM.test(algorithm)) fail(`digest algorithm "${algorithm}" is invalid`)
  const length = DIGEST_HEX_LENGTH[algorithm]
  if (length === undefined) fail(`digest algorithm "${algorithm}" is not supported (use ${Object.keys(DIGEST_HEX_LENGTH).join(', ')})`)
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    fail(`a ${algorithm} digest must be ${length} lowercase hex characters, got "${hex}" (${hex.length})`)
  }
}
