// Container records written straight into a store (container.json, the name link, an upper
// dir), as `create` and `run -d` leave them: for tests of what ps, inspect and top show,
// without starting containers. A "running" record's monitor is a real process the test
// starts (a sleep), since observe() checks that it lives.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { containerDirOf, reserveName, writeRecordFile, type ContainerRecord, type ContainerState } from '../../lib/container/record.js'
import { isProcessAlive, procStat } from '../../lib/sys/proc.js'

export interface RecordSpec {
  name: string
  status?: 'created' | 'running' | 'exited' | 'paused'
  /** running/paused: the process that stands for the monitor and the init. */
  process?: ChildProcess
  exitCode?: number
  /** ms before now */
  createdAgo?: number
  startedAgo?: number
  finishedAgo?: number
  labels?: Record<string, string>
  command?: string[]
  imageName?: string
  imageId?: string
  /** files of the upper dir: name → content */
  upper?: Record<string, string>
  mounts?: ContainerRecord['mounts']
  config?: object
  healthcheck?: ContainerRecord['healthcheck']
  health?: ContainerState['health']
}

export const TEST_IMAGE_ID = 'ab'.repeat(32)

// The nanoseconds count the calls: records written within one millisecond still sort in the
// order they were written, as ps lists them (oldest first), instead of in readdir's order.
let written = 0
const iso = (agoMs: number) => new Date(Date.now() - agoMs).toISOString().replace('Z', `${String(++written).padStart(6, '0')}Z`)

/** Writes one container's record into the store `root`; returns it with its dir. */
export function writeContainer(root: string, spec: RecordSpec): { record: ContainerRecord; dir: string } {
  const id = randomBytes(32).toString('hex')
  const dir = containerDirOf(root, id)
  for (const sub of ['upper', 'work', 'merged', 'userdata']) mkdirSync(path.join(dir, sub), { recursive: true })
  for (const [file, content] of Object.entries(spec.upper ?? {})) writeFileSync(path.join(dir, 'upper', file), content)
  if (spec.config) writeFileSync(path.join(dir, 'userdata', 'config.json'), JSON.stringify(spec.config))
  const status = spec.status ?? 'created'
  const created = iso(spec.createdAgo ?? 60_000)
  const startedAt = status === 'created' ? undefined : iso(spec.startedAgo ?? spec.createdAgo ?? 60_000)
  const pid = spec.process?.pid ?? 0
  const state: ContainerState = {
    status,
    pid: status === 'running' || status === 'paused' ? pid : 0,
    restartCount: 0,
    ...(startedAt ? { startedAt } : {}),
    ...(pid && (status === 'running' || status === 'paused') ? { monitor: { pid, startTime: procStat(pid)!.startTime } } : {}),
    ...(status === 'exited' ? { exitCode: spec.exitCode ?? 0, finishedAt: iso(spec.finishedAgo ?? 1000) } : {}),
    ...(spec.health ? { health: spec.health } : {}),
  }
  const record: ContainerRecord = {
    id, name: spec.name, imageId: spec.imageId ?? TEST_IMAGE_ID, imageName: spec.imageName ?? 'localhost/test:1',
    command: spec.command ?? ['sleep', '1000'], created, labels: spec.labels ?? {}, annotations: {}, tty: false, interactive: false,
    autoRemove: false, restartPolicy: { name: 'no', maxRetries: 0 }, stopSignal: 'SIGTERM', stopTimeout: 10,
    log: { driver: 'k8s-file', path: path.join(dir, 'ctr.log') }, detachKeys: 'ctrl-p,ctrl-q',
    ...(spec.healthcheck ? { healthcheck: spec.healthcheck } : {}),
    mounts: spec.mounts ?? [], storage: { driver: 'overlay', lowerDirs: ['layers/l1/diff'] }, state,
  }
  if (!reserveName(root, spec.name, id)) throw new Error(`name ${spec.name} is taken`)
  writeRecordFile(dir, record)
  return { record, dir }
}

const sleepers = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of sleepers) child.kill('SIGKILL')
})

/** A process that lives until the test ends it: a stand-in for a container's init and monitor. */
export async function startSleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' })
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  // 'spawn' may come before the exec: wait until /proc names it sleep, as top will
  for (let i = 0; i < 400 && !readStat(child.pid!).includes('(sleep)'); i++) await new Promise(r => setTimeout(r, 5))
  // neither keeps the test's process alive nor outlives it
  child.unref()
  sleepers.add(child)
  return child
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return ''
  }
}

/** Kills a sleeper and waits until /proc shows it dead (a zombie counts: observe() takes it as gone). */
export async function endProcess(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL')
  while (isProcessAlive(child.pid!, procStat(child.pid!)?.startTime ?? '')) await new Promise(r => setTimeout(r, 5))
}
