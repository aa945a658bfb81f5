import { CockerError } from '../../errors.js'

/** --creds USER:PASS (the password may contain ':'). */
export function parseCreds(creds: string): { username: string; password: string } {
  const colon = creds.indexOf(':')
  if (colon <= 0 || colon === creds.length - 1) {
    throw new CockerError('INVALID_ARGUMENT', '--creds must be USERNAME:PASSWORD', { hint: 'or log in first with `cocker login`' })
  }
  return { username: creds.slice(0, colon), password: creds.slice(colon + 1) }
}
