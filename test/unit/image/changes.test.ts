import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { applyChanges } from '../../../lib/image/changes.js'
import { throwsCode } from '../../support/assert.js'

test('CMD and ENTRYPOINT: JSON form as is, shell form through /bin/sh -c', () => {
  assert.equal(applyChanges({}, ['CMD ["/bin/cat", "/etc/motd"]']).Cmd, ['/bin/cat', '/etc/motd'])
  assert.equal(applyChanges({}, ['cmd echo "a b"']).Cmd, ['/bin/sh', '-c', 'echo "a b"'])
  assert.equal(applyChanges({}, ['ENTRYPOINT ["a",']).Entrypoint, ['/bin/sh', '-c', '["a",'])
})

test('ENV and LABEL: pairs with quotes, the old KEY VALUE form, later values win', () => {
  const c = applyChanges({ Env: ['A=0'] }, ['ENV A=1 B="x y"', 'ENV C hello world', "LABEL a=b 'c d'=e"])
  assert.equal(c.Env, ['A=1', 'B=x y', 'C=hello world'])
  assert.equal(c.Labels, { a: 'b', 'c d': 'e' })
  throwsCode(() => applyChanges({}, ['LABEL a']), 'INVALID_ARGUMENT')
  throwsCode(() => applyChanges({}, ['ENV A="unterminated']), 'INVALID_ARGUMENT')
})

test('EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL', () => {
  const c = applyChanges({}, ['EXPOSE 80 53/udp 8000-8001', 'VOLUME /data /x', 'VOLUME ["/y"]', 'USER nobody', 'WORKDIR /w', 'STOPSIGNAL SIGKILL'])
  assert.equal(c.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} })
  assert.equal(c.Volumes, { '/data': {}, '/x': {}, '/y': {} })
  assert.is(c.User, 'nobody')
  assert.is(c.WorkingDir, '/w')
  assert.is(c.StopSignal, 'SIGKILL')
  throwsCode(() => applyChanges({}, ['EXPOSE 80/xyz']), 'INVALID_ARGUMENT')
  throwsCode(() => applyChanges({}, ['VOLUME rel']), 'INVALID_ARGUMENT')
})

test('unknown instructions and missing values are INVALID_ARGUMENT with podman\'s wording', () => {
  const e = throwsCode(() => applyChanges({}, ['FROM x']), 'INVALID_ARGUMENT')
  assert.is(e.message, 'invalid change "FROM x" - invalid instruction FROM')
  assert.is(throwsCode(() => applyChanges({}, ['CMD']), 'INVALID_ARGUMENT').message, 'invalid change "CMD" - must be formatted as KEY VALUE')
})

test.run()
