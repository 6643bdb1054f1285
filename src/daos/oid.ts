/**
 * Object IDs (data-plane §2.1): 128 bits as `{hi, lo}`; the top 32 bits of `hi` belong to DAOS
 * (version 63..60, features 59..44, class 43..32), the other 96 bits to the user.
 */

import { DaosError, DER } from './errors.js';
import type { ObjectClassId } from './oclass.js';

export interface Oid {
  readonly hi: bigint;
  readonly lo: bigint;
}

/** One shard of an object (daos_unit_oid_t): what servers, VOS and RPCs address. */
export interface ShardOid extends Oid {
  readonly shard: number;
}

/** Object feature bits (daos_ofeat_t). */
export const OidFeature = {
  DKEY_UINT64: 1 << 0,
  DKEY_LEXICAL: 1 << 1,
  AKEY_UINT64: 1 << 2,
  AKEY_LEXICAL: 1 << 3,
  KV_FLAT: 1 << 4,
  ARRAY: 1 << 5,
  ARRAY_MD: 1 << 6,
  ECHO: 1 << 15,
} as const;
export const OID_FEATURE_MASK = 0xffff;

export const OID_FMT_VER = 1;
const VER_SHIFT = 60n;
const FEAT_SHIFT = 44n;
const CLASS_SHIFT = 32n;
const U32 = 0xffffffffn;
const U64 = 0xffffffffffffffffn;

function u64(v: bigint | number, what: string): bigint {
  const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
  if (b < 0n || b > U64) throw new DaosError(-DER.INVAL, `${what} ${String(v)} is not an unsigned 64-bit integer`);
  return b;
}

/**
 * daos_obj_generate_id: keeps `lo` and the low 32 bits of `hi32` (the top 32 are cleared, as v0.8),
 * then sets version 1, the feature bits and the class.
 * NB: unlike v0.8, a class or feature value that does not fit its field is refused rather than
 * spilling into the neighbouring field; whether the class is registered is checked at placement.
 */
export function generateOid(user: { hi32?: bigint | number; lo: bigint | number }, cls: ObjectClassId, features = 0): Oid {
  if (!Number.isInteger(cls) || cls < 0 || cls > 0xfff) throw new DaosError(-DER.INVAL, `object class id ${cls} does not fit 12 bits`);
  if (!Number.isInteger(features) || features < 0 || features > OID_FEATURE_MASK) {
    throw new DaosError(-DER.INVAL, `object features 0x${features.toString(16)} do not fit 16 bits`);
  }
  const hi = u64(user.hi32 ?? 0, 'oid hi') & U32;
  const lo = u64(user.lo, 'oid lo');
  return {
    hi: hi | (BigInt(OID_FMT_VER) << VER_SHIFT) | (BigInt(features) << FEAT_SHIFT) | (BigInt(cls) << CLASS_SHIFT),
    lo,
  };
}

export function oidClass(oid: Oid): ObjectClassId {
  return Number((oid.hi >> CLASS_SHIFT) & 0xfffn);
}

export function oidFeatures(oid: Oid): number {
  return Number((oid.hi >> FEAT_SHIFT) & 0xffffn);
}

export function oidVersion(oid: Oid): number {
  return Number(oid.hi >> VER_SHIFT);
}

/** The 96 user bits: the low 32 of `hi` and all of `lo`. */
export function oidUserBits(oid: Oid): { hi32: bigint; lo: bigint } {
  return { hi32: oid.hi & U32, lo: oid.lo };
}

export function oidHasFeature(oid: Oid, f: number): boolean {
  return (oidFeatures(oid) & f) === f;
}

/** Unsigned order: by `hi`, then `lo`. */
export function compareOid(a: Oid, b: Oid): number {
  if (a.hi !== b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo !== b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

/** By OID, then shard index. */
export function compareShardOid(a: ShardOid, b: ShardOid): number {
  return compareOid(a, b) || a.shard - b.shard;
}

export function oidEqual(a: Oid, b: Oid): boolean {
  return a.hi === b.hi && a.lo === b.lo;
}

export function shardOid(oid: Oid, shard: number): ShardOid {
  return { hi: oid.hi, lo: oid.lo, shard };
}

/** `hi.lo` in decimal, as the daos tool prints and reads it. */
export function formatOid(oid: Oid): string {
  return `${oid.hi}.${oid.lo}`;
}

const DECIMAL = /^[0-9]+$/;

/** Parse `hi.lo` (two unsigned decimal 64-bit numbers); DaosError(-DER_INVAL) naming the problem otherwise. */
export function parseOid(s: string): Oid {
  const fail = (why: string): never => {
    throw new DaosError(-DER.INVAL, `object id ${JSON.stringify(s)}: ${why}`, { hint: 'oid format should be oid_hi.oid_lo (two decimal numbers)' });
  };
  const parts = s.split('.');
  if (parts.length !== 2) fail(`expected two numbers separated by one '.', found ${parts.length - 1} '.'`);
  const [h, l] = parts as [string, string];
  for (const [what, p] of [['hi', h], ['lo', l]] as const) {
    if (!DECIMAL.test(p)) fail(`${what} part ${JSON.stringify(p)} is not an unsigned decimal number`);
    if (BigInt(p) > U64) fail(`${what} part ${p} does not fit 64 bits`);
  }
  return { hi: BigInt(h), lo: BigInt(l) };
}
