/**
 * Command definitions: plain data that drives parsing, --help, man pages and shell
 * completions. Handlers are loaded lazily so a command only pays for its own imports.
 */

export type Completion = 'file' | 'dir' | 'container' | 'signal'

export interface OptionDef {
  /** Long name without dashes; the parsed value is stored under its camelCase form. */
  name: string
  /** One-letter short form. */
  alias?: string
  type: 'boolean' | 'string' | 'number' | 'array'
  describe: string
  default?: unknown
  /** Shown as the default in help and man when `default` is not a literal (e.g. "current directory"). */
  defaultText?: string
  choices?: readonly string[]
  hidden?: boolean
  /** A boolean left undefined when absent, so the command tells "not given" from --x=false (--tls-verify). */
  tristate?: boolean
  /** Placeholder in help and man: `--pid-file <path>`. */
  valueName?: string
  complete?: Completion
}

export interface PositionalDef {
  name: string
  required: boolean
  /** Takes all remaining arguments. Only the last positional may be variadic. */
  variadic?: boolean
  /** From this positional on, every argument is taken as is, even if it starts with '-'. */
  raw?: boolean
  default?: string
  complete?: Completion
}

export type ParsedArgs = Record<string, unknown>

/** A repeatable option's or a variadic positional's values; none when it was not given. */
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])

/** What a handler returns; only the CLI's main prints it. */
export interface Outcome {
  exitCode?: number
  /** Written verbatim. */
  stdout?: string
  /** Written verbatim to stderr, after stdout: per-item errors of multi-target commands (rmi). */
  stderr?: string
  /** Written as compact JSON plus a newline. */
  json?: unknown
}

export interface CliContext {
  program: ProgramDef<any>
  /** Command names from the program down, e.g. ['image', 'pull']. */
  path: string[]
  globals: ParsedArgs
  env: NodeJS.ProcessEnv
  cwd: string
  /** The command line as typed, without the program: inspect's CreateCommand keeps it. */
  argv?: readonly string[]
}

export interface CommandModule<Ctx extends CliContext = CliContext> {
  run(args: ParsedArgs, ctx: Ctx): Promise<Outcome>
}

export interface CommandDef<Ctx extends CliContext = CliContext> {
  name: string
  aliases?: string[]
  /** One line, lower case, no final period: shown in command lists and NAME. */
  describe: string
  /** Paragraphs separated by blank lines: shown in --help and DESCRIPTION. */
  description?: string
  /** Synopsis without the program name, e.g. 'create [options] <container-id>'. */
  usage: string
  positionals: PositionalDef[]
  options: OptionDef[]
  /** [command line, what it does]. */
  examples: [string, string][]
  /** A command group (podman's `image`, `container`): sorted; no load of its own. */
  subcommands?: CommandDef<Ctx>[]
  /**
   * Runs inside the rootless user's namespace (re-executed there first): for commands that
   * write the store's layers, whose files the namespace's ids own.
   */
  userNamespace?: boolean
  /** Adds the EXIT STATUS table to this command's man page. */
  manExitStatus?: boolean
  load?: () => Promise<CommandModule<Ctx>>
}

export interface ProgramDef<Ctx extends CliContext = CliContext> {
  name: string
  describe: string
  description?: string
  usage: string
  globalOptions: OptionDef[]
  /** Sorted by name; a test checks it. */
  commands: CommandDef<Ctx>[]
  /** Podman accepts global options after the command too; runc does not. */
  globalsAfterCommand: boolean
  /** Shell command printing one container id per line, for completions. */
  listContainers: string
  exitStatuses: { status: string; meaning: string }[]
}
