import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { open, type Database } from 'lmdb';
import { RecordCache, Table, hashKey, type WriteCount } from './table.js';
import { B, rmDir, rng, tmpDir } from './testing.js';

test('RecordCache: hits, misses, two generations, delete, clear', () => {
  const c = new RecordCache<string>(2);
  assert.equal(c.get(B('a')), undefined);
  c.set(B('a'), 'A');
  c.set(B('b'), 'B');
  assert.equal(c.get(B('a')), 'A');
  // the new generation is full: c starts a new one, a and b become the old one
  c.set(B('c'), 'C');
  assert.equal(c.size, 3);
  // a hit in the old generation moves to the new one
  assert.equal(c.get(B('b')), 'B');
  // the next rollover drops what was not used since the previous one (a)
  c.set(B('d'), 'D');
  assert.equal(c.get(B('a')), undefined, 'a aged out');
  assert.equal(c.get(B('b')), 'B');
  assert.equal(c.get(B('c')), 'C');
  c.delete(B('c'));
  assert.equal(c.get(B('c')), undefined);
  c.set(B('b'), 'B2');
  assert.equal(c.get(B('b')), 'B2', 'set replaces');
  c.clear();
  assert.equal(c.size, 0);
  assert.ok(c.hits > 0 && c.misses > 0);
});

test('RecordCache: a key whose hash collides is not taken for another', () => {
  // find two keys with the same 30-bit hash (the birthday bound: some 2^15 random keys)
  const r = rng(7);
  const seen = new Map<number, Buffer>();
  let pair: [Buffer, Buffer] | undefined;
  for (let i = 0; !pair && i < 1 << 20; i++) {
    const k = r.bytes(12);
    const h = hashKey(k);
    const other = seen.get(h);
    if (other) pair = [other, k];
    else seen.set(h, k);
  }
  assert.ok(pair, 'no collision found');
  const [k1, k2] = pair;
  const c = new RecordCache<string>(16);
  c.set(k1, 'one');
  assert.equal(c.get(k2), undefined, 'a colliding key misses');
  c.set(k2, 'two');
  assert.equal(c.get(k2), 'two');
  assert.equal(c.get(k1), undefined, 'replaced in its slot: a miss, never a wrong record');
});

test('Table: writes are counted; read caches; put, putRec and remove keep the cache right', async () => {
  const dir = tmpDir('table');
  const env = open<Buffer, Buffer>({ path: path.join(dir, 'db'), noSubdir: true, maxDbs: 2, keyEncoding: 'binary', encoding: 'binary' });
  try {
    const db = env.openDB({ name: 't', keyEncoding: 'binary', encoding: 'binary' }) as Database<Buffer, Buffer>;
    const writes: WriteCount = { n: 0 };
    let decodes = 0;
    const t = new Table<string>(db, writes, new RecordCache<string>(64), (v) => {
      decodes++;
      return v.toString();
    });
    env.transactionSync(() => t.putSync(B('k'), B('v1')));
    assert.equal(writes.n, 1);
    assert.equal(t.read(B('k')), 'v1');
    assert.equal(t.read(B('k')), 'v1');
    assert.equal(decodes, 1, 'the second read is a cache hit');
    env.transactionSync(() => t.putSync(B('k'), B('v2')));
    assert.equal(t.read(B('k')), 'v2', 'putSync drops the cached record');
    env.transactionSync(() => t.putRec(B('k'), B('v3'), 'v3'));
    const before = decodes;
    assert.equal(t.read(B('k')), 'v3', 'putRec caches the record written');
    assert.equal(decodes, before);
    env.transactionSync(() => t.removeSync(B('k')));
    assert.equal(t.read(B('k')), undefined, 'removeSync drops it');
    assert.equal(writes.n, 4);
    env.transactionSync(() => t.putSync(B('x'), B('X')));
    assert.equal(t.read(B('x'), false), 'X');
    assert.equal(t.read(B('x'), false), 'X');
    assert.equal(decodes, before + 2, 'fill=false reads do not fill the cache');
  } finally {
    await env.close();
    rmDir(dir);
  }
});
