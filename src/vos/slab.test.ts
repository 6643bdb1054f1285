import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocValue } from './slab.js';

test('allocValue: small values share 64 KiB slabs without overlapping; large ones get their own buffer', () => {
  const small = Array.from({ length: 40 }, (_, i) => allocValue(4096 + (i % 3)));
  small.forEach((b, i) => {
    assert.equal(b.length, 4096 + (i % 3));
    b.fill(i);
  });
  small.forEach((b, i) => assert.ok(b.every((x) => x === i), `value ${i} intact`));
  const slabs = new Set(small.map((b) => b.buffer));
  assert.ok(slabs.size >= 3 && slabs.size < small.length, `${slabs.size} slabs for ${small.length} values`);
  const large = allocValue(20000);
  assert.equal(large.length, 20000);
  assert.ok(!slabs.has(large.buffer as ArrayBuffer));
  assert.equal(allocValue(0).length, 0);
});
