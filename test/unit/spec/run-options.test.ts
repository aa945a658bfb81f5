import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  normalizeCapability, parseAddHost, parseDnsServer, parseMount, parseNamespaceMode, parseNetwork, parsePublish, parseSecurityOpt, parseSize, parseTmpfs, parseUlimit,
  parseVolume, parseVolumesFrom,
  parseIdMap, parseOomScoreAdj, parseUserns,
} from '../../../lib/spec/run-options.js'
import { throwsCode } from '../../support/assert.js'

test('parseSize: binary units, case-insensitive, optional b', () => {
  assert.is(parseSize('--memory', '512'), 512)
  assert.is(parseSize('--memory', '512b'), 512)
  assert.is(parseSize('--memory', '64k'), 65536)
  assert.is(parseSize('--memory', '512m'), 512 * 1024 ** 2)
  assert.is(parseSize('--memory', '1G'), 1024 ** 3)
  assert.is(parseSize('--memory', '1.5g'), 1.5 * 1024 ** 3)
  assert.is(parseSize('--memory', '2mb'), 2 * 1024 ** 2)
  throwsCode(() => parseSize('--memory', '12q'), 'INVALID_ARGUMENT', '--memory 12q: invalid size; use a number with an optional b, k, m or g suffix')
  throwsCode(() => parseSize('--memory', '-1'), 'INVALID_ARGUMENT')
  throwsCode(() => parseSize('--memory', ''), 'INVALID_ARGUMENT')
})

test('parseVolume: HOST:CTR with podman\'s default rbind and rprivate', () => {
  assert.equal(parseVolume('/srv/data:/data', '/home/u'), { type: 'bind', source: '/srv/data', destination: '/data', options: ['rbind', 'rprivate'] })
  assert.equal(parseVolume('/srv:/data:ro,Z', '/'), { type: 'bind', source: '/srv', destination: '/data', options: ['rbind', 'ro', 'rprivate'] })
  assert.equal(parseVolume('/srv:/data:rw,z,bind,rshared', '/').options, ['bind', 'rshared'])
  assert.equal(parseVolume('/srv:/data/../x/', '/').destination, '/x')
})

test('parseVolume: relative host paths from the current directory; names are volumes', () => {
  assert.is((parseVolume('./data:/data', '/home/u') as { source: string }).source, '/home/u/data')
  assert.is((parseVolume('../data:/data', '/home/u') as { source: string }).source, '/home/data')
  assert.equal(parseVolume('myvol:/data', '/'), { type: 'volume', name: 'myvol', destination: '/data', options: ['nosuid', 'nodev', 'rbind', 'rprivate'] })
  assert.equal(parseVolume('my.vol_1:/data:ro,nocopy,U', '/'),
    { type: 'volume', name: 'my.vol_1', destination: '/data', options: ['nosuid', 'nodev', 'rbind', 'ro', 'rprivate'], noCopy: true, chown: true })
  throwsCode(() => parseVolume('-bad:/data', '/'), 'INVALID_ARGUMENT', /neither a host path nor a volume name/)
  throwsCode(() => parseVolume('/srv:/data:nocopy', '/'), 'INVALID_ARGUMENT', /"nocopy" is for volumes/)
  assert.equal(parseVolume('/srv:/data:O', '/'), { type: 'bind', source: '/srv', destination: '/data', options: ['rbind', 'rprivate'], overlay: true })
  throwsCode(() => parseVolume('vol:/data:O', '/'), 'INVALID_ARGUMENT', /"O" is for host directories/)
  throwsCode(() => parseVolume('/a,b:/data:O', '/'), 'INVALID_ARGUMENT', /cannot have "," or ":"/)
})

test('parseVolume: a container path alone, or with options, is an anonymous volume', () => {
  assert.equal(parseVolume('/data', '/'), { type: 'volume', destination: '/data', options: ['nosuid', 'nodev', 'rbind', 'rprivate'] })
  assert.equal(parseVolume('/data/:ro', '/'), { type: 'volume', destination: '/data', options: ['nosuid', 'nodev', 'rbind', 'ro', 'rprivate'] })
  throwsCode(() => parseVolume('data', '/'), 'INVALID_ARGUMENT', /must be absolute/)
})

test('parseVolume: bad values', () => {
  throwsCode(() => parseVolume('/x:y', '/'), 'INVALID_ARGUMENT', '--volume /x:y: the container path must be absolute')
  throwsCode(() => parseVolume('/x:', '/'), 'INVALID_ARGUMENT', /container path is empty/)
  throwsCode(() => parseVolume('/x:/y:ro:extra', '/'), 'INVALID_ARGUMENT', /HOST-DIR\|VOLUME:]CONTAINER-DIR/)
  throwsCode(() => parseVolume('/x:/y:fast', '/'), 'INVALID_ARGUMENT', /unknown option "fast"/)
  throwsCode(() => parseVolume('/x:/y:ro,rw', '/'), 'INVALID_ARGUMENT', /contradict/)
})

test('parseVolumesFrom: CONTAINER[:ro|rw]', () => {
  assert.equal(parseVolumesFrom('web'), { container: 'web' })
  assert.equal(parseVolumesFrom('web:ro'), { container: 'web', mode: 'ro' })
  assert.equal(parseVolumesFrom('0123abcd:rw'), { container: '0123abcd', mode: 'rw' })
  throwsCode(() => parseVolumesFrom('web:z'), 'INVALID_ARGUMENT', /unknown option "z"/)
  throwsCode(() => parseVolumesFrom(':ro'), 'INVALID_ARGUMENT', /container is missing/)
})

test('parseTmpfs: podman\'s defaults, the user\'s options win', () => {
  assert.equal(parseTmpfs('/scratch'), { type: 'tmpfs', destination: '/scratch', options: ['rw', 'noexec', 'nosuid', 'nodev'] })
  assert.equal(parseTmpfs('/scratch:size=64m,exec').options, ['rw', 'nosuid', 'nodev', 'size=64m', 'exec'])
  assert.equal(parseTmpfs('/scratch:ro').options, ['noexec', 'nosuid', 'nodev', 'ro'])
  throwsCode(() => parseTmpfs('scratch'), 'INVALID_ARGUMENT', /must be absolute/)
})

test('parseMount: bind and tmpfs', () => {
  assert.equal(parseMount('type=bind,source=/a,target=/b', '/'), { type: 'bind', source: '/a', destination: '/b', options: ['rbind', 'rprivate'] })
  assert.equal(parseMount('type=bind,src=/a,dst=/b,readonly,bind-propagation=rslave', '/').options as string[], ['rbind', 'ro', 'rslave'])
  assert.equal(parseMount('type=bind,src=/a,destination=/b,ro=false,bind-nonrecursive', '/').options as string[], ['bind', 'rprivate'])
  assert.equal(parseMount('type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777', '/'),
    { type: 'tmpfs', destination: '/t', options: ['rw', 'noexec', 'nosuid', 'nodev', 'size=1048576', 'mode=1777'] })
})

test('parseMount: image and devpts, with Podman\'s keys', () => {
  assert.equal(parseMount('type=image,source=alpine,destination=/img', '/'), { type: 'image', image: 'alpine', destination: '/img', options: ['ro'] })
  assert.equal(parseMount('type=image,src=alpine,dest=/img,rw=true', '/'), { type: 'image', image: 'alpine', destination: '/img', options: ['rw'] })
  assert.equal(parseMount('type=image,src=alpine,target=/img,readwrite=false', '/').options as string[], ['ro'])
  throwsCode(() => parseMount('type=image,target=/img', '/'), 'INVALID_ARGUMENT', /needs source=IMAGE/)
  throwsCode(() => parseMount('type=image,src=a,target=/img,rw=yes', '/'), 'INVALID_ARGUMENT', /"rw" takes true or false/)
  throwsCode(() => parseMount('type=image,src=a,target=/img,readonly', '/'), 'INVALID_ARGUMENT', /unknown field "readonly" for type=image/)
  assert.equal(parseMount('type=devpts,destination=/dev/pts2,uid=0,gid=5,mode=620,ptmxmode=666,max=10,newinstance', '/'),
    { type: 'devpts', destination: '/dev/pts2', options: ['uid=0', 'gid=5', 'mode=620', 'ptmxmode=666', 'newinstance', 'max=10'] })
  throwsCode(() => parseMount('type=devpts,target=/p,size=1', '/'), 'INVALID_ARGUMENT', /unknown field "size" for type=devpts/)
})

test('parseMount: bad values', () => {
  throwsCode(() => parseMount('type=bind,target=/b', '/'), 'INVALID_ARGUMENT', /needs source/)
  throwsCode(() => parseMount('type=bind,source=/a', '/'), 'INVALID_ARGUMENT', /a target is required/)
  throwsCode(() => parseMount('source=/a,target=/b', '/'), 'INVALID_ARGUMENT', /unknown or missing type/)
  assert.equal(parseMount('type=volume,source=v,target=/b', '/'), { type: 'volume', name: 'v', destination: '/b', options: ['nosuid', 'nodev', 'rbind', 'rprivate'] })
  assert.equal(parseMount('type=volume,src=v,dst=/b,ro,volume-nocopy', '/'),
    { type: 'volume', name: 'v', destination: '/b', options: ['nosuid', 'nodev', 'rbind', 'ro', 'rprivate'], noCopy: true })
  assert.equal(parseMount('type=volume,target=/b,U=true', '/'), { type: 'volume', destination: '/b', options: ['nosuid', 'nodev', 'rbind', 'rprivate'], chown: true })
  throwsCode(() => parseMount('type=volume,source=/abs,target=/b', '/'), 'INVALID_ARGUMENT', /neither a host path nor a volume name/)
  throwsCode(() => parseMount('type=bind,source=vol,target=/b', '/'), 'INVALID_ARGUMENT', /must be a host path/)
  throwsCode(() => parseMount('type=bind,source=/a,target=/b,colour=red', '/'), 'INVALID_ARGUMENT', /unknown field "colour"/)
  throwsCode(() => parseMount('type=tmpfs,target=/t,tmpfs-mode=rwx', '/'), 'INVALID_ARGUMENT', /octal/)
  throwsCode(() => parseMount('type=bind,source=/a,target=/b,bind-propagation=sideways', '/'), 'INVALID_ARGUMENT', /bind-propagation/)
})

test('parseUlimit', () => {
  assert.equal(parseUlimit('nofile=1024:2048'), { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 })
  assert.equal(parseUlimit('core=0'), { type: 'RLIMIT_CORE', soft: 0, hard: 0 })
  throwsCode(() => parseUlimit('nofile=2048:1024'), 'INVALID_ARGUMENT', /soft limit is above the hard limit/)
  throwsCode(() => parseUlimit('files=1'), 'INVALID_ARGUMENT', /unknown limit "files"/)
  throwsCode(() => parseUlimit('nofile'), 'INVALID_ARGUMENT', /NAME=SOFT/)
})

test('normalizeCapability', () => {
  assert.is(normalizeCapability('--cap-add', 'net_admin'), 'CAP_NET_ADMIN')
  assert.is(normalizeCapability('--cap-add', 'CAP_SYS_PTRACE'), 'CAP_SYS_PTRACE')
  assert.is(normalizeCapability('--cap-drop', 'all'), 'ALL')
  throwsCode(() => normalizeCapability('--cap-add', 'FLY'), 'INVALID_ARGUMENT', '--cap-add FLY: unknown capability')
})

test('--publish: ports, ranges, addresses, protocols', () => {
  assert.equal(parsePublish('8080:80'), [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }])
  assert.equal(parsePublish('80'), [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }])
  assert.equal(parsePublish('127.0.0.1::53/udp'), [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' }])
  assert.equal(parsePublish('8080-8081:80-81'), [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostIp: '', hostPort: 8081, containerPort: 81, protocol: 'tcp' }])
  throwsCode(() => parsePublish('8080-8082:80-81'), 'INVALID_ARGUMENT', /differ in length/)
  throwsCode(() => parsePublish('8080:80/sctp'), 'INVALID_ARGUMENT', /unknown protocol "sctp"/)
  throwsCode(() => parsePublish('70000:80'), 'INVALID_ARGUMENT', /from 1 to 65535/)
  throwsCode(() => parsePublish('host:8080:80'), 'INVALID_ARGUMENT', /not an IP address/)
})

test('--add-host and --dns', () => {
  assert.is(parseAddHost('db.local:10.1.2.3'), '10.1.2.3\tdb.local')
  assert.is(parseAddHost('a;b:::1'), '::1\ta b')
  throwsCode(() => parseAddHost('nohost'), 'INVALID_ARGUMENT', /HOST:IP/)
  assert.is(parseDnsServer('1.1.1.1'), '1.1.1.1')
  throwsCode(() => parseDnsServer('dns.example'), 'INVALID_ARGUMENT', /not an IP address/)
})

test('namespace modes', () => {
  assert.equal(parseNamespaceMode('--pid', 'host'), { mode: 'host' })
  assert.equal(parseNamespaceMode('--pid', 'private'), { mode: 'private' })
  assert.equal(parseNamespaceMode('--ipc', 'ns:/proc/1/ns/ipc'), { mode: 'path', path: '/proc/1/ns/ipc' })
  assert.equal(parseNetwork('none'), { mode: 'none' })
  assert.equal(parseNetwork('host'), { mode: 'host' })
  assert.equal(parseNetwork('private'), { mode: 'default' })
  assert.equal(parseNetwork('pasta'), { mode: 'pasta', args: [] })
  assert.equal(parseNetwork('pasta:--map-gw,-4'), { mode: 'pasta', args: ['--map-gw', '-4'] })
  assert.equal(parseNetwork('slirp4netns'), { mode: 'slirp4netns', options: { allowHostLoopback: false, enableIpv6: false, mtu: 65520 } })
  assert.equal(parseNetwork('slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.9.0.0/24,port_handler=slirp4netns'),
    { mode: 'slirp4netns', options: { allowHostLoopback: true, enableIpv6: false, mtu: 1500, cidr: '10.9.0.0/24' } })
  assert.equal(parseNetwork('slirp4netns:port_handler=rootlesskit'),
    { mode: 'slirp4netns', options: { allowHostLoopback: false, enableIpv6: false, mtu: 65520, portHandler: 'rootlesskit' } })
  throwsCode(() => parseNetwork('slirp4netns:port_handler=socat'), 'INVALID_ARGUMENT', /port_handler must be rootlesskit or slirp4netns/)
  throwsCode(() => parseNetwork('slirp4netns:speed=9'), 'INVALID_ARGUMENT', /unknown slirp4netns option "speed"/)
  assert.equal(parseNetwork('bridge'), { mode: 'bridge', network: 'podman' })
  assert.equal(parseNetwork('web_net'), { mode: 'bridge', network: 'web_net' })
  throwsCode(() => parseNetwork('-x'), 'INVALID_ARGUMENT', /unknown mode/)
  assert.equal(parseNamespaceMode('--pid', 'container:web'), { mode: 'container', container: 'web' })
  assert.equal(parseNetwork('container:0123abc'), { mode: 'container', container: '0123abc' })
  throwsCode(() => parseNamespaceMode('--ipc', 'container:'), 'INVALID_ARGUMENT', '--ipc container:: the container is missing')
  throwsCode(() => parseNamespaceMode('--pid', 'ns:rel'), 'INVALID_ARGUMENT', /absolute/)
  throwsCode(() => parseNamespaceMode('--uts', 'shared'), 'INVALID_ARGUMENT', /unknown mode/)
})

test('parseSecurityOpt', () => {
  assert.equal(parseSecurityOpt('seccomp=unconfined'), { kind: 'seccomp', value: 'unconfined' })
  assert.equal(parseSecurityOpt('seccomp:/p.json'), { kind: 'seccomp', value: '/p.json' })
  assert.equal(parseSecurityOpt('no-new-privileges'), { kind: 'no-new-privileges', value: true })
  assert.equal(parseSecurityOpt('no-new-privileges=false'), { kind: 'no-new-privileges', value: false })
  assert.equal(parseSecurityOpt('unmask=ALL'), { kind: 'unmask', paths: ['ALL'] })
  assert.equal(parseSecurityOpt('mask=/proc/a:/proc/b'), { kind: 'mask', paths: ['/proc/a', '/proc/b'] })
  assert.equal(parseSecurityOpt('label=disable'), { kind: 'ignored', what: 'label' })
  throwsCode(() => parseSecurityOpt('seccomp'), 'INVALID_ARGUMENT')
  throwsCode(() => parseSecurityOpt('mask=rel'), 'INVALID_ARGUMENT', /not an absolute path/)
  throwsCode(() => parseSecurityOpt('turbo=on'), 'INVALID_ARGUMENT', /unknown option/)
})

test('--userns modes and their options', () => {
  assert.equal(parseUserns('host'), { mode: 'host' })
  assert.equal(parseUserns(''), { mode: 'default' })
  assert.equal(parseUserns('keep-id'), { mode: 'keep-id' })
  assert.equal(parseUserns('keep-id:uid=200,gid=300'), { mode: 'keep-id', uid: 200, gid: 300 })
  assert.equal(parseUserns('keep-id:uid=5'), { mode: 'keep-id', uid: 5 })
  assert.equal(parseUserns('nomap'), { mode: 'nomap' })
  assert.equal(parseUserns('auto'), { mode: 'auto' })
  assert.equal(parseUserns('auto:size=500'), { mode: 'auto', size: 500 })
  throwsCode(() => parseUserns('bogus'), 'INVALID_ARGUMENT', '--userns bogus: unknown mode')
  throwsCode(() => parseUserns('keep-id:uid=x'), 'INVALID_ARGUMENT', '--userns keep-id:uid=x: uid must be a number')
  throwsCode(() => parseUserns('keep-id:size=3'), 'INVALID_ARGUMENT', /unknown option "size" for keep-id/)
  throwsCode(() => parseUserns('keep-id:uid'), 'INVALID_ARGUMENT', /expected KEY=VALUE/)
  throwsCode(() => parseUserns('host:uid=1'), 'INVALID_ARGUMENT', /unknown option "uid" for host/)
  throwsCode(() => parseUserns('auto:size=0'), 'INVALID_ARGUMENT', /at least 1/)
  throwsCode(() => parseUserns('ns:/proc/1/ns/user'), 'NOT_SUPPORTED')
})

test('--uidmap/--gidmap CONTAINER:HOST:SIZE', () => {
  assert.equal(parseIdMap('--uidmap', '0:100000:65536'), { containerID: 0, hostID: 100000, size: 65536 })
  throwsCode(() => parseIdMap('--uidmap', '0:100000'), 'INVALID_ARGUMENT', '--uidmap 0:100000: expected CONTAINER_ID:HOST_ID:SIZE')
  throwsCode(() => parseIdMap('--gidmap', '0:-1:5'), 'INVALID_ARGUMENT', '--gidmap 0:-1:5: the host id must be a number')
  throwsCode(() => parseIdMap('--uidmap', '0:1:0'), 'INVALID_ARGUMENT', /the size must be at least 1/)
  throwsCode(() => parseIdMap('--uidmap', '4294967295:1:1'), 'INVALID_ARGUMENT', /the container id must be a number/)
})

test('--oom-score-adj: -1000 to 1000', () => {
  assert.is(parseOomScoreAdj('-1000'), -1000)
  assert.is(parseOomScoreAdj('500'), 500)
  for (const bad of ['1001', '-1001', 'x', '1.5', '']) {
    throwsCode(() => parseOomScoreAdj(bad), 'INVALID_ARGUMENT', `--oom-score-adj ${bad}: must be a whole number from -1000 to 1000`)
  }
})

test.run()
