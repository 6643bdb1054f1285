import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreditWindow, recordOrder, Rng, VerifyError, Workload, type IoDesc, type PerfBackend, type Slot, type WorkloadParams } from './workload.js';

/** A backend in memory: values by (object, dkey, akey, extent), applied when the I/O completes. */
class MemoryBackend implements PerfBackend {
  readonly verifiable = true;
  readonly store = new Map<string, Buffer>();
  readonly updates: IoDesc[] = [];
  readonly buffers = new Set<Buffer>();
  inflight = 0;
  maxInflight = 0;
  failAt = -1;
  constructor(private readonly rng?: Rng) {}

  private key(io: IoDesc): string {
    return `${io.obj}/${io.dkey}/${io.akey}/${io.idx}`;
  }

  private async delay<T>(f: () => T): Promise<T> {
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    // Completion order varies when an Rng is given (as replies from several servers would).
    const ticks = this.rng ? this.rng.below(4) : 0;
    for (let i = 0; i <= ticks; i++) await new Promise((r) => setImmediate(r));
    this.inflight--;
    return f();
  }

  update(slot: Slot, io: IoDesc): Promise<void> {
    this.buffers.add(slot.data);
    const n = this.updates.push(io);
    if (n - 1 === this.failAt) return Promise.reject(new Error('injected failure'));
    return this.delay(() => {
      this.store.set(this.key(io), Buffer.from(slot.data));
    });
  }

  fetch(slot: Slot, io: IoDesc): Promise<Buffer> {
    return this.delay(() => {
      const v = this.store.get(this.key(io));
      if (!v) return Buffer.alloc(0);
      v.copy(slot.sink);
      return slot.sink;
    });
  }

  async close(): Promise<void> {}
}

function params(over: Partial<WorkloadParams> = {}): WorkloadParams {
  return { rank: 0, objs: 2, dkeys: 2, akeys: 3, recxs: 4, vsize: 16, array: false, overwrite: false, shuffle: false, seed: 42, credits: 8, epochs: false, ...over };
}

test('one pass: every (dkey, akey, record, object) once, the original order, one buffer per credit', async () => {
  const be = new MemoryBackend();
  const w = new Workload(params({ array: true }), be);
  await w.pass('update');
  assert.equal(be.updates.length, 2 * 2 * 3 * 4);
  assert.equal(w.iosPerPass, 48);
  // dkey-major, then akey, then record, then object; one counter for dkey and akey names
  assert.deepEqual(
    be.updates.slice(0, 3).map((u) => [String(u.dkey), String(u.akey), u.idx, u.obj]),
    [
      ['blade-0', 'walker-1', 0n, 0],
      ['blade-0', 'walker-1', 0n, 1],
      ['blade-0', 'walker-1', 16n, 0],
    ],
  );
  assert.deepEqual([...new Set(be.updates.map((u) => String(u.dkey)))], ['blade-0', 'blade-4']);
  assert.deepEqual([...new Set(be.updates.map((u) => String(u.akey)))], ['walker-1', 'walker-2', 'walker-3', 'walker-5', 'walker-6', 'walker-7']);
  assert.ok(be.buffers.size <= 8, `${be.buffers.size} value buffers for 8 credits`);
});

const windows: Record<string, { credits: number; max: number }> = {
  'synchronous (-1)': { credits: -1, max: 1 },
  'synchronous (0)': { credits: 0, max: 1 },
  'one credit': { credits: 1, max: 1 },
  '8 credits': { credits: 8, max: 8 },
};
for (const [name, tc] of Object.entries(windows)) {
  test(`credits bound the I/Os in flight: ${name}`, async () => {
    const be = new MemoryBackend(new Rng(1));
    const w = new Workload(params({ credits: tc.credits }), be);
    await w.pass('update');
    await w.pass('fetch');
    assert.equal(be.maxInflight, tc.max);
    assert.equal(be.buffers.size, tc.max);
  });
}

test('arrays: extents at record r * size, shuffled by the seed, the same every pass; -t puts all at 0', async () => {
  const order = recordOrder(10, true, 9, 0);
  assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual([...order], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(recordOrder(10, true, 9, 0), order);
  assert.notDeepEqual([...recordOrder(10, true, 10, 0)], [...order]);
  assert.deepEqual([...recordOrder(4, false, 9, 0)], [0, 1, 2, 3]);

  const be = new MemoryBackend();
  await new Workload(params({ array: true, shuffle: true, objs: 1, dkeys: 1, akeys: 1, recxs: 10, seed: 9 }), be).pass('update');
  assert.deepEqual(be.updates.map((u) => u.idx), [...order].map((i) => BigInt(i * 16)));

  const ow = new MemoryBackend();
  await new Workload(params({ array: true, overwrite: true }), ow).pass('update');
  assert.ok(ow.updates.every((u) => u.idx === 0n && u.epoch === 1n));
});

test('vos epochs increase by one per I/O, across passes', async () => {
  const be = new MemoryBackend();
  const w = new Workload(params({ epochs: true }), be);
  await w.pass('update');
  await w.pass('update');
  assert.deepEqual(be.updates.map((u) => u.epoch), Array.from({ length: 96 }, (_, i) => BigInt(i + 1)));
});

test('verify passes on what was written, arrays and single values, whatever order the writes completed in', async () => {
  for (const array of [true, false]) {
    const be = new MemoryBackend(new Rng(7));
    const w = new Workload(params({ array, credits: 16, objs: 1 }), be);
    await w.pass('update');
    const r = await w.verify();
    assert.equal(r.checked, array ? 24 : 6);
  }
});

test('verify names the first value that differs', async () => {
  const be = new MemoryBackend();
  const w = new Workload(params({ array: true }), be);
  await w.pass('update');
  const [k, v] = [...be.store.entries()][5];
  v[11] ^= 0xff;
  await assert.rejects(w.verify(), (e: Error) => {
    assert.ok(e instanceof VerifyError);
    assert.match(e.message, /^rank 0 object \d dkey blade-\d akey walker-\d extent at record \d+: fetched data differs from what was written at byte 11 \(0x[0-9a-f]{2}, expected 0x[0-9a-f]{2}\)$/);
    return true;
  });
  // a value from another key (the stamp) is caught too
  v[11] ^= 0xff;
  const other = [...be.store.values()][0];
  be.store.set(k, Buffer.from(other));
  await assert.rejects(w.verify(), /fetched data differs from what was written \(its first 8 bytes are [0-9a-f]{16}; expected record \d's stamp/);
  be.store.delete(k);
  await assert.rejects(w.verify(), /fetched 0 bytes, wrote 16/);
});

test('a failing I/O stops the pass and is thrown', async () => {
  const be = new MemoryBackend();
  be.failAt = 5;
  const w = new Workload(params({ credits: 4 }), be);
  await assert.rejects(w.pass('update'), /injected failure/);
  assert.ok(be.updates.length < 48, `${be.updates.length} updates issued after the failure`);
});

test('the credit window: take waits for a free slot, drain for all', async () => {
  const slots: Slot[] = [0, 1].map((id) => ({ id, data: Buffer.alloc(1), sink: Buffer.alloc(1) }));
  const win = new CreditWindow(slots);
  const a = win.tryTake()!;
  const b = win.tryTake()!;
  assert.equal(win.tryTake(), undefined);
  let release!: () => void;
  win.run(a, new Promise<void>((r) => (release = r)));
  win.run(b, Promise.resolve());
  const c = await win.take();
  assert.equal(c, b);
  release();
  await win.drain();
  assert.equal(win.inFlight, 0);
});
