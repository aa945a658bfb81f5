import { bindPositionals, parseArgv, UsageError } from './argv.js'
import type { CommandDef, OptionDef, ParsedArgs, ProgramDef } from './command.js'

export const HELP_OPTION: OptionDef = { name: 'help', alias: 'h', type: 'boolean', describe: 'show help' }

export type Invocation =
  | { kind: 'help'; path: CommandDef<any>[] }
  | { kind: 'version' }
  | { kind: 'missing-command' }
  | { kind: 'run'; command: CommandDef<any>; path: string[]; args: ParsedArgs; globals: ParsedArgs }

export function findCommand<C extends CommandDef<any>>(commands: readonly C[], name: string): C | undefined {
  return commands.find(c => c.name === name || c.aliases?.includes(name))
}

/**
 * Options a command accepts on its command line: its own, then the globals where the
 * program allows them, then --help. A global loses its short form to a command option
 * that uses the same letter (podman: `run -h` is --hostname, `podman -h` is help).
 */
export function commandOptions(program: ProgramDef<any>, command: CommandDef<any>): OptionDef[] {
  const merged = [...command.options]
  const extra = program.globalsAfterCommand ? [...program.globalOptions] : []
  if (!extra.some(o => o.name === 'help')) extra.push(HELP_OPTION)
  for (const o of extra) {
    if (merged.some(m => m.name === o.name)) continue
    merged.push(o.alias && merged.some(m => m.alias === o.alias) ? { ...o, alias: undefined } : o)
  }
  return merged
}

/** Turns argv (without node and script) into what to do. Throws UsageError. */
export function resolveInvocation(program: ProgramDef<any>, argv: readonly string[]): Invocation {
  const top = parseArgv(argv, { options: program.globalOptions, stopAtPositional: true })
  const globals = top.values
  try {
    return resolveCommand(program, top.rest, globals)
  } catch (err) {
    if (err instanceof UsageError) err.globals = globals
    throw err
  }
}

function resolveCommand(program: ProgramDef<any>, rest: string[], globals: ParsedArgs): Invocation {
  if (globals.help) return { kind: 'help', path: [] }
  if (globals.version) return { kind: 'version' }
  if (rest.length === 0) return { kind: 'missing-command' }
  if (rest[0] === 'help') return { kind: 'help', path: resolvePath(program, rest.slice(1)) }

  const path: CommandDef<any>[] = []
  let commands = program.commands
  let i = 0
  for (;;) {
    const command = findCommand(commands, rest[i])
    if (!command) throw withPath(new UsageError(`unknown command "${rest.slice(0, i + 1).join(' ')}"`), path)
    path.push(command)
    i++
    if (!command.subcommands) break
    const next = rest[i]
    if (next === undefined || next === '--help' || next === '-h' || next === 'help') return { kind: 'help', path }
    commands = command.subcommands
  }

  const command = path[path.length - 1]
  const names = path.map(c => c.name)
  try {
    const parsed = parseArgv(rest.slice(i), {
      options: commandOptions(program, command),
      positionals: command.positionals,
      initial: program.globalsAfterCommand ? globals : undefined,
    })
    if (parsed.values.help) return { kind: 'help', path }
    bindPositionals(command.positionals, parsed.positionals, parsed.values)
    delete parsed.values.help
    return { kind: 'run', command, path: names, args: parsed.values, globals: program.globalsAfterCommand ? parsed.values : globals }
  } catch (err) {
    if (err instanceof UsageError) err.path = names
    throw err
  }
}

function resolvePath(program: ProgramDef<any>, names: readonly string[]): CommandDef<any>[] {
  const path: CommandDef<any>[] = []
  let commands = program.commands
  for (const name of names) {
    const command = findCommand(commands, name)
    if (!command) throw withPath(new UsageError(`unknown command "${[...path.map(c => c.name), name].join(' ')}"`), path)
    path.push(command)
    if (!command.subcommands) break
    commands = command.subcommands
  }
  return path
}

function withPath(err: UsageError, path: CommandDef<any>[]): UsageError {
  err.path = path.map(c => c.name)
  return err
}
