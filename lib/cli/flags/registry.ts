/** Flags shared by the commands that talk to registries (login, pull, push, run). */
import type { OptionDef } from '../command.js'

/**
 * Absent, each registry keeps its own rule: TLS verified, except for registries marked
 * insecure in registries.conf and loopback ones (plain HTTP, as Docker allows).
 */
export const TLS_VERIFY: OptionDef = {
  name: 'tls-verify',
  type: 'boolean',
  tristate: true,
  describe: 'require HTTPS and verify certificates (default: yes, except for insecure and loopback registries)',
}
