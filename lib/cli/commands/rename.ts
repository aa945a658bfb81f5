import { CockerError } from '../../errors.js'
import { readRecordFile, releaseName, requireContainer, reserveName, withContainerLock, writeRecordFile } from '../../container/record.js'
import type { CliContext, Outcome, ParsedArgs } from '../command.js'
import { storeRootFor } from './store-root.js'
import { NAME_PATTERN } from '../../spec/run-options.js'


/** podman rename: the new name is reserved first, so of two renames to one name one fails. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<Outcome> {
  const newName = args.newName as string
  if (!NAME_PATTERN.test(newName)) {
    throw new CockerError('INVALID_ARGUMENT', `invalid container name "${newName}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`)
  }
  const root = storeRootFor(ctx)
  const { record: found, dir } = requireContainer(root, args.container as string)
  await withContainerLock(dir, () => {
    const record = readRecordFile(dir)
    if (!record) throw new CockerError('CONTAINER_NOT_FOUND', `container ${found.id.slice(0, 12)} was removed meanwhile`)
    if (record.name === newName) return
    if (!reserveName(root, newName, record.id)) {
      throw new CockerError('CONTAINER_EXISTS', `cannot rename container ${record.name}: the name "${newName}" is already in use`,
        { hint: 'remove that container or choose another name' })
    }
    writeRecordFile(dir, { ...record, name: newName })
    releaseName(root, record.name, record.id)
  })
  return {}
}
