import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64EcmaRefl, crcU64, djb2, dkeyHash, DKEY_HASH_SEED, jumpConsistentHash, Key64, murmurHash64A } from './hash.js';
import { DaosError } from './errors.js';

const M64 = (1n << 64n) - 1n;

// Plain bigint versions written straight from the descriptions, to check the half-word code.
function refMurmur(buf: Uint8Array, seed: bigint): bigint {
  const m = 0xc6a4a7935bd1e995n;
  let h = (seed ^ (BigInt(buf.length) * m)) & M64;
  const n = buf.length - (buf.length % 8);
  for (let i = 0; i < n; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(buf[i + j]!);
    k = (k * m) & M64;
    k ^= k >> 47n;
    k = (k * m) & M64;
    h ^= k;
    h = (h * m) & M64;
  }
  if (buf.length % 8) {
    for (let j = buf.length % 8 - 1; j >= 0; j--) h ^= BigInt(buf[n + j]!) << BigInt(8 * j);
    h = (h * m) & M64;
  }
  h ^= h >> 47n;
  h = (h * m) & M64;
  h ^= h >> 47n;
  return h;
}

function refCrc(seed: bigint, buf: Uint8Array): bigint {
  let crc = ~seed & M64;
  for (const b of buf) {
    crc ^= BigInt(b);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ 0xc96c5795d7870f42n : crc >> 1n;
  }
  return ~crc & M64;
}

function refJch(key: bigint, n: number): number {
  let b = -1;
  let j = 0;
  while (j < n) {
    b = j;
    key = (key * 2862933555777941757n + 1n) & M64;
    j = Math.floor((b + 1) * (Number(1n << 31n) / Number((key >> 33n) + 1n)));
  }
  return b;
}

function le8(x: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(x);
  return b;
}

/** A deterministic 64-bit generator (splitmix64) for the comparison tests. */
function* splitmix(seed: bigint): Generator<bigint> {
  let s = seed;
  for (;;) {
    s = (s + 0x9e3779b97f4a7c15n) & M64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    yield z ^ (z >> 31n);
  }
}

// data-plane §3.4 test vectors, verbatim.
const crcVectors: Record<string, { x: bigint; seed: number; want: bigint }> = {
  'CRC(0x0, 0)': { x: 0x0n, seed: 0, want: 0xb66a73654282cac0n },
  'CRC(0x1, 0)': { x: 0x1n, seed: 0, want: 0x6cd4e6ca85059580n },
  'CRC(0x123456789abcdef0, 7)': { x: 0x123456789abcdef0n, seed: 7, want: 0x711fcb461a8e2948n },
  'CRC(0xffffffffffffffff, 3)': { x: 0xffffffffffffffffn, seed: 3, want: 0x02e4ee24187800ban },
};
for (const [name, tc] of Object.entries(crcVectors)) {
  test(`§3.4 vector ${name}`, () => {
    assert.equal(crcU64(tc.x, tc.seed), tc.want);
    assert.equal(Key64.of(tc.x).crc(tc.seed).toBigInt(), tc.want);
    assert.equal(crc64EcmaRefl(BigInt(tc.seed), le8(tc.x)), tc.want);
  });
}

test('§3.4 vector crc64_ecma_refl(0, "123456789") = CRC-64/XZ check value', () => {
  assert.equal(crc64EcmaRefl(0n, '123456789'), 0x995dc9bbdf1939fan);
  assert.equal(refCrc(0n, Buffer.from('123456789')), 0x995dc9bbdf1939fan);
});

test('crc64_ecma_refl continues a CRC when given the previous result as seed', () => {
  const first = crc64EcmaRefl(0n, '12345');
  assert.equal(crc64EcmaRefl(first, '6789'), 0x995dc9bbdf1939fan);
  assert.equal(crc64EcmaRefl(0n, ''), 0n);
});

test('a CRC seed wider than 32 bits keeps its low 32 bits (C u32 conversion)', () => {
  assert.equal(crcU64(42n, 0x1_0000_0007n), crcU64(42n, 7));
});

const jchVectors: Record<string, { key: bigint; n: number; want: number }> = {
  'JCH(0x1, 10)': { key: 0x1n, n: 10, want: 6 },
  'JCH(0x2a, 100)': { key: 0x2an, n: 100, want: 43 },
  'JCH(0xdeadbeef, 1000)': { key: 0xdeadbeefn, n: 1000, want: 285 },
  'JCH(0x123456789abcdef0, 12)': { key: 0x123456789abcdef0n, n: 12, want: 4 },
  'JCH(0xffffffffffffffff, 65536)': { key: 0xffffffffffffffffn, n: 65536, want: 18311 },
};
for (const [name, tc] of Object.entries(jchVectors)) {
  test(`§3.4 vector ${name}`, () => {
    assert.equal(jumpConsistentHash(tc.key, tc.n), tc.want);
    assert.equal(Key64.of(tc.key).jch(tc.n), tc.want);
    assert.equal(refJch(tc.key, tc.n), tc.want);
  });
}

test('§3.4 vector JCH(k, 1) = 0 for every k', () => {
  const g = splitmix(1n);
  for (let i = 0; i < 1000; i++) assert.equal(jumpConsistentHash(g.next().value as bigint, 1), 0);
  assert.equal(jumpConsistentHash(0n, 1), 0);
  assert.equal(jumpConsistentHash(M64, 1), 0);
});

test('JCH refuses 0 buckets and keys out of range', () => {
  assert.throws(() => jumpConsistentHash(1n, 0), DaosError);
  assert.throws(() => jumpConsistentHash(-1n, 4), DaosError);
  assert.throws(() => jumpConsistentHash(1n << 64n, 4), DaosError);
});

// MurmurHash64A vectors computed with an independent implementation: a C program written from the
// published algorithm (uint64_t arithmetic, memcpy little-endian blocks), built with gcc on x86-64.
const murmurVectors: Record<string, { data: string | Uint8Array; seed: bigint; want: bigint }> = {
  'empty, seed 0': { data: '', seed: 0n, want: 0x0000000000000000n },
  'empty, dkey seed': { data: '', seed: 5731n, want: 0xf81377e08c41d2b9n },
  'empty, 64-bit seed': { data: '', seed: 0xdeadbeefcafebaben, want: 0xf821aed61d95f50an },
  '"a", seed 0': { data: 'a', seed: 0n, want: 0x071717d2d36b6b11n },
  '"a", dkey seed': { data: 'a', seed: 5731n, want: 0x429febda385898afn },
  '"a", 64-bit seed': { data: 'a', seed: 0xdeadbeefcafebaben, want: 0x8d99e42d43c922d8n },
  '"dkey", seed 0': { data: 'dkey', seed: 0n, want: 0xd9abb4aa951aef10n },
  '"dkey", dkey seed': { data: 'dkey', seed: 5731n, want: 0x9baaf4cabb1bad17n },
  '"hello", dkey seed': { data: 'hello', seed: 5731n, want: 0xc2d56ee29e333827n },
  '7 bytes, dkey seed': { data: '1234567', seed: 5731n, want: 0x05258094c6cc9298n },
  '8 bytes, seed 0': { data: '12345678', seed: 0n, want: 0x758f67d162b2d202n },
  '8 bytes, dkey seed': { data: '12345678', seed: 5731n, want: 0x6e30278823f3d908n },
  '9 bytes, seed 0': { data: '123456789', seed: 0n, want: 0x4977490251674330n },
  '9 bytes, dkey seed': { data: '123456789', seed: 5731n, want: 0x81a3571f8b9b071fn },
  '9 bytes, 64-bit seed': { data: '123456789', seed: 0xdeadbeefcafebaben, want: 0xadbd5d661f1a145fn },
  'quick brown fox, seed 0': { data: 'The quick brown fox jumps over the lazy dog', seed: 0n, want: 0x5589ca33042a861bn },
  'quick brown fox, dkey seed': { data: 'The quick brown fox jumps over the lazy dog', seed: 5731n, want: 0x89b1395c5e34a6b6n },
  '15 bytes, dkey seed': { data: 'dkey_0000000001', seed: 5731n, want: 0xe64c9939ee05b8ben },
  'bytes 255..243, dkey seed': { data: Uint8Array.from({ length: 13 }, (_, i) => 255 - i), seed: 5731n, want: 0xef1a76cfc08eeef9n },
  'bytes 255..0, dkey seed': { data: Uint8Array.from({ length: 256 }, (_, i) => 255 - i), seed: 5731n, want: 0x9abd788a31e940a9n },
};
for (const [name, tc] of Object.entries(murmurVectors)) {
  test(`MurmurHash64A ${name}`, () => {
    assert.equal(murmurHash64A(tc.data, tc.seed), tc.want);
    const bytes = typeof tc.data === 'string' ? Buffer.from(tc.data) : tc.data;
    assert.equal(refMurmur(bytes, tc.seed), tc.want);
  });
}

test('dkeyHash is MurmurHash64A with seed 5731; a missing dkey hashes to 0', () => {
  assert.equal(DKEY_HASH_SEED, 5731);
  assert.equal(dkeyHash('dkey'), 0x9baaf4cabb1bad17n);
  assert.equal(dkeyHash(), 0n);
});

// djb2 vectors from the same C program.
const djb2Vectors: Record<string, { data: string; want: number }> = {
  empty: { data: '', want: 5381 },
  a: { data: 'a', want: 177670 },
  dkey: { data: 'dkey', want: 2090187282 },
  hello: { data: 'hello', want: 261238937 },
  '123456789': { data: '123456789', want: 902675330 },
  'quick brown fox': { data: 'The quick brown fox jumps over the lazy dog', want: 885799134 },
  'wraps 32 bits': { data: 'dkey_0000000001', want: 3722206674 },
};
for (const [name, tc] of Object.entries(djb2Vectors)) {
  test(`djb2 ${name}`, () => assert.equal(djb2(tc.data), tc.want));
}

test('half-word arithmetic agrees with bigint over 2000 pseudo-random inputs', () => {
  const g = splitmix(0x5eedn);
  const next = () => g.next().value as bigint;
  for (let i = 0; i < 2000; i++) {
    const x = next();
    const seed = Number(next() & 0xffffffffn);
    assert.equal(crcU64(x, seed), refCrc(BigInt(seed), le8(x)), `CRC(${x}, ${seed})`);
    const n = 1 + Number(next() % (i % 2 ? 100n : 1000000n));
    assert.equal(jumpConsistentHash(x, n), refJch(x, n), `JCH(${x}, ${n})`);
    const len = i % 40;
    const buf = Buffer.alloc(len);
    for (let j = 0; j < len; j++) buf[j] = Number(next() & 0xffn);
    const ms = next();
    assert.equal(murmurHash64A(buf, ms), refMurmur(buf, ms), `murmur(${buf.toString('hex')}, ${ms})`);
  }
});

test('jump hash moves about 1/(n+1) of the keys when a bucket is added', () => {
  const g = splitmix(7n);
  let moved = 0;
  const total = 20000;
  for (let i = 0; i < total; i++) {
    const k = g.next().value as bigint;
    const a = jumpConsistentHash(k, 10);
    const b = jumpConsistentHash(k, 11);
    if (a !== b) {
      moved++;
      assert.equal(b, 10, 'a key only ever moves to the new bucket');
    }
  }
  const frac = moved / total;
  assert.ok(Math.abs(frac - 1 / 11) < 0.01, `moved fraction ${frac}`);
});
