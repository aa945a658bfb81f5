// Key → flag translation of quadlet files, on examples written as Podman's quadlet tests
// write them (test/e2e/quadlet in containers/podman), and the dry run's unsupported-key lines.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { convertQuadlets, type Conversion } from '../../../lib/quadlet/convert.js'
import { UnitFile } from '../../../lib/systemd/unit-file.js'

const COCKER = '/opt/cocker/bin/cocker'

function convert(files: Record<string, string>): Conversion {
  return convertQuadlets(Object.entries(files).map(([name, text]) => ({ path: `/q/${name}`, unit: UnitFile.parse(text, `/q/${name}`) })), { cocker: COCKER })
}

function service(c: Conversion, name: string): UnitFile {
  const s = c.services.find(x => x.name === name)
  assert.ok(s, `no ${name} among ${c.services.map(x => x.name).join(', ')}; errors: ${JSON.stringify(c.errors)}`)
  return s.unit
}

/** ExecStart's words after `cocker run`'s fixed start. */
function runArgs(unit: UnitFile): string[] {
  const argv = unit.words('Service', 'ExecStart')
  assert.equal(argv.slice(0, 7), [COCKER, 'run', '--name=systemd-%N', '--cidfile=%t/%N.cid', '--replace', '--rm', '--sdnotify=conmon'])
  return argv.slice(7)
}

test('basic.container: Podman 4.x quadlet\'s service with cocker\'s binary', () => {
  const c = convert({ 'basic.container': '[Container]\nImage=localhost/imagename\n' })
  const u = service(c, 'basic.service')
  assert.equal(runArgs(u), ['-d', 'localhost/imagename'])
  assert.equal(u.get('Unit', 'RequiresMountsFor'), '%t/containers')
  assert.equal(u.get('Unit', 'SourcePath'), '/q/basic.container')
  for (const [key, value] of [['KillMode', 'mixed'], ['Delegate', 'yes'], ['Type', 'notify'], ['NotifyAccess', 'all'], ['SyslogIdentifier', '%N'],
    ['Environment', 'PODMAN_SYSTEMD_UNIT=%n']]) assert.equal(u.get('Service', key), value, key)
  assert.equal(u.get('Service', 'ExecStop'), `${COCKER} rm -v -f -i --cidfile=%t/%N.cid`)
  assert.equal(u.get('Service', 'ExecStopPost'), `-${COCKER} rm -v -f -i --cidfile=%t/%N.cid`)
  assert.equal(u.all('X-Container', 'Image'), ['localhost/imagename'], 'the quadlet section stays, renamed so systemd ignores it')
  assert.not.ok(u.section('Container'))
  assert.equal(c.unsupported, [])
})

test('env.container and exec.container: words, quotes, continuations; a later Environment= of one name wins', () => {
  const c = convert({
    'env.container': '[Container]\nImage=localhost/imagename\nEnvironment=FOO1=foo1 "FOO2=foo2 " \\\n    FOO3=foo3 REPLACE=replace\nEnvironment=REPLACE=replaced HOSTVAR\n',
    'exec.container': '[Container]\nImage=localhost/imagename\nExec="/some/binary file" --arg1 \\\n  "arg 2"\n',
  })
  assert.equal(runArgs(service(c, 'env.service')),
    ['-d', '--env', 'FOO1=foo1', '--env', 'FOO2=foo2 ', '--env', 'FOO3=foo3', '--env', 'HOSTVAR', '--env', 'REPLACE=replaced', 'localhost/imagename'])
  assert.equal(runArgs(service(c, 'exec.service')), ['-d', 'localhost/imagename', '/some/binary file', '--arg1', 'arg 2'])
})

test('the keys users write, each to its cocker run flag', () => {
  const c = convert({ 'web.container': `[Container]
Image=docker.io/library/nginx:latest
ContainerName=web
PublishPort=8080:80
PublishPort=127.0.0.1:8443:443/tcp
Volume=/srv/www:/usr/share/nginx/html:ro,Z
Volume=/anon
Label=app=web "tier=front end"
AutoUpdate=registry
User=101
Group=101
AddCapability=CAP_NET_BIND_SERVICE
DropCapability=all
ReadOnly=true
Tmpfs=/run
WorkingDir=/srv
Entrypoint=/docker-entrypoint.sh
HealthCmd=curl -f http://localhost/
HealthInterval=30s
HealthRetries=3
HealthStartPeriod=5s
HealthTimeout=2s
HealthOnFailure=kill
EnvironmentFile=web.env
EnvironmentFile=/etc/web.env
Mount=type=tmpfs,destination=/cache
NoNewPrivileges=true
Memory=512m
PidsLimit=100
StopTimeout=20
HostName=web.local
DNS=9.9.9.9
Ulimit=nofile=1024:2048
Sysctl=net.ipv4.ip_unprivileged_port_start=80
UserNS=keep-id
RunInit=yes
Pull=newer
PodmanArgs=--memory-swap 1g
Exec=nginx -g "daemon off;"
` })
  const u = service(c, 'web.service')
  const argv = u.words('Service', 'ExecStart')
  assert.equal(argv.slice(0, 8), [COCKER, 'run', '--name=web', '--cidfile=%t/%N.cid', '--replace', '--rm', '--sdnotify=conmon', '-d'])
  const has = (...words: string[]) => assert.ok(argv.join('\0').includes(words.join('\0')), `${words.join(' ')} in ${argv.join(' ')}`)
  has('--publish', '8080:80'); has('--publish', '127.0.0.1:8443:443/tcp')
  has('-v', '/srv/www:/usr/share/nginx/html:ro,Z'); has('-v', '/anon')
  has('--label', 'app=web'); has('--label', 'tier=front end'); has('--label', 'io.containers.autoupdate=registry')
  has('--user', '101:101'); has('--cap-add', 'cap_net_bind_service'); has('--cap-drop', 'all'); has('--read-only'); has('--tmpfs', '/run')
  has('--workdir', '/srv'); has('--entrypoint=/docker-entrypoint.sh')
  has('--health-cmd', 'curl -f http://localhost/'); has('--health-interval', '30s'); has('--health-retries', '3'); has('--health-start-period', '5s')
  has('--health-timeout', '2s'); has('--health-on-failure', 'kill')
  has('--env-file', '/q/web.env'); has('--env-file', '/etc/web.env'); has('--mount', 'type=tmpfs,destination=/cache')
  has('--security-opt=no-new-privileges'); has('--memory', '512m'); has('--pids-limit', '100'); has('--stop-timeout', '20'); has('--hostname', 'web.local')
  has('--dns', '9.9.9.9'); has('--ulimit', 'nofile=1024:2048'); has('--sysctl', 'net.ipv4.ip_unprivileged_port_start=80'); has('--userns', 'keep-id')
  has('--init'); has('--pull', 'newer'); has('--memory-swap', '1g', 'docker.io/library/nginx:latest', 'nginx', '-g', 'daemon off;')
  assert.equal(u.get('Unit', 'RequiresMountsFor'), '/srv/www', 'a bind source must be mounted first')
  assert.equal(c.unsupported, [])
})

test('Notify=, Type=oneshot, ReloadSignal=, KillMode=, [Service] and [Install] passed through', () => {
  const c = convert({
    'n.container': '[Container]\nImage=i\nNotify=yes\nReloadSignal=SIGHUP\n[Service]\nRestart=always\nKillMode=control-group\n[Install]\nWantedBy=default.target\n',
    'h.container': '[Container]\nImage=i\nNotify=healthy\nHealthCmd=true\n',
    'o.container': '[Container]\nImage=i\n[Service]\nType=oneshot\n',
  })
  const n = service(c, 'n.service')
  assert.ok(n.get('Service', 'ExecStart')!.includes('--sdnotify=container -d'))
  assert.equal(n.get('Service', 'ExecReload'), `${COCKER} kill --signal SIGHUP systemd-%N`)
  assert.equal([n.get('Service', 'Restart'), n.get('Service', 'KillMode'), n.get('Install', 'WantedBy')], ['always', 'control-group', 'default.target'])
  assert.ok(service(c, 'h.service').get('Service', 'ExecStart')!.includes('--sdnotify=healthy -d'))
  const o = service(c, 'o.service')
  assert.equal(o.get('Service', 'Type'), 'oneshot')
  assert.not.ok(/--sdnotify| -d /.test(o.get('Service', 'ExecStart')!), 'a oneshot runs in the foreground')
})

test('.volume, .network and .image files, and containers that name them', () => {
  const c = convert({
    'basic.volume': '[Volume]\n',
    'data.volume': '[Volume]\nVolumeName=appdata\nUser=1000\nGroup=1000\nLabel=a=b\nCopy=false\n',
    'basic.network': '[Network]\n',
    'net.network': '[Network]\nSubnet=10.99.0.0/24\nGateway=10.99.0.1\nInternal=yes\nDisableDNS=true\nNetworkDeleteOnStop=yes\nLabel=x=y\n',
    'alp.image': '[Image]\nImage=docker.io/library/alpine:3.20\nTLSVerify=false\nArch=arm64\n',
    'app.container': '[Unit]\nAfter=basic.network\n[Container]\nImage=alp.image\nVolume=data.volume:/data:U\nMount=type=volume,source=basic.volume,destination=/b\nNetwork=net.network\n',
  })
  const words = (name: string, key = 'ExecStart') => service(c, name).words('Service', key)
  assert.equal(words('basic-volume.service'), [COCKER, 'volume', 'create', '--ignore', 'systemd-basic'])
  assert.equal(words('data-volume.service'), [COCKER, 'volume', 'create', '--ignore', '--opt', 'nocopy', '--opt', 'o=uid=1000,gid=1000', '--label', 'a=b', 'appdata'])
  assert.equal(words('basic-network.service'), [COCKER, 'network', 'create', '--ignore', 'systemd-basic'])
  assert.equal(words('net-network.service'),
    [COCKER, 'network', 'create', '--ignore', '--disable-dns', '--internal', '--subnet', '10.99.0.0/24', '--gateway', '10.99.0.1', '--label', 'x=y', 'systemd-net'])
  assert.equal(words('net-network.service', 'ExecStopPost'), [COCKER, 'network', 'rm', 'systemd-net'])
  assert.equal(words('alp-image.service'), [COCKER, 'pull', '--arch', 'arm64', '--tls-verify=false', 'docker.io/library/alpine:3.20'])
  for (const s of ['basic-volume.service', 'alp-image.service']) {
    const u = service(c, s)
    assert.equal([u.get('Service', 'Type'), u.get('Service', 'RemainAfterExit'), u.get('Service', 'SyslogIdentifier')], ['oneshot', 'yes', '%N'])
  }
  const app = service(c, 'app.service')
  const argv = app.words('Service', 'ExecStart')
  assert.equal(argv.slice(-1), ['docker.io/library/alpine:3.20'])
  assert.ok(argv.join(' ').includes('--network systemd-net -v appdata:/data:U'), argv.join(' '))
  assert.ok(argv.join(' ').includes('--mount type=volume,source=systemd-basic,destination=/b'), argv.join(' '))
  assert.equal(app.all('Unit', 'Requires').sort(), ['alp-image.service', 'basic-volume.service', 'data-volume.service', 'net-network.service'])
  assert.equal(app.all('Unit', 'After').sort(), ['alp-image.service', 'basic-network.service', 'basic-volume.service', 'data-volume.service', 'net-network.service'])
})

test('.pod: the pod service and the containers it starts', () => {
  const c = convert({
    'web.pod': '[Pod]\nPublishPort=8080:80\nNetwork=net.network\n',
    'net.network': '[Network]\n',
    'app.container': '[Container]\nImage=i\nPod=web.pod\n',
    'side.container': '[Container]\nImage=i\nPod=web.pod\nStartWithPod=false\n',
  })
  const pod = service(c, 'web-pod.service')
  assert.equal(pod.words('Service', 'ExecStartPre'), [COCKER, 'pod', 'create', '--replace', '--publish', '8080:80', '--network', 'systemd-net', '--name', 'systemd-web'])
  assert.equal(pod.words('Service', 'ExecStart'), [COCKER, 'pod', 'start', 'systemd-web'])
  assert.equal(pod.words('Service', 'ExecStop'), [COCKER, 'pod', 'stop', '--ignore', '--time=10', 'systemd-web'])
  assert.equal(pod.words('Service', 'ExecStopPost'), [COCKER, 'pod', 'rm', '--ignore', '--force', 'systemd-web'])
  assert.equal([pod.all('Unit', 'Wants'), pod.all('Unit', 'Before')], [['app.service'], ['app.service']])
  const app = service(c, 'app.service')
  assert.ok(app.get('Service', 'ExecStart')!.includes('--pod systemd-web i'))
  assert.equal([app.get('Unit', 'BindsTo'), app.all('Unit', 'After')], ['web-pod.service', ['web-pod.service']])
})

test('.kube: kube play with the YAML made absolute, kube down after', () => {
  const c = convert({ 'app.kube': '[Kube]\nYaml=app.yaml\nYaml=/other.yaml\nPublishPort=8000:80\nConfigMap=cm.yaml\nKubeDownForce=yes\nSetWorkingDirectory=yaml\n' })
  const u = service(c, 'app.service')
  assert.equal(u.words('Service', 'ExecStart'), [COCKER, 'kube', 'play', '--replace', '--publish', '8000:80', '--configmap', '/q/cm.yaml', '/q/app.yaml'])
  assert.equal(u.words('Service', 'ExecStopPost'), [COCKER, 'kube', 'down', '--force', '/q/app.yaml'])
  assert.equal(c.unsupported, [{ file: '/q/app.kube', key: 'Yaml', why: '/other.yaml: cocker kube play takes one file (put the documents in one, separated by ---)' }])
  assert.equal([u.get('Service', 'WorkingDirectory'), u.get('Service', 'Type')], ['/q', 'oneshot'])
})

test('templates, ServiceName=, GlobalArgs=, dependencies on quadlet files', () => {
  const c = convert({
    'echo@.container': '[Container]\nImage=i\nGlobalArgs=--log-level debug\n',
    'svc.container': '[Container]\nImage=i\nServiceName=custom\n[Unit]\nRequires=echo@.container\n',
  })
  assert.equal(service(c, 'echo@.service').words('Service', 'ExecStart').slice(0, 5), [COCKER, '--log-level', 'debug', 'run', '--name=systemd-%p_%i'])
  assert.equal(service(c, 'custom.service').get('Unit', 'Requires'), 'echo@.service')
})

test('the dry run\'s lines: one per key cocker cannot serve, with why; the rest of the unit is made', () => {
  const c = convert({
    'web.container': '[Container]\nImage=i\nSecret=token\nTimezone=UTC\nShmSize=1g\nNetwork=a\nNetwork=b\nCgroupsMode=split\n[Service]\nUser=web\n',
    'n.network': '[Network]\nIPv6=true\nSubnet=10.1.0.0/24\nSubnet=10.2.0.0/24\n',
  })
  assert.equal(c.unsupported.map(u => `${u.file}: ${u.key}: ${u.why}`), [
    '/q/web.container: Secret: cocker has no secrets (--secret)',
    '/q/web.container: Timezone: cocker run has no --tz',
    '/q/web.container: ShmSize: cocker run has no --shm-size',
    '/q/web.container: [Service] User: systemd would run cocker as that user, with another store and user namespace: use User= in [Container], or a user unit of that user',
    '/q/web.container: CgroupsMode: split: cocker run\'s --cgroups takes enabled or disabled',
    '/q/web.container: Network: b: cocker joins a container to one network at its start (cocker network connect adds more)',
    '/q/n.network: IPv6: cocker networks have no IPv6',
    '/q/n.network: Subnet: 10.2.0.0/24: a cocker network has one subnet',
  ].sort((a, b) => Number(a.startsWith('/q/n')) - Number(b.startsWith('/q/n'))))
  const argv = service(c, 'web.service').words('Service', 'ExecStart')
  assert.not.ok(argv.some(a => /secret|tz|shm|cgroups/.test(a)), argv.join(' '))
})

test('files Podman\'s quadlet refuses are refused, the others still made', () => {
  const c = convert({
    'typo.container': '[Container]\nImage=i\nSecret=s\nImagee=j\n',
    'noimage.container': '[Container]\nExec=true\n',
    'both.container': '[Container]\nImage=i\nRootfs=/r\n',
    'group.container': '[Container]\nImage=i\nGroup=1\n',
    'kill.container': '[Container]\nImage=i\n[Service]\nKillMode=process\n',
    'pod.container': '[Container]\nImage=i\nPod=missing.pod\n',
    'ok.container': '[Container]\nImage=i\n',
  })
  assert.equal(c.services.map(s => s.name), ['ok.service'])
  assert.equal(c.unsupported, [], 'a file that fails is its error line alone')
  assert.equal(Object.fromEntries(c.errors.map(e => [e.file.slice(3), e.message])), {
    'typo.container': "unsupported key 'Imagee' in group 'Container' in /q/typo.container",
    'noimage.container': '/q/noimage.container: no Image or Rootfs key specified',
    'both.container': '/q/both.container: Image= and Rootfs= cannot be given together',
    'group.container': '/q/group.container: Group= without User=',
    'kill.container': "/q/kill.container: invalid KillMode 'process': use mixed or control-group",
    'pod.container': 'missing.pod: there is no quadlet file missing.pod (/q/pod.container refers to it)',
  })
})

test.run()
