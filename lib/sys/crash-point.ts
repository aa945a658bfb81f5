/**
 * Named points where the tests kill a command with SIGKILL (_COCKER_CRASH_AT=NAME), to show
 * that a `kill -9` there leaves state the next command can use. A no-op otherwise.
 */
export function crashPoint(name: string): void {
  if (process.env._COCKER_CRASH_AT === name) process.kill(process.pid, 'SIGKILL')
}
