/**
 * An LMDB table as VosPool uses it. Reads pass through to lmdb-js. Writes
 * (made inside the pool's write transaction) are counted in a counter shared
 * by the pool's tables, so that the pool can tell whether an operation that
 * threw had written anything (see VosPool.runTxn). A table may also keep
 * decoded records in a RecordCache: `read` decodes a record once, and every
 * write through the table replaces or drops the cached copy.
 *
 * NB: cached records are shared: nobody may change one in place (every
 * record change builds a new object, which `putRec` then caches).
 */
import type { Database, RangeOptions } from 'lmdb';

/** The table operations the free-table functions (alloc.ts) need. */
export interface KvTable {
  get(key: Buffer): Buffer | undefined;
  getBinaryFast(key: Buffer): Buffer | undefined;
  getRange(o: RangeOptions): Iterable<{ key: Buffer; value: Buffer }>;
  putSync(key: Buffer, value: Buffer): unknown;
  removeSync(key: Buffer): unknown;
}

/** Writes made through a pool's tables since it was opened. */
export interface WriteCount {
  n: number;
}

/**
 * Decoded records keyed by their table key, in two generations: a hit in
 * the old generation moves to the new one; when the new one is full it
 * becomes the old one (an LRU approximation that costs one Map lookup per
 * hit). Entries are found by a 30-bit hash of the key (a small integer is
 * the cheapest Map key) and checked against the key itself.
 *
 * NB: the key buffers are kept: callers pass keys nobody changes later.
 */
export class RecordCache<R> {
  private cur = new Map<number, CacheEntry<R>>();
  private old = new Map<number, CacheEntry<R>>();
  hits = 0;
  misses = 0;

  constructor(private readonly generation: number) {}

  get size(): number {
    return this.cur.size + this.old.size;
  }

  get(key: Buffer): R | undefined {
    const h = hashKey(key);
    let e = this.cur.get(h);
    if (e !== undefined && e.key.equals(key)) {
      this.hits++;
      return e.rec;
    }
    e = this.old.get(h);
    if (e === undefined || !e.key.equals(key)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.old.delete(h);
    this.insert(h, e);
    return e.rec;
  }

  set(key: Buffer, rec: R): void {
    const h = hashKey(key);
    this.old.delete(h);
    this.insert(h, { key, rec });
  }

  delete(key: Buffer): void {
    const h = hashKey(key);
    this.cur.delete(h);
    this.old.delete(h);
  }

  clear(): void {
    this.cur.clear();
    this.old.clear();
  }

  private insert(h: number, e: CacheEntry<R>): void {
    if (this.cur.size >= this.generation && !this.cur.has(h)) {
      this.old = this.cur;
      this.cur = new Map();
    }
    this.cur.set(h, e);
  }
}

interface CacheEntry<R> {
  key: Buffer;
  rec: R;
}

/** FNV-1a of the key's bytes, cut to 30 bits (a V8 small integer). */
export function hashKey(k: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
  return h & 0x3fffffff;
}

export class Table<R = never> implements KvTable {
  constructor(
    readonly db: Database<Buffer, Buffer>,
    private readonly writes: WriteCount,
    readonly cache?: RecordCache<R>,
    private readonly decode?: (v: Buffer) => R,
  ) {}

  get(key: Buffer): Buffer | undefined {
    return this.db.get(key);
  }

  /** NB: the buffer is reused by the next read: decode it at once. */
  getBinaryFast(key: Buffer): Buffer | undefined {
    return this.db.getBinaryFast(key);
  }

  /** NB: keys are binary in every table. */
  getRange(o: RangeOptions): Iterable<{ key: Buffer; value: Buffer }> {
    return this.db.getRange(o) as Iterable<{ key: Buffer; value: Buffer }>;
  }

  getKeys(o: RangeOptions): Iterable<Buffer> {
    return this.db.getKeys(o) as Iterable<Buffer>;
  }

  getStats(): unknown {
    return this.db.getStats();
  }

  /**
   * The decoded record at key: from the cache, else read and decoded, and
   * cached when `fill` is set (writers set it; a reader of many keys in no
   * particular order would only churn the cache).
   */
  read(key: Buffer, fill = true): R | undefined {
    const cache = this.cache;
    if (!cache) {
      const v = this.db.getBinaryFast(key);
      return v ? this.decode!(v) : undefined;
    }
    let r = cache.get(key);
    if (r !== undefined) return r;
    const v = this.db.getBinaryFast(key);
    if (!v) return undefined;
    r = this.decode!(v);
    if (fill) cache.set(key, r);
    return r;
  }

  putSync(key: Buffer, value: Buffer): void {
    this.writes.n++;
    this.db.putSync(key, value);
    this.cache?.delete(key);
  }

  /** Write a record and cache rec, which must be what `value` decodes to. */
  putRec(key: Buffer, value: Buffer, rec: R): void {
    this.writes.n++;
    this.db.putSync(key, value);
    this.cache?.set(key, rec);
  }

  removeSync(key: Buffer): void {
    this.writes.n++;
    this.db.removeSync(key);
    this.cache?.delete(key);
  }
}
