import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseStorageConf, storageConfPaths } from '../../../lib/config/storage-conf.js'
import { throwsCode } from '../../support/assert.js'

test('the [storage] table\'s driver; other tables, comments and quotes', () => {
  const text = '# comment\ndriver = "top-level is not it"\n[storage]\n  runroot = "/run/x"\n  driver = "vfs" # slow\n[storage.options]\ndriver = "overlay"\n'
  assert.equal(parseStorageConf(text, '/f'), { file: '/f', driver: 'vfs' })
  assert.equal(parseStorageConf("[ storage ]\ndriver='overlay'\n", '/f'), { file: '/f', driver: 'overlay' })
  assert.equal(parseStorageConf('[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n', '/f'), { file: '/f' })
  throwsCode(() => parseStorageConf('[storage]\ndriver = vfs\n', '/etc/containers/storage.conf'), 'CONFIG_INVALID', /^\/etc\/containers\/storage.conf:2:10: /)
  throwsCode(() => parseStorageConf('[storage]\ndriver = 1\n', '/f'), 'CONFIG_INVALID', '/f: [storage] driver must be a string, not 1')
})

test('which files: CONTAINERS_STORAGE_CONF alone; rootless, the user\'s first', () => {
  assert.equal(storageConfPaths({ CONTAINERS_STORAGE_CONF: '/x.conf', HOME: '/h' }, true), ['/x.conf'])
  assert.equal(storageConfPaths({ HOME: '/h' }, true), ['/h/.config/containers/storage.conf', '/etc/containers/storage.conf', '/usr/share/containers/storage.conf'])
  assert.equal(storageConfPaths({ HOME: '/h', XDG_CONFIG_HOME: '/cfg' }, true)[0], '/cfg/containers/storage.conf')
  assert.equal(storageConfPaths({ HOME: '/h' }, false), ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'])
})

test.run()
