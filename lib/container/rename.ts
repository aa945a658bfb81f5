/** `rename`: the new name is reserved first, so of two renames to one name one fails. */
import { CockerError } from '../errors.js'
import { readRecordFile, releaseName, reserveName, withContainerLock, writeRecordFile } from './record.js'

export async function renameContainer(storeRoot: string, dir: string, newName: string): Promise<void> {
  await withContainerLock(dir, () => {
    const record = readRecordFile(dir)
    if (!record) throw new CockerError('CONTAINER_NOT_FOUND', `the container in ${dir} was removed meanwhile`)
    if (record.name === newName) return
    if (!reserveName(storeRoot, newName, record.id)) {
      throw new CockerError('CONTAINER_EXISTS', `cannot rename container ${record.name}: the name "${newName}" is already in use`,
        { hint: 'remove that container or choose another name' })
    }
    writeRecordFile(dir, { ...record, name: newName })
    releaseName(storeRoot, record.name, record.id)
  })
}
