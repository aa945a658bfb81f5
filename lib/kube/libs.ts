/**
 * The two packages kube commands need, `yaml` (YAML 1.2 and 1.1, multi-document) and
 * `kubernetes-models` (a class per Kubernetes kind, with the validator compiled from the
 * published OpenAPI schemas): bundled apart by the build (tools/kube-vendor.cjs) and required
 * at run time, the way lib/sys/libc.ts loads koffi, so that neither enters the bundle every
 * other command parses at its start.
 */
import type * as Yaml from 'yaml'
import { packageRoot } from '../package-root.js'

interface Vendor { yaml: typeof Yaml; models: Record<string, () => KubeModelClass> }

let vendor: Vendor | undefined
function load(): Vendor {
  vendor ??= process.getBuiltinModule('node:module').createRequire(`${packageRoot()}package.json`)(`${packageRoot()}dist/bundle/kube-vendor.cjs`) as Vendor
  return vendor
}

export const yaml = (): typeof Yaml => load().yaml

/** A kubernetes-models class: `new Model(doc).validate()` throws an error whose `errors` are ajv's. */
export interface KubeModelClass { new (data: object): { validate(): void } }

/** The kinds cocker reads or writes, with their apiVersion. */
const API_VERSIONS: Record<string, string> = {
  ConfigMap: 'v1', DaemonSet: 'apps/v1', Deployment: 'apps/v1', Job: 'batch/v1', PersistentVolumeClaim: 'v1', Pod: 'v1', Secret: 'v1', Service: 'v1',
}

/** The model class of a kind, or undefined for a kind cocker does not know. */
export function modelOf(kind: string): KubeModelClass | undefined {
  return API_VERSIONS[kind] ? load().models[kind]?.() : undefined
}
