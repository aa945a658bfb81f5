import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { authFilesForReading, findCredentials, normalizeKey, removeAllCredentials, removeCredentials, storeCredentials } from '../../../lib/image/auth-file.js'
import { rejectsCode } from '../../support/registry.js'

const root = mkdtempSync(path.join(os.tmpdir(), 'cocker-auth-test-'))
test.after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
function envDir(): NodeJS.ProcessEnv {
  const dir = path.join(root, String(n++))
  mkdirSync(dir)
  return { HOME: path.join(dir, 'home'), XDG_RUNTIME_DIR: path.join(dir, 'run') }
}
const b64 = (s: string) => Buffer.from(s).toString('base64')
function put(file: string, content: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
}

test('lookup order: REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, ~/.config, ~/.docker; --authfile alone', () => {
  const env = { HOME: '/h', XDG_RUNTIME_DIR: '/run/user/7', REGISTRY_AUTH_FILE: '/a.json' }
  assert.equal(authFilesForReading({ env }), ['/a.json', '/run/user/7/containers/auth.json', '/h/.config/containers/auth.json', '/h/.docker/config.json'])
  assert.equal(authFilesForReading({ env, authfile: '/x' }), ['/x'])
})

test('keys: legacy Docker Hub URLs and hosts normalise to docker.io', () => {
  assert.is(normalizeKey('https://index.docker.io/v1/'), 'docker.io')
  assert.is(normalizeKey('index.docker.io'), 'docker.io')
  assert.is(normalizeKey('http://localhost:5000'), 'localhost:5000')
  assert.is(normalizeKey('quay.io/team/'), 'quay.io/team')
})

test('the most specific key wins; the first file with a match wins; docker config is read', async () => {
  const env = envDir()
  put(path.join(env.HOME!, '.docker/config.json'), { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } })
  put(path.join(env.XDG_RUNTIME_DIR!, 'containers/auth.json'), {
    auths: { 'quay.io': { auth: b64('any:1') }, 'quay.io/team': { auth: b64('team:2') }, 'quay.io/team/app': { auth: b64('app:3:with:colons') } },
  })
  assert.is((await findCredentials('quay.io/team/app', { env }))?.username, 'app')
  assert.is((await findCredentials('quay.io/team/app', { env }))?.password, '3:with:colons')
  assert.is((await findCredentials('quay.io/team/other', { env }))?.username, 'team')
  assert.is((await findCredentials('quay.io/solo/x', { env }))?.username, 'any')
  const hub = await findCredentials('docker.io/library/alpine', { env })
  assert.equal({ ...hub }, { username: 'hub', password: 'pw', file: path.join(env.HOME!, '.docker/config.json'), key: 'docker.io' })
  assert.is(await findCredentials('ghcr.io/x', { env }), undefined)
})

test('store writes atomically with mode 600 and keeps other fields; remove one, then all', async () => {
  const env = envDir()
  const file = path.join(env.XDG_RUNTIME_DIR!, 'containers/auth.json')
  put(file, { auths: { 'https://quay.io': { auth: b64('old:x') } }, credHelpers: { 'gcr.io': 'gcloud' } })
  assert.is(await storeCredentials('quay.io', { username: 'new', password: 'y' }, { env }), file)
  await storeCredentials('localhost:5000', { username: 'l', password: 'z' }, { env })
  assert.is(statSync(file).mode & 0o777, 0o600)
  const content = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(content, { auths: { 'quay.io': { auth: b64('new:y') }, 'localhost:5000': { auth: b64('l:z') } }, credHelpers: { 'gcr.io': 'gcloud' } })
  assert.is(await removeCredentials('quay.io', { env }), 'removed')
  assert.is(await removeCredentials('quay.io', { env }), 'not-found')
  put(path.join(env.HOME!, '.docker/config.json'), { auths: { 'ghcr.io': { auth: b64('d:d') } } })
  assert.is(await removeCredentials('ghcr.io', { env }), 'elsewhere')
  await removeAllCredentials({ env })
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).auths, {})
})

test('a broken file is AUTH_FILE_INVALID naming it', async () => {
  const env = envDir()
  const file = path.join(env.XDG_RUNTIME_DIR!, 'containers/auth.json')
  put(file, '{"auths": ')
  await rejectsCode(() => findCredentials('quay.io', { env }), 'AUTH_FILE_INVALID', `credentials file ${file} is not valid JSON`)
})

test.run()
