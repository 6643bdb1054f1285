import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { B, oidWith, rng, rmDir, tmpDir, u64le } from './testing.js';
import { OFEAT_AKEY_UINT64, OFEAT_DKEY_UINT64, type Recx, type UnitOid } from './types.js';

const MiB = 1 << 20;
const C = 'cont-1';

interface Env {
  dir: string;
  opts: VosPoolOptions;
  pool: VosPool;
}

async function withPool(opts: { blob?: boolean; slack?: bigint; scm?: number }, fn: (e: Env) => Promise<void>): Promise<void> {
  const dir = tmpDir('pool');
  const device = new MemoryDevice(64 * MiB, 'malloc0');
  const o: VosPoolOptions = { dir: path.join(dir, 'pool-uuid'), target: 0, scmBytes: opts.scm ?? 64 * MiB, maxUpdateSlack: opts.slack ?? 0n };
  if (opts.blob !== false) o.blob = { device, offset: 4 * MiB, size: 32 * MiB };
  const pool = await VosPool.create(o);
  const env = { dir, opts: o, pool };
  try {
    await fn(env);
    if (env.pool) assert.deepEqual(env.pool.verify().problems, []);
  } finally {
    await env.pool.close().catch(() => undefined);
    rmDir(dir);
  }
}

async function reopen(env: Env): Promise<void> {
  await env.pool.close();
  env.pool = await VosPool.open(env.opts);
}

async function putS(p: VosPool, oid: UnitOid, e: number, dkey: string | Buffer, akey: string | Buffer, v: Buffer | string): Promise<void> {
  const data = typeof v === 'string' ? B(v) : v;
  await p.update(C, oid, BigInt(e), typeof dkey === 'string' ? B(dkey) : dkey, [{ akey: typeof akey === 'string' ? B(akey) : akey, type: 'single', size: data.length }], [data]);
}

async function getS(p: VosPool, oid: UnitOid, e: number | bigint, dkey: string | Buffer, akey: string | Buffer): Promise<string | undefined> {
  const [r] = await p.fetch(C, oid, BigInt(e), typeof dkey === 'string' ? B(dkey) : dkey, [{ akey: typeof akey === 'string' ? B(akey) : akey, type: 'single', size: 0 }]);
  return r!.size === 0 ? undefined : r!.data.toString('latin1');
}

const isRc = (rc: number, re?: RegExp) => (e: unknown): boolean => e instanceof VosError && e.rc === rc && (!re || re.test(e.message));

const O1 = oidWith(1n);

test('versions: a read at an epoch sees the newest value at or below it', async () => {
  await withPool({}, async ({ pool }) => {
    await putS(pool, O1, 10, 'd', 'a', 'v10');
    await putS(pool, O1, 20, 'd', 'a', 'v20');
    await putS(pool, O1, 15, 'd', 'a', 'v15'); // written later, at an older epoch
    const cases: [number, string | undefined][] = [
      [5, undefined],
      [10, 'v10'],
      [14, 'v10'],
      [15, 'v15'],
      [19, 'v15'],
      [20, 'v20'],
      [1000, 'v20'],
    ];
    for (const [e, want] of cases) assert.equal(await getS(pool, O1, e, 'd', 'a'), want, `read at ${e}`);
    assert.equal(await getS(pool, O1, 2n ** 64n - 1n, 'd', 'a'), 'v20', 'EPOCH_MAX means latest');
  });
});

test('single values: replace whole, punch with size 0, same-epoch rewrite, REC2BIG and size 0', async () => {
  for (const blob of [false, true]) {
    await withPool({ blob }, async (env) => {
      const { pool } = env;
      const big = Buffer.alloc(10000, 7); // on the blob when there is one
      await putS(pool, O1, 1, 'd', 'a', 'first value, long');
      await putS(pool, O1, 2, 'd', 'a', 'x');
      await pool.update(C, O1, 3n, B('d'), [{ akey: B('a'), type: 'single', size: 0 }], [Buffer.alloc(0)]);
      await putS(pool, O1, 4, 'd', 'a', big);
      await putS(pool, O1, 5, 'd', 'a', 'v5');
      await putS(pool, O1, 5, 'd', 'a', 'v5 again'); // same epoch: the later write wins
      assert.equal(await getS(pool, O1, 1, 'd', 'a'), 'first value, long');
      assert.equal(await getS(pool, O1, 2, 'd', 'a'), 'x');
      assert.equal(await getS(pool, O1, 3, 'd', 'a'), undefined, 'punched');
      assert.equal(await getS(pool, O1, 4, 'd', 'a'), big.toString('latin1'));
      assert.equal(await getS(pool, O1, 5, 'd', 'a'), 'v5 again');
      await assert.rejects(pool.fetch(C, O1, 4n, B('d'), [{ akey: B('a'), type: 'single', size: 100 }]), (e: unknown) => isRc(VosRc.REC2BIG)(e) && (e as VosError).detail.size === 10000);
      const [ok] = await pool.fetch(C, O1, 4n, B('d'), [{ akey: B('a'), type: 'single', size: 20000 }]);
      assert.equal(ok!.size, 10000);
      const [none] = await pool.fetch(C, O1, 4n, B('d'), [{ akey: B('missing'), type: 'single', size: 0 }]);
      assert.deepEqual(none, { size: 0, data: Buffer.alloc(0), found: [] });
      await reopen(env);
      assert.equal(await getS(env.pool, O1, 4, 'd', 'a'), big.toString('latin1'));
      assert.equal(await getS(env.pool, O1, 3, 'd', 'a'), undefined);
    });
  }
});

/** Records [lo, hi) of an array as the model sees them: per index, the newest write at or below the epoch. */
type Write = { idx: number; nr: number; epoch: number; fill: number | null };

function modelArray(writes: Write[], e: number, lo: number, hi: number, rsize: number): { data: Buffer; found: Recx[] } {
  const data = Buffer.alloc((hi - lo) * rsize);
  const found: Recx[] = [];
  for (let i = lo; i < hi; i++) {
    let best: Write | undefined;
    writes.forEach((w) => {
      if (w.epoch <= e && i >= w.idx && i < w.idx + w.nr && (!best || w.epoch >= best.epoch)) best = w;
    });
    if (!best || best.fill === null) continue;
    data.fill((best.fill + i) & 0xff, (i - lo) * rsize, (i - lo + 1) * rsize);
    const last = found[found.length - 1];
    if (last && last.idx + last.nr === BigInt(i)) last.nr++;
    else found.push({ idx: BigInt(i), nr: 1n });
  }
  return { data, found };
}

function fillFor(w: Write, rsize: number): Buffer {
  const b = Buffer.alloc(w.nr * rsize);
  for (let k = 0; k < w.nr; k++) b.fill((w.fill! + w.idx + k) & 0xff, k * rsize, (k + 1) * rsize);
  return b;
}

const layouts: Record<string, Write[]> = {
  'newer extent inside an older one': [
    { idx: 0, nr: 3000, epoch: 1, fill: 1 },
    { idx: 1000, nr: 500, epoch: 2, fill: 50 },
  ],
  'older extent inside a newer one (written later)': [
    { idx: 1000, nr: 500, epoch: 1, fill: 1 },
    { idx: 0, nr: 3000, epoch: 2, fill: 50 },
  ],
  'staircase of partial overlaps': [
    { idx: 0, nr: 1200, epoch: 1, fill: 1 },
    { idx: 600, nr: 1200, epoch: 2, fill: 2 },
    { idx: 1200, nr: 1200, epoch: 3, fill: 3 },
    { idx: 1800, nr: 10, epoch: 4, fill: 4 },
  ],
  'hole punched through data, then data again': [
    { idx: 0, nr: 2048, epoch: 1, fill: 9 },
    { idx: 100, nr: 1000, epoch: 2, fill: null },
    { idx: 500, nr: 20, epoch: 3, fill: 77 },
  ],
  'sparse small extents with gaps': [
    { idx: 5, nr: 3, epoch: 1, fill: 1 },
    { idx: 20, nr: 2, epoch: 2, fill: 2 },
    { idx: 4000, nr: 1100, epoch: 3, fill: 3 },
  ],
};

for (const [name, writes] of Object.entries(layouts)) {
  test(`arrays: ${name}, at every epoch, against the model`, async () => {
    for (const blob of [false, true]) {
      await withPool({ blob }, async ({ pool }) => {
        const rsize = 4; // extents of 1024 records and more go to the blob
        for (const w of writes) {
          const recxs = [{ idx: BigInt(w.idx), nr: BigInt(w.nr) }];
          if (w.fill === null) await pool.update(C, O1, BigInt(w.epoch), B('d'), [{ akey: B('arr'), type: 'array', size: 0, recxs }], [Buffer.alloc(0)]);
          else await pool.update(C, O1, BigInt(w.epoch), B('d'), [{ akey: B('arr'), type: 'array', size: rsize, recxs }], [fillFor(w, rsize)]);
        }
        const maxE = Math.max(...writes.map((w) => w.epoch));
        const windows: [number, number][] = [[0, 5200], [990, 1010], [1799, 1811], [3, 9], [4999, 5200]];
        for (let e = 0; e <= maxE + 1; e++) {
          for (const [lo, hi] of windows) {
            const want = modelArray(writes, e, lo, hi, rsize);
            const [got] = await pool.fetch(C, O1, BigInt(e), B('d'), [{ akey: B('arr'), type: 'array', size: rsize, recxs: [{ idx: BigInt(lo), nr: BigInt(hi - lo) }] }]);
            if (want.found.length === 0) {
              assert.equal(got!.size, 0, `epoch ${e} [${lo}, ${hi}): nothing stored`);
              continue;
            }
            assert.equal(got!.size, rsize);
            assert.deepEqual(got!.found, want.found, `epoch ${e} [${lo}, ${hi}) found`);
            assert.ok(got!.data.equals(want.data), `epoch ${e} [${lo}, ${hi}) data`);
          }
        }
      });
    }
  });
}

test('arrays: several recxs in one fetch, size 0 reports the record size, listRecx pages', async () => {
  await withPool({}, async ({ pool }) => {
    await pool.update(C, O1, 1n, B('d'), [{ akey: B('a'), type: 'array', size: 2, recxs: [{ idx: 0n, nr: 4n }, { idx: 10n, nr: 2n }] }], [Buffer.from('aabbccddeeff')]);
    const [got] = await pool.fetch(C, O1, 1n, B('d'), [{ akey: B('a'), type: 'array', size: 0, recxs: [{ idx: 10n, nr: 3n }, { idx: 2n, nr: 2n }] }]);
    assert.equal(got!.size, 2);
    assert.deepEqual(got!.data, Buffer.from('eeff\0\0ccdd'));
    assert.deepEqual(got!.found, [{ idx: 10n, nr: 2n }, { idx: 2n, nr: 2n }]);
    const [sizeOnly] = await pool.fetch(C, O1, 1n, B('d'), [{ akey: B('a'), type: 'array', size: 0 }]);
    assert.equal(sizeOnly!.size, 2);
    await assert.rejects(pool.fetch(C, O1, 1n, B('d'), [{ akey: B('a'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 1n }] }]), isRc(VosRc.REC2BIG));
    const l1 = pool.listRecx(C, O1, 1n, B('d'), B('a'), undefined, 1);
    assert.deepEqual(l1.recxs, [{ idx: 0n, nr: 4n, epoch: 1n }]);
    assert.equal(l1.size, 2);
    const l2 = pool.listRecx(C, O1, 1n, B('d'), B('a'), l1.anchor, 5);
    assert.deepEqual(l2.recxs, [{ idx: 10n, nr: 2n, epoch: 1n }]);
    assert.equal(l2.anchor, undefined);
  });
});

test('punch object, dkey and akey: reads at or above the punch see nothing below it, older reads still do', async () => {
  await withPool({}, async ({ pool }) => {
    const O2 = oidWith(2n);
    for (const oid of [O1, O2]) {
      await putS(pool, oid, 10, 'd1', 'a1', 'o-d1-a1');
      await putS(pool, oid, 10, 'd1', 'a2', 'o-d1-a2');
      await putS(pool, oid, 10, 'd2', 'a1', 'o-d2-a1');
    }
    await pool.punchAkeys(C, O1, 20n, B('d1'), [B('a1')]);
    await pool.punchDkeys(C, O1, 30n, [B('d2')]);
    await pool.punchObject(C, O2, 40n);
    const cases: [UnitOid, number, string, string, string | undefined][] = [
      [O1, 19, 'd1', 'a1', 'o-d1-a1'],
      [O1, 20, 'd1', 'a1', undefined],
      [O1, 20, 'd1', 'a2', 'o-d1-a2'],
      [O1, 29, 'd2', 'a1', 'o-d2-a1'],
      [O1, 30, 'd2', 'a1', undefined],
      [O2, 39, 'd1', 'a1', 'o-d1-a1'],
      [O2, 40, 'd1', 'a1', undefined],
      [O2, 99, 'd2', 'a1', undefined],
    ];
    for (const [oid, e, d, a, want] of cases) assert.equal(await getS(pool, oid, e, d, a), want, `${oid.lo} ${d}/${a} at ${e}`);
    assert.deepEqual(pool.listDkeys(C, O1, 30n, undefined, 10).keys, [B('d1')]);
    assert.deepEqual(pool.listDkeys(C, O1, 29n, undefined, 10).keys, [B('d1'), B('d2')]);
    assert.deepEqual(pool.listAkeys(C, O1, 25n, B('d1'), undefined, 10).keys, [{ key: B('a2'), type: 'single' }]);
    assert.deepEqual(pool.listDkeys(C, O2, 40n, undefined, 10).keys, []);
    // an update after the punch brings the entity back with only the new data
    await putS(pool, O2, 50, 'd1', 'a9', 'new');
    assert.deepEqual(pool.listDkeys(C, O2, 50n, undefined, 10).keys, [B('d1')]);
    assert.deepEqual(pool.listAkeys(C, O2, 50n, B('d1'), undefined, 10).keys, [{ key: B('a9'), type: 'single' }]);
    assert.equal(await getS(pool, O2, 50, 'd1', 'a1'), undefined);
    assert.equal(await getS(pool, O2, 50, 'd1', 'a9'), 'new');
    assert.equal(await getS(pool, O2, 39, 'd1', 'a1'), 'o-d1-a1', 'the snapshot before the punch is intact');
  });
});

test('same-epoch update and punch are refused and change nothing', async () => {
  const steps: Record<string, { first: (p: VosPool) => Promise<void>; second: (p: VosPool) => Promise<void> }> = {
    'update, then object punch': { first: (p) => putS(p, O1, 7, 'd', 'a', 'v'), second: (p) => p.punchObject(C, O1, 7n) },
    'update, then dkey punch': { first: (p) => putS(p, O1, 7, 'd', 'a', 'v'), second: (p) => p.punchDkeys(C, O1, 7n, [B('d')]) },
    'update, then akey punch': { first: (p) => putS(p, O1, 7, 'd', 'a', 'v'), second: (p) => p.punchAkeys(C, O1, 7n, B('d'), [B('a')]) },
    'object punch, then update': { first: (p) => p.punchObject(C, O1, 7n), second: (p) => putS(p, O1, 7, 'd', 'a', 'v') },
    'dkey punch, then update': { first: (p) => p.punchDkeys(C, O1, 7n, [B('d')]), second: (p) => putS(p, O1, 7, 'd', 'a', 'v') },
    'akey punch, then update': { first: (p) => p.punchAkeys(C, O1, 7n, B('d'), [B('a')]), second: (p) => putS(p, O1, 7, 'd', 'a', 'v') },
    'value update, then value punch': { first: (p) => putS(p, O1, 7, 'd', 'a', 'v'), second: (p) => p.update(C, O1, 7n, B('d'), [{ akey: B('a'), type: 'single', size: 0 }], [Buffer.alloc(0)]) },
    'update of an existing key, then dkey punch': {
      first: async (p) => {
        await putS(p, O1, 7, 'd', 'a', 'v');
      },
      second: (p) => p.punchDkeys(C, O1, 7n, [B('d')]),
    },
  };
  for (const slack of [0n, 1000n]) {
    for (const [name, s] of Object.entries(steps)) {
      await withPool({ slack }, async ({ pool }) => {
        await putS(pool, O1, 3, 'd', 'a', 'old'); // the keys exist before
        await s.first(pool);
        const before = [await getS(pool, O1, 7, 'd', 'a'), pool.listDkeys(C, O1, 7n, undefined, 10).keys.length];
        await assert.rejects(s.second(pool), isRc(VosRc.INVAL, /same epoch/), `${name} (slack ${slack})`);
        assert.deepEqual([await getS(pool, O1, 7, 'd', 'a'), pool.listDkeys(C, O1, 7n, undefined, 10).keys.length], before, name);
      });
    }
  }
});

test('a punch below later updates (out of order) keeps the later updates visible', async () => {
  for (const slack of [0n, 2n ** 30n]) {
    await withPool({ slack }, async ({ pool }) => {
      await putS(pool, O1, 10, 'd', 'a', 'v10');
      await putS(pool, O1, 30, 'd', 'a', 'v30');
      await putS(pool, O1, 30, 'd', 'b', 'b30');
      await pool.punchObject(C, O1, 20n); // arrives after the update at 30
      assert.equal(await getS(pool, O1, 15, 'd', 'a'), 'v10');
      assert.equal(await getS(pool, O1, 25, 'd', 'a'), undefined);
      assert.equal(await getS(pool, O1, 30, 'd', 'a'), 'v30');
      assert.deepEqual(pool.listDkeys(C, O1, 25n, undefined, 10).keys, []);
      assert.deepEqual(pool.listDkeys(C, O1, 35n, undefined, 10).keys, [B('d')]);
      assert.equal(pool.listAkeys(C, O1, 35n, B('d'), undefined, 10).keys.length, 2);
      await pool.punchAkeys(C, O1, 25n, B('d'), [B('b')]);
      assert.equal(await getS(pool, O1, 35, 'd', 'b'), 'b30');
      await pool.punchDkeys(C, O1, 26n, [B('d')]);
      assert.equal(await getS(pool, O1, 35, 'd', 'a'), 'v30');
      assert.equal(await getS(pool, O1, 27, 'd', 'a'), undefined);
    });
  }
});

test('snapshot-style reads: an old epoch keeps seeing old data after newer writes and punches', async () => {
  await withPool({}, async ({ pool }) => {
    const r = rng(11);
    const snapAt = 50;
    const expect = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const d = `d${i % 8}`;
      const v = r.bytes(1 + r.int(300)).toString('hex');
      await putS(pool, O1, 1 + i, d, 'a', v);
      expect.set(d, v);
    }
    const arrBefore = Buffer.alloc(8192, 3);
    await pool.update(C, O1, 45n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 8192n }] }], [arrBefore]);
    for (let i = 0; i < 20; i++) await putS(pool, O1, snapAt + 1 + i, `d${i % 8}`, 'a', 'newer');
    await pool.update(C, O1, 80n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 100n, nr: 50n }] }], [Buffer.alloc(50, 9)]);
    await pool.punchDkeys(C, O1, 90n, [B('d1'), B('d2')]);
    await pool.punchObject(C, O1, 95n);
    for (const [d, v] of expect) assert.equal(await getS(pool, O1, snapAt, d, 'a'), v, d);
    const [arr] = await pool.fetch(C, O1, BigInt(snapAt), B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 8192n }] }]);
    assert.ok(arr!.data.equals(arrBefore));
    assert.equal(pool.listDkeys(C, O1, BigInt(snapAt), undefined, 100).keys.length, 9);
    assert.equal(pool.listDkeys(C, O1, 96n, undefined, 100).keys.length, 0);
  });
});

test('enumeration: random page sizes never repeat or miss a key; uint64 dkeys in numeric order', async () => {
  const features = [0, OFEAT_DKEY_UINT64];
  for (const f of features) {
    await withPool({}, async ({ pool }) => {
      const oid = oidWith(9n, f);
      const r = rng(5 + f);
      const keys: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        let k: Buffer;
        if (f & OFEAT_DKEY_UINT64) k = u64le(BigInt(r.int(1 << 30)) * 1000003n);
        else if (i % 10 === 0) k = Buffer.concat([Buffer.alloc(90, 65), r.bytes(20 + r.int(200))]); // long keys sharing a prefix
        else k = r.bytes(1 + r.int(12));
        if (keys.some((x) => x.equals(k))) continue;
        keys.push(k);
      }
      // a few updates per transaction of the pool, some keys punched afterwards
      for (let i = 0; i < keys.length; i += 10) {
        await Promise.all(keys.slice(i, i + 10).map((k, j) => pool.update(C, oid, BigInt(10 + i + j), k, [{ akey: B('a'), type: 'single', size: 1 }], [B('x')])));
      }
      const punched = keys.filter((_, i) => i % 7 === 3);
      for (const k of punched) await pool.punchDkeys(C, oid, 5000n, [k]);
      const visible = keys.filter((k) => !punched.includes(k));
      for (let round = 0; round < 5; round++) {
        const got: Buffer[] = [];
        let anchor: Buffer | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const page = pool.listDkeys(C, oid, 6000n, anchor, 1 + r.int(17));
          got.push(...page.keys);
          if (page.anchor) assert.ok(page.anchor.length <= 120);
          anchor = page.anchor;
          if (!anchor) break;
        }
        assert.equal(anchor, undefined, 'the listing ended');
        assert.equal(new Set(got.map((k) => k.toString('hex'))).size, got.length, 'no key twice');
        assert.deepEqual(new Set(got.map((k) => k.toString('hex'))), new Set(visible.map((k) => k.toString('hex'))));
        if (f & OFEAT_DKEY_UINT64) {
          const nums = got.map((k) => k.readBigUInt64LE(0));
          assert.deepEqual(nums, [...nums].sort((a, b) => (a < b ? -1 : 1)), 'numeric order');
        }
      }
      if (f & OFEAT_DKEY_UINT64) {
        const max = visible.map((k) => k.readBigUInt64LE(0)).reduce((a, b) => (a > b ? a : b));
        assert.equal(pool.queryMax(C, oid, 6000n, { dkey: true }).dkey!.readBigUInt64LE(0), max);
        // the numerically largest key, once punched, is no longer the answer
        await pool.punchDkeys(C, oid, 7000n, [u64le(max)]);
        assert.ok(pool.queryMax(C, oid, 7000n, { dkey: true }).dkey!.readBigUInt64LE(0) < max);
        assert.equal(pool.queryMax(C, oid, 6000n, { dkey: true }).dkey!.readBigUInt64LE(0), max);
      }
    });
  }
});

test('queryMax: highest akey and highest visible extent', async () => {
  await withPool({}, async ({ pool }) => {
    const oid = oidWith(3n, OFEAT_DKEY_UINT64 | OFEAT_AKEY_UINT64);
    const d = u64le(1);
    await pool.update(C, oid, 1n, d, [{ akey: u64le(5), type: 'single', size: 1 }, { akey: u64le(300), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 10n }] }], [B('x'), Buffer.alloc(10)]);
    await pool.update(C, oid, 2n, d, [{ akey: u64le(300), type: 'array', size: 1, recxs: [{ idx: 1000n, nr: 5000n }] }], [Buffer.alloc(5000)]);
    await pool.update(C, oid, 3n, d, [{ akey: u64le(300), type: 'array', size: 1, recxs: [{ idx: 20n, nr: 5n }] }], [Buffer.alloc(5)]);
    const q = (e: bigint) => pool.queryMax(C, oid, e, { akey: d, recx: { dkey: d, akey: u64le(300) } });
    assert.equal(q(3n).akey!.readBigUInt64LE(0), 300n);
    assert.deepEqual(q(3n).recx, { idx: 1000n, nr: 5000n });
    assert.deepEqual(q(1n).recx, { idx: 0n, nr: 10n });
    // punch the tail of the long extent: the top moves down
    await pool.update(C, oid, 4n, d, [{ akey: u64le(300), type: 'array', size: 0, recxs: [{ idx: 3000n, nr: 3000n }] }], [Buffer.alloc(0)]);
    assert.deepEqual(q(4n).recx, { idx: 1000n, nr: 2000n });
    await pool.update(C, oid, 5n, d, [{ akey: u64le(300), type: 'array', size: 0, recxs: [{ idx: 0n, nr: 3000n }] }], [Buffer.alloc(0)]);
    assert.deepEqual(q(5n).recx, { idx: 0n, nr: 0n });
    await pool.punchAkeys(C, oid, 6n, d, [u64le(300)]);
    assert.equal(q(6n).akey!.readBigUInt64LE(0), 5n);
    assert.throws(() => pool.queryMax(C, oid, 6n, {}), isRc(VosRc.INVAL));
  });
});

test('many extents: queryMax and listRecx with long extents far below the top', async () => {
  await withPool({ blob: false }, async ({ pool }) => {
    // a long extent written first, then many short ones above it at newer epochs
    await pool.update(C, O1, 1n, B('d'), [{ akey: B('a'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 100000n }] }], [Buffer.alloc(100000, 1)]);
    for (let i = 0; i < 300; i++) await pool.update(C, O1, BigInt(2 + i), B('d'), [{ akey: B('a'), type: 'array', size: 1, recxs: [{ idx: BigInt(i * 10), nr: 5n }] }], [Buffer.alloc(5, 2)]);
    assert.deepEqual(pool.queryMax(C, O1, 1000n, { recx: { dkey: B('d'), akey: B('a') } }).recx, { idx: 2995n, nr: 97005n });
    let anchor: Buffer | undefined;
    let covered = 0n;
    let pages = 0;
    do {
      const l = pool.listRecx(C, O1, 1000n, B('d'), B('a'), anchor, 7);
      for (const x of l.recxs) covered += x.nr;
      anchor = l.anchor;
      pages++;
    } while (anchor && pages < 1000);
    assert.equal(covered, 100000n, 'every record listed once');
    assert.equal(pages, Math.ceil(600 / 7));
  });
});

test('validation: bad iods, overlapping extents, kinds, uint64 key sizes, epochs', async () => {
  await withPool({}, async ({ pool }) => {
    const u = (iods: Parameters<VosPool['update']>[4], data: Buffer[], oid = O1, dkey = B('d')) => pool.update(C, oid, 5n, dkey, iods, data);
    await assert.rejects(u([{ akey: B('a'), type: 'single', size: 3 }], [B('toolong')]), isRc(VosRc.INVAL));
    await assert.rejects(u([{ akey: B('a'), type: 'single', size: 1 }], []), isRc(VosRc.INVAL));
    await assert.rejects(u([], []), isRc(VosRc.INVAL));
    await assert.rejects(u([{ akey: B('a'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 5n }, { idx: 4n, nr: 2n }] }], [Buffer.alloc(7)]), isRc(VosRc.INVAL, /overlap/));
    await assert.rejects(u([{ akey: B('a'), type: 'array', size: 1, recxs: [] }], [Buffer.alloc(0)]), isRc(VosRc.INVAL));
    await assert.rejects(u([{ akey: B('a'), type: 'single', size: 1 }, { akey: B('a'), type: 'single', size: 1 }], [B('x'), B('y')]), isRc(VosRc.INVAL, /twice/));
    await assert.rejects(u([{ akey: B('a'), type: 'single', size: 1 }], [B('x')], oidWith(4n, OFEAT_DKEY_UINT64), B('not8')), isRc(VosRc.INVAL, /8-byte/));
    await assert.rejects(pool.update(C, O1, 2n ** 64n - 1n, B('d'), [{ akey: B('a'), type: 'single', size: 1 }], [B('x')]), isRc(VosRc.INVAL, /epoch/));
    await u([{ akey: B('s'), type: 'single', size: 1 }], [B('x')]);
    await assert.rejects(pool.update(C, O1, 6n, B('d'), [{ akey: B('s'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 1n }] }], [B('x')]), isRc(VosRc.INVAL, /single value/));
    await assert.rejects(pool.fetch(C, O1, 5n, B('d'), [{ akey: B('s'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 0n }] }]), isRc(VosRc.INVAL));
    assert.throws(() => pool.listDkeys(C, O1, 5n, undefined, 0), isRc(VosRc.INVAL));
    assert.throws(() => pool.listDkeys(C, O1, 5n, Buffer.from([9, 9, 9]), 4), isRc(VosRc.INVAL));
    await assert.rejects(pool.update(C, O1, 5n, Buffer.alloc(1900), [{ akey: B('a'), type: 'single', size: 1 }], [B('x')]), isRc(VosRc.KEY2BIG));
  });
});

test('containers: implicit and explicit creation, listing, objects, destroy', async () => {
  await withPool({}, async (env) => {
    const { pool } = env;
    await pool.createContainer('c-explicit');
    await assert.rejects(pool.createContainer('c-explicit'), isRc(VosRc.EXIST));
    await putS(pool, O1, 1, 'd', 'a', 'v');
    await putS(pool, oidWith(2n, 0, 3), 1, 'd', 'a', 'v');
    assert.deepEqual(pool.containers(), ['c-explicit', C]);
    assert.deepEqual(pool.listObjects(C), [O1, oidWith(2n, 0, 3)]);
    // reads of an unknown container see nothing
    const [r] = await pool.fetch('nope', O1, 1n, B('d'), [{ akey: B('a'), type: 'single', size: 0 }]);
    assert.equal(r!.size, 0);
    assert.deepEqual(pool.listDkeys('nope', O1, 1n, undefined, 5).keys, []);
    await reopen(env);
    assert.deepEqual(env.pool.containers(), ['c-explicit', C]);
    await env.pool.destroyContainer(C);
    await env.pool.destroyContainer('never-existed');
    assert.deepEqual(env.pool.containers(), ['c-explicit']);
    assert.deepEqual(env.pool.listObjects(C), []);
    assert.equal(await getS(env.pool, O1, 1, 'd', 'a'), undefined);
    // the same name again is a new, empty container
    await putS(env.pool, O1, 2, 'd', 'b', 'w');
    assert.equal(await getS(env.pool, O1, 2, 'd', 'a'), undefined);
    assert.equal(await getS(env.pool, O1, 2, 'd', 'b'), 'w');
  });
});

test('lifecycle: create refuses an existing file, open a missing one; a closed pool answers NO_HDL', async () => {
  await withPool({}, async (env) => {
    await assert.rejects(VosPool.create(env.opts), isRc(VosRc.EXIST, /vos-0/));
    await assert.rejects(VosPool.open({ ...env.opts, target: 5 }), isRc(VosRc.NONEXIST, /vos-5/));
    await assert.rejects(VosPool.open({ ...env.opts, blob: undefined }), isRc(VosRc.INVAL, /region/));
    await env.pool.close();
    await assert.rejects(putS(env.pool, O1, 1, 'd', 'a', 'v'), isRc(VosRc.NO_HDL));
    assert.throws(() => env.pool.space(), isRc(VosRc.NO_HDL));
    env.pool = await VosPool.open(env.opts);
    const file = env.pool.file;
    await env.pool.destroy();
    await assert.rejects(VosPool.open(env.opts), isRc(VosRc.NONEXIST));
    assert.ok(file.endsWith('vos-0'));
    env.pool = await VosPool.create(env.opts);
  });
});

test('discard (rollback): everything written after the epoch goes, blocks come back, older reads unchanged', async () => {
  await withPool({}, async (env) => {
    const p = env.pool;
    const o = oidWith(77n);
    const big = (c: number) => Buffer.alloc(64 << 10, c);
    await putS(p, o, 10, 'd1', 'a', 'v10');
    await putS(p, o, 11, 'd1', 'b', big(1));
    await p.update(C, o, 12n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 8192n }] }], [Buffer.alloc(8192, 2)]);
    const free0 = p.space().nvme.free;
    // After the snapshot at 20: overwrites, a punch, new keys.
    await putS(p, o, 21, 'd1', 'a', 'v21');
    await putS(p, o, 22, 'd1', 'b', big(3));
    await p.update(C, o, 23n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 4096n, nr: 8192n }] }], [Buffer.alloc(8192, 4)]);
    await p.punchDkeys(C, o, 24n, [B('d1')]);
    await putS(p, o, 25, 'd2', 'a', 'new');
    assert.ok(p.space().nvme.free < free0);
    const r = await p.discard(C, 20n);
    assert.ok(r.freedBytes >= (64 << 10) + 8192);
    assert.equal(p.space().nvme.free, free0);
    for (const e of [20n, 30n, 2n ** 63n]) {
      assert.equal(await getS(p, o, e, 'd1', 'a'), 'v10');
      assert.equal((await getS(p, o, e, 'd1', 'b'))?.length, 64 << 10);
      assert.equal(await getS(p, o, e, 'd2', 'a'), undefined);
    }
    const [arr] = await p.fetch(C, o, 2n ** 63n, B('arr'), [{ akey: B('x'), type: 'array', size: 1, recxs: [{ idx: 0n, nr: 12288n }] }]);
    assert.ok(arr!.data.subarray(0, 8192).equals(Buffer.alloc(8192, 2)));
    assert.ok(arr!.data.subarray(8192).equals(Buffer.alloc(4096)));
    assert.deepEqual(p.listDkeys(C, o, 2n ** 63n, undefined, 100).keys.map(String).sort(), ['arr', 'd1']);
    // Writing again after the rollback works, at any later epoch.
    await putS(p, o, 26, 'd1', 'a', 'after');
    assert.equal(await getS(p, o, 30, 'd1', 'a'), 'after');
    await reopen(env);
    assert.equal(await getS(env.pool, o, 30, 'd1', 'a'), 'after');
    assert.equal(await getS(env.pool, o, 25, 'd1', 'a'), 'v10');
  });
});
