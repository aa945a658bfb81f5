import * as assert from 'uvu/assert'
import { CockerError } from '../../lib/errors.js'

/** fn must throw a CockerError with this code (and a message matching, when given); returns it. */
export function throwsCode(fn: () => unknown, code: string, message?: RegExp | string): CockerError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, CockerError)
    assert.is((err as CockerError).code, code)
    if (message !== undefined) assert.match((err as CockerError).message, message)
    return err as CockerError
  }
  assert.unreachable(`expected a CockerError ${code}`)
  throw new Error('unreachable')
}

/** The async form of throwsCode: fn's promise must reject with a CockerError of this code. */
export async function rejectsCode(fn: () => Promise<unknown>, code: string, message?: RegExp | string): Promise<CockerError> {
  try {
    await fn()
  } catch (err) {
    return throwsCode(() => { throw err }, code, message)
  }
  assert.unreachable(`expected a CockerError ${code}`)
  throw new Error('unreachable')
}
