// `cocker run`'s process flags, root and rootless, each checked from inside the container:
// the environment (-e, --env-file), the identity and directory (-u, -w), the command
// (--entrypoint), stdin (-i), the terminal (-t), the exit statuses, and signals sent to
// `cocker run` itself.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { formatArgv, runCmd } from '../support/exec.js'
import { skipUnless, which } from '../support/requires.js'
import { busyboxScenario, runSh, startRun } from '../support/run-scenario.js'

busyboxScenario('-e and --env-file set the environment; a bare KEY takes the value cocker has', async mode => {
  const file = path.join(modeDir(mode), 'env')
  writeFileSync(file, '# a comment\nFROM_FILE=file\nBOTH=file\n\nBARE_IN_FILE\n', { mode: 0o644 })
  const r = await runSh(mode, ['--env-file', file, '-e', 'FROM_FLAG=flag', '-e', 'BOTH=flag', '-e', 'BARE_FLAG', '-e', 'NOT_SET'],
    'echo "$FROM_FILE|$BOTH|$BARE_IN_FILE|$FROM_FLAG|$BARE_FLAG|${NOT_SET-unset}"',
    { env: { BARE_IN_FILE: 'host1', BARE_FLAG: 'host2', NOT_SET: undefined } })
  // -e after --env-file wins; a bare name cocker has no value for is left out, as podman does
  assert.is(r.stdout, 'file|flag|host1|flag|host2|unset\n')
})

busyboxScenario('-u and -w: the process runs as that user and group, in that directory', async mode => {
  const r = await runSh(mode, ['-u', '65534:65534', '-w', '/opt/data'], 'id -u; id -g; pwd; grep -E "^Cap(Eff|Prm):" /proc/self/status')
  assert.is(r.stdout, '65534\n65534\n/opt/data\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n')
  // by name, from the image's /etc/passwd; a uid the image does not know gets gid 0, as in podman
  assert.is((await runSh(mode, ['--user', 'nobody'], 'id -u; id -g')).stdout, '65534\n65534\n')
  assert.is((await runSh(mode, ['-u', '1234'], 'id -u; id -g')).stdout, '1234\n0\n')
  // podman 4 creates only the image's WorkingDir; a -w that does not exist is an error
  const missing = await runSh(mode, ['-w', '/no/such/dir'], 'true', { status: 125 })
  assert.match(missing.stderr, /^Error: [^\n]*\/no\/such\/dir[^\n]*\n$/)
})

busyboxScenario('--entrypoint replaces the image\'s: a word or a JSON array, and the image\'s Cmd is dropped', async mode => {
  const run = (args: string[]) => cocker(mode, ['run', '--rm', ...args], { status: 0 })
  // the image's Cmd is ["sh"]: with it kept, echo would print "sh"
  assert.is((await run(['--entrypoint', 'echo', mode.image])).stdout, '\n')
  assert.is((await run(['--entrypoint', 'echo', mode.image, 'a', 'b'])).stdout, 'a b\n')
  assert.is((await run(['--entrypoint', '["/bin/echo","from","json"]', mode.image, 'arg'])).stdout, 'from json arg\n')
})

busyboxScenario('-i passes piped stdin to the container; without it the container reads nothing', async mode => {
  const input = 'first line\nsecond line\n'
  assert.is((await runSh(mode, ['-i'], 'cat; echo end', { input })).stdout, `${input}end\n`)
  assert.is((await runSh(mode, [], 'cat; echo end', { input })).stdout, 'end\n')
})

busyboxScenario('-t gives the container a terminal of its own; without it, it cannot reach the caller\'s', async mode => {
  if (skipUnless(!!which('script'), `-t (${mode.name})`, 'script (bsdutils) is not installed')) return
  const inTerminal = (flags: string[], script: string) => runCmd(['script', '-qec',
    formatArgv([mode.bin, '--root', mode.root, 'run', '--rm', ...flags, mode.image, 'sh', '-c', script]), '/dev/null'],
  { asUser: mode.user, status: 0, timeoutMs: 60_000 })
  // each terminal on the way (the container's, then script's) turns \n into \r\n
  const lines = (s: string) => s.replace(/\r+\n/g, '\n')
  // /dev/tty is the controlling terminal: the container's own pty, in its own devpts
  const tty = await inTerminal(['-t'], 'test -t 0 && test -t 1 && tty && echo ok >/dev/tty')
  assert.is(lines(tty.stdout), '/dev/pts/0\nok\n')
  // in a session of its own, so the caller's terminal is not its controlling terminal
  const none = await inTerminal([], 'test -t 0 || echo stdin is no terminal; { echo x >/dev/tty; } 2>/dev/null || echo no controlling terminal')
  assert.is(lines(none.stdout), 'stdin is no terminal\nno controlling terminal\n')
})

busyboxScenario('exit statuses: the command\'s own, 126 for one that cannot be executed, 127 for one that is missing', async mode => {
  await runSh(mode, [], 'exit 7', { status: 7 })
  const run = (command: string, status: number) => cocker(mode, ['run', '--rm', mode.image, command], { status })
  for (const [command, status] of [['/etc/motd', 126], ['/etc', 126], ['/no/such/program', 127]] as const) {
    const r = await run(command, status)
    assert.match(r.stderr, new RegExp(`^Error: [^\\n]*${command}[^\\n]*\\n$`), `one line naming ${command}`)
  }
})

busyboxScenario('signals sent to cocker run reach the container, and its exit status comes back', async mode => {
  // busybox sh runs a trap between two commands, so the loop's short sleeps let it run soon;
  // the loop ends by itself, as the container (in a session of its own) outlives a killed test
  const run = startRun(mode, [], 'trap "echo got USR1" USR1; trap "echo got TERM; exit 3" TERM; echo ready;' +
    ' i=0; while [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done')
  await run.waitFor('ready\n')
  run.child.kill('SIGUSR1')
  await run.waitFor('got USR1\n')
  run.child.kill('SIGTERM')
  const code = await run.exited
  assert.is(code, 3, `exit status; stderr: ${run.output().err}`)
  assert.is(run.output().out, 'ready\ngot USR1\ngot TERM\n')
})

test.run()
