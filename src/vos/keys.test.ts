import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decKey, encKey, increment, keyAnchor, keyAnchorResume, recxAnchor, recxAnchorResume, checkKeys, KEYS_MAX } from './keys.js';
import { VosError, VosRc } from './errors.js';
import { u64le } from './testing.js';

const cases: Record<string, { keys: Buffer[]; uint64: boolean; order: number[] }> = {
  'shorter keys first, then bytewise': { keys: [Buffer.from('b'), Buffer.from('aa'), Buffer.from('a'), Buffer.from('ab')], uint64: false, order: [2, 0, 1, 3] },
  'uint64 keys as numbers': { keys: [u64le(256), u64le(1), u64le(2n ** 63n), u64le(255)], uint64: true, order: [1, 3, 0, 2] },
  'long keys after short ones': { keys: [Buffer.alloc(150, 1), Buffer.alloc(100, 9), Buffer.alloc(101, 0)], uint64: false, order: [1, 2, 0] },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`encKey order: ${name}`, () => {
    const enc = tc.keys.map((k) => encKey(k, tc.uint64));
    const sorted = enc.map((e, i) => ({ e, i })).sort((a, b) => Buffer.compare(a.e, b.e)).map((x) => x.i);
    assert.deepEqual(sorted, tc.order);
    for (let i = 0; i < tc.keys.length; i++) {
      const { key, end } = decKey(enc[i]!, 0, tc.uint64);
      assert.deepEqual(key, tc.keys[i]);
      assert.equal(end, enc[i]!.length);
    }
  });
}

test('no encoding is a prefix of another', () => {
  const keys = [Buffer.from('a'), Buffer.from('ab'), Buffer.alloc(100, 97), Buffer.alloc(101, 97), Buffer.alloc(300, 97), Buffer.concat([Buffer.alloc(300, 97), Buffer.from('x')])];
  const enc = keys.map((k) => encKey(k, false));
  for (let i = 0; i < enc.length; i++) {
    for (let j = 0; j < enc.length; j++) {
      if (i === j) continue;
      const isPrefix = enc[j]!.length >= enc[i]!.length && enc[j]!.subarray(0, enc[i]!.length).equals(enc[i]!);
      assert.ok(!isPrefix, `the encoding of key ${i} is a prefix of the encoding of key ${j}`);
    }
  }
});

test('long keys that share 84 bytes are told apart by the anchor', () => {
  const a = Buffer.concat([Buffer.alloc(84, 5), Buffer.from('-first-key-tail-xxxxxxxxxxxxxxxxxxxx')]);
  const b = Buffer.concat([Buffer.alloc(84, 5), Buffer.from('-second-key-tail-xxxxxxxxxxxxxxxxxxx')]);
  assert.equal(a.length, b.length);
  const ea = encKey(a, false);
  const eb = encKey(b, false);
  const aa = keyAnchor(ea, 0);
  assert.ok(aa.length <= 120);
  const resume = keyAnchorResume(aa)!;
  // resuming after a never lands on a again, and never skips b when b sorts after a
  assert.ok(Buffer.compare(resume, ea) > 0);
  if (Buffer.compare(eb, ea) > 0) assert.ok(Buffer.compare(resume, eb) <= 0);
});

test('increment', () => {
  assert.deepEqual(increment(Buffer.from([1, 2, 3])), Buffer.from([1, 2, 4]));
  assert.deepEqual(increment(Buffer.from([1, 0xff, 0xff])), Buffer.from([2]));
  assert.equal(increment(Buffer.from([0xff, 0xff])), undefined);
});

test('recx anchors round-trip and foreign anchors are refused', () => {
  assert.equal(recxAnchorResume(recxAnchor(12345n)), 12345n);
  assert.throws(() => recxAnchorResume(Buffer.from([1, 2, 3])), (e: unknown) => e instanceof VosError && e.rc === VosRc.INVAL);
  assert.throws(() => keyAnchorResume(recxAnchor(1n)), (e: unknown) => e instanceof VosError && e.rc === VosRc.INVAL);
});

test('key size limits', () => {
  assert.throws(() => checkKeys(Buffer.alloc(0), []), (e: unknown) => e instanceof VosError && e.rc === VosRc.INVAL && /empty dkey/.test(e.message));
  assert.throws(() => checkKeys(Buffer.from('d'), [Buffer.alloc(0)]), (e: unknown) => e instanceof VosError && e.rc === VosRc.INVAL && /empty akey/.test(e.message));
  assert.throws(() => checkKeys(Buffer.alloc(KEYS_MAX), [Buffer.from('a')]), (e: unknown) => e instanceof VosError && e.rc === VosRc.KEY2BIG);
  checkKeys(Buffer.alloc(KEYS_MAX - 1), [Buffer.from('a')]);
});
