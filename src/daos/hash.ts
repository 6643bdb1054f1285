/**
 * The hashes of the data plane: MurmurHash64A (dkey → group), djb2, the reflected CRC-64/ECMA-182
 * and jump consistent hash (placement, data-plane §3.4).
 *
 * NB: these run per dkey and many times per object layout, so the 64-bit arithmetic is done on two
 * 32-bit halves (numbers) rather than on bigints; bigints appear only at the API boundary. The tests
 * check the halves against plain bigint implementations.
 */

import { DaosError, DER } from './errors.js';

/** Seed of the dkey hash (obj_dkey2hash). */
export const DKEY_HASH_SEED = 5731;

const TWO32 = 4294967296;
const U64 = 0xffffffffffffffffn;

/** High 32 bits of the unsigned 64-bit product of two u32s. */
function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

// Results of the half-word helpers (one pair per module: callers read them at once).
let rHi = 0;
let rLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into rHi:rLo. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const hi = (mulhi32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
  rLo = Math.imul(al, bl) >>> 0;
  rHi = hi;
}

function toBig(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function u64(v: bigint | number, what: string): bigint {
  const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
  if (b < 0n || b > U64) throw new DaosError(-DER.INVAL, `${what} ${String(v)} is not an unsigned 64-bit integer`);
  return b;
}

function bytesOf(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

// ---------------------------------------------------------------------------------------------
// MurmurHash64A

const MH = 0xc6a4a793; // 0xc6a4a7935bd1e995
const ML = 0x5bd1e995;

/** MurmurHash64A (Austin Appleby's 64-bit variant for 64-bit machines) of the bytes. */
export function murmurHash64A(data: Uint8Array | string, seed: bigint | number = 0): bigint {
  const buf = bytesOf(data);
  const s = u64(seed, 'murmur seed');
  const len = buf.length;
  // h = seed ^ (len * m)
  mul64(Math.floor(len / TWO32) >>> 0, len >>> 0, MH, ML);
  let hh = (Number(s >> 32n) ^ rHi) >>> 0;
  let hl = (Number(s & 0xffffffffn) ^ rLo) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let kl = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
    let kh = (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24)) >>> 0;
    mul64(kh, kl, MH, ML);
    kh = rHi;
    kl = (rLo ^ (rHi >>> 15)) >>> 0; // k ^= k >> 47
    mul64(kh, kl, MH, ML);
    hh = (hh ^ rHi) >>> 0;
    hl = (hl ^ rLo) >>> 0;
    mul64(hh, hl, MH, ML);
    hh = rHi;
    hl = rLo;
  }
  const rem = len & 7;
  if (rem > 0) {
    for (let i = rem - 1; i >= 0; i--) {
      const b = buf[blocks + i]!;
      if (i >= 4) hh = (hh ^ (b << (8 * (i - 4)))) >>> 0;
      else hl = (hl ^ (b << (8 * i))) >>> 0;
    }
    mul64(hh, hl, MH, ML);
    hh = rHi;
    hl = rLo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, MH, ML);
  hh = rHi;
  hl = (rLo ^ (rHi >>> 15)) >>> 0;
  return toBig(hh, hl);
}

/** The dkey hash that picks the redundancy group (obj_dkey2hash); a missing dkey hashes to 0. */
export function dkeyHash(dkey?: Uint8Array | string): bigint {
  return dkey === undefined ? 0n : murmurHash64A(dkey, DKEY_HASH_SEED);
}

// ---------------------------------------------------------------------------------------------
// djb2

/** Bernstein's djb2 over the bytes, 32 bits: h = h * 33 + byte, starting at 5381. */
export function djb2(data: Uint8Array | string): number {
  const buf = bytesOf(data);
  let h = 5381;
  for (let i = 0; i < buf.length; i++) h = (Math.imul(h, 33) + buf[i]!) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// CRC-64/ECMA-182, reflected (ISA-L crc64_ecma_refl)

const POLY_HI = 0xc96c5795; // reversed polynomial 0xC96C5795D7870F42
const POLY_LO = 0xd7870f42;
const T_HI = new Uint32Array(256);
const T_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let j = 0; j < 8; j++) {
    const odd = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  T_HI[i] = hi;
  T_LO[i] = lo;
}

/** Feed the 4 bytes of a u32, little-endian, into the register rHi:rLo. */
function crcWord(w: number): void {
  let hi = rHi;
  let lo = rLo;
  for (let s = 0; s < 32; s += 8) {
    const idx = (lo ^ (w >>> s)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ T_HI[idx]!) >>> 0;
  }
  rHi = hi;
  rLo = lo;
}

/**
 * crc64_ecma_refl(seed, buf): the register starts at ~seed and the result is inverted, so a CRC
 * can be continued by passing the previous result as the seed.
 */
export function crc64EcmaRefl(seed: bigint | number, data: Uint8Array | string): bigint {
  const buf = bytesOf(data);
  const s = u64(seed, 'crc seed') ^ U64;
  let hi = Number(s >> 32n);
  let lo = Number(s & 0xffffffffn);
  for (let i = 0; i < buf.length; i++) {
    const idx = (lo ^ buf[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ T_HI[idx]!) >>> 0;
  }
  return toBig(~hi >>> 0, ~lo >>> 0);
}

/** CRC(x, seed) on halves: result in rHi:rLo. `seed` is a u32 (zero-extended, then inverted). */
function crcHalves(xh: number, xl: number, seed: number): void {
  rHi = 0xffffffff;
  rLo = ~seed >>> 0;
  crcWord(xl);
  crcWord(xh);
  rHi = ~rHi >>> 0;
  rLo = ~rLo >>> 0;
}

/**
 * The placement CRC of §3.4: crc64_ecma_refl(seed, the 8 little-endian bytes of x).
 * NB: the seed is a u32 as in the jump map; a larger number keeps only its low 32 bits, as C's
 * implicit conversion does (this is how a 64-bit CRC result used as a seed behaves).
 */
export function crcU64(x: bigint, seed: bigint | number): bigint {
  const v = u64(x, 'crc input');
  const s = typeof seed === 'bigint' ? Number(seed & 0xffffffffn) : seed >>> 0;
  crcHalves(Number(v >> 32n), Number(v & 0xffffffffn), s);
  return toBig(rHi, rLo);
}

// ---------------------------------------------------------------------------------------------
// Jump consistent hash (Lamping and Veach)

const JH = 0x27bb2ee6; // 2862933555777941757
const JL = 0x87b0b0fd;

/** JCH on halves; n ≥ 1. */
function jchHalves(kh: number, kl: number, n: number): number {
  let b = -1;
  let j = 0;
  while (j < n) {
    b = j;
    mul64(kh, kl, JH, JL);
    kl = (rLo + 1) >>> 0;
    kh = kl === 0 ? (rHi + 1) >>> 0 : rHi;
    // NB: the double-precision step of the original, exactly: (b + 1) * (2^31 / ((key >> 33) + 1)).
    j = Math.floor((b + 1) * (2147483648 / ((kh >>> 1) + 1)));
  }
  return b;
}

/** Jump consistent hash of a u64 key into [0, n). */
export function jumpConsistentHash(key: bigint, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new DaosError(-DER.INVAL, `jump hash bucket count ${n} must be 1..2^32-1`);
  const k = u64(key, 'jump hash key');
  return jchHalves(Number(k >> 32n), Number(k & 0xffffffffn), n);
}

/**
 * A u64 held as two u32 halves, for the placement loop (no bigint per step).
 * @internal used by placement.ts
 */
export class Key64 {
  hi: number;
  lo: number;
  constructor(hi = 0, lo = 0) {
    this.hi = hi;
    this.lo = lo;
  }
  static of(v: bigint): Key64 {
    return new Key64(Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn));
  }
  /** this = CRC(this, seed) */
  crc(seed: number): this {
    crcHalves(this.hi, this.lo, seed >>> 0);
    this.hi = rHi;
    this.lo = rLo;
    return this;
  }
  /** JCH(this, n), leaving this unchanged. */
  jch(n: number): number {
    return jchHalves(this.hi, this.lo, n);
  }
  copy(): Key64 {
    return new Key64(this.hi, this.lo);
  }
  set(o: Key64): this {
    this.hi = o.hi;
    this.lo = o.lo;
    return this;
  }
  toBigInt(): bigint {
    return toBig(this.hi, this.lo);
  }
}
