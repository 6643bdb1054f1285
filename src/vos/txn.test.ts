/**
 * The write path's mechanisms: operations run without child transactions
 * (an operation that throws after writing makes the batch run again without
 * it), the cache of decoded records, the newest single-value version kept in
 * the akey record (and akey records written before that), and the paths for
 * storage that is not on a memory file system.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FileDevice, MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { objKey, subKey } from './keys.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { decAkey, encAkey, svKey, TYPE_SINGLE } from './records.js';
import { B, oidWith, rmDir, tmpDir } from './testing.js';
import type { UnitOid } from './types.js';

const MiB = 1 << 20;
const C = 'cont-1';
const MAX = 2n ** 64n - 1n;
const isRc = (rc: number) => (e: unknown): boolean => e instanceof VosError && e.rc === rc;

/** What the tests reach inside a pool for. */
interface RawTable {
  get(k: Buffer): Buffer | undefined;
  putSync(k: Buffer, v: Buffer): void;
  removeSync(k: Buffer): void;
}
const tables = (p: VosPool): Record<'dtx' | 'akey' | 'sv', RawTable> => (p as unknown as { t: Record<'dtx' | 'akey' | 'sv', RawTable> }).t;

async function withPool(opts: Partial<VosPoolOptions>, fn: (pool: VosPool, o: VosPoolOptions) => Promise<void>): Promise<void> {
  const dir = tmpDir('txn');
  const o: VosPoolOptions = {
    dir: path.join(dir, 'p'),
    target: 0,
    scmBytes: 64 * MiB,
    maxUpdateSlack: 0n,
    blob: { device: new MemoryDevice(32 * MiB, 'malloc0'), offset: 0, size: 32 * MiB },
    ...opts,
  };
  let pool = await VosPool.create(o);
  try {
    await fn(pool, o);
    assert.deepEqual(pool.verify().problems, []);
    await pool.close();
    pool = await VosPool.open(o);
    assert.deepEqual(pool.verify().problems, [], 'after reopening');
  } finally {
    await pool.close();
    rmDir(dir);
  }
}

function dtxId(n: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(n, 0);
  return b;
}

const put = (p: VosPool, oid: UnitOid, e: bigint, dkey: string, akey: string, v: Buffer): Promise<void> =>
  p.update(C, oid, e, B(dkey), [{ akey: B(akey), type: 'single', size: v.length }], [v]);

async function get(p: VosPool, oid: UnitOid, e: bigint, dkey: string, akey: string): Promise<Buffer | undefined> {
  const [r] = await p.fetch(C, oid, e, B(dkey), [{ akey: B(akey), type: 'single', size: 0 }]);
  return r!.size ? r!.data : undefined;
}

test('an operation that throws after writing: the batch runs again without it, the others commit, its writes are gone', async () => {
  await withPool({}, async (pool) => {
    const O = oidWith(1n);
    await pool.createContainer(C);
    await pool.prepare(dtxId(1), C, 10n, { kind: 'update', oid: O, dkey: B('d'), iods: [{ akey: B('a'), type: 'single', size: 5000 }], data: [Buffer.alloc(5000, 1)] });
    await pool.prepare(dtxId(2), C, 11n, { kind: 'update', oid: O, dkey: B('e'), iods: [{ akey: B('a'), type: 'single', size: 3 }], data: [B('two')] });
    // a corrupt prepared record: the commit applies dtx 1, then fails to decode dtx 2
    const good = tables(pool).dtx.get(dtxId(2))!;
    tables(pool).dtx.putSync(dtxId(2), Buffer.from([9, 9, 9]));
    // one batch: an update, the failing commit, another update
    const other = oidWith(2n);
    const before = put(pool, other, 5n, 'x', 'a', Buffer.alloc(6000, 2));
    const commit = pool.commit([dtxId(1), dtxId(2)]);
    const after = put(pool, other, 6n, 'y', 'a', B('after'));
    await assert.rejects(commit, isRc(VosRc.IO));
    await before;
    await after;
    assert.deepEqual(await get(pool, other, MAX, 'x', 'a'), Buffer.alloc(6000, 2));
    assert.deepEqual(await get(pool, other, MAX, 'y', 'a'), B('after'));
    // nothing of the failed commit is left: dtx 1 is still prepared and invisible
    assert.equal(pool.dtxStatus(dtxId(1)), 'prepared');
    assert.equal(await get(pool, O, MAX, 'd', 'a'), undefined);
    assert.deepEqual(pool.listObjects(C), [other]);
    // the record cache must not keep what the aborted transaction wrote (object O, dkey d at 10): an
    // update at 5 builds on the object and dkey records, and a punch at 7 then hides dkey d at 10
    await put(pool, O, 5n, 'd', 'b', B('five'));
    await pool.punchDkeys(C, O, 7n, [B('d')]);
    assert.deepEqual(pool.listDkeys(C, O, 10n, undefined, 10).keys, [], 'no phantom creation of dkey d at 10');
    tables(pool).dtx.putSync(dtxId(2), good);
    await pool.commit([dtxId(1), dtxId(2)]);
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(5000, 1));
    assert.deepEqual(await get(pool, O, MAX, 'e', 'a'), B('two'));
  });
});

test('record cache: writes that do not go through the update path (punches) drop the cached records', async () => {
  await withPool({}, async (pool) => {
    const O = oidWith(3n);
    await put(pool, O, 10n, 'd', 'a', B('ten'));
    await pool.punchDkeys(C, O, 20n, [B('d')]);
    // with the dkey record of epoch 10 still cached, this update would see a creation covering it
    await put(pool, O, 30n, 'd', 'a', B('thirty'));
    assert.deepEqual(await get(pool, O, 30n, 'd', 'a'), B('thirty'));
    assert.equal(await get(pool, O, 25n, 'd', 'a'), undefined);
    await pool.punchAkeys(C, O, 40n, B('d'), [B('a')]);
    await put(pool, O, 50n, 'd', 'a', B('fifty'));
    assert.deepEqual(await get(pool, O, 50n, 'd', 'a'), B('fifty'));
    assert.equal(await get(pool, O, 45n, 'd', 'a'), undefined);
    await pool.punchObject(C, O, 60n);
    await put(pool, O, 70n, 'd', 'a', B('seventy'));
    assert.deepEqual(await get(pool, O, 70n, 'd', 'a'), B('seventy'));
    assert.equal(await get(pool, O, 65n, 'd', 'a'), undefined);
  });
});

test('the newest single-value version in the akey record: versions, same-epoch replaces, punches, aggregation, discard, destroy', async () => {
  await withPool({}, async (pool) => {
    const O = oidWith(4n);
    const free0 = pool.space().nvme.free;
    const v = (n: number): Buffer => Buffer.alloc(4096 + n, n); // on the blob
    await put(pool, O, 10n, 'd', 'a', v(10));
    await put(pool, O, 20n, 'd', 'a', v(20));
    await put(pool, O, 15n, 'd', 'a', v(15)); // older than the newest: goes to sv
    await put(pool, O, 20n, 'd', 'a', v(21)); // replaces the newest (its blocks are freed)
    await pool.update(C, O, 30n, B('d'), [{ akey: B('a'), type: 'single', size: 0 }], [Buffer.alloc(0)]);
    await put(pool, O, 25n, 'd', 'a', v(25));
    const want: [bigint, Buffer | undefined][] = [
      [5n, undefined],
      [10n, v(10)],
      [14n, v(10)],
      [15n, v(15)],
      [19n, v(15)],
      [20n, v(21)],
      [24n, v(21)],
      [25n, v(25)],
      [29n, v(25)],
      [30n, undefined],
      [MAX, undefined],
    ];
    for (const [e, w] of want) assert.deepEqual(await get(pool, O, e, 'd', 'a'), w, `read at ${e}`);
    assert.deepEqual(pool.verify().problems, []);
    // inline values: small ones are kept in the akey record, larger ones in sv; both replace each other at one epoch
    await put(pool, O, 40n, 'd', 'a', Buffer.alloc(100, 1));
    await put(pool, O, 40n, 'd', 'a', B('small'));
    assert.deepEqual(await get(pool, O, 40n, 'd', 'a'), B('small'));
    assert.equal(tables(pool).sv.get(svKey(subKey(subKey(objKey(1, O), B('d'), false), B('a'), false), 40n)), undefined, 'the version it replaced is gone from sv');
    await put(pool, O, 40n, 'd', 'a', Buffer.alloc(100, 2));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(100, 2));
    await put(pool, O, 50n, 'd', 'a', v(50));
    // a punch at the newest version's epoch is refused; one below it keeps it visible
    await assert.rejects(pool.punchAkeys(C, O, 50n, B('d'), [B('a')]), isRc(VosRc.INVAL));
    await pool.punchAkeys(C, O, 45n, B('d'), [B('a')]);
    assert.equal(await get(pool, O, 47n, 'd', 'a'), undefined);
    assert.deepEqual(await get(pool, O, 50n, 'd', 'a'), v(50));
    assert.deepEqual(pool.verify().problems, []);
    // aggregation up to 26 keeps what reads at 26 and above see
    await pool.aggregate(C, 26n, []);
    assert.deepEqual(await get(pool, O, 26n, 'd', 'a'), v(25));
    assert.deepEqual(await get(pool, O, 40n, 'd', 'a'), Buffer.alloc(100, 2));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), v(50));
    assert.deepEqual(pool.verify().problems, []);
    await put(pool, O, 60n, 'd', 'a', v(60));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), v(60));
    // discard down to 40: the newest is the 100-byte value again
    await pool.discard(C, 40n);
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(100, 2));
    await put(pool, O, 70n, 'd', 'a', v(70));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), v(70));
    assert.deepEqual(await get(pool, O, 69n, 'd', 'a'), Buffer.alloc(100, 2));
    assert.deepEqual(pool.verify().problems, []);
    await pool.destroyContainer(C);
    assert.equal(pool.space().nvme.free, free0, 'every block back, those referenced from akey records included');
  });
});

test('akey records written before the newest version was kept there (no latest epoch) are read and updated', async () => {
  await withPool({}, async (pool) => {
    const O = oidWith(5n);
    await put(pool, O, 10n, 'd', 'a', Buffer.alloc(5000, 10));
    await put(pool, O, 20n, 'd', 'a', Buffer.alloc(5000, 20));
    // rewrite the akey record as an older VOS did: no latest epoch, every version in sv
    const aK = subKey(subKey(objKey(1, O), B('d'), false), B('a'), false);
    const t = tables(pool);
    const rec = decAkey(t.akey.get(aK)!);
    assert.equal(rec.type, TYPE_SINGLE);
    assert.equal(rec.latest, 20n);
    assert.ok(rec.cur, 'the newest version is in the akey record');
    const sv = Buffer.alloc(aK.length + 8);
    aK.copy(sv);
    sv.writeBigUInt64BE(MAX - 20n, aK.length);
    t.sv.putSync(sv, rec.cur!);
    t.akey.putSync(aK, encAkey({ type: TYPE_SINGLE, maxLen: 0n, latest: 0n, ilog: rec.ilog }));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(5000, 20));
    assert.deepEqual(await get(pool, O, 15n, 'd', 'a'), Buffer.alloc(5000, 10));
    await put(pool, O, 30n, 'd', 'a', Buffer.alloc(5000, 30));
    await put(pool, O, 25n, 'd', 'a', Buffer.alloc(5000, 25));
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(5000, 30));
    assert.deepEqual(await get(pool, O, 27n, 'd', 'a'), Buffer.alloc(5000, 25));
    assert.equal(decAkey(t.akey.get(aK)!).latest, 0n, 'the newest version stays unknown until aggregation');
    await pool.aggregate(C, 1n, []);
    assert.equal(decAkey(t.akey.get(aK)!).latest, 30n, 'aggregation finds it');
    assert.deepEqual(await get(pool, O, MAX, 'd', 'a'), Buffer.alloc(5000, 30));
  });
});

// NB: memoryFs false makes files in /dev/shm behave as on a disk: device flushes before each commit, synced LMDB commits
for (const memoryFs of [false, true]) {
  test(`storage ${memoryFs ? 'on' : 'not on'} a memory file system: writes, flushes, reopen`, async () => {
    const dir = tmpDir('txn-fs');
    try {
      const dev = await FileDevice.open(path.join(dir, 'bdev'), { size: 16 * MiB, create: true, memoryFs });
      const flush = dev.flush.bind(dev);
      let flushes = 0;
      dev.flush = () => {
        flushes++;
        return flush();
      };
      const o: VosPoolOptions = { dir: path.join(dir, 'p'), target: 0, scmBytes: 32 * MiB, blob: { device: dev, offset: 0, size: 16 * MiB }, memoryFs };
      let pool = await VosPool.create(o);
      const O = oidWith(6n);
      const val = (i: number): Buffer => Buffer.alloc(4096 * (1 + (i % 3)), i);
      flushes = 0;
      await Promise.all(Array.from({ length: 20 }, (_, i) => put(pool, O, BigInt(i + 1), `d${i}`, 'a', val(i))));
      assert.equal(flushes > 0, !memoryFs, memoryFs ? 'small writes need no flush' : 'writes are flushed before their commit');
      await put(pool, O, 100n, 'big', 'a', Buffer.alloc(300 * 1024, 7)); // larger than a synchronous write
      await pool.close();
      pool = await VosPool.open(o);
      for (let i = 0; i < 20; i++) assert.deepEqual(await get(pool, O, MAX, `d${i}`, 'a'), val(i));
      assert.deepEqual(await get(pool, O, MAX, 'big', 'a'), Buffer.alloc(300 * 1024, 7));
      assert.deepEqual(pool.verify().problems, []);
      await pool.close();
      await dev.close();
    } finally {
      rmDir(dir);
    }
  });
}
