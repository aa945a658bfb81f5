/**
 * Kubernetes YAML in and out: documents parsed with `yaml` and checked against the Kubernetes
 * object schemas (kubernetes-models' validators, compiled from the published OpenAPI
 * definitions), so that a user gets one line naming the file, the field and what is wrong
 * ("pod.yaml: spec.containers[0].name: required") rather than a stack trace; and objects
 * written back as YAML after the same check.
 */
import { CockerError } from '../errors.js'
import { modelOf, yaml } from './libs.js'

export interface KubeDocument {
  kind: string
  apiVersion: string
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}

/** An ajv error as kubernetes-models throws them. */
interface SchemaError { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }

/** "/spec/containers/0/image" → "spec.containers[0].image". */
export function fieldPath(pointer: string, last?: string): string {
  const parts = pointer.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (last !== undefined) parts.push(last)
  return parts.reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '')
}

/** What is wrong, in a few words, from ajv's keyword and params. */
function problem(e: SchemaError): { path: string; what: string } {
  switch (e.keyword) {
    case 'required': return { path: fieldPath(e.instancePath, String(e.params.missingProperty)), what: 'required' }
    case 'type': return { path: fieldPath(e.instancePath), what: `must be ${String(e.params.type).replace(/,/g, ' or ')}` }
    case 'enum': return { path: fieldPath(e.instancePath), what: `must be one of ${(e.params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}` }
    case 'format': return { path: fieldPath(e.instancePath), what: `must be a valid ${String(e.params.format)}` }
    default: return { path: fieldPath(e.instancePath), what: e.message ?? `fails ${e.keyword}` }
  }
}

/**
 * The schema's complaints about one object, one per field (an int-or-string field that is
 * neither gives several), or [] when it is valid. A kind without a model gives [].
 */
export function schemaErrors(doc: KubeDocument): string[] {
  const Model = modelOf(doc.kind)
  if (!Model) return []
  try {
    new Model(doc).validate()
    return []
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors
    if (!errors) throw err
    const seen = new Map<string, string>()
    for (const e of errors) {
      const p = problem(e)
      if (!seen.has(p.path)) seen.set(p.path, p.what)
    }
    return [...seen].map(([path, what]) => (path ? `${path}: ${what}` : what))
  }
}

/**
 * What cocker needs beyond the schema: a container's image (optional in the schema, which
 * also describes templates that something else fills in).
 */
function playErrors(doc: KubeDocument): string[] {
  const spec = doc.spec as { containers?: { image?: unknown }[]; template?: { spec?: { containers?: { image?: unknown }[] } } } | undefined
  const [containers, at] = doc.kind === 'Pod' ? [spec?.containers, 'spec'] : [spec?.template?.spec?.containers, 'spec.template.spec']
  if (!['Pod', 'Deployment', 'DaemonSet', 'Job'].includes(doc.kind) || !Array.isArray(containers)) return []
  return containers.flatMap((c, i) => (c && typeof c === 'object' && !c.image ? [`${at}.containers[${i}].image: required`] : []))
}

/** Refuses the objects the schema refuses: one line, each document's problems after its place. */
export function checkDocuments(docs: readonly KubeDocument[], file: string): void {
  const problems = docs.flatMap((doc, i) => {
    const where = docs.length > 1 ? `${file} (document ${i + 1}, ${doc.kind}${doc.metadata?.name ? ` ${doc.metadata.name}` : ''})` : file
    const found = [...schemaErrors(doc), ...playErrors(doc)]
    return found.length ? [`${where}: ${found.join('; ')}`] : []
  })
  if (problems.length) {
    throw new CockerError('INVALID_ARGUMENT', problems.join('; '), { hint: 'see the Kubernetes API reference for the fields of each kind' })
  }
}

/** The documents of a YAML stream (empty ones left out), each an object with a kind and an apiVersion. */
export function parseDocuments(text: string, file: string): KubeDocument[] {
  // YAML 1.1, as Kubernetes reads it (go-yaml): 0644 is octal, yes and no are booleans
  const docs = yaml().parseAllDocuments(text, { prettyErrors: true, version: '1.1' })
  const out: KubeDocument[] = []
  const list = Array.isArray(docs) ? docs : [docs]
  for (const [i, doc] of list.entries()) {
    const error = doc.errors[0]
    if (error) {
      const line = error.linePos?.[0]
      throw new CockerError('INVALID_ARGUMENT', `${file}${line ? `, line ${line.line}` : ''}: not valid YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`)
    }
    const value = doc.toJS({ maxAliasCount: 1000 }) as unknown
    if (value === null || value === undefined) continue
    const where = list.length > 1 ? `${file} (document ${i + 1})` : file
    if (typeof value !== 'object' || Array.isArray(value)) throw new CockerError('INVALID_ARGUMENT', `${where}: not a Kubernetes object (a mapping with kind and apiVersion)`)
    const o = value as Record<string, unknown>
    if (typeof o.kind !== 'string' || !o.kind) throw new CockerError('INVALID_ARGUMENT', `${where}: kind: required`)
    if (typeof o.apiVersion !== 'string' || !o.apiVersion) throw new CockerError('INVALID_ARGUMENT', `${where}: apiVersion: required`)
    out.push(o as KubeDocument)
  }
  if (!out.length) throw new CockerError('INVALID_ARGUMENT', `${file}: no Kubernetes object in it`, { hint: 'give a YAML file with a Pod, Deployment, DaemonSet or Job' })
  return out
}

/**
 * Objects as a YAML stream, documents separated by ---, after the schema check (a failure here
 * is cocker's bug). Written as Podman's (Go's YAML by way of JSON): keys sorted, sequences not
 * indented, and YAML 1.1's quoting, so that "on", "no" and times stay strings for 1.1 readers.
 */
export function writeDocuments(objects: readonly KubeDocument[], header = ''): string {
  checkDocuments(objects, 'generated YAML')
  const options = { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false } as const
  return header + objects.map(o => yaml().stringify(o, options)).join('---\n')
}
