// Network definitions in a temp store: the default network, free subnets, names and the
// refusals of create; --ip against a network's addresses.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CockerError } from '../../../../lib/errors.js'
import { checkRequestedIp } from '../../../../lib/network/bridge/attach.js'
import { createNetwork, findNetwork, listNetworks, parseSubnet, formatSubnet, removeNetworkFile } from '../../../../lib/network/bridge/networks.js'
import { makeTempDir } from '../../../fixtures/bundle.js'

const refused = (fn: () => unknown, message: RegExp) => {
  try {
    fn()
  } catch (err) {
    assert.instance(err, CockerError)
    assert.match((err as Error).message, message)
    return
  }
  assert.unreachable('not refused')
}

test('a fresh store has the default network only: podman, 10.86.0.0/16 (Podman\'s own is 10.88.0.0/16), Podman\'s id, no DNS', () => {
  const [def, ...rest] = listNetworks(makeTempDir())
  assert.equal(rest, [])
  assert.equal([def!.name, def!.id, def!.subnets, def!.dns_enabled], ['podman', '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9',
    [{ subnet: '10.86.0.0/16', gateway: '10.86.0.1' }], false])
})

test('create takes the next free /24 of 10.89.0.0/16 and names podmanN; found by name and id prefix', () => {
  const root = makeTempDir()
  const a = createNetwork(root, {})
  // the host may route some of 10.89.0.0/16 already (another engine's bridge): those are skipped
  const third = (n: typeof a) => Number(n.subnets[0]!.subnet.split('.')[2])
  const b = createNetwork(root, { subnet: `10.89.${third(a) + 1}.0/24` })
  const c = createNetwork(root, {})
  assert.equal([a.name, a.subnets[0]!.subnet.replace(/\.\d+\.0\/24$/, ''), b.name], ['podman1', '10.89', 'podman2'])
  assert.ok(third(c) > third(b) && c.subnets[0]!.subnet.startsWith('10.89.'), c.subnets[0]!.subnet)
  assert.is(a.dns_enabled, true)
  assert.equal(a.options, { isolate: 'true' })
  assert.is.not(a.network_interface, c.network_interface)
  assert.is(findNetwork(root, a.id.slice(0, 10))?.name, 'podman1')
  assert.equal(listNetworks(root).map(n => n.name), ['podman', 'podman1', 'podman2', 'podman3'])
  removeNetworkFile(root, 'podman2')
  assert.is(findNetwork(root, 'podman2'), undefined)
})

test('create refuses a taken name or subnet, a bad name, subnet, gateway or option', () => {
  const root = makeTempDir()
  createNetwork(root, { name: 'web', subnet: '10.99.0.0/24' })
  refused(() => createNetwork(root, { name: 'web' }), /^network name web already used: network already exists$/)
  refused(() => createNetwork(root, { subnet: '10.99.0.128/25' }), /^subnet 10\.99\.0\.128\/25 is already used by network web$/)
  refused(() => createNetwork(root, { name: 'a/b' }), /^network name a\/b invalid/)
  refused(() => createNetwork(root, { subnet: '10.1.2.3' }), /not an IPv4 subnet in CIDR form/)
  refused(() => createNetwork(root, { subnet: '10.98.0.0/24', gateway: '10.97.0.1' }), /^gateway 10\.97\.0\.1 is not in subnet 10\.98\.0\.0\/24$/)
  refused(() => createNetwork(root, { options: { vlan: '3' } }), /^unsupported bridge network option vlan$/)
  refused(() => removeNetworkFile(root, 'podman'), /^default network podman cannot be removed$/)
})

test('subnets are normalized to their network address', () => {
  assert.is(formatSubnet(parseSubnet('10.90.3.7/16')), '10.90.0.0/16')
})

test('--ip must be a host address of the network, not its gateway', () => {
  const root = makeTempDir()
  const def = createNetwork(root, { subnet: '10.97.0.0/24' })
  checkRequestedIp(def, '10.97.0.200')
  for (const ip of ['10.97.0.1', '10.97.0.0', '10.97.0.255', '10.97.1.2']) refused(() => checkRequestedIp(def, ip), /not a free host address of network/)
  refused(() => checkRequestedIp(def, 'fe80::1'), /not an IPv4 address/)
})

test.run()
