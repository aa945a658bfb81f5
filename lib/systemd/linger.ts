/**
 * A user's units (and so their containers) stop when the user's last session ends, unless
 * lingering is enabled for them (loginctl enable-linger), which logind records as a file.
 */
import { existsSync } from 'node:fs'

export const LINGER_DIR = '/var/lib/systemd/linger'

/** The line to tell a user whose units would stop at logout; undefined for root or a lingering user. */
export function lingerWarning(user: { uid: number; name: string }, exists: (path: string) => boolean = existsSync): string | undefined {
  if (user.uid === 0 || exists(`${LINGER_DIR}/${user.name}`)) return undefined
  return `lingering is not enabled for ${user.name}: the units stop when ${user.name} logs out; "loginctl enable-linger ${user.name}" keeps them running`
}
