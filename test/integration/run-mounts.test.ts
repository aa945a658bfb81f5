// `cocker run`'s filesystem flags, root and rootless, checked inside the container against
// /proc/mounts and by writing: --read-only (and --read-only-tmpfs), --tmpfs, --mount (bind, tmpfs,
// image, devpts) and -v.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cocker, modeDir } from '../support/cocker-modes.js'
import { safeName } from '../support/names.js'
import { busyboxScenario, runSh, type BusyboxMode } from '../support/run-scenario.js'

/** /proc/mounts lines of these mount points, as "POINT TYPE OPTIONS". */
const mountsOf = (points: string[]) =>
  `grep -E " (${points.join('|')}) " /proc/mounts | cut -d" " -f2-4`

busyboxScenario('--read-only: / is read-only, /run, /tmp and /var/tmp are writable tmpfs', async mode => {
  const r = await runSh(mode, ['--read-only'],
    `${mountsOf(['/', '/run', '/tmp', '/var/tmp'])}; for d in /run /tmp /var/tmp; do touch $d/x && echo $d writable; done; touch /x`,
    { status: 1 })
  assert.match(r.stdout, /^\/ overlay ro,/m)
  for (const d of ['/run', '/tmp', '/var/tmp']) {
    // podman's --read-only-tmpfs options
    assert.match(r.stdout, new RegExp(`^${d} tmpfs rw,nosuid,nodev,`, 'm'))
    assert.match(r.stdout, new RegExp(`^${d} writable$`, 'm'))
  }
  assert.is(r.stderr, 'touch: /x: Read-only file system\n')
})

busyboxScenario('--read-only --read-only-tmpfs=false: /tmp is the read-only image dir too', async mode => {
  const r = await runSh(mode, ['--read-only', '--read-only-tmpfs=false'], `${mountsOf(['/tmp'])}; touch /tmp/x`, { status: 1 })
  assert.is(r.stdout, '')
  assert.is(r.stderr, 'touch: /tmp/x: Read-only file system\n')
  // and without --read-only, / takes writes
  await runSh(mode, [], 'touch /x')
})

busyboxScenario('--tmpfs and --mount type=tmpfs mount a tmpfs with the size and mode given', async mode => {
  const r = await runSh(mode, ['--tmpfs', '/scratch:size=1m,mode=700', '--mount', 'type=tmpfs,target=/t2,tmpfs-size=2m,tmpfs-mode=750'],
    `${mountsOf(['/scratch', '/t2'])}; stat -c "%n %a" /scratch /t2; echo data > /scratch/f && cat /scratch/f`)
  // podman's defaults for a tmpfs: rw, noexec, nosuid, nodev
  assert.match(r.stdout, /^\/scratch tmpfs rw,nosuid,nodev,noexec,[^ ]*size=1024k,mode=700/m)
  assert.match(r.stdout, /^\/t2 tmpfs rw,nosuid,nodev,noexec,[^ ]*size=2048k,mode=750/m)
  assert.match(r.stdout, /^\/scratch 700\n\/t2 750\ndata\n$/m)
})

busyboxScenario('-v and --mount type=bind: the host directory, read-only with ro or readonly', async mode => {
  const dir = modeDir(mode)
  writeFileSync(path.join(dir, 'from-host'), 'host data\n', { mode: 0o644 })
  const r = await runSh(mode, ['-v', `${dir}:/rw`, '-v', `${dir}:/ro:ro`, '--mount', `type=bind,source=${dir},target=/m,readonly`],
    `${mountsOf(['/rw', '/ro', '/m'])}; cat /ro/from-host /m/from-host; echo from container > /rw/written;` +
    ' touch /ro/x 2>&1; touch /m/x 2>&1; true')
  assert.match(r.stdout, /^\/rw [^ ]+ rw,/m)
  assert.match(r.stdout, /^\/ro [^ ]+ ro,/m)
  assert.match(r.stdout, /^\/m [^ ]+ ro,/m)
  assert.match(r.stdout, /host data\nhost data\ntouch: \/ro\/x: Read-only file system\ntouch: \/m\/x: Read-only file system\n$/)
  // written through the bind mount, owned by the caller (root in the container is the caller rootless)
  assert.is(readFileSync(path.join(dir, 'written'), 'utf8'), 'from container\n')
  assert.is(statSync(path.join(dir, 'written')).uid, mode.user?.uid ?? 0)
})

/** An image made from the busybox fixture by commit: /added written, /opt deleted (a whiteout); one layer with `squash`. */
async function derivedImage(mode: BusyboxMode, squash: boolean): Promise<string> {
  const ct = safeName()
  const image = `localhost/${safeName()}:1`
  await cocker(mode, ['run', '--name', ct, '--network', 'none', mode.image, 'sh', '-c', 'echo added > /added; rm -r /opt'], { status: 0 })
  await cocker(mode, ['commit', '-q', ...(squash ? ['--squash'] : []), ct, image], { status: 0 })
  await cocker(mode, ['rm', ct], { status: 0 })
  return image
}

const IMAGE_SCRIPT = 'cat /img/added; ls /img/opt 2>&1; ls /img/bin/busybox; touch /img/x 2>&1; true'
const IMAGE_OUT = 'added\nls: /img/opt: No such file or directory\n/img/bin/busybox\ntouch: /img/x: Read-only file system\n'

busyboxScenario('--mount type=image: the image\'s root read-only, what its layers deleted gone; rw=true takes writes, the image keeps none', async mode => {
  const image = await derivedImage(mode, false)
  try {
    const ro = await runSh(mode, ['--mount', `type=image,source=${image},destination=/img`], `${mountsOf(['/img'])}; ${IMAGE_SCRIPT}`)
    assert.match(ro.stdout, /^\/img overlay ro,/)
    assert.is(ro.stdout.replace(/^.*\n/, ''), IMAGE_OUT)
    const rw = await runSh(mode, ['--mount', `type=image,src=${image},dst=/img,rw=true`], 'echo new > /img/x && cat /img/x /img/added; rm /img/added && ls /img')
    assert.is(rw.stdout, 'new\nadded\nbin\ndev\netc\nproc\nroot\nrun\nsys\ntmp\nx\n')
    // the image is as it was
    assert.is((await runSh(mode, ['--mount', `type=image,source=${image},target=/img`], 'ls /img')).stdout, 'added\nbin\ndev\netc\nproc\nroot\nrun\nsys\ntmp\n')
    const missing = await cocker(mode, ['run', '--rm', '--mount', 'type=image,source=localhost/no-such-image,target=/img', mode.image, 'true'], { status: 125 })
    assert.is(missing.stderr, 'Error: --mount type=image,source=localhost/no-such-image: localhost/no-such-image: image not known; pull it first with "cocker pull localhost/no-such-image"\n')
  } finally {
    await cocker(mode, ['rmi', image])
  }
})

busyboxScenario('--mount type=image of a one-layer image (commit --squash): its layer, read-only', async mode => {
  const image = await derivedImage(mode, true)
  try {
    assert.is((await runSh(mode, ['--mount', `type=image,source=${image},destination=/img`], IMAGE_SCRIPT)).stdout, IMAGE_OUT)
  } finally {
    await cocker(mode, ['rmi', image])
  }
})

busyboxScenario('--mount type=devpts: a devpts instance of its own with the options given', async mode => {
  const r = await runSh(mode, ['--mount', 'type=devpts,destination=/dev/pts2,mode=620,ptmxmode=666'], `${mountsOf(['/dev/pts2'])}; ls /dev/pts2`)
  assert.match(r.stdout, /^\/dev\/pts2 devpts rw,[^ ]*mode=620,ptmxmode=666(,|$)/m)
  assert.match(r.stdout, /\nptmx\n$/)
})

test.run()
