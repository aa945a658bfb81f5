/**
 * `npm run docs`: writes man/ and completions/ from the command definitions.
 * `node dist/lib/cli/gen-docs.js DIR` writes under DIR instead.
 */
import { writeDocs } from './docs.js'
import { PACKAGE_ROOT, packageVersion } from './package-info.js'

const written = writeDocs(process.argv[2] ?? PACKAGE_ROOT, packageVersion())
process.stdout.write(`wrote ${written.length} files under man/ and completions/\n`)
