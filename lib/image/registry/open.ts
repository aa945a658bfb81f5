// A client for an endpoint with the credentials auth.json holds for it.
import type { Endpoint } from '../../config/registries.js'
import { findCredentials, type AuthFileOptions } from '../auth-file.js'
import { RegistryClient, type RegistryClientOptions } from './client.js'

export interface OpenOptions extends AuthFileOptions {
  /** podman's --tls-verify; undefined follows the endpoint's insecure flag and loopback. */
  tlsVerify?: boolean
  /** --creds: used instead of auth.json. */
  credentials?: RegistryClientOptions['credentials']
}

/** The caller closes the client when done. */
export async function openRegistry(endpoint: Endpoint, opts: OpenOptions = {}): Promise<RegistryClient> {
  const credentials = opts.credentials ?? (await findCredentials(`${endpoint.host}/${endpoint.repository}`, opts))
  return new RegistryClient({
    host: endpoint.host,
    insecure: endpoint.insecure,
    ...(opts.tlsVerify === undefined ? {} : { tlsVerify: opts.tlsVerify }),
    ...(credentials ? { credentials: { username: credentials.username, password: credentials.password } } : {}),
  })
}
