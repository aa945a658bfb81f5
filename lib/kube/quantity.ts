/**
 * Kubernetes quantities (resource.Quantity) of memory and CPU, both ways: what `kube play` reads
 * from resources.limits and `kube generate` writes there.
 */
import { CockerError } from '../errors.js'

const invalid = (message: string, hint: string) => new CockerError('INVALID_ARGUMENT', message, { hint })

/** A quantity of memory in bytes: 64Mi, 1G, 512k, 1e6 or a plain number. */
export function memoryBytes(where: string, value: unknown): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P|m)?$/.exec(String(value).trim())
  if (!m) throw invalid(`${where}: ${String(value)} is not a quantity`, 'e.g. 64Mi or 1G')
  const unit: Record<string, number> = { '': 1, m: 0.001, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5 }
  return Math.ceil(Number(m[1]) * unit[m[2] ?? '']!)
}

/** A quantity of CPU in cores: 500m, 2, 0.5. */
export function cpuCores(where: string, value: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(value).trim())
  if (!m) throw invalid(`${where}: ${String(value)} is not a CPU quantity`, 'e.g. 500m or 2')
  return Number(m[1]) / (m[2] ? 1000 : 1)
}

/** Bytes as Kubernetes writes a quantity: the largest binary unit that divides it. */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`
  }
  return String(bytes)
}

/** CPUs as a quantity: whole cores plain, else millicores (finer is not allowed). */
export function cpuQuantity(cpus: number): string | undefined {
  const milli = Math.round(cpus * 1000)
  if (milli < 1) return undefined
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`
}
