// What a container sees when nothing is asked for, `podman run` against `cocker run`, root
// and rootless: the same busybox image (the fixture's oci-archive, loaded into both), the
// same commands, Podman with its own default runtime (crun). Podman is the measure, not
// cocker's constants: a default that drifts from Podman's fails here.
//
// Both run with `--network none`: cocker has no network stack yet (its default is what
// Podman calls none), and Podman's default network would differ in ways that are not
// defaults of the container (interfaces, /etc/hosts entries).
//
// Outputs are normalized only where a difference is incidental (ids, sources, sizes) or is
// crun's own choice rather than Podman's (crunNormalized: cocker's runtime does as runc does),
// and the difference cocker has on purpose, the capability set, is named below with its reason.
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CAPABILITIES } from '../../lib/runtime/linux.js'
import { hasFixtureInit, fixtureInitPath } from '../fixtures/init-bundle.js'
import { cocker, COCKER_MODES, type CockerMode } from '../support/cocker-modes.js'
import { FIXTURE_IMAGE } from '../support/image-fixture.js'
import { crunNormalized, devLine, parseSections, type Observations } from '../support/observations.js'
import { cleanupPodman, podman, podmanOrSkip, type PodmanEnv } from '../support/podman.js'
import { PODMAN_4_EXTRA_CAPABILITIES, PODMAN_MASKED_PATHS, PODMAN_READONLY_PATHS } from '../support/podman-defaults.js'
import { skipUnless } from '../support/requires.js'
import { busyboxModeOrSkip, type BusyboxMode } from '../support/run-scenario.js'
import { stageForRootless } from '../support/rootless.js'

const STATUS_FIELDS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp', 'Seccomp_filters']

const sh = (lines: string[]) => lines.join('\n')

const STATUS_PROBE = sh(['echo "## status"', `grep -E '^(${STATUS_FIELDS.join('|')}):' /proc/self/status`])

/** Each section is compared on its own, so a failure names what differs. */
const PROBE = sh([
  STATUS_PROBE,
  'echo "## mounts"',
  'cat /proc/self/mountinfo',
  'echo "## cgroups"',
  // the root of each v1 cgroup mount against the container's own cgroup in that hierarchy
  `awk 'NR == FNR { split($0, f, ":"); n = split(f[2], c, ","); for (i = 1; i <= n; i++) own[c[i]] = f[3]; next }`,
  '  { for (s = 7; $s != "-"; s++); if ($(s + 1) != "cgroup") next',
  '    n = split($(s + 3), o, ","); mine = "?"; for (i = 1; i <= n; i++) if (o[i] in own) mine = own[o[i]]',
  `    print $5 ": " ($4 == mine ? "its own cgroup" : "cgroup " $4 ", its own is " mine) }' /proc/self/cgroup /proc/self/mountinfo`,
  'echo "## pids"',
  // Podman's pids_limit, where the container has a pids cgroup of its own (v1, or v2)
  'f=$(ls /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null | head -n 1)',
  'if [ -n "$f" ]; then echo "pids.max: $(cat "$f")"; else echo "pids.max: no such file"; fi',
  'echo "## dev"',
  'ls -ln /dev /dev/pts /dev/shm /dev/mqueue',
  'echo "## masked"',
  // a byte is enough to tell a masked file from a real one (/proc/kcore is as big as the address space)
  `for p in ${PODMAN_MASKED_PATHS.join(' ')}; do`,
  '  if [ -d "$p" ]; then echo "$p: directory [$(ls -A "$p" | tr "\\n" " ")]"',
  '  elif [ -e "$p" ]; then echo "$p: file, $(head -c 1 "$p" | wc -c) bytes read"',
  '  else echo "$p: absent"; fi',
  'done',
  'echo "## readonly"',
  // opening for writing (and writing nothing) is the test: EROFS or not
  `for p in ${PODMAN_READONLY_PATHS.join(' ')}; do`,
  '  f=$(find "$p" -type f 2>/dev/null | head -n 1)',
  '  if [ -z "$f" ]; then echo "$p: absent or empty"; continue; fi',
  '  err=$( (: > "$f") 2>&1 ) && echo "$p ($f): writable" || echo "$p ($f): ${err##*: }"',
  'done',
])
const SECTIONS = ['status', 'mounts', 'cgroups', 'pids', 'dev', 'masked', 'readonly']

/** fixture-init's harmless syscall probes (c/tests/fixture-init.c): "ok" or "errno=N" each. */
const SYSCALLS = ['mkdir', 'chmod', 'chown', 'mknod', 'mount', 'unshare', 'sethostname', 'chroot', 'reboot', 'swapon', 'add_key',
  'keyctl', 'personality']
const SYSCALL_PROBE = sh(SYSCALLS.map(s => `echo "${s}: $(/fixture-init syscall ${s})"`))

/**
 * A mountinfo line as "MOUNTPOINT FSTYPE OPTIONS", OPTIONS the per-mount ones that decide what
 * a process may do there (ro/rw, nosuid, nodev, noexec); ids, sources and superblock options
 * (sizes, lowerdirs) are incidental.
 */
function mountLine(line: string): string {
  const [pre, post] = line.split(' - ')
  const f = pre!.split(' ')
  const options = f[5]!.split(',').filter(o => ['ro', 'rw', 'nosuid', 'nodev', 'noexec'].includes(o))
  return `${f[4]} ${post?.split(' ')[0]} ${options.join(',')}`
}

function parse(stdout: string, sections: string[]): Observations {
  const obs = parseSections(stdout, { dev: devLine, mounts: mountLine })
  // masks, read-only binds and cgroup hierarchies are mounted in a different order by each
  // runtime; the set is what counts
  obs.mounts?.sort()
  obs.cgroups?.sort()
  // a typo in the probe would leave both sides empty, and equal
  assert.equal(Object.keys(obs), sections, `the probe printed:\n${stdout}`)
  return obs
}

/** Capability masks of /proc/self/status with their names, so a diff says which capability. */
function capNames(line: string): string {
  const m = /^(Cap\w+):\s+([0-9a-f]+)$/.exec(line)
  if (!m) return line
  const mask = BigInt(`0x${m[2]}`)
  const names = CAPABILITIES.filter((_, bit) => mask & (1n << BigInt(bit))).map(c => c.slice(4))
  return `${m[1]}: ${m[2]} (${names.join(' ') || 'none'})`
}

/** The lines only Podman shows (-) and only cocker shows (+), or undefined when both show the same. */
function lineDiff(what: string, podmanLines: string[] = [], cockerLines: string[] = []): string | undefined {
  if (podmanLines.join('\n') === cockerLines.join('\n')) return undefined
  const only = (a: string[], b: string[]) => {
    const rest = [...b]
    return a.filter(l => {
      const i = rest.indexOf(l)
      if (i < 0) return true
      rest.splice(i, 1)
      return false
    })
  }
  const diff = [...only(podmanLines, cockerLines).map(l => `- ${l}`), ...only(cockerLines, podmanLines).map(l => `+ ${l}`)]
  return `${what}: Podman (-) and cocker (+) differ:\n${diff.length ? diff.join('\n') : '(the same lines in another order)'}`
}

/** Fails with every comparison that differs, each as a diff. */
function sameLines(...comparisons: [what: string, podmanLines: string[] | undefined, cockerLines: string[] | undefined][]): void {
  const diffs = comparisons.map(c => lineDiff(...c)).filter(d => d !== undefined)
  if (diffs.length) assert.unreachable(diffs.join('\n\n'))
}

/**
 * What cocker should show, given what Podman showed: Podman's view with the named difference
 * applied. cocker gives Podman 5's eleven capabilities; Podman 4.3 gives Docker's fourteen, the
 * three more being CAP_AUDIT_WRITE, CAP_MKNOD and CAP_NET_RAW. Podman 5 dropped them as unneeded
 * by almost every image and each a risk of its own: NET_RAW lets a container forge packets on
 * its network (ping works without it through net.ipv4.ping_group_range, which cocker sets as
 * Podman does), MKNOD creates device nodes that the device cgroup then has to refuse,
 * AUDIT_WRITE writes into the host's audit log.
 */
function expectedFromPodman(obs: Observations, podmanMajor: number): Observations {
  if (podmanMajor >= 5) return obs
  const dropped = PODMAN_4_EXTRA_CAPABILITIES.reduce((m, c) => m | (1n << BigInt(CAPABILITIES.indexOf(c as never))), 0n)
  const status = obs.status!.map(l => {
    const m = /^(CapPrm|CapEff|CapBnd):(\s+)([0-9a-f]+)$/.exec(l)
    return m ? `${m[1]}:${m[2]}${(BigInt(`0x${m[3]}`) & ~dropped).toString(16).padStart(m[3]!.length, '0')}` : l
  })
  return { ...obs, status }
}

interface Pair { mode: BusyboxMode; pe: PodmanEnv; podmanMajor: number; fixture: string }

let podmanMajor: Promise<number> | undefined

/** The mode's cocker (with the image loaded) and Podman; undefined after printing why not. */
async function pairOrSkip(modeName: CockerMode['name'], title: string): Promise<Pair | undefined> {
  const pe = await podmanOrSkip(modeName, `${title} (${modeName})`)
  if (!pe) return undefined
  const mode = await busyboxModeOrSkip(modeName, title)
  if (!mode) return undefined
  podmanMajor ??= podman(pe, ['version', '--format', '{{.Client.Version}}'], { status: 0 }).then(r => Number(r.stdout.trim().split('.')[0]))
  const fixture = mode.user ? path.join(stageForRootless(), 'c/tests/fixture-init') : fixtureInitPath()
  return { mode, pe, podmanMajor: await podmanMajor, fixture }
}

/** The same `run` under both engines: [podman's stdout, cocker's stdout]. */
async function runBoth(pair: Pair, runArgs: string[], command: string[]): Promise<[string, string]> {
  const args = ['run', '--rm', '--network', 'none', ...runArgs, FIXTURE_IMAGE, ...command]
  const theirs = await podman(pair.pe, args, { status: 0 })
  const ours = await cocker(pair.mode, args, { status: 0 })
  return [theirs.stdout, ours.stdout]
}

function pairTest(title: string, body: (pair: Pair) => Promise<void>, needsFixture = false): void {
  for (const modeName of COCKER_MODES) {
    test(`${title} (${modeName})`, async () => {
      if (needsFixture && skipUnless(hasFixtureInit(), `${title} (${modeName})`, 'c/tests/fixture-init is not built')) return
      const pair = await pairOrSkip(modeName, title)
      if (pair) await body(pair)
    })
  }
}

pairTest('the default container: capabilities, mounts, cgroups, pids limit, /dev, masked and read-only paths as Podman\'s', async pair => {
  const [theirs, ours] = await runBoth(pair, [], ['sh', '-c', PROBE])
  const expected = expectedFromPodman(crunNormalized(parse(theirs, SECTIONS), PODMAN_MASKED_PATHS), pair.podmanMajor)
  const actual = crunNormalized(parse(ours, SECTIONS), PODMAN_MASKED_PATHS)
  sameLines(
    ['/proc/self/status (Cap*, NoNewPrivs, Seccomp)', expected.status!.map(capNames), actual.status!.map(capNames)],
    ['the mount table', expected.mounts, actual.mounts],
    ['what the cgroup mounts show', expected.cgroups, actual.cgroups],
    ['the pids limit', expected.pids, actual.pids],
    ['/dev', expected.dev, actual.dev],
    ['masked paths (what reading them shows)', expected.masked, actual.masked],
    ['read-only paths (what opening a file in them for writing gives)', expected.readonly, actual.readonly],
  )
})

pairTest('a user other than root has no capabilities, as with Podman', async pair => {
  const [theirs, ours] = await runBoth(pair, ['--user', '65534'], ['sh', '-c', STATUS_PROBE])
  const expected = expectedFromPodman(parse(theirs, ['status']), pair.podmanMajor)
  const actual = parse(ours, ['status'])
  sameLines(['/proc/self/status of uid 65534', expected.status!.map(capNames), actual.status!.map(capNames)])
})

/**
 * The default seccomp profile, resolved against the capabilities the container keeps: each
 * probe's answer is the profile's or the kernel's, and must be Podman's. Two are refused by the
 * profile itself: swapon, which it names, with EPERM whatever the capabilities; add_key, which
 * it does not name, with ENOSYS (Docker's profile says EPERM), so that a program takes it for
 * a syscall the kernel lacks. keyctl is one Podman's profile allows and Docker's refuses.
 * mknod is the named difference: it needs CAP_MKNOD, which Podman 4.3 gives and cocker (like
 * Podman 5) does not.
 */
function expectedSyscalls(stdout: string, podmanMajor: number): string[] {
  const lines = stdout.trim().split('\n')
  for (const refused of ['swapon: errno=1', 'add_key: errno=38']) assert.ok(lines.includes(refused), `under Podman ${refused}:\n${stdout}`)
  return podmanMajor >= 5 ? lines : lines.map(l => (l.startsWith('mknod: ') ? 'mknod: errno=1' : l))
}

pairTest('syscalls under the default seccomp profile and capabilities answer as under Podman', async pair => {
  const [theirs, ours] = await runBoth(pair, ['-v', `${pair.fixture}:/fixture-init:ro`], ['sh', '-c', SYSCALL_PROBE])
  sameLines(['syscall probes', expectedSyscalls(theirs, pair.podmanMajor), ours.trim().split('\n')])
}, true)

pairTest('with CAP_SYS_ADMIN the profile lets its syscalls through, and still refuses swapon and add_key, as Podman\'s', async pair => {
  const [theirs, ours] = await runBoth(pair, ['--cap-add', 'CAP_SYS_ADMIN', '-v', `${pair.fixture}:/fixture-init:ro`],
    ['sh', '-c', SYSCALL_PROBE])
  sameLines(['syscall probes with --cap-add CAP_SYS_ADMIN', expectedSyscalls(theirs, pair.podmanMajor), ours.trim().split('\n')])
}, true)

test.after(cleanupPodman)

test.run()
