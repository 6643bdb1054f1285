/**
 * Block allocation on a target's blob, in 4 KiB blocks.
 *
 * Two views of the same free space:
 *  - BlockAllocator, in memory: what may be handed out now. Next-fit from a
 *    rotating cursor, so consecutive allocations are contiguous on the device
 *    (and their writes merge).
 *  - the persistent free table in the VOS LMDB (key: end block, u64
 *    big-endian; value: start block), changed in the same LMDB transaction as
 *    the metadata that starts or stops referencing the blocks.
 *
 * NB: the in-memory free set is always a subset of the persistent one: blocks
 * are taken from memory first (reserved for an update in flight) and written
 * off persistently when the update commits; freed blocks are added
 * persistently first and come back to memory only after the commit, and only
 * once no read that may still use them is in flight.
 */
import type { KvTable } from './table.js';

export const BLOCK_SIZE = 4096;

export class BlockAllocator {
  private starts: number[] = [];
  private ends: number[] = [];
  private cursor = 0;
  private free_ = 0;

  constructor(extents: Iterable<[number, number]> = []) {
    for (const [s, e] of extents) this.release(s, e - s);
  }

  get freeBlocks(): number {
    return this.free_;
  }

  /** Free extents as [start, end) pairs, in order. */
  extents(): [number, number][] {
    return this.starts.map((s, i) => [s, this.ends[i]!]);
  }

  /** First index whose extent ends after b. */
  private after(b: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! <= b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Take n contiguous blocks; undefined when no free extent is large enough. */
  alloc(n: number): number | undefined {
    const count = this.starts.length;
    if (n <= 0 || count === 0) return undefined;
    const first = this.after(this.cursor);
    for (let k = 0; k <= count; k++) {
      const i = (first + k) % count;
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      const a = k === 0 && s < this.cursor && this.cursor < e ? this.cursor : s;
      if (e - a < n) continue;
      this.take(i, a, a + n);
      this.cursor = a + n;
      return a;
    }
    return undefined;
  }

  private take(i: number, a: number, b: number): void {
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    this.free_ -= b - a;
    if (s === a && e === b) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (s === a) {
      this.starts[i] = b;
    } else if (e === b) {
      this.ends[i] = a;
    } else {
      this.ends[i] = a;
      this.starts.splice(i + 1, 0, b);
      this.ends.splice(i + 1, 0, e);
    }
  }

  /** Give back [start, start + n), merging with neighbours. */
  release(start: number, n: number): void {
    if (n <= 0) return;
    const end = start + n;
    const i = this.after(start);
    if (i < this.starts.length && this.starts[i]! < end) throw new Error(`free of blocks [${start}, ${end}) overlaps free extent [${this.starts[i]}, ${this.ends[i]})`);
    this.free_ += n;
    const joinPrev = i > 0 && this.ends[i - 1] === start;
    const joinNext = i < this.starts.length && this.starts[i] === end;
    if (joinPrev && joinNext) {
      this.ends[i - 1] = this.ends[i]!;
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (joinPrev) {
      this.ends[i - 1] = end;
    } else if (joinNext) {
      this.starts[i] = start;
    } else {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
    }
  }
}

function blkKey(b: number): Buffer {
  const k = Buffer.allocUnsafe(8);
  k.writeUIntBE(0, 0, 2);
  k.writeUIntBE(b, 2, 6);
  return k;
}

function blkVal(b: number): Buffer {
  return blkKey(b);
}

function readBlk(b: Buffer): number {
  return b.readUIntBE(2, 6);
}

/** The persistent free table: read it whole (at open). */
export function loadFreeTable(db: KvTable): [number, number][] {
  const out: [number, number][] = [];
  for (const { key, value } of db.getRange({})) out.push([readBlk(value), readBlk(key)]);
  return out;
}

export function initFreeTable(db: KvTable, start: number, end: number): void {
  if (end > start) db.putSync(blkKey(end), blkVal(start));
}

/**
 * Write off [start, start + n) from the persistent free table (inside a write
 * transaction). Throws when the blocks are not free there: that would be a
 * double allocation.
 */
export function persistAlloc(db: KvTable, start: number, n: number): void {
  const end = start + n;
  let found: { s: number; e: number } | undefined;
  // allocations are mostly sequential: try the extent the last one came from (a get is cheaper than a cursor)
  const hint = lastEnd.get(db);
  if (hint !== undefined && hint >= end) {
    const v = db.getBinaryFast(blkKey(hint));
    if (v && readBlk(v) <= start) found = { s: readBlk(v), e: hint };
  }
  if (!found) for (const { key, value } of db.getRange({ start: blkKey(start + 1), limit: 1 })) found = { s: readBlk(value), e: readBlk(key) };
  if (!found || found.s > start || found.e < end) throw new Error(`blocks [${start}, ${end}) are not free in the persistent free table`);
  const { s, e } = found;
  if (e === end) {
    db.removeSync(blkKey(e));
    lastEnd.delete(db);
  } else {
    db.putSync(blkKey(e), blkVal(end));
    lastEnd.set(db, e);
  }
  if (s < start) db.putSync(blkKey(start), blkVal(s));
}

/** Per free table: the end block of the extent the last allocation came from. */
const lastEnd = new WeakMap<object, number>();

/** Add [start, start + n) to the persistent free table (inside a write transaction), merging with neighbours. */
export function persistFree(db: KvTable, start: number, n: number): void {
  let s = start;
  let e = start + n;
  const prev = db.get(blkKey(s));
  if (prev) {
    s = readBlk(prev);
    db.removeSync(blkKey(start));
  }
  for (const { key, value } of db.getRange({ start: blkKey(e + 1), limit: 1 })) {
    const ns = readBlk(value);
    if (ns < e) throw new Error(`blocks [${start}, ${start + n}) are already free in the persistent free table`);
    if (ns === e) {
      e = readBlk(key);
      db.removeSync(key);
    }
  }
  db.putSync(blkKey(e), blkVal(s));
}
