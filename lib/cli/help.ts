import type { CommandDef, OptionDef, ProgramDef } from './command.js'
import { commandOptions } from './dispatch.js'

const WIDTH = 80

export function renderHelp(program: ProgramDef<any>, path: readonly CommandDef<any>[]): string {
  const command = path[path.length - 1]
  if (!command) return renderProgramHelp(program)
  const fullName = [program.name, ...path.map(c => c.name)].join(' ')
  const out: string[] = [`Usage: ${program.name} ${[...path.slice(0, -1).map(c => c.name), command.usage].join(' ')}`, '', command.describe]
  if (command.aliases?.length) out.push('', `Aliases: ${command.aliases.join(', ')}`)
  if (command.description) out.push('', ...paragraphs(command.description))
  if (command.subcommands) {
    out.push('', 'Commands:', ...renderCommandList(command.subcommands))
    out.push('', `Run '${fullName} <command> --help' for more information on a command.`)
  }
  const options = command.subcommands ? [] : commandOptions(program, command).filter(o => !o.hidden)
  const isGlobal = (o: OptionDef) => program.globalsAfterCommand && program.globalOptions.some(g => g.name === o.name)
  const own = options.filter(o => !isGlobal(o))
  if (own.length) out.push('', 'Options:', ...renderOptions(own))
  if (options.length > own.length) out.push('', 'Global options:', ...renderOptions(options.filter(isGlobal)))
  if (command.examples.length) out.push('', 'Examples:', ...renderExamples(command.examples))
  return out.join('\n') + '\n'
}

function renderProgramHelp(program: ProgramDef<any>): string {
  const out: string[] = [`Usage: ${program.name} ${program.usage}`, '', program.describe]
  if (program.description) out.push('', ...paragraphs(program.description))
  out.push('', 'Commands:', ...renderCommandList([...program.commands, { name: 'help', describe: 'show help for a command' }]))
  out.push('', 'Global options:', ...renderOptions(program.globalOptions.filter(o => !o.hidden)))
  out.push('', `Run '${program.name} <command> --help' for more information on a command.`)
  return out.join('\n') + '\n'
}

function renderCommandList(commands: readonly { name: string; aliases?: string[]; describe: string }[]): string[] {
  const names = commands.map(c => [c.name, ...(c.aliases ?? [])].join(', '))
  const width = Math.max(...names.map(n => n.length)) + 2
  return commands.map((c, i) => `  ${names[i].padEnd(width)}${c.describe}`)
}

export function optionSignature(o: OptionDef): string {
  const flags = o.alias ? `-${o.alias}, --${o.name}` : `    --${o.name}`
  return o.type === 'boolean' ? flags : `${flags} <${valueName(o)}>`
}

export function valueName(o: OptionDef): string {
  if (o.valueName) return o.valueName
  if (o.type === 'number') return 'n'
  if (o.complete === 'file' || o.complete === 'dir') return 'path'
  return 'value'
}

/** The description with its choices and default, as help and man show it. */
export function describeOption(o: OptionDef): string {
  const notes: string[] = []
  if (o.choices) notes.push(`one of: ${o.choices.join(', ')}`)
  if (o.defaultText) notes.push(`default: ${o.defaultText}`)
  else if (o.default !== undefined && o.default !== false && !(Array.isArray(o.default) && o.default.length === 0)) {
    notes.push(`default: ${JSON.stringify(o.default)}`)
  }
  if (o.type === 'array') notes.push('may be repeated')
  return notes.length ? `${o.describe} (${notes.join('; ')})` : o.describe
}

function renderOptions(options: readonly OptionDef[]): string[] {
  const sigs = options.map(optionSignature)
  const width = Math.min(Math.max(...sigs.map(s => s.length)) + 2, 34)
  const out: string[] = []
  options.forEach((o, i) => {
    const lead = `  ${sigs[i]}`
    const lines = wrap(describeOption(o), WIDTH - width - 2)
    if (lead.length > width + 1) out.push(lead, ...lines.map(l => ' '.repeat(width + 2) + l))
    else out.push(lead.padEnd(width + 2) + lines[0], ...lines.slice(1).map(l => ' '.repeat(width + 2) + l))
  })
  return out
}

function renderExamples(examples: readonly [string, string][]): string[] {
  return examples.flatMap(([cmd, what]) => [`  ${what}:`, `    $ ${cmd}`])
}

function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n/).flatMap((p, i) => [...(i ? [''] : []), ...wrap(p, WIDTH)])
}

export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  lines.push(line)
  return lines
}
