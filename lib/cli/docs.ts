import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { cockerProgram } from './commands/index.js'
import type { ProgramDef } from './command.js'
import { renderBash, renderFish, renderZsh } from './render/completions.js'
import { GENERATED_MARK, renderManPages } from './render/man.js'
import { runtimeProgram } from './runtime-commands/index.js'

export { GENERATED_MARK }

export const PROGRAMS: ProgramDef<any>[] = [cockerProgram, runtimeProgram]
export const GENERATED_DIRS = ['man', 'completions']

/** Every generated file, by path relative to the repository root. */
export function generateDocs(programs: readonly ProgramDef<any>[], version: string): Map<string, string> {
  const files = new Map<string, string>()
  for (const program of programs) {
    for (const [name, text] of renderManPages(program, version)) files.set(`man/${name}`, text)
    files.set(`completions/bash/${program.name}`, renderBash(program))
    files.set(`completions/zsh/_${program.name}`, renderZsh(program))
    files.set(`completions/fish/${program.name}.fish`, renderFish(program))
  }
  return files
}

/** Files under dir's man/ and completions/ that carry the generated mark. */
export function listGenerated(dir: string): string[] {
  const found: string[] = []
  const walk = (d: string): void => {
    let entries
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && readFileSync(p, 'utf8').includes(GENERATED_MARK)) found.push(relative(dir, p))
    }
  }
  for (const sub of GENERATED_DIRS) walk(join(dir, sub))
  return found.sort()
}

/** Writes the generated files under dir and removes generated files no definition produces any more. */
export function writeDocs(dir: string, version: string): string[] {
  const files = generateDocs(PROGRAMS, version)
  for (const stale of listGenerated(dir)) if (!files.has(stale)) rmSync(join(dir, stale))
  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return [...files.keys()]
}
