import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { B, oidWith, rmDir, tmpDir } from './testing.js';
import type { VosOp } from './types.js';

const MiB = 1 << 20;
const O = oidWith(1n);
const isRc = (rc: number, re?: RegExp) => (e: unknown): boolean => e instanceof VosError && e.rc === rc && (!re || re.test(e.message));

function dtxId(n: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(n, 0);
  b.writeBigUInt64BE(BigInt(n) + 1000n, 16);
  return b;
}

interface Env {
  pool: VosPool;
  opts: VosPoolOptions;
  now: { t: number };
}

async function withPool(extra: Partial<VosPoolOptions>, fn: (env: Env) => Promise<void>): Promise<void> {
  const dir = tmpDir('dtx');
  const now = { t: 1_000_000 };
  const opts: VosPoolOptions = {
    dir: path.join(dir, 'p'),
    target: 0,
    scmBytes: 32 * MiB,
    blob: { device: new MemoryDevice(16 * MiB, 'malloc0'), offset: 0, size: 16 * MiB },
    maxUpdateSlack: 0n,
    clock: () => now.t,
    ...extra,
  };
  const env: Env = { pool: await VosPool.create(opts), opts, now };
  try {
    await fn(env);
    assert.deepEqual(env.pool.verify().problems, []);
  } finally {
    await env.pool.close();
    rmDir(dir);
  }
}

async function reopen(env: Env): Promise<void> {
  await env.pool.close();
  env.pool = await VosPool.open(env.opts);
}

const upd = (dkey: string, akey: string, v: Buffer): VosOp => ({ kind: 'update', oid: O, dkey: B(dkey), iods: [{ akey: B(akey), type: 'single', size: v.length }], data: [v] });

async function get(p: VosPool, e: number, dkey: string, akey: string): Promise<Buffer | undefined> {
  const [r] = await p.fetch('c', O, BigInt(e), B(dkey), [{ akey: B(akey), type: 'single', size: 0 }]);
  return r!.size ? r!.data : undefined;
}

test('prepared data is invisible at every epoch; commit makes it visible at its epoch exactly', async () => {
  await withPool({}, async ({ pool }) => {
    await pool.update('c', O, 5n, B('d'), [{ akey: B('a'), type: 'single', size: 3 }], [B('old')]);
    const big = Buffer.alloc(9000, 4);
    await pool.prepare(dtxId(1), 'c', 10n, upd('d', 'a', big));
    await pool.prepare(dtxId(2), 'c', 11n, upd('new-dkey', 'a', B('n')));
    for (const e of [5, 10, 11, 100]) {
      assert.deepEqual(await get(pool, e, 'd', 'a'), B('old'), `epoch ${e}`);
      assert.equal(await get(pool, e, 'new-dkey', 'a'), undefined);
      assert.deepEqual(pool.listDkeys('c', O, BigInt(e), undefined, 10).keys, [B('d')]);
    }
    assert.equal(pool.dtxStatus(dtxId(1)), 'prepared');
    assert.deepEqual(pool.pendingConflict('c', O, B('d'), 10n), dtxId(1));
    assert.equal(pool.pendingConflict('c', O, B('d'), 9n), undefined, 'prepared above the read epoch: no conflict');
    assert.equal(pool.pendingConflict('c', O, B('other'), 100n), undefined);
    assert.equal(pool.pendingConflict('c', oidWith(2n), B('d'), 100n), undefined);

    await pool.commit([dtxId(1), dtxId(2), dtxId(99)]);
    assert.deepEqual(await get(pool, 9, 'd', 'a'), B('old'));
    assert.deepEqual(await get(pool, 10, 'd', 'a'), big);
    assert.equal(await get(pool, 10, 'new-dkey', 'a'), undefined);
    assert.deepEqual(await get(pool, 11, 'new-dkey', 'a'), B('n'));
    assert.equal(pool.dtxStatus(dtxId(1)), 'committed');
    assert.equal(pool.dtxStatus(dtxId(99)), 'unknown');
    assert.equal(pool.pendingConflict('c', O, B('d'), 100n), undefined);
    assert.deepEqual(pool.prepared(), []);
    // committing again is harmless; preparing a committed id is refused
    await pool.commit([dtxId(1)]);
    await assert.rejects(pool.prepare(dtxId(1), 'c', 12n, upd('d', 'a', B('x'))), isRc(VosRc.EXIST, /committed/));
  });
});

test('abort discards the prepared update and frees its space', async () => {
  await withPool({}, async ({ pool }) => {
    const free0 = pool.space().nvme.free;
    await pool.prepare(dtxId(1), 'c', 10n, upd('d', 'a', Buffer.alloc(64 * 1024, 1)));
    await assert.rejects(pool.prepare(dtxId(2), 'c', 10n, { kind: 'punchObject', oid: O }), isRc(VosRc.INVAL, /same epoch/), 'an update and a punch at one epoch');
    await pool.prepare(dtxId(2), 'c', 11n, { kind: 'punchObject', oid: O });
    assert.equal(pool.space().nvme.free, free0 - 64 * 1024);
    await pool.abort([dtxId(1), dtxId(2), dtxId(77)]);
    assert.equal(pool.space().nvme.free, free0);
    assert.equal(pool.dtxStatus(dtxId(1)), 'unknown');
    assert.equal(await get(pool, 100, 'd', 'a'), undefined);
    assert.deepEqual(pool.prepared(), []);
    // a committed DTX cannot be aborted (and nothing changes)
    await pool.prepare(dtxId(3), 'c', 20n, upd('d', 'a', B('v')));
    await pool.commit([dtxId(3)]);
    await pool.prepare(dtxId(4), 'c', 21n, upd('d', 'b', B('w')));
    await assert.rejects(pool.abort([dtxId(4), dtxId(3)]), isRc(VosRc.INVAL, /committed/));
    assert.equal(pool.dtxStatus(dtxId(4)), 'prepared');
    assert.deepEqual(await get(pool, 30, 'd', 'a'), B('v'));
  });
});

test('prepared punches: invisible until commit; the prepared list and conflicts name the dkeys', async () => {
  await withPool({}, async ({ pool }) => {
    for (const d of ['d1', 'd2', 'd3']) await pool.update('c', O, 5n, B(d), [{ akey: B('a'), type: 'single', size: 1 }], [B('v')]);
    await pool.prepare(dtxId(1), 'c', 10n, { kind: 'punchDkeys', oid: O, dkeys: [B('d1'), B('d2')] });
    await pool.prepare(dtxId(2), 'c', 12n, { kind: 'punchAkeys', oid: O, dkey: B('d3'), akeys: [B('a')] });
    await pool.prepare(dtxId(3), 'c', 15n, { kind: 'punchObject', oid: oidWith(5n) });
    const listed = pool.prepared().map((p) => [p.dtx.readUInt32BE(0), p.cont, p.epoch, p.dkey?.toString() ?? '-']);
    assert.deepEqual(listed.sort(), [
      [1, 'c', 10n, 'd1'],
      [1, 'c', 10n, 'd2'],
      [2, 'c', 12n, 'd3'],
      [3, 'c', 15n, '-'],
    ]);
    assert.deepEqual(pool.pendingConflict('c', oidWith(5n), B('anything'), 20n), dtxId(3), 'an object punch covers every dkey');
    assert.deepEqual(await get(pool, 20, 'd1', 'a'), B('v'));
    // an update at the same epoch as a prepared punch of its dkey is refused
    await assert.rejects(pool.update('c', O, 10n, B('d1'), [{ akey: B('a'), type: 'single', size: 1 }], [B('x')]), isRc(VosRc.INVAL, /prepared/));
    await pool.commit([dtxId(1), dtxId(2)]);
    assert.deepEqual(await get(pool, 9, 'd1', 'a'), B('v'));
    assert.equal(await get(pool, 10, 'd1', 'a'), undefined);
    assert.deepEqual(await get(pool, 10, 'd3', 'a'), B('v'));
    assert.equal(await get(pool, 12, 'd3', 'a'), undefined);
    assert.deepEqual(pool.listDkeys('c', O, 20n, undefined, 10).keys, [B('d3')]);
  });
});

test('prepared and committed state survive close and reopen', async () => {
  await withPool({}, async (env) => {
    await env.pool.prepare(dtxId(1), 'c', 10n, upd('d', 'a', Buffer.alloc(5000, 1)));
    await env.pool.prepare(dtxId(2), 'c', 11n, upd('d', 'b', B('small')));
    await env.pool.prepare(dtxId(3), 'c', 12n, { kind: 'punchDkeys', oid: O, dkeys: [B('x')] });
    await env.pool.commit([dtxId(2)]);
    await reopen(env);
    const { pool } = env;
    assert.equal(pool.dtxStatus(dtxId(1)), 'prepared');
    assert.equal(pool.dtxStatus(dtxId(2)), 'committed');
    assert.equal(pool.dtxStatus(dtxId(3)), 'prepared');
    assert.equal(pool.prepared().length, 2);
    assert.deepEqual(pool.pendingConflict('c', O, B('d'), 10n), dtxId(1));
    assert.deepEqual(await get(pool, 20, 'd', 'b'), B('small'));
    assert.equal(await get(pool, 20, 'd', 'a'), undefined);
    await pool.commit([dtxId(1)]);
    assert.deepEqual(await get(pool, 20, 'd', 'a'), Buffer.alloc(5000, 1));
    await pool.abort([dtxId(3)]);
    await reopen(env);
    assert.equal(env.pool.dtxStatus(dtxId(1)), 'committed');
    assert.equal(env.pool.dtxStatus(dtxId(3)), 'unknown');
    assert.deepEqual(env.pool.prepared(), []);
  });
});

test('committed ids are remembered: at least the newest N, and all of the last hour', async () => {
  await withPool({ committedKeep: 10, committedAgeMs: 3600_000 }, async (env) => {
    const { pool, now } = env;
    const commitOne = async (n: number) => {
      await pool.prepare(dtxId(n), 'c', BigInt(n), { kind: 'punchDkeys', oid: O, dkeys: [B(`k${n}`)] });
      await pool.commit([dtxId(n)]);
    };
    for (let n = 1; n <= 20; n++) await commitOne(n);
    assert.equal(pool.dtxStatus(dtxId(1)), 'committed', 'younger than an hour: kept beyond the count');
    now.t += 2 * 3600_000;
    for (let n = 21; n <= 25; n++) await commitOne(n);
    // the old ones beyond the newest 10 are forgotten
    const status = Array.from({ length: 25 }, (_, i) => pool.dtxStatus(dtxId(i + 1)));
    assert.equal(status.filter((s) => s === 'committed').length, 10);
    assert.deepEqual(status.slice(15), Array(10).fill('committed'));
    await reopen(env);
    assert.equal(env.pool.dtxStatus(dtxId(25)), 'committed');
    assert.equal(env.pool.dtxStatus(dtxId(1)), 'unknown');
  });
});

test('destroying a container aborts its prepared DTXs; a duplicate prepare is refused', async () => {
  await withPool({}, async ({ pool }) => {
    const free0 = pool.space().nvme.free;
    await pool.prepare(dtxId(1), 'c', 10n, upd('d', 'a', Buffer.alloc(8192)));
    await assert.rejects(pool.prepare(dtxId(1), 'c', 10n, upd('d', 'a', B('x'))), isRc(VosRc.EXIST, /prepared/));
    await pool.prepare(dtxId(2), 'other', 10n, upd('d', 'a', B('keep')));
    await pool.destroyContainer('c');
    assert.equal(pool.dtxStatus(dtxId(1)), 'unknown');
    assert.equal(pool.dtxStatus(dtxId(2)), 'prepared');
    assert.equal(pool.space().nvme.free, free0);
    await assert.rejects(pool.prepare(Buffer.alloc(5), 'c', 1n, upd('d', 'a', B('x'))), isRc(VosRc.INVAL, /24/));
  });
});
