import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'lmdb';
import path from 'node:path';
import { BlockAllocator, initFreeTable, loadFreeTable, persistAlloc, persistFree } from './alloc.js';
import { rng, rmDir, tmpDir } from './testing.js';

test('next-fit hands out contiguous blocks and wraps around', () => {
  const a = new BlockAllocator([[1, 101]]);
  assert.equal(a.alloc(10), 1);
  assert.equal(a.alloc(10), 11);
  a.release(1, 10);
  // the cursor moves on: the freed blocks come back only after wrapping
  assert.equal(a.alloc(80), 21);
  assert.equal(a.alloc(10), 1);
  assert.equal(a.alloc(1), undefined);
  assert.equal(a.freeBlocks, 0);
});

test('release merges neighbours; a double free is refused', () => {
  const a = new BlockAllocator([[0, 10], [20, 30]]);
  a.release(10, 10);
  assert.deepEqual(a.extents(), [[0, 30]]);
  assert.throws(() => a.release(5, 2), /overlaps/);
});

test('no fit for a request larger than every extent', () => {
  const a = new BlockAllocator([[0, 4], [10, 14]]);
  assert.equal(a.alloc(5), undefined);
  assert.equal(a.alloc(4), 0);
});

test('random allocations and frees keep the free count and never overlap', () => {
  const r = rng(7);
  const total = 1000;
  const a = new BlockAllocator([[0, total]]);
  const held: [number, number][] = [];
  for (let i = 0; i < 2000; i++) {
    if (held.length && r.int(2) === 0) {
      const [b, n] = held.splice(r.int(held.length), 1)[0]!;
      a.release(b, n);
    } else {
      const n = 1 + r.int(20);
      const b = a.alloc(n);
      if (b !== undefined) {
        for (const [hb, hn] of held) assert.ok(b + n <= hb || hb + hn <= b, 'allocation overlaps a held one');
        held.push([b, n]);
      }
    }
    assert.equal(a.freeBlocks + held.reduce((s, [, n]) => s + n, 0), total);
  }
});

test('the persistent free table follows allocations and frees', async () => {
  const dir = tmpDir('alloc');
  try {
    const env = open<Buffer, Buffer>({ path: path.join(dir, 'db'), noSubdir: true, maxDbs: 4, keyEncoding: 'binary', encoding: 'binary' });
    const db = env.openDB({ name: 'free', keyEncoding: 'binary', encoding: 'binary' });
    await env.transaction(() => initFreeTable(db, 1, 100));
    await env.transaction(() => {
      persistAlloc(db, 1, 10);
      persistAlloc(db, 11, 5);
      persistAlloc(db, 50, 10);
    });
    assert.deepEqual(loadFreeTable(db), [[16, 50], [60, 100]]);
    await env.transaction(() => {
      persistFree(db, 50, 10);
      persistFree(db, 1, 10);
    });
    assert.deepEqual(loadFreeTable(db), [[1, 11], [16, 100]]);
    await env.transaction(() => persistFree(db, 11, 5));
    assert.deepEqual(loadFreeTable(db), [[1, 100]]);
    await assert.rejects(env.transaction(() => persistAlloc(db, 200, 1)), /not free/);
    await env.close();
  } finally {
    rmDir(dir);
  }
});
