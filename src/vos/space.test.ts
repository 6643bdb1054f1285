import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BLOCK_SIZE } from './alloc.js';
import { MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { B, oidWith, rmDir, tmpDir, u64le } from './testing.js';

const MiB = 1 << 20;
const O = oidWith(1n);
const isRc = (rc: number, re?: RegExp) => (e: unknown): boolean => e instanceof VosError && e.rc === rc && (!re || re.test(e.message));

async function withPool(o: { blobBytes?: number; scm?: number }, fn: (pool: VosPool, opts: VosPoolOptions) => Promise<void>): Promise<void> {
  const dir = tmpDir('space');
  const device = new MemoryDevice(64 * MiB, 'malloc0');
  const opts: VosPoolOptions = { dir: path.join(dir, 'p'), target: 1, scmBytes: o.scm ?? 32 * MiB, maxUpdateSlack: 0n };
  if (o.blobBytes) opts.blob = { device, offset: 0, size: o.blobBytes };
  let pool = await VosPool.create(opts);
  try {
    await fn(pool, opts);
    assert.deepEqual(pool.verify().problems, []);
  } finally {
    await pool.close();
    rmDir(dir);
  }
  void pool;
}

const put = (p: VosPool, cont: string, e: number, dkey: Buffer, v: Buffer): Promise<void> =>
  p.update(cont, O, BigInt(e), dkey, [{ akey: B('a'), type: 'single', size: v.length }], [v]);

async function get(p: VosPool, cont: string, e: number, dkey: Buffer): Promise<Buffer | undefined> {
  const [r] = await p.fetch(cont, O, BigInt(e), dkey, [{ akey: B('a'), type: 'single', size: 0 }]);
  return r!.size ? r!.data : undefined;
}

test('space: totals, and NVMe use follows values of 4 KiB and more only', async () => {
  await withPool({ blobBytes: 8 * MiB }, async (pool) => {
    const s0 = pool.space();
    assert.equal(s0.scm.total, 32 * MiB);
    assert.equal(s0.nvme.total, 8 * MiB - BLOCK_SIZE, 'one block holds the blob header');
    assert.equal(s0.nvme.free, s0.nvme.total);
    assert.ok(s0.scm.free > 0 && s0.scm.free < s0.scm.total);
    await put(pool, 'c', 1, B('small'), Buffer.alloc(4095, 1));
    assert.equal(pool.space().nvme.free, s0.nvme.free, 'under 4 KiB stays in SCM');
    await put(pool, 'c', 2, B('big'), Buffer.alloc(4096, 2));
    assert.equal(pool.space().nvme.free, s0.nvme.free - BLOCK_SIZE);
    await put(pool, 'c', 3, B('bigger'), Buffer.alloc(10000, 3));
    assert.equal(pool.space().nvme.free, s0.nvme.free - 4 * BLOCK_SIZE);
    // an array extent counts by its own size: 2 KiB + 2 KiB stay in SCM, one 4 KiB extent does not
    await pool.update('c', O, 4n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 2048n }, { idx: 4096n, nr: 2048n }] }], [Buffer.alloc(4096)]);
    assert.equal(pool.space().nvme.free, s0.nvme.free - 4 * BLOCK_SIZE);
    await pool.update('c', O, 5n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 4096n }] }], [Buffer.alloc(4096)]);
    assert.equal(pool.space().nvme.free, s0.nvme.free - 5 * BLOCK_SIZE);
    assert.ok(pool.space().scm.free < s0.scm.free);
  });
});

test('NVMe full: NOSPACE, nothing changed, data intact; container destroy gives the blocks back for reuse', async () => {
  await withPool({ blobBytes: 1 * MiB }, async (pool) => {
    const blocks = MiB / BLOCK_SIZE - 1;
    const v = (i: number) => Buffer.alloc(2 * BLOCK_SIZE, i & 0xff);
    let n = 0;
    for (; n < blocks; n++) {
      try {
        await put(pool, 'first', n + 1, u64le(n), v(n));
      } catch (e) {
        assert.ok(isRc(VosRc.NOSPACE, /block-device space/)(e), String(e));
        break;
      }
    }
    assert.equal(n, Math.floor(blocks / 2));
    const full = pool.space().nvme.free;
    assert.ok(full < 2 * BLOCK_SIZE);
    // the refused update left nothing behind
    assert.equal(await get(pool, 'first', n + 1, u64le(n)), undefined);
    assert.equal(pool.listDkeys('first', O, BigInt(n + 1), undefined, 10000).keys.length, n);
    for (let i = 0; i < n; i += 37) assert.deepEqual(await get(pool, 'first', n, u64le(i)), v(i));
    // small values still fit (SCM)
    await put(pool, 'first', n + 2, B('small'), B('ok'));
    assert.deepEqual(pool.verify().problems, []);

    await pool.destroyContainer('first');
    assert.equal(pool.space().nvme.free, (MiB / BLOCK_SIZE - 1) * BLOCK_SIZE);
    // every block is handed out again: the same number of values fits in another container
    let m = 0;
    for (; m < blocks; m++) {
      try {
        await put(pool, 'second', m + 1, u64le(m), v(m + 1));
      } catch (e) {
        assert.ok(isRc(VosRc.NOSPACE)(e));
        break;
      }
    }
    assert.equal(m, n);
    for (let i = 0; i < m; i += 41) assert.deepEqual(await get(pool, 'second', m, u64le(i)), v(i + 1));
  });
});

test('aggregation frees covered versions and the freed extents are handed out again', async () => {
  await withPool({ blobBytes: 1 * MiB }, async (pool) => {
    const big = (i: number) => Buffer.alloc(3 * BLOCK_SIZE, i);
    // versions of one value until the blob is full
    let e = 0;
    for (;;) {
      try {
        await put(pool, 'c', e + 1, B('hot'), big(e + 1));
        e++;
      } catch (err) {
        assert.ok(isRc(VosRc.NOSPACE)(err));
        break;
      }
    }
    assert.ok(e >= 80);
    const snap = 10;
    const before = { snap: await get(pool, 'c', snap, B('hot')), last: await get(pool, 'c', e, B('hot')) };
    const { freedBytes } = await pool.aggregate('c', BigInt(e), [BigInt(snap)]);
    // kept: the version seen at the snapshot and the newest one
    assert.equal(freedBytes, (e - 2) * 3 * BLOCK_SIZE);
    assert.deepEqual(await get(pool, 'c', snap, B('hot')), before.snap);
    assert.deepEqual(await get(pool, 'c', e, B('hot')), before.last);
    assert.deepEqual(await get(pool, 'c', e + 100, B('hot')), before.last);
    assert.equal(await get(pool, 'c', snap - 1, B('hot')), undefined, 'versions below the snapshot are gone');
    // the space is reused: as many new versions fit again
    let f = 0;
    for (;;) {
      try {
        await put(pool, 'c', e + 1 + f, B('hot'), big(200));
        f++;
      } catch (err) {
        assert.ok(isRc(VosRc.NOSPACE)(err));
        break;
      }
    }
    assert.equal(f, e - 2);
  });
});

test('aggregation: arrays keep what the read points see; punched keys disappear', async () => {
  await withPool({ blobBytes: 4 * MiB }, async (pool) => {
    const arr = (e: number, idx: number, nr: number, fill: number) =>
      pool.update('c', O, BigInt(e), B('d'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: BigInt(idx), nr: BigInt(nr) }] }], [Buffer.alloc(nr, fill)]);
    await arr(1, 0, 8192, 1);
    await arr(2, 0, 8192, 2); // covers the first completely
    await arr(3, 4096, 100, 3);
    await arr(5, 0, 4096, 5);
    await put(pool, 'c', 4, B('gone'), B('soon punched'));
    await pool.punchDkeys('c', O, 6n, [B('gone')]);
    const read = async (e: number) => (await pool.fetch('c', O, BigInt(e), B('d'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 8192n }] }]))[0]!.data;
    const at3 = await read(3);
    const at9 = await read(9);
    const { freedBytes } = await pool.aggregate('c', 9n, [3n]);
    assert.equal(freedBytes, 8192 + 'soon punched'.length, 'the covered extent at 1 and the punched value');
    assert.deepEqual(await read(3), at3);
    assert.deepEqual(await read(9), at9);
    assert.deepEqual(pool.listDkeys('c', O, 9n, undefined, 10).keys, [B('d')]);
    assert.equal(pool.listDkeys('c', O, 3n, undefined, 10).keys.length, 1, 'the punched dkey is gone from every read point');
    // aggregating again changes nothing
    assert.equal((await pool.aggregate('c', 9n, [3n])).freedBytes, 0);
    // without the snapshot, the extent at 2 is covered at 9 by 5 (its lower half) and 3 (part of the upper half)
    const r = await pool.aggregate('c', 9n, []);
    assert.equal(r.freedBytes, 0, 'the extent at 2 still shows in [4196, 8192)');
    assert.deepEqual(await read(9), at9);
  });
});

test('SCM full: NOSPACE, data intact; destroy gives the space back', async () => {
  await withPool({ scm: 1 * MiB }, async (pool) => {
    const v = (i: number) => Buffer.alloc(1000, i & 0xff);
    let n = 0;
    for (; n < 5000; n++) {
      try {
        await put(pool, 'c', n + 1, u64le(n), v(n));
      } catch (e) {
        assert.ok(isRc(VosRc.NOSPACE, /out of SCM/)(e), String(e));
        break;
      }
    }
    assert.ok(n > 100 && n < 1100, `${n} values of 1000 bytes in 1 MiB`);
    const s = pool.space();
    assert.ok(s.scm.free < 0.25 * s.scm.total, `scm free ${s.scm.free}`);
    assert.equal(await get(pool, 'c', n + 1, u64le(n)), undefined);
    for (let i = 0; i < n; i += 13) assert.deepEqual(await get(pool, 'c', n, u64le(i)), v(i));
    await pool.destroyContainer('c');
    assert.ok(pool.space().scm.free > 0.5 * s.scm.total, 'space back after destroy');
    await put(pool, 'c2', 1, B('k'), v(1));
  });
});

test('refused and failed updates leak no blocks', async () => {
  await withPool({ blobBytes: 2 * MiB }, async (pool) => {
    const free0 = pool.space().nvme.free;
    await pool.punchDkeys('c', O, 5n, [B('d')]);
    // refused at commit time (same epoch as the punch): its blocks were taken, then given back
    await assert.rejects(put(pool, 'c', 5, B('d'), Buffer.alloc(20000)), isRc(VosRc.INVAL));
    assert.equal(pool.space().nvme.free, free0);
    // refused before any block is taken
    await assert.rejects(pool.update('c', O, 6n, B('d'), [{ akey: B('a'), type: 'single', size: 5 }], [Buffer.alloc(20000)]), isRc(VosRc.INVAL));
    assert.equal(pool.space().nvme.free, free0);
    assert.deepEqual(pool.verify().problems, []);
  });
});

/** A device whose reads wait until the test opens the gate. */
class GatedDevice extends MemoryDevice {
  gate: Promise<void> = Promise.resolve();
  open: () => void = () => undefined;
  close_(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  override async readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<void> {
    await this.gate;
    return super.readInto(offset, target, targetOffset, length);
  }
}

test('blocks freed while a read still uses them are handed out only after that read', async () => {
  const dir = tmpDir('space');
  const device = new GatedDevice(4 * MiB, 'gated');
  const opts: VosPoolOptions = { dir: path.join(dir, 'p'), target: 0, scmBytes: 32 * MiB, blob: { device, offset: 0, size: 1 * MiB } };
  const pool = await VosPool.create(opts);
  try {
    const old = Buffer.alloc(200 * 1024, 0x11);
    await put(pool, 'a', 1, B('d'), old);
    device.close_();
    const reading = pool.fetch('a', O, 1n, B('d'), [{ akey: B('a'), type: 'single', size: 0 }]);
    await pool.destroyContainer('a');
    const free = pool.space().nvme.free;
    // the freed blocks count as free but are not handed out: the blob fills up before reusing them
    let n = 0;
    for (; n < 100; n++) {
      try {
        await put(pool, 'b', 1, u64le(n), Buffer.alloc(200 * 1024, 0x22));
      } catch (e) {
        assert.ok(isRc(VosRc.NOSPACE)(e));
        break;
      }
    }
    assert.equal(n, Math.floor((free - old.length) / old.length));
    device.open();
    const [got] = await reading;
    assert.ok(got!.data.equals(old), 'the read saw the old bytes, not a later write');
    // now they come back
    await put(pool, 'b', 1, u64le(1000), Buffer.alloc(200 * 1024, 0x33));
    assert.deepEqual(pool.verify().problems, []);
  } finally {
    device.open();
    await pool.close();
    rmDir(dir);
  }
});
