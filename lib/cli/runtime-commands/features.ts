import { runtimeFeatures } from '../../runtime/lifecycle.js'
import type { Outcome } from '../command.js'

/** runc indents features with four spaces and ends with a newline. */
export async function run(): Promise<Outcome> {
  return { stdout: JSON.stringify(await runtimeFeatures(), null, 4) + '\n' }
}
