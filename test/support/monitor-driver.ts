// Drives lib/runtime's monitor API in a process of its own, as the user a test
// mode runs as (test/integration/monitor.test.ts): the monitor must outlive it,
// and rootless it must run as the unprivileged user. One JSON argument:
//   {"run": {root, rootless, id, bundle, monitor}, "result": FILE, "linger"?: MS}
//   {"attach": {socket, stdin, tty, detachKeys}, "result": FILE}
// The result (runContainer's or attach's, or {"error"}) goes to FILE: stdout
// is the container's.
import { renameSync, writeFileSync } from 'node:fs'
import { attach, runContainer, type MonitorOptions } from '../../lib/runtime/lifecycle.js'

interface Job {
  run?: { root: string; rootless: boolean; id: string; bundle: string; monitor: MonitorOptions }
  attach?: { socket: string; stdin: boolean; tty: boolean; detachKeys: string }
  result: string
  linger?: number
}

const job = JSON.parse(process.argv[2]!) as Job

/** Whole or not at all: the test polls for the file. */
function writeResult(result: unknown): void {
  writeFileSync(`${job.result}.tmp`, JSON.stringify(result))
  renameSync(`${job.result}.tmp`, job.result)
}

try {
  let result: unknown
  if (job.run) {
    const { root, rootless, id, bundle, monitor } = job.run
    const ctx = { root, rootless, systemdCgroup: false, warn: (m: string) => process.stderr.write(`warning: ${m}\n`), debug: () => {} }
    result = await runContainer(ctx, { id, bundle, monitor })
  } else if (job.attach) {
    const { socket, ...o } = job.attach
    result = await attach(socket, o)
  }
  writeResult(result)
  if (job.linger) await new Promise(resolve => setTimeout(resolve, job.linger))
} catch (err) {
  writeResult({ error: (err as Error).message })
  process.exitCode = 125
}
