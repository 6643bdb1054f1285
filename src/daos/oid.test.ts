import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaosError, DER } from './errors.js';
import { OC } from './oclass.js';
import {
  compareOid, compareShardOid, formatOid, generateOid, OID_FEATURE_MASK, OidFeature, oidClass, oidEqual, oidFeatures, oidHasFeature,
  oidUserBits, oidVersion, parseOid, shardOid,
} from './oid.js';

test('feature bits (daos_ofeat_t)', () => {
  assert.deepEqual(OidFeature, { DKEY_UINT64: 1, DKEY_LEXICAL: 2, AKEY_UINT64: 4, AKEY_LEXICAL: 8, KV_FLAT: 16, ARRAY: 32, ARRAY_MD: 64, ECHO: 0x8000 });
  assert.equal(OID_FEATURE_MASK, 0xffff);
});

const gens: Record<string, { hi32?: bigint | number; lo: bigint | number; cls: number; feat: number; hi: bigint; lo_: bigint }> = {
  'S1, no features': { lo: 1n, cls: OC.S1, feat: 0, hi: 0x1000_00c8_0000_0000n, lo_: 1n },
  'RP_3G1 with DKEY_UINT64|ARRAY and user hi bits': { hi32: 0xdeadbeef, lo: 0xffff_ffff_ffff_ffffn, cls: OC.RP_3G1, feat: 0x21, hi: 0x1002_10f0_dead_beefn, lo_: 0xffff_ffff_ffff_ffffn },
  'top 32 bits of the user hi are cleared': { hi32: 0xffff_ffff_0000_0007n, lo: 5, cls: OC.SX, feat: 0, hi: 0x1000_00d6_0000_0007n, lo_: 5n },
  'RP_4GX (class id above 1023)': { lo: 0n, cls: OC.RP_4GX, feat: OidFeature.ECHO, hi: 0x1800_0405_0000_0000n, lo_: 0n },
  'class id 4095, all features': { lo: 2, cls: 4095, feat: 0xffff, hi: 0x1fff_ffff_0000_0000n, lo_: 2n },
};
for (const [name, tc] of Object.entries(gens)) {
  test(`generateOid: ${name}`, () => {
    const oid = generateOid({ ...(tc.hi32 !== undefined ? { hi32: tc.hi32 } : {}), lo: tc.lo }, tc.cls, tc.feat);
    assert.deepEqual(oid, { hi: tc.hi, lo: tc.lo_ });
    assert.equal(oidVersion(oid), 1);
    assert.equal(oidClass(oid), tc.cls);
    assert.equal(oidFeatures(oid), tc.feat);
    assert.equal(oidUserBits(oid).hi32, BigInt(tc.hi32 ?? 0) & 0xffffffffn);
  });
}

const badGens: Record<string, { f: () => unknown; want: RegExp }> = {
  'class over 12 bits': { f: () => generateOid({ lo: 1n }, 4096), want: /class id 4096 does not fit 12 bits/ },
  'negative class': { f: () => generateOid({ lo: 1n }, -1), want: /class id -1/ },
  'features over 16 bits': { f: () => generateOid({ lo: 1n }, OC.S1, 0x10000), want: /features 0x10000 do not fit 16 bits/ },
  'negative lo': { f: () => generateOid({ lo: -1n }, OC.S1), want: /oid lo -1 is not an unsigned 64-bit integer/ },
  'lo over 64 bits': { f: () => generateOid({ lo: 1n << 64n }, OC.S1), want: /oid lo/ },
  'unsafe number lo': { f: () => generateOid({ lo: 2 ** 60 }, OC.S1), want: /oid lo/ },
};
for (const [name, tc] of Object.entries(badGens)) {
  test(`generateOid refuses: ${name}`, () => {
    assert.throws(tc.f, (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && tc.want.test(e.message));
  });
}

test('oidHasFeature', () => {
  const oid = generateOid({ lo: 1n }, OC.S1, OidFeature.DKEY_UINT64 | OidFeature.ARRAY);
  assert.ok(oidHasFeature(oid, OidFeature.ARRAY));
  assert.ok(!oidHasFeature(oid, OidFeature.KV_FLAT));
});

test('compare: by hi then lo, unsigned; shard OIDs then by shard', () => {
  const a = { hi: 1n, lo: 0xffff_ffff_ffff_ffffn };
  const b = { hi: 2n, lo: 0n };
  const c = { hi: 2n, lo: 1n };
  assert.deepEqual([c, a, b].sort(compareOid), [a, b, c]);
  assert.equal(compareOid(b, { ...b }), 0);
  assert.ok(oidEqual(b, { hi: 2n, lo: 0n }));
  const s = [shardOid(b, 3), shardOid(a, 9), shardOid(b, 1)].sort(compareShardOid);
  assert.deepEqual(s.map((x) => [x.hi, x.shard]), [[1n, 9], [2n, 1], [2n, 3]]);
});

const parses: Record<string, { s: string; want?: { hi: bigint; lo: bigint }; err?: RegExp }> = {
  simple: { s: '1.2', want: { hi: 1n, lo: 2n } },
  'max values': { s: '18446744073709551615.18446744073709551615', want: { hi: 0xffff_ffff_ffff_ffffn, lo: 0xffff_ffff_ffff_ffffn } },
  'leading zeros': { s: '007.0', want: { hi: 7n, lo: 0n } },
  'no dot': { s: '12', err: /found 0 '\.'/ },
  'two dots': { s: '1.2.3', err: /found 2 '\.'/ },
  'empty hi': { s: '.5', err: /hi part "" is not an unsigned decimal number/ },
  'empty lo': { s: '5.', err: /lo part ""/ },
  hex: { s: '0x1.2', err: /hi part "0x1"/ },
  negative: { s: '-1.2', err: /hi part "-1"/ },
  spaces: { s: ' 1.2', err: /hi part " 1"/ },
  'over 64 bits': { s: '1.18446744073709551616', err: /lo part 18446744073709551616 does not fit 64 bits/ },
  empty: { s: '', err: /found 0/ },
};
for (const [name, tc] of Object.entries(parses)) {
  test(`parseOid: ${name}`, () => {
    if (tc.err) {
      assert.throws(() => parseOid(tc.s), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && tc.err!.test(e.message) && /oid_hi\.oid_lo/.test(e.hint ?? ''));
    } else assert.deepEqual(parseOid(tc.s), tc.want);
  });
}

test('formatOid writes hi.lo in decimal and parseOid reads it back', () => {
  const oid = generateOid({ hi32: 42, lo: 0xffff_ffff_ffff_fffen }, OC.RP_2G1, OidFeature.ARRAY);
  const s = formatOid(oid);
  assert.equal(s, `${oid.hi}.18446744073709551614`);
  assert.equal(s, '1153485399453073450.18446744073709551614');
  assert.deepEqual(parseOid(s), oid);
});
