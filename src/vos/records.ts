/**
 * Value encodings of the VOS tables (see README.md for the whole layout).
 *
 *   obj   value: maxUpdate u64 | ilog entries
 *   dkey  value: ilog entries
 *   akey  value: type u8 (0 none yet, 1 single, 2 array) | u64: maxLen (array) or latest (single) | ilog entries
 *         or, with 0x80 in the type (a single value's newest version kept here):
 *         type u8 | latest u64 | ilog entry count u16 | ilog entries | that version's sv value
 *   sv    key:   akeyKey | inverted epoch u64
 *         value: flags u8 (1 blob, 2 punch) | size u48 | blob block u48, or the inline bytes
 *   evt   key:   akeyKey | start index u64 | inverted epoch u64 | write sequence u64
 *         value: flags u8 | nr u64 | record size u48 | blob block u48, or the inline bytes
 */
import { BLOCK_SIZE } from './alloc.js';
import type { Extent } from './evt.js';
import { decodeIlog, ILOG_ENTRY_SIZE, writeIlog, type IlogEntry } from './ilog.js';
import { readInvEpoch, writeInvEpoch } from './keys.js';
import type { Epoch } from './types.js';

export const TYPE_NONE = 0;
export const TYPE_SINGLE = 1;
export const TYPE_ARRAY = 2;

export const F_BLOB = 1;
export const F_PUNCH = 2;

export interface ObjRec {
  ilog: IlogEntry[];
  /** The highest epoch of any update below the object: a punch at or below it needs the slow path. */
  maxUpd: Epoch;
}

export interface AkeyRec {
  type: number;
  /** Arrays: the longest extent (in records) ever written here: how far back an extent scan must start (else 0). */
  maxLen: bigint;
  /**
   * Single values: the epoch of the newest version (value or value punch),
   * so that a read at or above it is one lookup, not a range scan; 0 when
   * there is none or it is not known (a record written before this field).
   * Shares the u64 with maxLen (else 0).
   */
  latest: Epoch;
  ilog: IlogEntry[];
  /**
   * Single values: the newest version's record (an sv value: flags, size,
   * then block or inline bytes) when it is kept here, in the akey record,
   * rather than in sv at (akey, latest): a new value costs one record, and
   * a read of the newest version no lookup. Only small records (a blob
   * reference, a punch, a short inline value) are kept here.
   * NB: never in sv as well: every version is in exactly one place.
   */
  cur?: Buffer | undefined;
}

/** The type byte's flag: the record carries `cur`. */
export const AKEY_CUR = 0x80;
/** sv values of at most this many bytes may be kept in the akey record (a blob reference is 13). */
export const CUR_MAX = 64;

export function encObj(r: ObjRec): Buffer {
  const b = Buffer.allocUnsafe(8 + r.ilog.length * ILOG_ENTRY_SIZE);
  b.writeBigUInt64BE(r.maxUpd, 0);
  writeIlog(r.ilog, b, 8);
  return b;
}

export function decObj(b: Buffer): ObjRec {
  return { maxUpd: b.readBigUInt64BE(0), ilog: decodeIlog(b, 8) };
}

export function encIlog(ilog: IlogEntry[]): Buffer {
  const b = Buffer.allocUnsafe(Math.max(1, ilog.length * ILOG_ENTRY_SIZE));
  if (ilog.length === 0) return b.subarray(0, 0);
  writeIlog(ilog, b, 0);
  return b;
}

export function decIlog(b: Buffer): IlogEntry[] {
  return decodeIlog(b, 0);
}

export function encAkey(r: AkeyRec): Buffer {
  const x = r.type === TYPE_SINGLE ? r.latest : r.type === TYPE_ARRAY ? r.maxLen : 0n;
  const cur = r.type === TYPE_SINGLE ? r.cur : undefined;
  if (!cur) {
    const b = Buffer.allocUnsafe(9 + r.ilog.length * ILOG_ENTRY_SIZE);
    b[0] = r.type;
    b.writeBigUInt64BE(x, 1);
    writeIlog(r.ilog, b, 9);
    return b;
  }
  const b = Buffer.allocUnsafe(11 + r.ilog.length * ILOG_ENTRY_SIZE + cur.length);
  b[0] = r.type | AKEY_CUR;
  b.writeBigUInt64BE(x, 1);
  b.writeUInt16BE(r.ilog.length, 9);
  cur.copy(b, writeIlog(r.ilog, b, 11));
  return b;
}

/** NB: b may be lmdb-js's shared read buffer: nothing returned refers to it. */
export function decAkey(b: Buffer): AkeyRec {
  const type = b[0]! & ~AKEY_CUR;
  const x = b.readBigUInt64BE(1);
  const maxLen = type === TYPE_ARRAY ? x : 0n;
  const latest = type === TYPE_SINGLE ? x : 0n;
  if (!(b[0]! & AKEY_CUR)) return { type, maxLen, latest, ilog: decodeIlog(b, 9) };
  const end = 11 + b.readUInt16BE(9) * ILOG_ENTRY_SIZE;
  return { type, maxLen, latest, ilog: decodeIlog(b, 11, end), cur: Buffer.from(b.subarray(end)) };
}

/** The blob block of an sv value, or -1 when it holds its bytes inline (or is a punch). */
export function svBlk(v: Buffer): number {
  return v[0]! & F_BLOB ? v.readUIntBE(7, 6) : -1;
}

export function svSize(v: Buffer): number {
  return v.readUIntBE(1, 6);
}

/** Where the bytes of one value (a single value, or one extent) are. */
export interface Chunk {
  bytes: number;
  /** Inline bytes, or the bytes still to be written to the blob. */
  data?: Buffer;
  blk?: number;
  nblk?: number;
}

export function blocksFor(bytes: number): number {
  return Math.ceil(bytes / BLOCK_SIZE);
}

export function svKey(aK: Buffer, e: Epoch): Buffer {
  const k = Buffer.allocUnsafe(aK.length + 8);
  aK.copy(k, 0);
  writeInvEpoch(k, aK.length, e);
  return k;
}

export function encSv(size: number, c: Chunk): Buffer {
  if (size === 0) {
    const b = Buffer.alloc(7);
    b[0] = F_PUNCH;
    return b;
  }
  if (c.blk !== undefined) {
    const b = Buffer.allocUnsafe(13);
    b[0] = F_BLOB;
    b.writeUIntBE(size, 1, 6);
    b.writeUIntBE(c.blk, 7, 6);
    return b;
  }
  const b = Buffer.allocUnsafe(7 + size);
  b[0] = 0;
  b.writeUIntBE(size, 1, 6);
  c.data!.copy(b, 7, 0, size);
  return b;
}

export interface SvRec {
  epoch: Epoch;
  flags: number;
  size: number;
  blk: number;
  /** The record value (inline bytes start at 7). */
  val: Buffer;
  key: Buffer;
}

export function decSv(aKLen: number, key: Buffer, val: Buffer): SvRec {
  const flags = val[0]!;
  return {
    epoch: readInvEpoch(key, aKLen),
    flags,
    size: val.readUIntBE(1, 6),
    blk: flags & F_BLOB ? val.readUIntBE(7, 6) : -1,
    val,
    key,
  };
}

export function evtKey(aK: Buffer, start: bigint, e: Epoch, seq: number): Buffer {
  const k = Buffer.allocUnsafe(aK.length + 24);
  aK.copy(k, 0);
  k.writeBigUInt64BE(start, aK.length);
  writeInvEpoch(k, aK.length + 8, e);
  k.writeUIntBE(0, aK.length + 16, 2);
  k.writeUIntBE(seq, aK.length + 18, 6);
  return k;
}

export function encExt(nr: bigint, rsize: number, c: Chunk): Buffer {
  if (rsize === 0) {
    const b = Buffer.alloc(15);
    b[0] = F_PUNCH;
    b.writeBigUInt64BE(nr, 1);
    return b;
  }
  if (c.blk !== undefined) {
    const b = Buffer.allocUnsafe(21);
    b[0] = F_BLOB;
    b.writeBigUInt64BE(nr, 1);
    b.writeUIntBE(rsize, 9, 6);
    b.writeUIntBE(c.blk, 15, 6);
    return b;
  }
  const b = Buffer.allocUnsafe(15 + c.bytes);
  b[0] = 0;
  b.writeBigUInt64BE(nr, 1);
  b.writeUIntBE(rsize, 9, 6);
  c.data!.copy(b, 15, 0, c.bytes);
  return b;
}

export interface ExtRec extends Extent {
  nr: bigint;
  blk: number;
  /** The record value; inline bytes start at 15. */
  val: Buffer;
  key: Buffer;
}

export const EXT_INLINE_OFF = 15;
export const SV_INLINE_OFF = 7;

export function decExt(aKLen: number, key: Buffer, val: Buffer): ExtRec {
  const flags = val[0]!;
  const start = key.readBigUInt64BE(aKLen);
  const nr = val.readBigUInt64BE(1);
  return {
    start,
    end: start + nr,
    nr,
    epoch: readInvEpoch(key, aKLen + 8),
    seq: key.readUIntBE(aKLen + 18, 6),
    hole: (flags & F_PUNCH) !== 0,
    rsize: val.readUIntBE(9, 6),
    blk: flags & F_BLOB ? val.readUIntBE(15, 6) : -1,
    val,
    key,
  };
}

/** The epoch of an extent key, without decoding the rest. */
export function extKeyEpoch(aKLen: number, key: Buffer): Epoch {
  return readInvEpoch(key, aKLen + 8);
}

/** Bytes of value data an extent holds. */
export function extBytes(x: ExtRec): number {
  return x.hole ? 0 : Number(x.nr) * x.rsize;
}
