import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve, type Extent } from './evt.js';
import { rng } from './testing.js';

/** The simple model: for each index, the newest extent covering it. */
function model(exts: Extent[], lo: number, hi: number): (Extent | undefined)[] {
  const out: (Extent | undefined)[] = [];
  for (let i = lo; i < hi; i++) {
    let best: Extent | undefined;
    for (const x of exts) {
      if (BigInt(i) < x.start || BigInt(i) >= x.end) continue;
      if (!best || x.epoch > best.epoch || (x.epoch === best.epoch && x.seq > best.seq)) best = x;
    }
    out.push(best);
  }
  return out;
}

function flatten(exts: Extent[], lo: number, hi: number): (Extent | undefined)[] {
  const frags = resolve(exts, BigInt(lo), BigInt(hi));
  const out: (Extent | undefined)[] = new Array(hi - lo).fill(undefined);
  let prevHi = BigInt(lo);
  for (const f of frags) {
    assert.ok(f.lo >= prevHi, 'fragments are in order and do not overlap');
    assert.ok(f.lo < f.hi);
    prevHi = f.hi;
    for (let i = f.lo; i < f.hi; i++) out[Number(i) - lo] = f.ext;
  }
  return out;
}

let seq = 0;
const X = (start: number, nr: number, epoch: number, hole = false): Extent => ({ start: BigInt(start), end: BigInt(start + nr), epoch: BigInt(epoch), seq: seq++, hole, rsize: hole ? 0 : 1 });

const layouts: Record<string, Extent[]> = {
  'newer in the middle of older': [X(0, 10, 1), X(3, 4, 2)],
  'older in the middle of newer': [X(3, 4, 1), X(0, 10, 2)],
  'staircase': [X(0, 4, 1), X(2, 4, 2), X(4, 4, 3), X(6, 4, 4)],
  'same epoch, later write wins': [X(0, 8, 5), X(2, 2, 5)],
  'hole over data': [X(0, 8, 1), X(2, 3, 2, true)],
  'disjoint with gaps': [X(1, 2, 1), X(6, 2, 1)],
  'identical extents at several epochs': [X(0, 5, 1), X(0, 5, 3), X(0, 5, 2)],
};

for (const [name, exts] of Object.entries(layouts)) {
  test(`resolve: ${name}`, () => {
    for (const [lo, hi] of [[0, 12], [2, 7], [5, 6]] as const) assert.deepEqual(flatten(exts, lo, hi), model(exts, lo, hi));
  });
}

test('resolve: random layouts against the model', () => {
  const r = rng(42);
  for (let round = 0; round < 300; round++) {
    const exts: Extent[] = [];
    const n = 1 + r.int(8);
    for (let i = 0; i < n; i++) exts.push(X(r.int(30), 1 + r.int(12), 1 + r.int(6), r.int(5) === 0));
    const lo = r.int(20);
    const hi = lo + 1 + r.int(25);
    assert.deepEqual(flatten(exts, lo, hi), model(exts, lo, hi), `round ${round}`);
  }
});
