import type { CommandDef, Completion, OptionDef, PositionalDef, ProgramDef } from '../command.js'
import { commandOptions } from '../dispatch.js'
import { SIGNAL_NAMES } from '../signals.js'
import { GENERATED_MARK } from './man.js'

const HELP_COMMAND = { name: 'help', describe: 'show help for a command' }

/** One place on the command line where completion differs: the program or a command path. */
interface Node {
  /** Every spelling of the path (aliases), space-separated; '' for the program. */
  spellings: string[]
  /** Function-name-safe id: 'create', 'image_pull'. */
  id: string
  options: OptionDef[]
  subcommands: { name: string; aliases?: string[]; describe: string }[]
  positionals: PositionalDef[]
}

function nodes(program: ProgramDef<any>): Node[] {
  const out: Node[] = [{
    spellings: [''],
    id: '',
    options: program.globalOptions.filter(o => !o.hidden),
    subcommands: [...program.commands, HELP_COMMAND],
    positionals: [],
  }]
  const visit = (path: CommandDef<any>[], spellings: string[]): void => {
    const command = path[path.length - 1]
    out.push({
      spellings,
      id: path.map(c => c.name).join('_').replace(/-/g, '_'),
      options: command.subcommands ? [HELP_OPTION_FOR(command)] : commandOptions(program, command).filter(o => !o.hidden),
      subcommands: command.subcommands ?? [],
      positionals: command.positionals,
    })
    for (const sub of command.subcommands ?? []) {
      visit([...path, sub], spellings.flatMap(s => names(sub).map(n => `${s} ${n}`)))
    }
  }
  for (const command of program.commands) visit([command], names(command))
  out.push({ spellings: ['help'], id: 'help', options: [], subcommands: program.commands, positionals: [] })
  return out
}

function HELP_OPTION_FOR(command: CommandDef<any>): OptionDef {
  return { name: 'help', alias: 'h', type: 'boolean', describe: `show help for ${command.name}` }
}

const names = (c: { name: string; aliases?: string[] }) => [c.name, ...(c.aliases ?? [])]
const flags = (o: OptionDef) => [`--${o.name}`, ...(o.alias ? [`-${o.alias}`] : [])]
const ident = (program: ProgramDef<any>) => program.name.replace(/-/g, '_')

/** Single-quoted for sh, bash, zsh. */
function shq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function positionalWords(positionals: readonly PositionalDef[]): string {
  return positionals.map(p => `${p.complete ?? '-'}${p.variadic ? '...' : ''}`).join(' ')
}

export function renderBash(program: ProgramDef<any>): string {
  const fn = `_${ident(program)}`
  const all = nodes(program)
  const spec = all.map(n => {
    const pattern = n.spellings.map(shq).join('|')
    const opts = n.options.flatMap(flags).join(' ')
    const valopts = n.options.filter(o => o.type !== 'boolean').flatMap(flags).join(' ')
    const subcmds = n.subcommands.flatMap(names).join(' ')
    return `    ${pattern})\n        opts=${shq(opts)}\n        valopts=${shq(valopts)}\n        subcmds=${shq(subcmds)}\n        pos=${shq(positionalWords(n.positionals))}\n        ;;`
  })
  const values = all.flatMap(n => n.options.filter(o => o.type !== 'boolean' && (o.choices || o.complete)).map(o => {
    const pattern = n.spellings.flatMap(s => flags(o).map(f => shq(`${s}|${f}`))).join('|')
    const action = o.choices ? `COMPREPLY=($(compgen -W ${shq(o.choices.join(' '))} -- "$cur"))` : `${fn}_complete ${o.complete}`
    return `    ${pattern})\n        ${action}\n        ;;`
  }))
  return `# bash completion for ${program.name}
# ${GENERATED_MARK}

${fn}_complete() {
    case "$1" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
    container) COMPREPLY=($(compgen -W "$(${program.listContainers} 2>/dev/null)" -- "$cur")) ;;
    signal) COMPREPLY=($(compgen -W ${shq(SIGNAL_NAMES.join(' '))} -- "$cur")) ;;
    esac
}

${fn}_spec() {
    case "$1" in
${spec.join('\n')}
    *)
        opts='' valopts='' subcmds='' pos=''
        ;;
    esac
}

${fn}_value() {
    case "$1|$2" in
${values.join('\n')}
    esac
}

${fn}() {
    local cur="\${COMP_WORDS[COMP_CWORD]}"
    local path='' opts valopts subcmds pos w i n=0 raw=0 valfor=''
    COMPREPLY=()
    ${fn}_spec ''
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="\${COMP_WORDS[i]}"
        if ((raw)); then
            n=$((n + 1))
            continue
        fi
        case "$w" in
        --) raw=1 ;;
        -*=*) ;;
        -*)
            if [[ " $valopts " == *" $w "* ]]; then
                ((i + 1 == COMP_CWORD)) && valfor="$w"
                i=$((i + 1))
            fi
            ;;
        *)
            if ((n == 0)) && [[ " $subcmds " == *" $w "* ]]; then
                path="\${path:+$path }$w"
                ${fn}_spec "$path"
            else
                n=$((n + 1))
            fi
            ;;
        esac
    done
    if [[ -n "$valfor" ]]; then
        ${fn}_value "$path" "$valfor"
        return 0
    fi
    if [[ "$cur" == -* ]] && ((!raw)); then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
    fi
    if [[ -n "$subcmds" ]] && ((n == 0)); then
        COMPREPLY=($(compgen -W "$subcmds" -- "$cur"))
        return 0
    fi
    local -a p=($pos)
    local t=''
    if ((n < \${#p[@]})); then
        t="\${p[n]}"
    elif ((\${#p[@]})) && [[ "\${p[\${#p[@]}-1]}" == *... ]]; then
        t="\${p[\${#p[@]}-1]}"
    fi
    ${fn}_complete "\${t%...}"
    return 0
}

complete -F ${fn} ${program.name}
`
}

function zshAction(fn: string, complete: Completion | undefined, choices?: readonly string[]): string {
  if (choices) return `(${choices.join(' ')})`
  switch (complete) {
    case 'file': return '_files'
    case 'dir': return '_files -/'
    case 'container': return `${fn}_containers`
    case 'signal': return `${fn}_signals`
    default: return ' '
  }
}

function zshDescription(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/\]/g, '\\]')
}

function zshOption(fn: string, o: OptionDef): string {
  const desc = `[${zshDescription(o.describe)}]`
  const arg = o.type === 'boolean' ? '' : `:${o.name}:${zshAction(fn, o.complete, o.choices)}`
  const repeat = o.type === 'array' ? '*' : ''
  if (!o.alias) return shq(`${repeat}--${o.name}${o.type === 'boolean' ? '' : '='}${desc}${arg}`)
  const [short, long] = o.type === 'boolean' ? [`-${o.alias}`, `--${o.name}`] : [`-${o.alias}+`, `--${o.name}=`]
  const exclusive = repeat ? '*' : `(-${o.alias} --${o.name})`
  return `${shq(exclusive)}{${short},${long}}${shq(desc + arg)}`
}

function zshPositional(fn: string, p: PositionalDef): string {
  const colons = p.variadic ? '*::' : p.required ? ':' : '::'
  return shq(`${colons}${p.name}:${zshAction(fn, p.complete)}`)
}

function zshDispatcher(fn: string, title: string, fnOf: (name: string) => string, subcommands: Node['subcommands'], options: string[]): string[] {
  const items = subcommands.flatMap(c => names(c).map(n => `            ${shq(`${n}:${c.describe}`)}`))
  const cases = subcommands.map(c => `        ${names(c).join('|')}) ${fnOf(c.name)} && ret=0 ;;`)
  return [
    '    local curcontext="$curcontext" state line ret=1',
    '    typeset -A opt_args',
    '    _arguments -C -s -S \\',
    ...options.map(o => `        ${o} \\`),
    "        '1: :->command' \\",
    "        '*:: :->args' && ret=0",
    '    case $state in',
    '    command)',
    '        local -a commands',
    '        commands=(',
    ...items,
    '        )',
    `        _describe -t commands ${shq(title)} commands && ret=0`,
    '        ;;',
    '    args)',
    '        case $line[1] in',
    ...cases,
    '        esac',
    '        ;;',
    '    esac',
    '    return ret',
  ]
}

export function renderZsh(program: ProgramDef<any>): string {
  const fn = `_${ident(program)}`
  const functions: string[] = []
  const visit = (path: CommandDef<any>[]): void => {
    const command = path[path.length - 1]
    const name = `${fn}_cmd_${path.map(c => c.name).join('_').replace(/-/g, '_')}`
    const body = command.subcommands
      ? zshDispatcher(fn, `${program.name} ${path.map(c => c.name).join(' ')} command`, n => `${name}_${n.replace(/-/g, '_')}`, command.subcommands, [zshOption(fn, HELP_OPTION_FOR(command))])
      : ['    _arguments -s -S' + [...commandOptions(program, command).filter(o => !o.hidden).map(o => zshOption(fn, o)), ...command.positionals.map(p => zshPositional(fn, p))].map(spec => ` \\\n        ${spec}`).join('')]
    functions.push(`${name}() {\n${body.join('\n')}\n}\n`)
    for (const sub of command.subcommands ?? []) visit([...path, sub])
  }
  for (const command of program.commands) visit([command])
  const top = zshDispatcher(fn, `${program.name} command`, n => (n === 'help' ? `${fn}_help` : `${fn}_cmd_${n.replace(/-/g, '_')}`), [...program.commands, HELP_COMMAND], program.globalOptions.filter(o => !o.hidden).map(o => zshOption(fn, o)))
  const commandList = program.commands.map(c => `        ${shq(`${c.name}:${c.describe}`)}`)
  return `#compdef ${program.name}
# zsh completion for ${program.name}
# ${GENERATED_MARK}

${fn}_containers() {
    local -a ids
    ids=(\${(f)"$(${program.listContainers} 2>/dev/null)"})
    _describe -t containers container ids
}

${fn}_signals() {
    local -a signals
    signals=(${SIGNAL_NAMES.join(' ')})
    _describe -t signals signal signals
}

${fn}_help() {
    local -a commands
    commands=(
${commandList.join('\n')}
    )
    _describe -t commands command commands
}

${functions.join('\n')}
${fn}() {
${top.join('\n')}
}

${fn} "$@"
`
}

/** Single-quoted for fish: only backslash and quote are special. */
function fishq(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

function fishArgs(fn: string, complete: Completion | undefined, choices?: readonly string[]): string {
  if (choices) return `-x -a ${fishq(choices.join(' '))}`
  switch (complete) {
    case 'file': return '-r -F'
    case 'dir': return "-x -a '(__fish_complete_directories)'"
    case 'container': return `-x -a '(${fn}_containers)'`
    case 'signal': return `-x -a ${fishq(SIGNAL_NAMES.join(' '))}`
    default: return '-x'
  }
}

function fishOption(head: string, fn: string, o: OptionDef): string {
  const short = o.alias ? ` -s ${o.alias}` : ''
  const value = o.type === 'boolean' ? '' : ` ${fishArgs(fn, o.complete, o.choices)}`
  return `${head}${short} -l ${o.name}${value} -d ${fishq(o.describe)}`
}

export function renderFish(program: ProgramDef<any>): string {
  const fn = `__${ident(program)}`
  const c = `complete -c ${program.name}`
  const lines: string[] = [
    `# fish completion for ${program.name}`,
    `# ${GENERATED_MARK}`,
    '',
    `function ${fn}_containers`,
    `    command -q ${program.name}; and ${program.listContainers} 2>/dev/null`,
    'end',
    '',
    `${c} -f`,
  ]
  const top = `${c} -n __fish_use_subcommand`
  for (const o of program.globalOptions.filter(o => !o.hidden)) lines.push(fishOption(top, fn, o))
  for (const cmd of [...program.commands, HELP_COMMAND]) {
    for (const n of names(cmd)) lines.push(`${top} -a ${n} -d ${fishq(cmd.describe)}`)
  }
  lines.push(`${c} -n ${fishq('__fish_seen_subcommand_from help')} -a ${fishq(program.commands.flatMap(names).join(' '))}`)
  const visit = (path: CommandDef<any>[]): void => {
    const command = path[path.length - 1]
    const seen = path.map(p => `__fish_seen_subcommand_from ${names(p).join(' ')}`).join('; and ')
    lines.push('', `# ${path.map(p => p.name).join(' ')}`)
    if (command.subcommands) {
      const subs = command.subcommands.flatMap(names)
      const head = `${c} -n ${fishq(`${seen}; and not __fish_seen_subcommand_from ${subs.join(' ')}`)}`
      for (const sub of command.subcommands) for (const n of names(sub)) lines.push(`${head} -a ${n} -d ${fishq(sub.describe)}`)
      for (const sub of command.subcommands) visit([...path, sub])
      return
    }
    const head = `${c} -n ${fishq(seen)}`
    for (const o of commandOptions(program, command).filter(o => !o.hidden)) lines.push(fishOption(head, fn, o))
    const kinds = [...new Set(command.positionals.map(p => p.complete).filter(k => k !== undefined))]
    for (const kind of kinds) lines.push(`${head} ${kind === 'file' ? '-F' : fishArgs(fn, kind).replace(/^-x /, '')}`)
  }
  for (const command of program.commands) visit([command])
  return lines.join('\n') + '\n'
}
