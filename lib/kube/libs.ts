/**
 * The two packages kube commands need, loaded at run time from node_modules (the way
 * lib/sys/libc.ts loads koffi), so that neither enters the bundle every other command
 * parses at its start: `yaml` (YAML 1.2, multi-document) and `kubernetes-models` (a class
 * per Kubernetes kind, with the validator compiled from the published OpenAPI schemas).
 */
import type * as Yaml from 'yaml'
import { packageRoot } from '../package-root.js'

const load = (name: string): any => process.getBuiltinModule('node:module').createRequire(`${packageRoot()}package.json`)(name)

let yamlModule: typeof Yaml | undefined
export function yaml(): typeof Yaml {
  yamlModule ??= load('yaml') as typeof Yaml
  return yamlModule
}

/** A kubernetes-models class: `new Model(doc).validate()` throws an error whose `errors` are ajv's. */
export interface KubeModelClass { new (data: object): { validate(): void } }

/** The models cocker reads or writes, by kind; each module holds one kind's compiled schema. */
const MODELS: Record<string, { apiVersion: string; module: string }> = {
  ConfigMap: { apiVersion: 'v1', module: 'kubernetes-models/v1/ConfigMap' },
  DaemonSet: { apiVersion: 'apps/v1', module: 'kubernetes-models/apps/v1/DaemonSet' },
  Deployment: { apiVersion: 'apps/v1', module: 'kubernetes-models/apps/v1/Deployment' },
  Job: { apiVersion: 'batch/v1', module: 'kubernetes-models/batch/v1/Job' },
  PersistentVolumeClaim: { apiVersion: 'v1', module: 'kubernetes-models/v1/PersistentVolumeClaim' },
  Pod: { apiVersion: 'v1', module: 'kubernetes-models/v1/Pod' },
  Secret: { apiVersion: 'v1', module: 'kubernetes-models/v1/Secret' },
  Service: { apiVersion: 'v1', module: 'kubernetes-models/v1/Service' },
}

export const KNOWN_KINDS = Object.keys(MODELS)

/** The apiVersion cocker writes for a kind. */
export const apiVersionOf = (kind: string): string | undefined => MODELS[kind]?.apiVersion

/** The model class of a kind, or undefined for a kind cocker does not know. */
export function modelOf(kind: string): KubeModelClass | undefined {
  const m = MODELS[kind]
  if (!m) return undefined
  return (load(m.module) as Record<string, KubeModelClass>)[kind]
}
