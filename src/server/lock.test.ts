/**
 * The socket directory lock and the control port check: a running
 * daos_server is found (and named) without writing anything; stale locks are
 * replaced.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Fault } from '../fault/fault.js';
import { LOCK_FILE, ServerLock, checkNotRunning, checkPortFree, type ProcessSeams } from './lock.js';

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-lock-test-'));
  tmpDirs.push(d);
  return d;
}

/** Processes: pid → name of the live ones. */
function procs(live: Record<number, string>, self = 100): ProcessSeams {
  return { alive: (pid) => pid in live, name: (pid) => live[pid] ?? '', self };
}

const cases: Record<string, { lock?: string; live: Record<number, string>; refused?: RegExp; stale?: number }> = {
  'no lock file': { live: {} },
  'a live daos_server holds it': { lock: '4242\n', live: { 4242: 'daos_server' }, refused: /another daos_server \(pid 4242\) is already running with socket_dir / },
  'the holder is gone': { lock: '4242\n', live: {}, stale: 4242 },
  'the pid now belongs to another program': { lock: '4242\n', live: { 4242: 'bash' }, stale: 4242 },
  'garbage in the lock file': { lock: 'not a pid', live: {} },
  'our own pid (a restart in place)': { lock: '100\n', live: { 100: 'daos_server' }, stale: 100 },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`lock: ${name}`, () => {
    const dir = tmpDir();
    const file = path.join(dir, LOCK_FILE);
    if (tc.lock !== undefined) fs.writeFileSync(file, tc.lock);
    const p = procs(tc.live);
    const lock = new ServerLock(dir, p);
    if (tc.refused) {
      assert.throws(() => checkNotRunning(dir, p), (e: unknown) => e instanceof Fault && tc.refused!.test(e.description) && /kill 4242/.test(e.resolution));
      assert.throws(() => lock.acquire(), (e: unknown) => e instanceof Fault && e.code === 621);
      assert.equal(fs.readFileSync(file, 'utf8'), tc.lock, 'the holder\'s lock is untouched');
      return;
    }
    checkNotRunning(dir, p);
    assert.equal(lock.acquire(), tc.stale);
    assert.equal(fs.readFileSync(file, 'utf8'), '100\n');
    lock.release();
    assert.equal(fs.existsSync(file), false, 'released at shutdown');
  });
}

test('lock: release leaves a lock that another server took over', () => {
  const dir = tmpDir();
  const lock = new ServerLock(dir, procs({}));
  lock.acquire();
  fs.writeFileSync(path.join(dir, LOCK_FILE), '999\n');
  lock.release();
  assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), '999\n');
});

test('the control port check names a port in use, and passes on a free one', async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', r));
  const port = (s.address() as net.AddressInfo).port;
  try {
    await assert.rejects(checkPortFree(port), (e: unknown) => e instanceof Fault && e.code === 613 && /0\.0\.0\.0:\d+: address already in use/.test(e.description));
  } finally {
    await new Promise((r) => s.close(r));
  }
  await checkPortFree(port);
});
