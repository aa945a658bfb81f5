/**
 * `npm run docs`: writes man/ and completions/ from the command definitions.
 * `node dist/lib/cli/gen-docs.js DIR` writes under DIR instead.
 */
import { writeDocs } from './docs.js'
import { packageRoot, packageVersion } from '../package-root.js'

const written = writeDocs(process.argv[2] ?? packageRoot(), packageVersion())
process.stdout.write(`wrote ${written.length} files under man/ and completions/\n`)
