import { loadRegistriesConf, findRegistry, searchRegistries } from '../../config/registries.js'
import { CockerError } from '../../errors.js'
import { findCredentials, storeCredentials } from '../../image/auth-file.js'
import { RegistryClient } from '../../image/registry/client.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'

/** "https://quay.io/", "quay.io/team/app" → the auth.json key; the first search registry when none is given. */
export async function registryKey(arg: string | undefined, env: NodeJS.ProcessEnv, command: string): Promise<string> {
  if (arg) return arg.replace(/^https?:\/\//, '').replace(/\/+$/, '')
  const first = searchRegistries(await loadRegistriesConf(env))[0]
  if (!first) throw new CockerError('INVALID_ARGUMENT', `cocker ${command}: no registry given and no search registries configured`, { hint: `name one: cocker ${command} REGISTRY` })
  return first
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const key = await registryKey(args.registry as string | undefined, ctx.env, 'login')
  const authfile = args.authfile as string | undefined
  if (args.getLogin) {
    const found = await findCredentials(key, { env: ctx.env, authfile })
    if (!found) throw new CockerError('REGISTRY_UNAUTHORIZED', `not logged into ${key}`, { hint: `log in with \`cocker login ${key}\`` })
    return { stdout: `${found.username}\n` }
  }
  const username = args.username as string | undefined
  let password = args.password as string | undefined
  if (args.passwordStdin) {
    if (password !== undefined) throw new CockerError('INVALID_ARGUMENT', '--password and --password-stdin are mutually exclusive')
    if (!username) throw new CockerError('INVALID_ARGUMENT', '--password-stdin needs --username', { hint: `cocker login -u USER --password-stdin ${key}` })
    password = (await readStdin()).replace(/\r?\n$/, '')
  }
  if (!username || password === undefined) {
    throw new CockerError('INVALID_ARGUMENT', `cocker login ${key}: a username and a password are needed`, {
      hint: `pass -u USER with -p PASSWORD or --password-stdin`,
    })
  }
  const host = key.split('/')[0]!
  const entry = findRegistry(await loadRegistriesConf(ctx.env), key)
  const client = new RegistryClient({
    host,
    insecure: entry?.insecure,
    ...(args.tlsVerify === undefined ? {} : { tlsVerify: args.tlsVerify as boolean }),
    credentials: { username, password },
  })
  try {
    await client.ping()
  } finally {
    client.close()
  }
  await storeCredentials(key, { username, password }, { env: ctx.env, authfile })
  return { stdout: 'Login Succeeded!\n' }
}
