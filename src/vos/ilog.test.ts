import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactIlog, coveredCreate, decodeIlog, insertEntry, visibility, writeIlog, type IlogEntry } from './ilog.js';

const C = (epoch: number): IlogEntry => ({ epoch: BigInt(epoch), punch: false });
const P = (epoch: number): IlogEntry => ({ epoch: BigInt(epoch), punch: true });

const vis: Record<string, { log: IlogEntry[]; at: number; ancestor: number; exists: boolean; bound: number }> = {
  'created, read after': { log: [C(5)], at: 7, ancestor: 0, exists: true, bound: 0 },
  'created, read before': { log: [C(5)], at: 4, ancestor: 0, exists: false, bound: 0 },
  'punched': { log: [C(5), P(8)], at: 9, ancestor: 0, exists: false, bound: 8 },
  'read between creation and punch': { log: [C(5), P(8)], at: 7, ancestor: 0, exists: true, bound: 0 },
  'recreated after punch': { log: [C(5), P(8), C(10)], at: 12, ancestor: 0, exists: true, bound: 8 },
  'ancestor punch hides an older creation': { log: [C(5)], at: 12, ancestor: 8, exists: false, bound: 8 },
  'creation above the ancestor punch': { log: [C(5), C(10)], at: 12, ancestor: 8, exists: true, bound: 8 },
  'own punch above the ancestor one': { log: [C(5), P(9)], at: 12, ancestor: 8, exists: false, bound: 9 },
  'empty log': { log: [], at: 12, ancestor: 0, exists: false, bound: 0 },
};

for (const [name, tc] of Object.entries(vis)) {
  test(`visibility: ${name}`, () => {
    const v = visibility(tc.log, BigInt(tc.at), BigInt(tc.ancestor));
    assert.deepEqual({ exists: v.exists, bound: Number(v.bound) }, { exists: tc.exists, bound: tc.bound });
  });
}

test('insertEntry keeps epoch order, creation before punch at one epoch, and no duplicates', () => {
  let log: IlogEntry[] = [];
  for (const e of [P(5), C(3), C(5), C(9), P(5), C(3)]) log = insertEntry(log, e.epoch, e.punch);
  assert.deepEqual(log, [C(3), C(5), P(5), C(9)]);
});

test('coveredCreate', () => {
  assert.equal(coveredCreate([C(3)], 5n, 0n), true);
  assert.equal(coveredCreate([C(3), P(4)], 5n, 0n), false);
  assert.equal(coveredCreate([C(3)], 5n, 4n), false, 'an ancestor punch at 4 hides the creation at 3');
  assert.equal(coveredCreate([C(6)], 5n, 0n), false);
});

test('encoding round-trip', () => {
  const log = [C(1), P(2n ** 40n > 0n ? 77 : 0), C(2 ** 50)];
  const b = Buffer.alloc(log.length * 9);
  writeIlog(log, b, 0);
  assert.deepEqual(decodeIlog(b, 0), log);
});

test('compactIlog keeps what the read points see', () => {
  const log = [C(1), P(3), C(4), P(6), C(7), P(12), C(15)];
  const points = [5n, 10n];
  const out = compactIlog(log, 10n, points);
  // at 5: latest C(4), latest punch P(3); at 10: latest C(7), latest punch P(6); at or above 10: P(12), C(15)
  assert.deepEqual(out, [P(3), C(4), P(6), C(7), P(12), C(15)]);
  for (const r of [5n, 10n, 11n, 13n, 20n]) {
    for (const anc of [0n, 2n]) assert.deepEqual(visibility(out, r, anc), visibility(log, r, anc), `read at ${r}`);
  }
});
