/**
 * The array API (reference data-plane.md 6.6): a one-dimensional array of
 * fixed-size cells on an object with uint64 dkeys.
 *
 *  - metadata (objects with the ARRAY feature): dkey u64 0, akey "0", a
 *    24-byte single value [magic 0xdaca55a9daca55a9, cell size, chunk size];
 *  - cell i lives under dkey u64 floor(i / chunk) + 1, akey "0", as an array
 *    record (record size = cell size) at index i mod chunk. A chunk is one
 *    dkey, so consecutive chunks spread over the object's groups.
 *
 * Reads and writes are split at chunk boundaries; the pieces go out together
 * (at most `inflight` at a time), each one update or fetch of a subarray of
 * the caller's buffer: no copy on the client.
 */
import { DaosError, DER } from '../daos/errors.js';
import { generateOid, oidHasFeature, OidFeature, type Oid } from '../daos/oid.js';
import { classByName, type ObjectClassId } from '../daos/oclass.js';
import type { Container } from './container.js';
import { IodType, type DaosObject, type IoOptions } from './object.js';

export const ARRAY_MAGIC = 0xdaca55a9daca55a9n;
const AKEY = Buffer.from('0');
const META_DKEY = u64Key(0n);

export const ARRAY_FEATURES = OidFeature.DKEY_UINT64 | OidFeature.KV_FLAT | OidFeature.ARRAY;

function u64Key(n: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(n, 0);
  return b;
}

/** A range of cells. */
export interface ArrayRange {
  idx: bigint | number;
  len: bigint | number;
}

/** An array object ID: the class plus the features the array API needs. */
export function arrayOid(cls: string | ObjectClassId, lo: bigint | number, hi32: bigint | number = 0n, withAttr = true): Oid {
  const id = typeof cls === 'string' ? classByName(cls).id : cls;
  return generateOid({ hi32, lo }, id, withAttr ? ARRAY_FEATURES : OidFeature.DKEY_UINT64 | OidFeature.KV_FLAT);
}

interface Piece {
  dkey: Buffer;
  idx: bigint; // within the chunk
  nr: bigint;
  off: number; // byte offset in the caller's buffer
}

export class DaosArray {
  /** Pieces in flight at once for one read or write. */
  inflight = 16;

  private constructor(
    readonly obj: DaosObject,
    readonly cellSize: number,
    readonly chunkSize: number,
  ) {}

  get oid(): Oid {
    return this.obj.oid;
  }

  /** Create the array: writes the metadata. The OID must carry the ARRAY features (see arrayOid). */
  static async create(cont: Container, oid: Oid, cellSize: number, chunkSize: number): Promise<DaosArray> {
    for (const f of [OidFeature.DKEY_UINT64, OidFeature.KV_FLAT, OidFeature.ARRAY]) {
      if (!oidHasFeature(oid, f)) throw new DaosError(-DER.INVAL, 'an array object ID needs the DKEY_UINT64, KV_FLAT and ARRAY features', { hint: 'make it with arrayOid()' });
    }
    checkSizes(cellSize, chunkSize);
    const obj = cont.object(oid);
    const md = Buffer.allocUnsafe(24);
    md.writeBigUInt64LE(ARRAY_MAGIC, 0);
    md.writeBigUInt64LE(BigInt(cellSize), 8);
    md.writeBigUInt64LE(BigInt(chunkSize), 16);
    await obj.update(META_DKEY, [{ akey: AKEY, type: IodType.SINGLE, size: 24, recxs: [] }], [md]);
    return new DaosArray(obj, cellSize, chunkSize);
  }

  /** Open an array created with create(): reads its cell and chunk sizes. */
  static async open(cont: Container, oid: Oid, opts: IoOptions = {}): Promise<DaosArray> {
    if (!oidHasFeature(oid, OidFeature.ARRAY)) {
      throw new DaosError(-DER.INVAL, 'this object ID has no ARRAY feature: its sizes are not stored in it', { hint: 'open it with openWithAttr(cell, chunk)' });
    }
    const obj = cont.object(oid);
    const [r] = await obj.fetch(META_DKEY, [{ akey: AKEY, type: IodType.SINGLE, size: 0, recxs: [] }], opts);
    if (r.size === 0) throw new DaosError(-DER.NONEXIST, `array ${oid.hi}.${oid.lo} does not exist in this container`);
    if (r.size !== 24 || r.data.readBigUInt64LE(0) !== ARRAY_MAGIC) throw new DaosError(-DER.NO_PERM, `object ${oid.hi}.${oid.lo} is not an array (bad metadata)`);
    const cell = Number(r.data.readBigUInt64LE(8));
    const chunk = Number(r.data.readBigUInt64LE(16));
    if (!cell || !chunk) throw new DaosError(-DER.NO_PERM, `array ${oid.hi}.${oid.lo} has a zero cell or chunk size`);
    return new DaosArray(obj, cell, chunk);
  }

  /** Open with known sizes and no metadata I/O; the OID must not carry ARRAY. */
  static openWithAttr(cont: Container, oid: Oid, cellSize: number, chunkSize: number): DaosArray {
    if (oidHasFeature(oid, OidFeature.ARRAY)) throw new DaosError(-DER.INVAL, 'this array stores its sizes: open it with open()');
    checkSizes(cellSize, chunkSize);
    return new DaosArray(cont.object(oid), cellSize, chunkSize);
  }

  private pieces(ranges: ArrayRange[], bufLen: number): Piece[] {
    const out: Piece[] = [];
    const chunk = BigInt(this.chunkSize);
    let off = 0;
    for (const rg of ranges) {
      let i = BigInt(rg.idx);
      let left = BigInt(rg.len);
      if (i < 0n || left < 0n) throw new DaosError(-DER.INVAL, `bad array range ${rg.idx}+${rg.len}`);
      while (left > 0n) {
        const c = i / chunk;
        const within = i % chunk;
        const nr = left < chunk - within ? left : chunk - within;
        out.push({ dkey: u64Key(c + 1n), idx: within, nr, off });
        off += Number(nr) * this.cellSize;
        i += nr;
        left -= nr;
      }
    }
    if (off !== bufLen) throw new DaosError(-DER.INVAL, `the ranges cover ${off} bytes but the buffer holds ${bufLen}`, { hint: `a range of n cells takes n * ${this.cellSize} bytes` });
    return out;
  }

  private async each(pieces: Piece[], fn: (p: Piece) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < pieces.length) await fn(pieces[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.inflight, pieces.length) }, worker));
  }

  /** Write `data` over the cell ranges (default: one range from `at`). */
  async write(data: Buffer, at: bigint | number | ArrayRange[] = 0n): Promise<void> {
    const ranges = Array.isArray(at) ? at : [{ idx: at, len: BigInt(data.length / this.cellSize) }];
    if (!Array.isArray(at) && data.length % this.cellSize) throw new DaosError(-DER.INVAL, `${data.length} bytes is not a whole number of ${this.cellSize}-byte cells`);
    const cell = this.cellSize;
    await this.each(this.pieces(ranges, data.length), (p) =>
      this.obj.update(p.dkey, [{ akey: AKEY, type: IodType.ARRAY, size: cell, recxs: [{ idx: p.idx, nr: p.nr }] }], [data.subarray(p.off, p.off + Number(p.nr) * cell)]).then(() => undefined),
    );
  }

  /**
   * Read the cell ranges into `into` (cells never written read as zeros).
   * Returns the number of cells missing at the end of the read, as
   * `arr_nr_short_read`: non-zero means the array may be shorter than asked.
   */
  async read(into: Buffer, at: bigint | number | ArrayRange[] = 0n, opts: IoOptions = {}): Promise<{ shortRead: bigint }> {
    const ranges = Array.isArray(at) ? at : [{ idx: at, len: BigInt(into.length / this.cellSize) }];
    if (!Array.isArray(at) && into.length % this.cellSize) throw new DaosError(-DER.INVAL, `${into.length} bytes is not a whole number of ${this.cellSize}-byte cells`);
    const cell = this.cellSize;
    const pieces = this.pieces(ranges, into.length);
    let lastEnd = 0n; // highest cell index + 1 that holds data in the last piece read
    const last = pieces[pieces.length - 1];
    await this.each(pieces, async (p) => {
      const len = Number(p.nr) * cell;
      const sink = into.subarray(p.off, p.off + len);
      const [r] = await this.obj.fetch(p.dkey, [{ akey: AKEY, type: IodType.ARRAY, size: cell, recxs: [{ idx: p.idx, nr: p.nr }] }], { ...opts, sinks: [sink] });
      if (r.size === 0 || r.data.length === 0) sink.fill(0);
      else if (r.data.buffer !== sink.buffer || r.data.byteOffset !== sink.byteOffset) r.data.copy(sink, 0, 0, Math.min(len, r.data.length));
      if (p === last) for (const f of r.found) if (f.idx + f.nr > lastEnd) lastEnd = f.idx + f.nr;
    });
    const short = last ? last.idx + last.nr - (lastEnd > last.idx ? lastEnd : last.idx) : 0n;
    return { shortRead: short };
  }

  /** The size in cells: one past the highest cell written. */
  async getSize(opts: IoOptions = {}): Promise<bigint> {
    const dk = await this.obj.queryMaxDkey(opts);
    if (!dk) return 0n;
    const d = dk.readBigUInt64LE(0);
    if (d === 0n) return 0n;
    const rx = await this.obj.queryMaxRecx(dk, AKEY, opts);
    if (!rx) return BigInt(this.chunkSize) * (d - 1n);
    return BigInt(this.chunkSize) * (d - 1n) + rx.idx + rx.nr;
  }

  /** Truncate (punch every cell at or beyond `size`) or extend (write a zero cell at size - 1). */
  async setSize(size: bigint | number): Promise<void> {
    const n = BigInt(size);
    if (n < 0n) throw new DaosError(-DER.INVAL, 'an array size cannot be negative');
    const chunk = BigInt(this.chunkSize);
    const cur = await this.getSize();
    if (n === cur) return;
    if (n > cur) {
      await this.write(Buffer.alloc(this.cellSize), [{ idx: n - 1n, len: 1n }]);
      return;
    }
    // Shrink: punch whole chunks beyond the new end, and the tail of the boundary chunk.
    const boundary = n / chunk + 1n; // dkey holding cell n
    const dkeys: Buffer[] = [];
    for await (const k of this.obj.dkeys()) {
      const d = k.readBigUInt64LE(0);
      if (d === 0n) continue;
      if (d > boundary || (d === boundary && n % chunk === 0n)) dkeys.push(k);
    }
    await this.each(
      dkeys.map((dkey) => ({ dkey, idx: 0n, nr: 0n, off: 0 })),
      (p) => this.obj.punchDkeys([p.dkey]),
    );
    const within = n % chunk;
    if (within > 0n && cur > n) {
      // iod size 0 punches the extent [within, chunk) of the boundary chunk.
      await this.obj.update(u64Key(boundary), [{ akey: AKEY, type: IodType.ARRAY, size: 0, recxs: [{ idx: within, nr: chunk - within }] }], [Buffer.alloc(0)]);
    }
  }

  /** Punch cell ranges (they read as zeros afterwards). */
  async punch(ranges: ArrayRange[]): Promise<void> {
    await this.each(this.pieces(ranges, ranges.reduce((s, r) => s + Number(r.len) * this.cellSize, 0)), (p) =>
      this.obj.update(p.dkey, [{ akey: AKEY, type: IodType.ARRAY, size: 0, recxs: [{ idx: p.idx, nr: p.nr }] }], [Buffer.alloc(0)]).then(() => undefined),
    );
  }

  /** Punch the whole object, metadata included. */
  async destroy(): Promise<void> {
    await this.obj.punch();
  }
}

function checkSizes(cell: number, chunk: number): void {
  if (!Number.isSafeInteger(cell) || cell <= 0) throw new DaosError(-DER.INVAL, `bad cell size ${cell}: it must be a positive integer`);
  if (!Number.isSafeInteger(chunk) || chunk <= 0) throw new DaosError(-DER.INVAL, `bad chunk size ${chunk}: it must be a positive number of cells`);
}
