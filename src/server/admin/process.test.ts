/**
 * The real daos_admin program, spawned the way daos_server spawns it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Fault } from '../../fault/fault.js';
import { Logger, MemorySink } from '../../logging/logger.js';
import { DAOS_VERSION } from '../../version.js';
import { ProcessAdminInvoker, findDaosAdmin } from './client.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = path.join(repo, 'bin', 'daos_admin');

function memLogger(): { log: Logger; sink: MemorySink } {
  const sink = new MemorySink();
  return { log: new Logger([{ sink, level: 'debug' }]), sink };
}

function tmpdir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'daos-admin-')));
}

test('daos_admin --version', () => {
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stdout, `daos_admin version ${DAOS_VERSION}\n`);
  assert.equal(r.status, 0);
});

test('findDaosAdmin finds the program next to the running one, else in this package', () => {
  assert.equal(findDaosAdmin({ argv1: path.join(repo, 'bin', 'daos_server'), pathEnv: '' }), BIN);
  assert.equal(findDaosAdmin({ argv1: '/nonexistent/bin/daos_server', pathEnv: '' }), BIN);
});

test('daos_admin refuses a parent that is not daos_server, and the fault comes back typed', async () => {
  const { log, sink } = memLogger();
  const inv = new ProcessAdminInvoker({ log, binPath: BIN });
  await assert.rejects(inv.invoke('ScmScan', { Rescan: false }), (e: unknown) => {
    assert.ok(e instanceof Fault);
    assert.equal(e.domain, 'storage');
    assert.equal(e.code, 114);
    assert.equal(e.description, `daos_admin (version ${DAOS_VERSION}) may only be invoked by daos_server`);
    return true;
  });
  assert.match(sink.text(), /error: .*bin\/daos_admin: daos_admin \(version .*\) may only be invoked by daos_server/);
});

test('a helper that does not answer in time is killed, with its children', async () => {
  const dir = tmpdir();
  try {
    const fakeBin = path.join(dir, 'daos_admin');
    fs.writeFileSync(fakeBin, '#!/bin/sh\nsleep 30 &\nsleep 30\n', { mode: 0o755 });
    const inv = new ProcessAdminInvoker({ log: memLogger().log, binPath: fakeBin, timeoutsMs: { ScmScan: 300 } });
    const t0 = Date.now();
    await assert.rejects(inv.invoke('ScmScan', { Rescan: false }), (e: unknown) => e instanceof Fault && e.code === 112);
    assert.ok(Date.now() - t0 < 5_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a helper that answers garbage: failure with its stderr, which is relayed to the log', async () => {
  const dir = tmpdir();
  try {
    const fakeBin = path.join(dir, 'daos_admin');
    fs.writeFileSync(fakeBin, '#!/bin/sh\necho "something broke" >&2\necho not-json\nexit 3\n', { mode: 0o755 });
    const { log, sink } = memLogger();
    const inv = new ProcessAdminInvoker({ log, binPath: fakeBin });
    await assert.rejects(
      inv.invoke('ScmScan', { Rescan: false }),
      (e: unknown) => e instanceof Fault && e.code === 110 && /no valid reply \(exit code 3\): something broke/.test(e.description),
    );
    assert.match(sink.text(), new RegExp(`error: ${fakeBin}: something broke`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const notRoot = process.geteuid?.() !== 0;

test(
  'ram class for real: daos_admin, started by a process titled daos_server, mounts a tmpfs and unmounts it',
  { skip: notRoot ? 'mounting a tmpfs needs root; run the tests as root to exercise daos_admin for real' : false },
  () => {
    const dir = tmpdir();
    const mp = path.join(dir, 'mnt', 'daos');
    const isMounted = (): boolean =>
      fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .some((l) => l.split(' ')[4] === mp);
    try {
      const script = `
        import fs from 'node:fs';
        process.title = 'daos_server';
        const { ProcessAdminInvoker } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/src/server/admin/client.js')).href)});
        const { nullLogger } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/src/logging/logger.js')).href)});
        const inv = new ProcessAdminInvoker({ log: nullLogger(), binPath: ${JSON.stringify(BIN)} });
        const mp = ${JSON.stringify(mp)};
        const t = { Mountpoint: mp, Ramdisk: { Size: 1 }, Dcpm: null };
        const owner = { OwnerUID: 65534, OwnerGID: 65534 };
        const out = {};
        try {
          out.format = await inv.invoke('ScmFormat', { ...t, Reformat: false, ...owner });
          const st = fs.statSync(mp);
          out.stat = { uid: st.uid, gid: st.gid, mode: st.mode & 0o777 };
          out.mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter((l) => l.split(' ')[4] === mp);
          fs.writeFileSync(mp + '/probe', 'x');
          out.check = await inv.invoke('ScmCheckFormat', t);
          try {
            await inv.invoke('ScmFormat', { ...t, Reformat: false, ...owner });
          } catch (e) {
            out.again = { domain: e.domain, code: e.code };
          }
          out.reformat = await inv.invoke('ScmFormat', { ...t, Reformat: true, ...owner });
          out.probeAfterReformat = fs.existsSync(mp + '/probe');
          out.unmount = await inv.invoke('ScmUnmount', t);
        } catch (e) {
          out.error = String(e);
        }
        console.log(JSON.stringify(out));
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.error, undefined);
      assert.deepEqual(out.format, { Mountpoint: mp, Formatted: true, Mounted: true, Mountable: false });
      assert.deepEqual(out.stat, { uid: 65534, gid: 65534, mode: 0o700 });
      assert.equal(out.mountinfo.length, 1);
      assert.match(out.mountinfo[0], / - tmpfs tmpfs rw,.*size=1048576k/);
      assert.deepEqual(out.check, { Mountpoint: mp, Formatted: true, Mounted: true, Mountable: false });
      assert.deepEqual(out.again, { domain: 'storage', code: 103 });
      assert.equal(out.reformat.Mounted, true);
      assert.equal(out.probeAfterReformat, false, 'a reformat gives a fresh tmpfs');
      assert.deepEqual(out.unmount, { Target: mp, Mounted: false });
      assert.equal(isMounted(), false);
    } finally {
      for (let i = 0; i < 4 && isMounted(); i++) spawnSync('umount', [mp]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
