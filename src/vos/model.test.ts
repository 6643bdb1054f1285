/**
 * Randomised test against an in-memory reference model: random updates,
 * punches, fetches and listings at random epochs (with a fixed seed), with
 * close/reopen and a final aggregation. The model states the rules plainly:
 * a read at E sees, per value and per record, the newest version at or below
 * E unless a punch of the object, dkey or akey lies above that version and at
 * or below E; an update and a punch of one entity at one epoch are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { oidWith, rng, rmDir, tmpDir, u64le } from './testing.js';
import { OFEAT_DKEY_UINT64, type Recx, type UnitOid, type UpdateIod } from './types.js';

const MiB = 1 << 20;
const CONT = 'model';
const RSIZE = 2;
const SPAN = 48; // array indices 0..SPAN-1
const MAX_EPOCH = 160;

interface SvWrite {
  epoch: number;
  value: Buffer | null;
}
interface ArrWrite {
  epoch: number;
  seq: number;
  idx: number;
  nr: number;
  data: Buffer | null;
}
interface Punch {
  epoch: number;
}

class Model {
  sv = new Map<string, SvWrite[]>(); // oid|dkey|akey
  arr = new Map<string, ArrWrite[]>();
  punches = new Map<string, Punch[]>(); // oid | oid|dkey | oid|dkey|akey
  /** epochs of every update (of any kind) per entity key, for existence and refusals */
  updates = new Map<string, number[]>();
  seq = 0;

  static k(...parts: string[]): string {
    return parts.join('|');
  }

  private punchedAt(key: string, e: number): boolean {
    return (this.punches.get(key) ?? []).some((p) => p.epoch === e);
  }

  private updatedAt(key: string, e: number): boolean {
    return (this.updates.get(key) ?? []).includes(e);
  }

  bound(o: string, d: string, a: string | undefined, e: number): number {
    let b = -1;
    for (const key of a === undefined ? [o, Model.k(o, d)] : [o, Model.k(o, d), Model.k(o, d, a)]) {
      for (const p of this.punches.get(key) ?? []) if (p.epoch <= e && p.epoch > b) b = p.epoch;
    }
    return b;
  }

  /** Whether an update is refused, and why. */
  refuseUpdate(o: string, d: string, iods: { akey: string; single: boolean; value: Buffer | null }[], e: number): boolean {
    if (this.punchedAt(o, e) || this.punchedAt(Model.k(o, d), e)) return true;
    for (const i of iods) {
      if (this.punchedAt(Model.k(o, d, i.akey), e)) return true;
      if (i.single) {
        const v = (this.sv.get(Model.k(o, d, i.akey)) ?? []).find((w) => w.epoch === e);
        if (v && (v.value === null) !== (i.value === null)) return true;
      }
    }
    return false;
  }

  refusePunch(scope: string, e: number): boolean {
    return this.updatedAt(scope, e);
  }

  noteUpdate(o: string, d: string, a: string, e: number): void {
    for (const key of [o, Model.k(o, d), Model.k(o, d, a)]) {
      const l = this.updates.get(key) ?? [];
      l.push(e);
      this.updates.set(key, l);
    }
  }

  putSv(o: string, d: string, a: string, e: number, value: Buffer | null): void {
    const key = Model.k(o, d, a);
    const l = (this.sv.get(key) ?? []).filter((w) => w.epoch !== e);
    l.push({ epoch: e, value });
    this.sv.set(key, l);
    this.noteUpdate(o, d, a, e);
  }

  putArr(o: string, d: string, a: string, e: number, idx: number, nr: number, data: Buffer | null): void {
    const key = Model.k(o, d, a);
    const l = this.arr.get(key) ?? [];
    l.push({ epoch: e, seq: this.seq++, idx, nr, data });
    this.arr.set(key, l);
    this.noteUpdate(o, d, a, e);
  }

  punch(scope: string, e: number): void {
    const l = this.punches.get(scope) ?? [];
    l.push({ epoch: e });
    this.punches.set(scope, l);
  }

  readSv(o: string, d: string, a: string, e: number): Buffer | undefined {
    let best: SvWrite | undefined;
    for (const w of this.sv.get(Model.k(o, d, a)) ?? []) if (w.epoch <= e && (!best || w.epoch > best.epoch)) best = w;
    if (!best || best.value === null || best.epoch < this.bound(o, d, a, e)) return undefined;
    return best.value;
  }

  /** Per index in [0, SPAN): the record, or undefined. */
  readArr(o: string, d: string, a: string, e: number): (Buffer | undefined)[] {
    const b = this.bound(o, d, a, e);
    const out: (Buffer | undefined)[] = [];
    for (let i = 0; i < SPAN; i++) {
      let best: ArrWrite | undefined;
      for (const w of this.arr.get(Model.k(o, d, a)) ?? []) {
        if (w.epoch > e || w.epoch < b || i < w.idx || i >= w.idx + w.nr) continue;
        if (!best || w.epoch > best.epoch || (w.epoch === best.epoch && w.seq > best.seq)) best = w;
      }
      out.push(best?.data ? best.data.subarray((i - best.idx) * RSIZE, (i - best.idx + 1) * RSIZE) : undefined);
    }
    return out;
  }

  /** An entity exists at e when its latest update at or below e is not below a punch covering it. */
  exists(o: string, d: string, a: string | undefined, e: number): boolean {
    const key = a === undefined ? Model.k(o, d) : Model.k(o, d, a);
    let u = -1;
    for (const x of this.updates.get(key) ?? []) if (x <= e && x > u) u = x;
    return u >= 0 && u >= this.bound(o, d, a, e);
  }
}

const OIDS: UnitOid[] = [oidWith(100n), oidWith(200n, OFEAT_DKEY_UINT64)];
const oname = (i: number): string => `o${i}`;
const DKEYS = ['d0', 'd1', 'd2', 'd3', 'd4'];
const dkeyBuf = (oi: number, d: string): Buffer => (oi === 1 ? u64le(Number(d.slice(1)) * 1000 + 7) : Buffer.from(d));
const SINGLE = ['s0', 's1'];
const ARRAY = ['x0'];

test('random operations against the reference model (seeded)', async () => {
  const seed = 20240611;
  const r = rng(seed);
  const dir = tmpDir('model');
  const opts: VosPoolOptions = {
    dir: path.join(dir, 'p'),
    target: 0,
    scmBytes: 64 * MiB,
    blob: { device: new MemoryDevice(64 * MiB, 'malloc0'), offset: 0, size: 64 * MiB },
    maxUpdateSlack: 5n,
  };
  let pool = await VosPool.create(opts);
  const m = new Model();
  const stats = { updates: 0, refused: 0, punches: 0, fetches: 0, lists: 0, reopens: 0, queries: 0 };
  const epoch = (): number => 1 + r.int(MAX_EPOCH);

  const checkFetch = async (oi: number, d: string, e: number, ctx: string): Promise<void> => {
    const o = oname(oi);
    const iods = [...SINGLE.map((a) => ({ akey: Buffer.from(a), type: 'single' as const, size: 0 })), ...ARRAY.map((a) => ({ akey: Buffer.from(a), type: 'array' as const, size: RSIZE, recxs: [{ idx: 0n, nr: BigInt(SPAN) }] }))];
    const got = await pool.fetch(CONT, OIDS[oi]!, BigInt(e), dkeyBuf(oi, d), iods);
    SINGLE.forEach((a, i) => {
      const want = m.readSv(o, d, a, e);
      const g = got[i]!;
      assert.deepEqual(g.size === 0 ? undefined : g.data, want, `${ctx}: ${o}/${d}/${a} at ${e}`);
    });
    ARRAY.forEach((a, j) => {
      const g = got[SINGLE.length + j]!;
      const want = m.readArr(o, d, a, e);
      const any = want.some((x) => x !== undefined);
      if (!any) {
        assert.equal(g.size, 0, `${ctx}: ${o}/${d}/${a} at ${e} holds nothing`);
        return;
      }
      const wantData = Buffer.concat(want.map((x) => x ?? Buffer.alloc(RSIZE)));
      assert.ok(g.data.equals(wantData), `${ctx}: ${o}/${d}/${a} at ${e} data`);
      const found: Recx[] = [];
      want.forEach((x, i) => {
        if (!x) return;
        const last = found[found.length - 1];
        if (last && last.idx + last.nr === BigInt(i)) last.nr++;
        else found.push({ idx: BigInt(i), nr: 1n });
      });
      assert.deepEqual(g.found, found, `${ctx}: ${o}/${d}/${a} at ${e} found`);
    });
  };

  const checkLists = async (oi: number, e: number, ctx: string): Promise<void> => {
    const o = oname(oi);
    const oid = OIDS[oi]!;
    const got: string[] = [];
    let anchor: Buffer | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = pool.listDkeys(CONT, oid, BigInt(e), anchor, 1 + r.int(3));
      got.push(...page.keys.map((k) => k.toString('hex')));
      anchor = page.anchor;
      if (!anchor) break;
    }
    const want = DKEYS.filter((d) => m.exists(o, d, undefined, e)).map((d) => dkeyBuf(oi, d).toString('hex'));
    assert.deepEqual([...got].sort(), [...want].sort(), `${ctx}: dkeys of ${o} at ${e}`);
    for (const d of DKEYS) {
      const ak = pool.listAkeys(CONT, oid, BigInt(e), dkeyBuf(oi, d), undefined, 10).keys.map((k) => `${k.key.toString()}:${k.type}`);
      const wantA = [...SINGLE, ...ARRAY].filter((a) => m.exists(o, d, a, e)).map((a) => `${a}:${SINGLE.includes(a) ? 'single' : 'array'}`);
      assert.deepEqual(ak.sort(), wantA.sort(), `${ctx}: akeys of ${o}/${d} at ${e}`);
      // listRecx: the visible records, each with the epoch of the extent it comes from
      const lr = pool.listRecx(CONT, oid, BigInt(e), dkeyBuf(oi, d), Buffer.from('x0'), undefined, 1000);
      const covered = new Set<number>();
      for (const x of lr.recxs) for (let i = Number(x.idx); i < Number(x.idx + x.nr); i++) covered.add(i);
      const wantIdx = m.readArr(o, d, 'x0', e).flatMap((x, i) => (x ? [i] : []));
      assert.deepEqual([...covered].sort((a, b) => a - b), wantIdx, `${ctx}: listRecx of ${o}/${d} at ${e}`);
      const top = pool.queryMax(CONT, oid, BigInt(e), { recx: { dkey: dkeyBuf(oi, d), akey: Buffer.from('x0') } }).recx!;
      assert.equal(top.nr === 0n ? -1 : Number(top.idx + top.nr - 1n), wantIdx.length ? wantIdx[wantIdx.length - 1] : -1, `${ctx}: queryMax recx of ${o}/${d} at ${e}`);
    }
    if (oi === 1) {
      const q = pool.queryMax(CONT, oid, BigInt(e), { dkey: true }).dkey;
      const live = DKEYS.filter((d) => m.exists(o, d, undefined, e)).map((d) => Number(d.slice(1)) * 1000 + 7);
      assert.equal(q ? Number(q.readBigUInt64LE(0)) : -1, live.length ? Math.max(...live) : -1, `${ctx}: queryMax dkey at ${e}`);
      stats.queries++;
    }
    stats.lists++;
  };

  try {
    for (let step = 0; step < 3000; step++) {
      const ctx = `seed ${seed} step ${step}`;
      const x = r.int(100);
      const oi = r.int(OIDS.length);
      const o = oname(oi);
      const d = r.pick(DKEYS);
      if (x < 45) {
        // an update of one or more akeys under one dkey
        const e = epoch();
        const names = [...SINGLE, ...ARRAY].filter(() => r.int(2) === 0);
        if (names.length === 0) names.push(r.pick(SINGLE));
        const iods: UpdateIod[] = [];
        const data: Buffer[] = [];
        const plan: { akey: string; single: boolean; value: Buffer | null; recxs?: { idx: number; nr: number; data: Buffer | null }[] }[] = [];
        for (const a of names) {
          if (SINGLE.includes(a)) {
            const punch = r.int(10) === 0;
            const value = punch ? null : r.bytes(r.int(8) === 0 ? 4096 + r.int(6000) : 1 + r.int(40));
            iods.push({ akey: Buffer.from(a), type: 'single', size: value ? value.length : 0 });
            data.push(value ?? Buffer.alloc(0));
            plan.push({ akey: a, single: true, value });
          } else {
            const hole = r.int(7) === 0;
            const n = 1 + r.int(2);
            const recxs: { idx: number; nr: number; data: Buffer | null }[] = [];
            let at = r.int(SPAN / 2);
            for (let k = 0; k < n && at < SPAN; k++) {
              const nr = 1 + r.int(Math.min(20, SPAN - at));
              recxs.push({ idx: at, nr, data: hole ? null : r.bytes(nr * RSIZE) });
              at += nr + r.int(6);
            }
            iods.push({ akey: Buffer.from(a), type: 'array', size: hole ? 0 : RSIZE, recxs: recxs.map((q) => ({ idx: BigInt(q.idx), nr: BigInt(q.nr) })) });
            data.push(hole ? Buffer.alloc(0) : Buffer.concat(recxs.map((q) => q.data!)));
            plan.push({ akey: a, single: false, value: null, recxs });
          }
        }
        const refused = m.refuseUpdate(o, d, plan, e);
        try {
          await pool.update(CONT, OIDS[oi]!, BigInt(e), dkeyBuf(oi, d), iods, data);
          assert.ok(!refused, `${ctx}: the update at ${e} should have been refused`);
          for (const p of plan) {
            if (p.single) m.putSv(o, d, p.akey, e, p.value);
            else for (const q of p.recxs!) m.putArr(o, d, p.akey, e, q.idx, q.nr, q.data);
          }
          stats.updates++;
        } catch (err) {
          if (!(err instanceof VosError) || err.rc !== VosRc.INVAL || !refused) throw err;
          stats.refused++;
        }
      } else if (x < 53) {
        // a punch of an akey, a dkey or the object
        const e = epoch();
        const level = r.int(10);
        const a = r.pick([...SINGLE, ...ARRAY]);
        const scope = level < 5 ? Model.k(o, d, a) : level < 8 ? Model.k(o, d) : o;
        const refused = m.refusePunch(scope, e);
        try {
          if (level < 5) await pool.punchAkeys(CONT, OIDS[oi]!, BigInt(e), dkeyBuf(oi, d), [Buffer.from(a)]);
          else if (level < 8) await pool.punchDkeys(CONT, OIDS[oi]!, BigInt(e), [dkeyBuf(oi, d)]);
          else await pool.punchObject(CONT, OIDS[oi]!, BigInt(e));
          assert.ok(!refused, `${ctx}: the punch of ${scope} at ${e} should have been refused`);
          m.punch(scope, e);
          stats.punches++;
        } catch (err) {
          if (!(err instanceof VosError) || err.rc !== VosRc.INVAL || !refused) throw err;
          stats.refused++;
        }
      } else if (x < 60) {
        // a burst of concurrent single-value updates to distinct dkeys (one transaction batch)
        const e = epoch();
        const ds = DKEYS.filter(() => r.int(2) === 0);
        const items = ds.map((dd) => ({ dd, v: r.bytes(1 + r.int(30)), refused: m.refuseUpdate(o, dd, [{ akey: 's0', single: true, value: Buffer.alloc(1) }], e) }));
        const res = await Promise.allSettled(items.map((it) => pool.update(CONT, OIDS[oi]!, BigInt(e), dkeyBuf(oi, it.dd), [{ akey: Buffer.from('s0'), type: 'single', size: it.v.length }], [it.v])));
        res.forEach((rr, i) => {
          const it = items[i]!;
          if (rr.status === 'fulfilled') {
            assert.ok(!it.refused, `${ctx}: burst update should have been refused`);
            m.putSv(o, it.dd, 's0', e, it.v);
          } else {
            assert.ok(it.refused && rr.reason instanceof VosError && rr.reason.rc === VosRc.INVAL, `${ctx}: burst update failed: ${String(rr.reason)}`);
          }
        });
      } else if (x < 88) {
        await checkFetch(oi, d, r.int(MAX_EPOCH + 5), ctx);
        stats.fetches++;
      } else if (x < 99) {
        await checkLists(oi, r.int(MAX_EPOCH + 5), ctx);
      } else {
        await pool.close();
        pool = await VosPool.open(opts);
        stats.reopens++;
      }
      if (step % 500 === 499) assert.deepEqual(pool.verify().problems, [], ctx);
    }
    assert.ok(stats.updates > 1000 && stats.refused > 10 && stats.punches > 100 && stats.fetches > 500 && stats.reopens > 5, JSON.stringify(stats));

    // aggregation keeps what reads at the snapshots and at or above upTo see
    const upTo = 100;
    const snaps = [20, 55, 80];
    const { freedBytes } = await pool.aggregate(CONT, BigInt(upTo), snaps.map(BigInt));
    assert.ok(freedBytes > 0);
    assert.deepEqual(pool.verify().problems, []);
    const points = [...snaps, upTo, upTo + 1, 130, MAX_EPOCH + 1];
    for (let oi = 0; oi < OIDS.length; oi++) {
      for (const e of points) {
        for (const d of DKEYS) await checkFetch(oi, d, e, `after aggregation`);
        await checkLists(oi, e, 'after aggregation');
      }
    }
    await pool.close();
    pool = await VosPool.open(opts);
    for (const d of DKEYS) await checkFetch(0, d, MAX_EPOCH + 1, 'after aggregation and reopen');
  } finally {
    await pool.close();
    rmDir(dir);
  }
});
