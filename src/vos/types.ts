/**
 * The public types of the versioned object store (see README.md).
 */

/** An HLC timestamp; EPOCH_MAX means "latest". */
export type Epoch = bigint;
export const EPOCH_MAX: Epoch = 2n ** 64n - 1n;

/** One shard of an object: the 128-bit object id and the shard index. */
export interface UnitOid {
  hi: bigint;
  lo: bigint;
  shard: number;
}

/** Records [idx, idx + nr). */
export interface Recx {
  idx: bigint;
  nr: bigint;
}

export type IodType = 'single' | 'array';

/** size: the value size (single) or the record size (array); 0 punches the value or the extents. */
export interface UpdateIod {
  akey: Buffer;
  type: IodType;
  size: number;
  recxs?: Recx[];
}

/** size 0 means "any": the stored size is reported. */
export interface FetchIod {
  akey: Buffer;
  type: IodType;
  size: number;
  recxs?: Recx[];
}

/**
 * data: the records packed in recx order, holes zero-filled (single value: the value);
 * size 0: nothing stored (data is then empty). found: the extents that hold data.
 */
export interface FetchedIod {
  size: number;
  data: Buffer;
  found: Recx[];
}

/** 24 bytes: a 16-byte uuid and a u64 HLC. */
export type DtxId = Buffer;
export const DTX_ID_SIZE = 24;

export type VosOp =
  | { kind: 'update'; oid: UnitOid; dkey: Buffer; iods: UpdateIod[]; data: Buffer[] }
  | { kind: 'punchObject'; oid: UnitOid }
  | { kind: 'punchDkeys'; oid: UnitOid; dkeys: Buffer[] }
  | { kind: 'punchAkeys'; oid: UnitOid; dkey: Buffer; akeys: Buffer[] };

export interface PreparedInfo {
  dtx: DtxId;
  cont: string;
  epoch: Epoch;
  oid: UnitOid;
  dkey?: Buffer;
}

export interface SpaceInfo {
  scm: { total: number; free: number };
  nvme: { total: number; free: number };
}

/** Object feature bits live in bits 59..44 of oid.hi (reference data-plane.md section 2.1). */
export const OID_FEAT_SHIFT = 44n;
export const OFEAT_DKEY_UINT64 = 1 << 0;
export const OFEAT_AKEY_UINT64 = 1 << 2;

export function oidFeatures(oid: UnitOid): number {
  return Number((oid.hi >> OID_FEAT_SHIFT) & 0xffffn);
}

export function oidString(oid: UnitOid): string {
  return `${oid.hi.toString(16)}.${oid.lo.toString(16)}.${oid.shard}`;
}
