/**
 * Binary key encodings of the VOS LMDB tables (the layout is described in
 * README.md). Every table key starts with the container id and the shard OID
 * so that everything under an object, a dkey or an akey is one contiguous
 * range of keys: enumeration, fetch and destroy are range scans.
 *
 * NB: a dkey or akey is encoded so that no encoding is a prefix of another
 * (see encKey), which makes "everything under this key" a clean prefix range.
 */
import { createHash } from 'node:crypto';
import { vosErr } from './errors.js';
import type { Epoch, UnitOid } from './types.js';
import { EPOCH_MAX } from './types.js';

export const CID_SIZE = 4;
export const OBJ_KEY_SIZE = CID_SIZE + 20;

/** Keys longer than this are stored with a hash after their first SHORT_PREFIX bytes. */
export const SHORT_KEY_MAX = 100;
const LONG_PREFIX = 84;
const HASH_SIZE = 16;
/** How much of an encoded key an anchor keeps: enough to tell any two keys apart. */
const ANCHOR_KEY_BYTES = 2 + LONG_PREFIX + HASH_SIZE;
/** dkey and akey bytes together: LMDB keys are limited to 1978 bytes and the longest table key adds 66. */
export const KEYS_MAX = 1800;
/** DAOS_ANCHOR_BUF_MAX */
export const ANCHOR_MAX = 120;

const ANCHOR_KEY = 1;
const ANCHOR_RECX = 2;

export function cidKey(cid: number): Buffer {
  const b = Buffer.allocUnsafe(CID_SIZE);
  b.writeUInt32BE(cid, 0);
  return b;
}

/** cid (u32) | oid.hi (u64) | oid.lo (u64) | shard (u32), all big-endian: objects sort by OID then shard. */
export function objKey(cid: number, oid: UnitOid): Buffer {
  const b = Buffer.allocUnsafe(OBJ_KEY_SIZE);
  b.writeUInt32BE(cid, 0);
  b.writeBigUInt64BE(oid.hi, 4);
  b.writeBigUInt64BE(oid.lo, 12);
  b.writeUInt32BE(oid.shard >>> 0, 20);
  return b;
}

export function decodeObjKey(k: Buffer): UnitOid {
  return { hi: k.readBigUInt64BE(4), lo: k.readBigUInt64BE(12), shard: k.readUInt32BE(20) };
}

export function encKeyLen(len: number): number {
  return 2 + len + (len > SHORT_KEY_MAX ? HASH_SIZE : 0);
}

/**
 * A dkey or akey inside a table key: u16 length, then the bytes. A uint64 key
 * (the object's DKEY_UINT64 / AKEY_UINT64 feature: 8 bytes, little-endian) is
 * stored big-endian so that keys sort as numbers. A key longer than 100 bytes
 * is stored as its first 84 bytes, a 16-byte hash of the whole key, then the
 * rest, so that its first 102 bytes identify it (the enumeration anchor).
 * Order: by length, then bytewise (long keys: first 84 bytes, then hash).
 */
export function encKey(k: Buffer, uint64: boolean): Buffer {
  const len = k.length;
  const out = Buffer.allocUnsafe(encKeyLen(len));
  writeEncKey(out, 0, k, uint64);
  return out;
}

/** Write encKey(k) at off in out; returns the offset after it. */
export function writeEncKey(out: Buffer, off: number, k: Buffer, uint64: boolean): number {
  const len = k.length;
  out.writeUInt16BE(len, off);
  off += 2;
  if (uint64) {
    for (let i = 0; i < 8; i++) out[off + i] = k[7 - i]!;
    return off + 8;
  }
  if (len <= SHORT_KEY_MAX) {
    k.copy(out, off);
    return off + len;
  }
  k.copy(out, off, 0, LONG_PREFIX);
  createHash('md5').update(k).digest().copy(out, off + LONG_PREFIX);
  k.copy(out, off + LONG_PREFIX + HASH_SIZE, LONG_PREFIX);
  return off + len + HASH_SIZE;
}

/** parent followed by encKey(k): the table key of a dkey under an object, or of an akey under a dkey. */
export function subKey(parent: Buffer, k: Buffer, uint64: boolean): Buffer {
  const out = Buffer.allocUnsafe(parent.length + encKeyLen(k.length));
  parent.copy(out, 0);
  writeEncKey(out, parent.length, k, uint64);
  return out;
}

/** parent followed by a u64, big-endian. */
export function withU64(parent: Buffer, v: bigint): Buffer {
  const out = Buffer.allocUnsafe(parent.length + 8);
  parent.copy(out, 0);
  out.writeBigUInt64BE(v, parent.length);
  return out;
}

/** Decode the key encoded at off in buf; returns the key and the offset after it. */
export function decKey(buf: Buffer, off: number, uint64: boolean): { key: Buffer; end: number } {
  const len = buf.readUInt16BE(off);
  off += 2;
  if (uint64 && len === 8) {
    const key = Buffer.allocUnsafe(8);
    for (let i = 0; i < 8; i++) key[i] = buf[off + 7 - i]!;
    return { key, end: off + 8 };
  }
  if (len <= SHORT_KEY_MAX) return { key: Buffer.from(buf.subarray(off, off + len)), end: off + len };
  const key = Buffer.allocUnsafe(len);
  buf.copy(key, 0, off, off + LONG_PREFIX);
  buf.copy(key, LONG_PREFIX, off + LONG_PREFIX + HASH_SIZE, off + len + HASH_SIZE);
  return { key, end: off + len + HASH_SIZE };
}

/** Length of the encoded key at off. */
export function encKeySpan(buf: Buffer, off: number): number {
  return encKeyLen(buf.readUInt16BE(off));
}

export function checkUint64Key(k: Buffer, what: string): void {
  if (k.length !== 8) throw vosErr.inval(`${what} ${k.toString('hex')} is not an 8-byte integer key (the object has the uint64 key feature)`);
}

export function checkKeys(dkey: Buffer, akeys: Buffer[]): void {
  if (dkey.length === 0) throw vosErr.inval('empty dkey');
  let longest = 0;
  for (const a of akeys) {
    if (a.length === 0) throw vosErr.inval(`empty akey under dkey ${printable(dkey)}`);
    if (a.length > longest) longest = a.length;
  }
  if (dkey.length + longest > KEYS_MAX) {
    throw vosErr.key2big(`dkey ${printable(dkey)} (${dkey.length} bytes) and akey (${longest} bytes) exceed ${KEYS_MAX} bytes together`);
  }
}

/** A short human form of a key for messages: text when printable, else hex, cut at 40 characters. */
export function printable(k: Buffer): string {
  let text = true;
  for (const c of k) if (c < 0x20 || c > 0x7e) { text = false; break; }
  const s = text ? JSON.stringify(k.toString('latin1')) : `0x${k.toString('hex')}`;
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The inverted epoch, big-endian: ascending key order is descending epoch. */
export function writeInvEpoch(out: Buffer, off: number, e: Epoch): number {
  out.writeBigUInt64BE(EPOCH_MAX - e, off);
  return off + 8;
}

export function readInvEpoch(buf: Buffer, off: number): Epoch {
  return EPOCH_MAX - buf.readBigUInt64BE(off);
}

export function concat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

/** The smallest byte string greater than every string that starts with p; undefined when there is none. */
export function increment(p: Buffer): Buffer | undefined {
  let n = p.length;
  while (n > 0 && p[n - 1] === 0xff) n--;
  if (n === 0) return undefined;
  const out = Buffer.from(p.subarray(0, n));
  out[n - 1]!++;
  return out;
}

/** The exclusive end of the range of keys starting with p. */
export function prefixEnd(p: Buffer): Buffer {
  const e = increment(p);
  if (!e) throw new Error('prefix of 0xff bytes has no end');
  return e;
}

/** Anchor after the key encoded at enc[off..]: where the next page of a key listing starts. */
export function keyAnchor(enc: Buffer, off: number): Buffer {
  const span = Math.min(encKeySpan(enc, off), ANCHOR_KEY_BYTES);
  const a = Buffer.allocUnsafe(1 + span);
  a[0] = ANCHOR_KEY;
  enc.copy(a, 1, off, off + span);
  return a;
}

/** The encoded-key position to resume a key listing at (inclusive), or undefined when the anchor is at the end. */
export function keyAnchorResume(anchor: Buffer): Buffer | undefined {
  if (anchor.length < 3 || anchor.length > ANCHOR_MAX || anchor[0] !== ANCHOR_KEY) throw vosErr.inval(`enumeration anchor 0x${anchor.toString('hex').slice(0, 32)} is not a key anchor`);
  return increment(anchor.subarray(1));
}

export function recxAnchor(next: bigint): Buffer {
  const a = Buffer.allocUnsafe(9);
  a[0] = ANCHOR_RECX;
  a.writeBigUInt64BE(next, 1);
  return a;
}

export function recxAnchorResume(anchor: Buffer): bigint {
  if (anchor.length !== 9 || anchor[0] !== ANCHOR_RECX) throw vosErr.inval(`enumeration anchor 0x${anchor.toString('hex').slice(0, 32)} is not an extent anchor`);
  return anchor.readBigUInt64BE(1);
}

export function u64(b: bigint): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(b, 0);
  return out;
}
