/**
 * systemd service units for containers and pods, as `podman generate systemd` writes them, with
 * cocker's commands: Type=notify with NotifyAccess=all, the container's monitor becoming the
 * main process through sd_notify's MAINPID (notify.ts); with `new`, a container (or pod) made
 * afresh at each start and removed at each stop, known to the unit's commands through an ID file
 * under %t. Pure: the caller gives the records and the cocker command line.
 */
import type { SdNotifyMode } from '../container/record.js'
import { SYSTEMD_UNIT_LABEL } from '../container/systemd-unit.js'
import { CockerError } from '../errors.js'
import { escapeWords } from './unit-file.js'

export interface UnitOptions {
  /** Create the container or pod at each start (ExecStartPre/ExecStart) and remove it at stop. */
  new: boolean
  /** Name units and commands after the names, not the IDs. */
  useName: boolean
  noHeader: boolean
  /** Restart= (default on-failure). */
  restartPolicy: string
  restartSec?: number
  startTimeout?: number
  /** Seconds for the container's stop (ExecStop's -t); undefined: the container's own. */
  stopTimeout?: number
  containerPrefix: string
  podPrefix: string
  separator: string
  after: string[]
  requires: string[]
  wants: string[]
  /** KEY=VALUE lines for Environment=. */
  env: string[]
}

/** What a unit needs of the engine: how to call cocker (program, --root STORE), the store (RequiresMountsFor), the header's version and date. */
export interface UnitContext {
  cocker: string[]
  storeRoot: string
  version: string
  now: Date
  /** The flags of `run`, `pod create` and cocker's globals that take a value (-e, --root…): a create command is read with them. */
  valueFlags: ReadonlySet<string>
}

export interface UnitContainer {
  id: string
  name: string
  /** `cocker run …`/`cocker create …` as typed (record.createCommand). */
  createCommand?: string[]
  stopTimeout: number
  sdNotify: SdNotifyMode
}

export interface UnitPod {
  id: string
  name: string
  createCommand?: string[]
  infra: UnitContainer
  /** Its containers, the infra not among them. */
  containers: UnitContainer[]
}

export interface Unit {
  /** The service's name, without ".service". */
  name: string
  text: string
}

export const SERVICE_RESTART_POLICIES = ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always']

export function containerUnit(c: UnitContainer, o: UnitOptions, ctx: UnitContext, pod?: { unit: string; idFile: string }): Unit {
  const name = `${o.containerPrefix}${o.separator}${o.useName ? c.name : c.id}`
  const ref = o.useName ? c.name : c.id
  const stop = String(o.stopTimeout ?? c.stopTimeout)
  const unitLines = pod ? [`BindsTo=${pod.unit}.service`, `After=${pod.unit}.service`] : []
  let exec: string[][]
  if (o.new) {
    const cidfile = '%t/%n.ctr-id'
    const run = newRunCommand(c, ctx, cidfile, pod?.idFile)
    exec = [
      ['ExecStartPre', ...ctx.cocker, 'rm', '--force', '--ignore', '--time', '0', `--cidfile=${cidfile}`],
      ['ExecStartPre', '/bin/rm', '-f', cidfile],
      ['ExecStart', ...run],
      ['ExecStop', ...ctx.cocker, 'stop', '--ignore', '--time', stop, `--cidfile=${cidfile}`],
      ['ExecStopPost', ...ctx.cocker, 'rm', '--force', '--ignore', '--time', stop, `--cidfile=${cidfile}`],
    ]
  } else {
    exec = startStop(ctx, ref, stop)
  }
  // --new always runs with --sdnotify=conmon; an existing container notifies as it was made to
  const notify = o.new || c.sdNotify !== 'ignore'
  return { name, text: unitText(name, o, ctx, Number(stop), unitLines, exec, notify) }
}

/** The pod's unit, which starts its infra (Wants= its containers' units), then one unit per container, bound to it. */
export function podUnits(p: UnitPod, o: UnitOptions, ctx: UnitContext): Unit[] {
  const name = `${o.podPrefix}${o.separator}${o.useName ? p.name : p.id}`
  const idFile = `%t/${name}.pod-id`
  const members = p.containers.map(c => containerUnit(c, o, ctx, { unit: name, idFile }))
  const stop = String(o.stopTimeout ?? p.infra.stopTimeout)
  let exec: string[][]
  if (o.new) {
    exec = [
      ['ExecStartPre', '/bin/rm', '-f', idFile],
      ['ExecStartPre', ...newPodCommand(p, ctx, idFile)],
      ['ExecStart', ...ctx.cocker, 'pod', 'start', '--pod-id-file', idFile],
      ['ExecStop', ...ctx.cocker, 'pod', 'stop', '--ignore', '--pod-id-file', idFile, '--time', stop],
      ['ExecStopPost', ...ctx.cocker, 'pod', 'rm', '--ignore', '--force', '--pod-id-file', idFile],
    ]
  } else {
    exec = startStop(ctx, o.useName ? p.infra.name : p.infra.id, stop)
  }
  const wants = members.flatMap(m => [`Wants=${m.name}.service`, `Before=${m.name}.service`])
  return [{ name, text: unitText(name, o, ctx, Number(stop), wants, exec, true) }, ...members]
}

/** A unit of a container that exists (a pod's: its infra): started, and stopped (again after the stop, as Podman's). */
function startStop(ctx: UnitContext, ref: string, stop: string): string[][] {
  return [
    ['ExecStart', ...ctx.cocker, 'start', ref],
    ['ExecStop', ...ctx.cocker, 'stop', '--time', stop, ref],
    ['ExecStopPost', ...ctx.cocker, 'stop', '--time', stop, ref],
  ]
}

function unitText(name: string, o: UnitOptions, ctx: UnitContext, stop: number,
  unitLines: string[], exec: string[][], notify: boolean): string {
  const header = o.noHeader ? [] : [`# ${name}.service`, `# autogenerated by cocker ${ctx.version}`, `# ${ctx.now.toUTCString()}`, '']
  const lines = [
    ...header,
    '[Unit]',
    `Description=cocker ${name}.service`,
    'Documentation=man:cocker-generate-systemd(1)',
    'Wants=network-online.target',
    'After=network-online.target',
    `RequiresMountsFor=${settingWord(ctx.storeRoot)}`,
    ...unitLines,
    ...o.after.map(u => `After=${u}`),
    ...o.requires.map(u => `Requires=${u}`),
    ...o.wants.map(u => `Wants=${u}`),
    '',
    '[Service]',
    // podman's variable: auto-update and the container know the unit they run in by it
    `Environment=${SYSTEMD_UNIT_LABEL}=%n`,
    ...o.env.map(e => `Environment=${settingWord(e)}`),
    `Restart=${o.restartPolicy}`,
    ...(o.restartSec !== undefined ? [`RestartSec=${o.restartSec}`] : []),
    ...(o.startTimeout !== undefined ? [`TimeoutStartSec=${o.startTimeout}`] : []),
    // the container's own stop timeout, and a minute for the clean-up around it
    `TimeoutStopSec=${stop + 60}`,
    ...exec.map(([key, ...argv]) => `${key}=${commandLine(argv)}`),
    ...(notify ? ['Type=notify', 'NotifyAccess=all'] : ['Type=forking']),
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ]
  return lines.join('\n')
}

/** %t, %n and the like are the unit's specifiers; anything else is written so systemd reads it back as given. */
const SPECIFIER_WORD = /^(--[a-z-]+=)?%[tn]\/?[\w.%/-]*$/

/** One argv as an Exec line: % and $ escaped, as systemd expands both there (systemd.service "Command lines"); words quoted where needed. */
export function commandLine(argv: string[]): string {
  return escapeWords(argv.map(w => (SPECIFIER_WORD.test(w) ? w : w.replace(/%/g, '%%').replace(/\$/g, '$$$$'))))
}

/**
 * One word of a setting that expands specifiers but not $ (Environment=, RequiresMountsFor=;
 * systemd.exec(5): "the $ character has no special meaning"): % escaped, quoted where needed.
 */
export function settingWord(w: string): string {
  return escapeWords([w.replace(/%/g, '%%')])
}

/**
 * `cocker run` for --new: the command the container was made with, as `run`, with cocker's
 * own program and store, a fresh --cidfile, --rm, --sdnotify=conmon, -d and --replace
 * (podman's set); what those replace (-d, --rm, --cidfile, --sdnotify, --replace, --pod) goes,
 * and --restart: the unit's Restart= restarts it (and --rm refuses a restart policy).
 */
export function newRunCommand(c: UnitContainer, ctx: UnitContext, cidfile: string, podIdFile?: string): string[] {
  const { globals, rest } = splitCommand(c.createCommand, ['run', 'create'], `container ${c.name}`, ctx.valueFlags)
  const kept = dropFlags(rest, { bool: ['-d', '--detach', '--rm', '--replace'], value: ['--cidfile', '--restart', '--sdnotify', ...(podIdFile ? ['--pod', '--pod-id-file'] : [])] }, 'd', ctx.valueFlags)
  const named = kept.some(w => w === '--name' || w.startsWith('--name='))
  return [...ctx.cocker, ...globals, 'run', `--cidfile=${cidfile}`, '--rm', ...(podIdFile ? ['--pod-id-file', podIdFile] : []), '--sdnotify=conmon', '-d',
    ...(named ? ['--replace'] : []), ...kept]
}

/** `cocker pod create` for a pod unit with --new: its own flags, a fresh --pod-id-file, --replace. */
export function newPodCommand(p: UnitPod, ctx: UnitContext, idFile: string): string[] {
  const { globals, rest } = splitCommand(p.createCommand, ['pod create'], `pod ${p.name}`, ctx.valueFlags)
  const kept = dropFlags(rest, { bool: ['--replace'], value: ['--pod-id-file', '--name', '-n'] }, '', ctx.valueFlags)
    .filter((w, i, all) => !(i === all.length - 1 && w === p.name && !w.startsWith('-'))) // a positional name
  return [...ctx.cocker, ...globals, 'pod', 'create', '--pod-id-file', idFile, '--name', p.name, '--replace', ...kept]
}

/** A create command's global options (but --root: the unit's own) and what follows the command word. */
function splitCommand(argv: string[] | undefined, commands: string[], what: string, valueFlags: ReadonlySet<string>): { globals: string[]; rest: string[] } {
  const words = argv ?? []
  const globals: string[] = []
  let i = 1
  while (i < words.length && words[i]!.startsWith('-')) {
    const w = words[i]!
    const takesValue = valueFlags.has(w)
    if (w !== '--root' && !w.startsWith('--root=')) globals.push(...(takesValue ? [w, words[i + 1] ?? ''] : [w]))
    i += takesValue ? 2 : 1
  }
  for (const command of commands) {
    const parts = command.split(' ')
    const at = words[i] === 'container' && parts.length === 1 ? i + 1 : i
    if (parts.every((p, k) => words[at + k] === p)) return { globals, rest: words.slice(at + parts.length) }
  }
  throw new CockerError('INVALID_ARGUMENT', `${what} was not made by "cocker ${commands.join('" or "cocker ')}" (its create command is unknown), so --new cannot make it again`,
    { hint: 'generate the unit without --new' })
}

/**
 * The flags before the image (the first word that is no flag nor a flag's value) without those
 * listed. `shortBool`: one-letter booleans also removed from clusters such as -dit.
 */
function dropFlags(words: string[], drop: { bool: string[]; value: string[] }, shortBool: string, valueFlags: ReadonlySet<string>): string[] {
  // a short cluster ends in its value-taking letter (-it is booleans; -ie takes a value)
  const takesValue = (w: string) => valueFlags.has(w) || (/^-[a-zA-Z]+$/.test(w) && valueFlags.has(`-${w.at(-1)}`))
  const out: string[] = []
  let i = 0
  for (; i < words.length; i++) {
    const w = words[i]!
    if (w === '--' || !w.startsWith('-') || w === '-') break
    const [flag] = w.split('=', 1) as [string]
    if (drop.bool.includes(w)) continue
    if (drop.value.includes(flag)) {
      if (!w.includes('=')) i++
      continue
    }
    if (/^-[a-zA-Z]{2,}$/.test(w) && shortBool && w.includes(shortBool)) {
      const left = w.replace(new RegExp(shortBool, 'g'), '')
      if (left !== '-') out.push(left)
      continue
    }
    out.push(w)
    // a flag that takes a value given apart: keep the value with it
    if (!w.includes('=') && takesValue(w) && i + 1 < words.length) out.push(words[++i]!)
  }
  return [...out, ...words.slice(i)]
}
