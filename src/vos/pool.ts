/**
 * VosPool: the versioned object store of one pool on one target (reference
 * data-plane.md section 5). Metadata and values under 4 KiB live in one LMDB
 * environment (`<dir>/vos-<target>`); larger values live on the target's blob
 * (a region of a block device) in 4 KiB blocks from a persistent allocator.
 * README.md describes the layout, the visibility rules and the DTX states.
 *
 * Write path: validate and plan (synchronously), then write the blob data
 * before the metadata: either in the transaction's drain, synchronously and
 * merged with the other operations' (a device that needs no flush, small
 * writes), or first, asynchronously, with a device flush shared by all
 * writers that arrive meanwhile. The metadata goes in a synchronous LMDB
 * write transaction shared by every operation queued in the same event-loop
 * turn (group commit), run directly in it (see runTxn); the operation
 * resolves once the commit is durable.
 *
 * NB: one VosPool is used from the one JS thread that opened it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BLOCK_SIZE, BlockAllocator, initFreeTable, loadFreeTable, persistAlloc, persistFree } from './alloc.js';
import type { BlobRef } from './bdev.js';
import { Reader, Writer } from './codec.js';
import { VosError, vosErr } from './errors.js';
import { resolve, type Fragment } from './evt.js';
import { RecordCache, Table, type WriteCount } from './table.js';
import { allocValue } from './slab.js';
import { onMemoryFs } from './tmpfs.js';
import { compactIlog, coveredCreate, hasAt, hasEntryIn, insertEntry, punchBound, sameIlog, visibility, type IlogEntry } from './ilog.js';
import {
  checkKeys,
  checkUint64Key,
  cidKey,
  concat,
  decKey,
  decodeObjKey,
  subKey,
  withU64,
  keyAnchor,
  keyAnchorResume,
  objKey,
  prefixEnd,
  printable,
  recxAnchor,
  recxAnchorResume,
  u64,
  KEYS_MAX,
} from './keys.js';
import {
  AKEY_CUR,
  CUR_MAX,
  blocksFor,
  decAkey,
  decExt,
  decIlog,
  decObj,
  decSv,
  encAkey,
  encExt,
  encIlog,
  encObj,
  encSv,
  evtKey,
  extBytes,
  extKeyEpoch,
  svBlk,
  svKey,
  svSize,
  EXT_INLINE_OFF,
  F_BLOB,
  F_PUNCH,
  SV_INLINE_OFF,
  TYPE_ARRAY,
  TYPE_NONE,
  TYPE_SINGLE,
  type AkeyRec,
  type Chunk,
  type ExtRec,
  type ObjRec,
} from './records.js';
import {
  DTX_ID_SIZE,
  EPOCH_MAX,
  OFEAT_AKEY_UINT64,
  OFEAT_DKEY_UINT64,
  oidFeatures,
  oidString,
  type DtxId,
  type Epoch,
  type FetchedIod,
  type FetchIod,
  type IodType,
  type PreparedInfo,
  type Recx,
  type SpaceInfo,
  type UnitOid,
  type UpdateIod,
  type VosOp,
} from './types.js';

/** Values of this many bytes and more go to the blob when there is one (reference 5.3). */
export const INLINE_MAX = 4096;
/** The smallest SCM size a VOS pool accepts. */
export const SCM_MIN = 256 * 1024;
/** Committed DTX ids remembered: at least this many, and all of the last COMMITTED_AGE_MS. */
export const COMMITTED_KEEP = 100_000;
export const COMMITTED_AGE_MS = 3600_000;

const FORMAT = 1;
const DEFAULT_MAX_UPDATE_SLACK = 2n ** 30n;
const BLOB_MAGIC = Buffer.from('DAOS-TS VOS BLOB', 'latin1');
const END = 2n ** 64n;
const GC_BATCH = 4096;
/** Operations per write transaction at most: the event loop is blocked while one runs. */
const TXN_BATCH_MAX = 512;
const AGG_OBJECTS_PER_TXN = 16;
const TRIM_BATCH = 10_000;
const ONE = Buffer.from([1]);
const TABLES = ['meta', 'cont', 'gc', 'obj', 'dkey', 'akey', 'sv', 'evt', 'free', 'dtx', 'dtxc', 'dtxt'] as const;
type TableName = (typeof TABLES)[number];
type RawTables = Record<TableName, Database<Buffer, Buffer>>;
/** The tables, the ones read by every operation with a cache of decoded records. */
interface Tables extends Record<Exclude<TableName, 'obj' | 'dkey' | 'akey'>, Table> {
  obj: Table<ObjRec>;
  dkey: Table<IlogEntry[]>;
  akey: Table<AkeyRec>;
}
/** Decoded records cached per pool: objects, dkeys and akeys in use (per generation, two generations). */
const OBJ_CACHE = 1024;
const KEY_CACHE = 4096;

const K_POOL = Buffer.from('pool');
const K_SEQ = Buffer.from('seq');
const K_NEXT_CID = Buffer.from('next_cid');

export interface VosPoolOptions {
  /** The pool's directory on SCM (`<scm_mount>/<pool uuid>` in the original). */
  dir: string;
  target: number;
  /** SCM bytes of this target: the LMDB space it may use. */
  scmBytes: number;
  /** This target's region of a block device; without one every value stays in LMDB. */
  blob?: BlobRef;
  /** Milliseconds since 1970, for the age of committed DTX ids (tests inject one). */
  clock?: () => number;
  /**
   * How far above an update's epoch the object's update bound is raised
   * (default 2^30, about a second of HLC time): the object record is then
   * rewritten about once per second, not by every update. A punch at or
   * below the bound scans what it covers (exact, slower); tests set 0.
   */
  maxUpdateSlack?: bigint;
  /**
   * Whether dir is on a memory file system (tmpfs, ramfs), where VOS skips
   * the LMDB syncs (see openEnv); detected with statfs when not given.
   */
  memoryFs?: boolean;
  /** Committed DTX ids kept: at least this many (default COMMITTED_KEEP) ... */
  committedKeep?: number;
  /** ... and all committed within this many milliseconds (default COMMITTED_AGE_MS). */
  committedAgeMs?: number;
}

interface PoolMeta {
  format: number;
  target: number;
  blob: { path: string; offset: number; size: number } | null;
}

interface PIod {
  akey: Buffer;
  type: IodType;
  size: number;
  recxs: Recx[];
  chunks: Chunk[];
}

type Planned =
  | { kind: 'update'; oid: UnitOid; dkey: Buffer; iods: PIod[] }
  | { kind: 'punchObject'; oid: UnitOid }
  | { kind: 'punchDkeys'; oid: UnitOid; dkeys: Buffer[] }
  | { kind: 'punchAkeys'; oid: UnitOid; dkey: Buffer; akeys: Buffer[] };

type PUpdate = Extract<Planned, { kind: 'update' }>;
type PPunch = Exclude<Planned, { kind: 'update' }>;

interface Mode {
  /** Refuse what the rules refuse (same-epoch update and punch, kind changes). */
  checks: boolean;
  /** Apply; false: check only. */
  write: boolean;
  /** Record the blob blocks as allocated (false when a prepared DTX already did). */
  alloc: boolean;
}

const DIRECT: Mode = { checks: true, write: true, alloc: true };
const CHECK_ONLY: Mode = { checks: true, write: false, alloc: false };
const COMMIT: Mode = { checks: false, write: true, alloc: false };

interface PreparedEntry {
  dtx: Buffer;
  hex: string;
  cid: number;
  epoch: Epoch;
  oid: UnitOid;
  tag: string;
  kind: VosOp['kind'];
  dkeys: Buffer[];
  akeys: Buffer[];
  committing: boolean;
}

type CtxMark = { undo: number; allocs: number; frees: number; freed: number; after: number };
const CTX_START: CtxMark = { undo: 0, allocs: 0, frees: 0, freed: 0, after: 0 };

class TxnCtx {
  /** Blob blocks the transaction starts referencing, and stops referencing (written to the free table at its end). */
  allocs: [number, number][] = [];
  frees: [number, number][] = [];
  /** Blocks to hand back to the in-memory allocator after the commit. */
  freed: [number, number][] = [];
  /** Run once the commit is durable. */
  after: (() => void)[] = [];
  /** Undo in-memory changes of an operation whose writes are rolled back. */
  undo: (() => void)[] = [];
  counters = false;

  mark(): CtxMark {
    return { undo: this.undo.length, allocs: this.allocs.length, frees: this.frees.length, freed: this.freed.length, after: this.after.length };
  }

  rollback(m: CtxMark): void {
    for (let i = this.undo.length - 1; i >= m.undo; i--) this.undo[i]!();
    this.undo.length = m.undo;
    this.allocs.length = m.allocs;
    this.frees.length = m.frees;
    this.freed.length = m.freed;
    this.after.length = m.after;
  }
}

interface TxItem {
  fn: (ctx: TxnCtx) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  scm: number;
  /** Blob data to write (synchronously) before the transaction runs fn. */
  writes?: BlobWrite[] | undefined;
  ok?: boolean;
  result?: unknown;
  err?: unknown;
}

interface BlobWrite {
  off: number;
  data: Buffer;
}

/** Largest vectored write (IOV_MAX). */
const WRITEV_MAX_IOVS = 1024;

interface DevRead {
  off: number;
  len: number;
  target: Buffer;
  toff: number;
}

interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  root: { treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
  free: { treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
}

function poolFile(o: VosPoolOptions): string {
  return path.join(o.dir, `vos-${o.target}`);
}

function checkOptions(o: VosPoolOptions): void {
  if (!Number.isInteger(o.target) || o.target < 0) throw vosErr.inval(`target index ${o.target} is not valid`);
  if (!Number.isSafeInteger(o.scmBytes) || o.scmBytes < SCM_MIN) throw vosErr.inval(`SCM size ${o.scmBytes} of target ${o.target} is too small: at least ${SCM_MIN} bytes`);
  if (o.blob) {
    if (o.blob.offset % BLOCK_SIZE !== 0 || o.blob.size < 2 * BLOCK_SIZE) {
      throw vosErr.inval(`blob region at offset ${o.blob.offset} of ${o.blob.size} bytes on ${o.blob.device.path} is not 4 KiB aligned or smaller than 8 KiB`);
    }
    if (o.blob.offset + o.blob.size > o.blob.device.size) throw vosErr.inval(`blob region at offset ${o.blob.offset} of ${o.blob.size} bytes lies beyond the end of ${o.blob.device.path}`);
  }
}

function checkEpochRead(e: Epoch): void {
  if (typeof e !== 'bigint' || e < 0n || e > EPOCH_MAX) throw vosErr.inval(`epoch ${String(e)} is not valid`);
}

function checkEpochWrite(e: Epoch): void {
  if (typeof e !== 'bigint' || e < 0n || e >= EPOCH_MAX) throw vosErr.inval(`epoch ${String(e)} is not valid for a write`);
}

function checkDtx(d: DtxId): void {
  if (!Buffer.isBuffer(d) || d.length !== DTX_ID_SIZE) throw vosErr.inval(`dtx id of ${Buffer.isBuffer(d) ? d.length : '?'} bytes: ${DTX_ID_SIZE} expected`);
}

function maxE(a: Epoch, b: Epoch): Epoch {
  return a > b ? a : b;
}

const EMPTY = Buffer.alloc(0);

function emptyFetched(): FetchedIod {
  return { size: 0, data: EMPTY, found: [] };
}

function blobHeader(o: VosPoolOptions): Buffer {
  const h = Buffer.alloc(BLOCK_SIZE);
  BLOB_MAGIC.copy(h, 0);
  h.writeUInt32BE(FORMAT, 16);
  h.writeUInt32BE(o.target, 20);
  h.writeUIntBE(o.blob!.size, 24, 6);
  h.writeUIntBE(o.blob!.offset, 30, 6);
  const id = Buffer.from(path.basename(o.dir), 'utf8').subarray(0, 200);
  h.writeUInt16BE(id.length, 36);
  id.copy(h, 38);
  return h;
}

function hasDup(keys: Buffer[]): boolean {
  const seen = new Set<string>();
  for (const k of keys) {
    const h = k.toString('hex');
    if (seen.has(h)) return true;
    seen.add(h);
  }
  return false;
}

function keyIn(k: Buffer, list: Buffer[]): boolean {
  for (const x of list) if (x.equals(k)) return true;
  return false;
}

export class VosPool {
  private state: 'open' | 'closing' | 'closed' = 'open';
  private failure: Error | undefined;
  private inflight = 0;
  private txq: TxItem[] = [];
  private txScheduled = false;

  private readonly conts = new Map<string, number>();
  private readonly contNames = new Map<number, string>();
  private nextCid = 1;
  private seq = 0;

  private readonly alloc: BlockAllocator;
  private readonly blobBlocks: number;
  private readonly quarantine: { gen: number; ext: [number, number][] }[] = [];
  private quarantinedBlocks = 0;
  private readGen = 0;
  private readonly activeReads = new Map<number, number>();

  private readonly prep = new Map<string, PreparedEntry>();
  private readonly prepByObj = new Map<string, Set<PreparedEntry>>();
  private committedCount = 0;

  private scmUsed = 0;
  private scmReserved = 0;
  private lastMeasure = 0;
  /** Estimated SCM committed since scmUsed was measured. */
  private scmSince = 0;
  private readonly gcRunning = new Set<number>();
  private readonly clock: () => number;
  private readonly maxUpdSlack: bigint;
  private readonly committedKeep: number;
  private readonly committedAge: number;
  /** LMDB writes made through this pool's tables (see runTxn). */
  private readonly writes: WriteCount = { n: 0 };
  private readonly t: Tables;

  private constructor(
    readonly file: string,
    readonly target: number,
    private readonly scmBytes: number,
    private readonly blob: BlobRef | undefined,
    private readonly env: RootDatabase<Buffer, Buffer>,
    raw: RawTables,
    o: VosPoolOptions,
  ) {
    const t = {} as Record<TableName, Table<unknown>>;
    for (const name of TABLES) t[name] = new Table(raw[name], this.writes);
    t.obj = new Table(raw.obj, this.writes, new RecordCache<ObjRec>(OBJ_CACHE), decObj);
    t.dkey = new Table(raw.dkey, this.writes, new RecordCache<IlogEntry[]>(KEY_CACHE), decIlog);
    t.akey = new Table(raw.akey, this.writes, new RecordCache<AkeyRec>(KEY_CACHE), decAkey);
    this.t = t as unknown as Tables;
    this.clock = o.clock ?? Date.now;
    this.maxUpdSlack = o.maxUpdateSlack ?? DEFAULT_MAX_UPDATE_SLACK;
    this.committedKeep = o.committedKeep ?? COMMITTED_KEEP;
    this.committedAge = o.committedAgeMs ?? COMMITTED_AGE_MS;
    this.blobBlocks = blob ? Math.floor(blob.size / BLOCK_SIZE) : 0;
    this.alloc = new BlockAllocator(blob ? loadFreeTable(t.free) : []);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Open the LMDB environment. Its write transactions are synchronous and
   * their commit is durable when it returns: on a disk, LMDB writes the data
   * pages, fdatasyncs, then writes the meta page (O_DSYNC). On a memory file
   * system (memFs) the page cache is the storage: the syncs do nothing there,
   * so the environment is opened without them (noSync) and with a writable
   * map (the transaction writes its pages in place in the file's pages, no
   * page copies and no write system calls): a commit is then as durable as
   * the file system allows as soon as it returns. README.md, "Durability",
   * says why this loses nothing.
   */
  private static openEnv(file: string, scmBytes: number, memFs: boolean): { env: RootDatabase<Buffer, Buffer>; t: RawTables } {
    let env: RootDatabase<Buffer, Buffer>;
    try {
      env = open<Buffer, Buffer>({
        path: file,
        noSubdir: true,
        maxDbs: TABLES.length + 4,
        mapSize: Math.ceil((scmBytes * 1.25 + (1 << 20)) / (1 << 20)) * (1 << 20),
        ...(memFs ? { noSync: true, overlappingSync: false, useWritemap: true } : { overlappingSync: true }),
        compression: false,
        noMemInit: true,
        keyEncoding: 'binary',
        encoding: 'binary',
      });
    } catch (e) {
      throw vosErr.io(`cannot open vos pool file ${file}: ${(e as Error).message}`, e);
    }
    const t = {} as RawTables;
    for (const name of TABLES) t[name] = env.openDB({ name, keyEncoding: 'binary', encoding: 'binary' }) as Database<Buffer, Buffer>;
    return { env, t };
  }

  /** Create the pool's VOS on this target; EXIST when its file is already there. */
  static async create(o: VosPoolOptions): Promise<VosPool> {
    checkOptions(o);
    const file = poolFile(o);
    if (fs.existsSync(file)) throw vosErr.exist(`vos pool file ${file} already exists`);
    await fsp.mkdir(o.dir, { recursive: true });
    if (o.blob) {
      await o.blob.device.write(o.blob.offset, blobHeader(o));
      await o.blob.device.flush();
    }
    const { env, t } = VosPool.openEnv(file, o.scmBytes, o.memoryFs ?? onMemoryFs(o.dir));
    const meta: PoolMeta = { format: FORMAT, target: o.target, blob: o.blob ? { path: o.blob.device.path, offset: o.blob.offset, size: o.blob.size } : null };
    try {
      env.transactionSync(() => {
        t.meta.putSync(K_POOL, Buffer.from(JSON.stringify(meta)));
        t.meta.putSync(K_SEQ, u64(0n));
        t.meta.putSync(K_NEXT_CID, u64(1n));
        if (o.blob) initFreeTable(t.free, 1, Math.floor(o.blob.size / BLOCK_SIZE));
      });
      await env.flushed;
    } catch (e) {
      await env.close();
      throw vosErr.io(`cannot initialise vos pool file ${file}: ${(e as Error).message}`, e);
    }
    return VosPool.load(o, file, env, t);
  }

  /** Open the pool's VOS on this target (at restart); NONEXIST when it was never created. */
  static async open(o: VosPoolOptions): Promise<VosPool> {
    checkOptions(o);
    const file = poolFile(o);
    if (!fs.existsSync(file)) throw vosErr.nonexist(`vos pool file ${file} does not exist`);
    const { env, t } = VosPool.openEnv(file, o.scmBytes, o.memoryFs ?? onMemoryFs(o.dir));
    try {
      const raw = t.meta.get(K_POOL);
      if (!raw) throw vosErr.io(`vos pool file ${file} was never completely created: destroy the pool and create it again`);
      const meta = JSON.parse(raw.toString('utf8')) as PoolMeta;
      if (meta.format !== FORMAT) throw vosErr.io(`vos pool file ${file} has format ${meta.format}; this version reads format ${FORMAT}`);
      if (meta.target !== o.target) throw vosErr.inval(`vos pool file ${file} belongs to target ${meta.target}, not ${o.target}`);
      if (meta.blob && !o.blob) throw vosErr.inval(`vos pool file ${file} keeps data on ${meta.blob.path} at offset ${meta.blob.offset}: open it with that region`);
      if (!meta.blob && o.blob) throw vosErr.inval(`vos pool file ${file} was created without a block-device region`);
      if (meta.blob && o.blob) {
        if (meta.blob.offset !== o.blob.offset || meta.blob.size !== o.blob.size) {
          throw vosErr.inval(`vos pool file ${file} expects its region at offset ${meta.blob.offset} of ${meta.blob.size} bytes, not at ${o.blob.offset} of ${o.blob.size}`);
        }
        const h = await o.blob.device.read(o.blob.offset, BLOCK_SIZE);
        const want = blobHeader(o);
        if (!h.subarray(0, 36).equals(want.subarray(0, 36))) {
          throw vosErr.io(`the region at offset ${o.blob.offset} of ${o.blob.device.path} does not hold the blob of target ${o.target} of ${o.dir}`);
        }
      }
    } catch (e) {
      await env.close();
      throw e;
    }
    return VosPool.load(o, file, env, t);
  }

  private static load(o: VosPoolOptions, file: string, env: RootDatabase<Buffer, Buffer>, raw: RawTables): VosPool {
    const p = new VosPool(file, o.target, o.scmBytes, o.blob, env, raw, o);
    const t = p.t;
    p.seq = Number(t.meta.get(K_SEQ)?.readBigUInt64BE(0) ?? 0n);
    p.nextCid = Number(t.meta.get(K_NEXT_CID)?.readBigUInt64BE(0) ?? 1n);
    for (const { key, value } of t.cont.getRange({})) {
      const cid = value.readUInt32BE(0);
      const name = key.toString('utf8');
      p.conts.set(name, cid);
      p.contNames.set(cid, name);
    }
    for (const { key, value } of t.dtx.getRange({})) p.addPrepared(Buffer.from(key), value);
    p.committedCount = (t.dtxc.getStats() as { entryCount: number }).entryCount;
    p.measureScm();
    for (const key of t.gc.getKeys({})) p.startGc((key as Buffer).readUInt32BE(0));
    return p;
  }

  /** Wait for the operations in flight, then close the LMDB environment. The blob's device stays open. */
  async close(): Promise<void> {
    if (this.state !== 'open') {
      while (this.state === 'closing') await new Promise((r) => setTimeout(r, 2));
      return;
    }
    this.state = 'closing';
    while (this.inflight > 0 || this.txScheduled || this.txq.length > 0) await new Promise((r) => setTimeout(r, 1));
    await this.env.close();
    this.state = 'closed';
  }

  /** Close and remove the pool's files on SCM. The blob region is the SMD's to free. */
  async destroy(): Promise<void> {
    await this.close();
    await fsp.rm(this.file, { force: true });
    await fsp.rm(`${this.file}-lock`, { force: true });
  }

  private checkOpen(): void {
    if (this.failure) throw vosErr.io(`vos pool ${this.file} is unusable after a failed commit (${this.failure.message}): restart the I/O server`, this.failure);
    if (this.state !== 'open') throw vosErr.noHdl(`vos pool ${this.file} is closed`);
  }

  // ---------------------------------------------------------------- transactions

  /**
   * Run fn inside the next LMDB write transaction, shared with every other
   * operation queued until it starts. Resolves with fn's result once the
   * commit is durable; rejects with what fn threw, and then nothing fn wrote
   * is kept (fn must register in ctx.undo any in-memory change it makes).
   */
  private txn<T>(fn: (ctx: TxnCtx) => T, scm = 0): Promise<T> {
    return new Promise<T>((res, rej) => this.enqueue({ fn, resolve: res as (v: unknown) => void, reject: rej, scm }));
  }

  private enqueue(it: TxItem): void {
    if (this.failure) {
      this.scmReserved -= it.scm;
      it.reject(vosErr.io(`vos pool ${this.file} is unusable after a failed commit: restart the I/O server`, this.failure));
      return;
    }
    this.txq.push(it);
    if (!this.txScheduled) this.scheduleTxn();
  }

  private scheduleTxn(): void {
    this.txScheduled = true;
    setImmediate(() => this.runTxn());
  }

  /**
   * One write transaction for the queued operations, run synchronously here
   * (lmdb-js's synchronous transactions cost far less CPU than its
   * asynchronous ones). The operations run one after the other directly in
   * it, without a child transaction each (a child transaction copies every
   * page it touches once more and costs a commit): an operation checks
   * everything before it writes, so one that is refused has written nothing
   * and only its in-memory changes (ctx) are undone. Should an operation
   * throw after writing (a bug, a corrupt record), the whole transaction is
   * aborted and run again without it. The commit is synchronous (and
   * durable, see openEnv): the data is visible at once; the operations
   * resolve, and freed blocks return to the allocator, right after it.
   */
  private runTxn(): void {
    this.txScheduled = false;
    const batch = this.txq.splice(0, TXN_BATCH_MAX);
    if (this.txq.length > 0) this.scheduleTxn();
    if (batch.length === 0) return;
    let scm = 0;
    for (const it of batch) scm += it.scm;
    let run = this.writeBlobData(batch) ? batch.filter((it) => it.ok !== false) : batch;
    let ctx: TxnCtx;
    for (;;) {
      ctx = new TxnCtx();
      let culprit: TxItem | undefined;
      try {
        this.env.transactionSync(() => {
          for (const it of run) {
            const mark = ctx.mark();
            const writes = this.writes.n;
            try {
              it.result = it.fn(ctx);
              it.ok = true;
            } catch (e) {
              ctx.rollback(mark);
              it.ok = false;
              it.err = e instanceof VosError ? e : vosErr.io(`vos pool ${this.file}: operation failed: ${(e as Error).message}`, e);
              if (this.writes.n !== writes) {
                culprit = it;
                throw e;
              }
            }
          }
          this.persistBlocks(ctx);
          if (ctx.counters) {
            this.t.meta.putSync(K_SEQ, u64(BigInt(this.seq)));
            this.t.meta.putSync(K_NEXT_CID, u64(BigInt(this.nextCid)));
          }
        });
      } catch (e) {
        // nothing of the transaction was committed: undo what it changed in memory
        ctx.rollback(CTX_START);
        this.dropCaches();
        if (culprit) {
          // NB: terminates: every round leaves one more operation out
          run = run.filter((x) => x !== culprit);
          continue;
        }
        this.scmReserved -= scm;
        const err = vosErr.io(`commit of vos pool ${this.file} failed: ${(e as Error).message}`, e);
        for (const it of batch) it.reject(it.ok === false ? it.err : err);
        return;
      }
      break;
    }
    this.scmSince += scm;
    for (const f of ctx.after) f();
    this.freeAfterReads(ctx.freed);
    this.scmReserved -= scm;
    for (const it of batch) {
      if (it.ok) it.resolve(it.result);
      else it.reject(it.err);
    }
  }

  /**
   * Write the batch's blob data (updates that took the synchronous path, see
   * submit), contiguous writes merged into one vectored write, before the
   * transaction that references it. An operation whose data could not be
   * written fails (ok false); returns true when one did.
   */
  private writeBlobData(batch: TxItem[]): boolean {
    let all: (BlobWrite & { it: TxItem })[] | undefined;
    for (const it of batch) if (it.writes) for (const w of it.writes) (all ??= []).push({ off: w.off, data: w.data, it });
    if (!all) return false;
    if (all.length > 1) all.sort((a, b) => a.off - b.off);
    const dev = this.blob!.device;
    let failed = false;
    for (let i = 0; i < all.length; ) {
      const bufs = [all[i]!.data];
      let end = all[i]!.off + all[i]!.data.length;
      let bytes = all[i]!.data.length;
      let j = i + 1;
      while (j < all.length && all[j]!.off === end && j - i < WRITEV_MAX_IOVS && bytes + all[j]!.data.length <= dev.syncWriteMax) {
        bufs.push(all[j]!.data);
        end += all[j]!.data.length;
        bytes += all[j]!.data.length;
        j++;
      }
      try {
        dev.writevSync(all[i]!.off, bufs);
      } catch (e) {
        failed = true;
        for (let k = i; k < j; k++) {
          all[k]!.it.ok = false;
          all[k]!.it.err = e;
        }
      }
      i = j;
    }
    return failed;
  }

  /** Forget the cached records (after an aborted transaction: they may hold its writes). */
  private dropCaches(): void {
    this.t.obj.cache!.clear();
    this.t.dkey.cache!.clear();
    this.t.akey.cache!.clear();
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
    }
  }

  // ---------------------------------------------------------------- space

  /** SCM in use: LMDB's live pages (all tables, the main and free-list databases, the meta pages). */
  private measureScm(): void {
    this.lastMeasure = performance.now();
    this.scmSince = 0;
    let pages = 2;
    let s: LmdbStats | undefined;
    for (const name of TABLES) {
      s = this.t[name].getStats() as LmdbStats;
      pages += s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
    }
    pages += s!.root.treeBranchPageCount + s!.root.treeLeafPageCount + s!.root.overflowPages;
    pages += s!.free.treeBranchPageCount + s!.free.treeLeafPageCount + s!.free.overflowPages;
    this.scmUsed = pages * s!.pageSize;
  }

  /**
   * Reserve SCM for an operation in flight; NOSPACE when it does not fit.
   * Below half full an estimate is enough; above, LMDB's pages are counted
   * again every few milliseconds, and always before refusing.
   */
  private admit(bytes: number): number {
    const est = this.scmUsed + this.scmSince + this.scmReserved + bytes;
    if (est > this.scmBytes / 2 && (est > this.scmBytes || performance.now() - this.lastMeasure > 10)) this.measureScm();
    if (this.scmUsed + this.scmSince + this.scmReserved + bytes > this.scmBytes) {
      throw vosErr.nospace(`target ${this.target} (${this.file}) is out of SCM: ${this.scmUsed} of ${this.scmBytes} bytes used, ${this.scmReserved} reserved, ${bytes} more needed`);
    }
    this.scmReserved += bytes;
    return bytes;
  }

  space(): SpaceInfo {
    this.checkOpen();
    this.measureScm();
    const nvmeTotal = this.blob ? (this.blobBlocks - 1) * BLOCK_SIZE : 0;
    return {
      scm: { total: this.scmBytes, free: Math.max(0, this.scmBytes - this.scmUsed) },
      nvme: { total: nvmeTotal, free: (this.alloc.freeBlocks + this.quarantinedBlocks) * BLOCK_SIZE },
    };
  }

  /**
   * Check the block accounting of an idle pool: every blob block is either
   * referenced by exactly one value (committed or prepared) or free in the
   * persistent free table, and the in-memory free set matches that table.
   * Returns what is wrong (nothing when all is well).
   */
  verify(): { problems: string[]; usedBlocks: number; freeBlocks: number } {
    this.checkOpen();
    const problems: string[] = [];
    const ranges: [number, number, string][] = [];
    for (const { key, value } of this.t.sv.getRange({})) {
      if (value[0]! & F_BLOB) ranges.push([value.readUIntBE(7, 6), blocksFor(value.readUIntBE(1, 6)), `value ${(key as Buffer).toString('hex')}`]);
    }
    for (const { key, value } of this.t.evt.getRange({})) {
      if (value[0]! & F_BLOB) ranges.push([value.readUIntBE(15, 6), blocksFor(Number(value.readBigUInt64BE(1)) * value.readUIntBE(9, 6)), `extent ${(key as Buffer).toString('hex')}`]);
    }
    for (const { key, value } of this.t.akey.getRange({})) {
      const cur = value[0]! & AKEY_CUR ? decAkey(value).cur! : undefined;
      if (cur && svBlk(cur) >= 0) ranges.push([svBlk(cur), blocksFor(svSize(cur)), `value in akey ${(key as Buffer).toString('hex')}`]);
    }
    for (const { key, value } of this.t.dtx.getRange({})) {
      const { p } = decodePrepared(value);
      if (p.kind === 'update') for (const iod of p.iods) for (const c of iod.chunks) if (c.blk !== undefined) ranges.push([c.blk, c.nblk!, `prepared dtx ${(key as Buffer).toString('hex')}`]);
    }
    const used = ranges.reduce((n, r) => n + r[1], 0);
    const free = loadFreeTable(this.t.free);
    const freeCount = free.reduce((n, [s, e]) => n + e - s, 0);
    if (!this.blob) {
      if (ranges.length || free.length) problems.push('blob blocks are referenced or free in a pool without a blob');
      return { problems, usedBlocks: used, freeBlocks: freeCount };
    }
    const all: [number, number, string][] = [...ranges, ...free.map(([s, e]): [number, number, string] => [s, e - s, 'free'])].sort((a, b) => a[0] - b[0]);
    let at = 1;
    for (const [s, n, what] of all) {
      if (s < at) problems.push(`blocks [${s}, ${s + n}) of ${what} overlap what precedes them (up to ${at})`);
      else if (s > at) problems.push(`blocks [${at}, ${s}) are neither free nor referenced (leaked)`);
      at = Math.max(at, s + n);
    }
    if (at !== this.blobBlocks) problems.push(`blocks [${at}, ${this.blobBlocks}) are neither free nor referenced (leaked)`);
    const mem = this.alloc.extents();
    const memCount = this.alloc.freeBlocks + this.quarantinedBlocks;
    if (this.inflight === 0 && memCount !== freeCount) problems.push(`the in-memory allocator has ${memCount} free blocks, the free table ${freeCount}`);
    if (this.inflight === 0 && this.quarantinedBlocks === 0 && JSON.stringify(mem) !== JSON.stringify(free)) problems.push('the in-memory free extents differ from the free table');
    return { problems, usedBlocks: used, freeBlocks: freeCount };
  }

  // ---------------------------------------------------------------- blob blocks and reads in flight

  private beginRead(): number {
    const g = this.readGen;
    this.activeReads.set(g, (this.activeReads.get(g) ?? 0) + 1);
    return g;
  }

  private endRead(g: number): void {
    const n = (this.activeReads.get(g) ?? 1) - 1;
    if (n <= 0) this.activeReads.delete(g);
    else this.activeReads.set(g, n);
    this.drainQuarantine();
  }

  /** Blocks freed by a commit come back once no read that started before it is in flight. */
  private freeAfterReads(ext: [number, number][]): void {
    if (ext.length === 0) return;
    if (this.activeReads.size === 0) {
      for (const [b, n] of ext) this.alloc.release(b, n);
      return;
    }
    this.quarantine.push({ gen: this.readGen, ext });
    for (const [, n] of ext) this.quarantinedBlocks += n;
    this.readGen++;
  }

  private drainQuarantine(): void {
    let min = Infinity;
    for (const g of this.activeReads.keys()) if (g < min) min = g;
    while (this.quarantine.length > 0 && this.quarantine[0]!.gen < min) {
      const q = this.quarantine.shift()!;
      for (const [b, n] of q.ext) {
        this.alloc.release(b, n);
        this.quarantinedBlocks -= n;
      }
    }
  }

  /** Free blob blocks inside a transaction: persistently at its end, in memory after the commit. */
  private freeBlocks(ctx: TxnCtx, blk: number, nblk: number): void {
    ctx.frees.push([blk, nblk]);
    ctx.freed.push([blk, nblk]);
  }

  /**
   * Write the transaction's block changes to the persistent free table:
   * blocks both taken and given back in it cancel out; contiguous
   * allocations (the common case: next-fit) become one change.
   */
  private persistBlocks(ctx: TxnCtx): void {
    if (ctx.allocs.length === 0 && ctx.frees.length === 0) return;
    const taken = new Map<number, number>();
    for (const [b, n] of ctx.allocs) taken.set(b, n);
    const frees: [number, number][] = [];
    for (const [b, n] of ctx.frees) {
      if (taken.get(b) === n) taken.delete(b);
      else frees.push([b, n]);
    }
    const runs = [...taken].sort((x, y) => x[0] - y[0]);
    for (let i = 0; i < runs.length; ) {
      const start = runs[i]![0];
      let end = start + runs[i]![1];
      i++;
      while (i < runs.length && runs[i]![0] === end) end += runs[i++]![1];
      persistAlloc(this.t.free, start, end - start);
    }
    for (const [b, n] of frees) persistFree(this.t.free, b, n);
  }

  private releaseChunks(iods: PIod[]): void {
    for (const iod of iods) {
      for (const c of iod.chunks) {
        if (c.blk !== undefined) {
          this.alloc.release(c.blk, c.nblk!);
          c.blk = undefined;
        }
      }
    }
  }

  private blobOffset(blk: number): number {
    return this.blob!.offset + blk * BLOCK_SIZE;
  }

  /**
   * Merge adjacent reads (next on the device and in the target), do those
   * the device does synchronously, return the others.
   */
  private readNow(reads: DevRead[]): DevRead[] {
    const dev = this.blob!.device;
    const merged: DevRead[] = [];
    for (const r of reads) {
      const m = merged[merged.length - 1];
      if (m && m.target === r.target && m.toff + m.len === r.toff && m.off + m.len === r.off) m.len += r.len;
      else merged.push(r);
    }
    if (!dev.readIntoSync) return merged;
    const later: DevRead[] = [];
    for (const r of merged) if (!dev.readIntoSync(r.off, r.target, r.toff, r.len)) later.push(r);
    return later;
  }

  private async readLater(reads: DevRead[]): Promise<void> {
    const dev = this.blob!.device;
    // NB: wait for every read, failed or not, before the blocks may be reused
    const res = await Promise.allSettled(reads.map((r) => dev.readInto(r.off, r.target, r.toff, r.len)));
    for (const r of res) if (r.status === 'rejected') throw r.reason;
  }

  // ---------------------------------------------------------------- containers

  private ensureCont(ctx: TxnCtx, cont: string): number {
    const known = this.conts.get(cont);
    if (known !== undefined) return known;
    const cid = this.nextCid++;
    ctx.counters = true;
    const v = Buffer.allocUnsafe(4);
    v.writeUInt32BE(cid, 0);
    this.t.cont.putSync(Buffer.from(cont, 'utf8'), v);
    this.conts.set(cont, cid);
    this.contNames.set(cid, cont);
    ctx.undo.push(() => {
      this.conts.delete(cont);
      this.contNames.delete(cid);
    });
    return cid;
  }

  private static checkContName(cont: string): void {
    if (typeof cont !== 'string' || cont.length === 0 || Buffer.byteLength(cont) > 256) throw vosErr.inval(`container name ${JSON.stringify(cont)} is not valid`);
  }

  /** Create a container explicitly (writes also create one implicitly); EXIST when it is there. */
  createContainer(cont: string): Promise<void> {
    VosPool.checkContName(cont);
    return this.track(() =>
      this.txn((ctx) => {
        if (this.conts.has(cont)) throw vosErr.exist(`container ${cont} already exists on target ${this.target}`);
        this.ensureCont(ctx, cont);
      }, this.admit(256)),
    );
  }

  containers(): string[] {
    this.checkOpen();
    return [...this.conts.keys()].sort();
  }

  /**
   * Destroy a container: it disappears at once, its prepared DTXs are
   * aborted, and its records and blob blocks are removed in batches before
   * this resolves (resumed at open after a crash). Unknown containers: no-op.
   */
  destroyContainer(cont: string): Promise<void> {
    return this.track(async () => {
      const cid = await this.txn((ctx) => {
        const c = this.conts.get(cont);
        if (c === undefined) return undefined;
        this.t.cont.removeSync(Buffer.from(cont, 'utf8'));
        this.t.gc.putSync(cidKey(c), ONE);
        for (const p of this.prep.values()) if (p.cid === c && !p.committing) this.abortOne(ctx, p);
        this.conts.delete(cont);
        this.contNames.delete(c);
        ctx.undo.push(() => {
          this.conts.set(cont, c);
          this.contNames.set(c, cont);
        });
        return c;
      });
      if (cid !== undefined) await this.runGc(cid);
    });
  }

  private startGc(cid: number): void {
    this.inflight++;
    this.runGc(cid)
      .catch(() => undefined)
      .finally(() => this.inflight--);
  }

  private async runGc(cid: number): Promise<void> {
    if (this.gcRunning.has(cid)) return;
    this.gcRunning.add(cid);
    try {
      for (;;) {
        const more = await this.txn((ctx) => this.gcChunk(ctx, cid));
        if (!more) break;
      }
      await this.txn(() => this.t.gc.removeSync(cidKey(cid)));
    } finally {
      this.gcRunning.delete(cid);
    }
  }

  /** Remove up to GC_BATCH records of a destroyed container; false when none was left. */
  private gcChunk(ctx: TxnCtx, cid: number): boolean {
    const p = cidKey(cid);
    const end = prefixEnd(p);
    let n = 0;
    for (const name of ['sv', 'evt'] as const) {
      if (n >= GC_BATCH) break;
      const rows = [...this.t[name].getRange({ start: p, end, limit: GC_BATCH - n })];
      for (const { key, value } of rows) {
        if (value[0]! & F_BLOB) {
          if (name === 'sv') {
            const size = value.readUIntBE(1, 6);
            this.freeBlocks(ctx, value.readUIntBE(7, 6), blocksFor(size));
          } else {
            const bytes = Number(value.readBigUInt64BE(1)) * value.readUIntBE(9, 6);
            this.freeBlocks(ctx, value.readUIntBE(15, 6), blocksFor(bytes));
          }
        }
        this.t[name].removeSync(key);
        n++;
      }
    }
    if (n < GC_BATCH) {
      // akey records may hold their newest value's blob reference (cur)
      for (const { key, value } of [...this.t.akey.getRange({ start: p, end, limit: GC_BATCH - n })]) {
        if (value[0]! & AKEY_CUR) {
          const cur = decAkey(value).cur!;
          const blk = svBlk(cur);
          if (blk >= 0) this.freeBlocks(ctx, blk, blocksFor(svSize(cur)));
        }
        this.t.akey.removeSync(key);
        n++;
      }
    }
    for (const name of ['dkey', 'obj'] as const) {
      if (n >= GC_BATCH) break;
      const keys = [...this.t[name].getKeys({ start: p, end, limit: GC_BATCH - n })];
      for (const key of keys) {
        this.t[name].removeSync(key as Buffer);
        n++;
      }
    }
    return n > 0;
  }

  // ---------------------------------------------------------------- planning

  private planUpdate(oid: UnitOid, dkey: Buffer, iods: UpdateIod[], data: Buffer[]): { p: PUpdate; scm: number } {
    if (!Array.isArray(iods) || iods.length === 0) throw vosErr.inval(`update of dkey ${printable(dkey)} has no iods`);
    if (!Array.isArray(data) || data.length !== iods.length) throw vosErr.inval(`update of dkey ${printable(dkey)}: ${iods.length} iods but ${data?.length} data buffers`);
    checkKeys(dkey, iods.map((i) => i.akey));
    const feats = oidFeatures(oid);
    if (feats & OFEAT_DKEY_UINT64) checkUint64Key(dkey, 'dkey');
    if (iods.length > 1 && hasDup(iods.map((i) => i.akey))) throw vosErr.inval(`update of dkey ${printable(dkey)} names an akey twice`);
    let scm = 300 + 2 * dkey.length;
    const out: PIod[] = [];
    for (let i = 0; i < iods.length; i++) {
      const iod = iods[i]!;
      const buf = data[i]!;
      const what = (): string => `akey ${printable(iod.akey)} of dkey ${printable(dkey)}`;
      if (feats & OFEAT_AKEY_UINT64) checkUint64Key(iod.akey, 'akey');
      if (!Number.isSafeInteger(iod.size) || iod.size < 0) throw vosErr.inval(`${what()}: size ${iod.size} is not valid`);
      if (!Buffer.isBuffer(buf)) throw vosErr.inval(`${what()}: data is not a buffer`);
      const keyBytes = 80 + dkey.length + iod.akey.length;
      scm += 100 + keyBytes;
      if (iod.type === 'single') {
        if (buf.length !== iod.size) throw vosErr.inval(`${what()}: ${buf.length} bytes of data for a single value of size ${iod.size}`);
        out.push({ akey: iod.akey, type: 'single', size: iod.size, recxs: [], chunks: [{ bytes: iod.size, data: buf }] });
        scm += this.recordCost(keyBytes, iod.size);
      } else if (iod.type === 'array') {
        const recxs = iod.recxs ?? [];
        if (recxs.length === 0) throw vosErr.inval(`${what()}: an array update needs extents`);
        const sorted = recxs.slice().sort((a, b) => (a.idx < b.idx ? -1 : a.idx > b.idx ? 1 : 0));
        for (let j = 0; j < sorted.length; j++) {
          const r = sorted[j]!;
          if (typeof r.idx !== 'bigint' || typeof r.nr !== 'bigint' || r.idx < 0n || r.nr < 1n || r.idx + r.nr > END) {
            throw vosErr.inval(`${what()}: extent [${String(r.idx)}, +${String(r.nr)}) is not valid`);
          }
          if (j > 0 && sorted[j - 1]!.idx + sorted[j - 1]!.nr > r.idx) throw vosErr.inval(`${what()}: extents overlap at index ${r.idx}`);
        }
        let total = 0;
        const chunks: Chunk[] = [];
        for (const r of recxs) {
          const bytes = Number(r.nr) * iod.size;
          if (!Number.isSafeInteger(bytes)) throw vosErr.inval(`${what()}: extent of ${r.nr} records of ${iod.size} bytes is too large`);
          chunks.push({ bytes, data: iod.size === 0 ? undefined : buf.subarray(total, total + bytes) });
          total += bytes;
          scm += this.recordCost(keyBytes + 24, bytes);
        }
        if (buf.length !== total) throw vosErr.inval(`${what()}: ${buf.length} bytes of data for extents holding ${total} bytes`);
        out.push({ akey: iod.akey, type: 'array', size: iod.size, recxs: recxs.slice(), chunks });
      } else {
        throw vosErr.inval(`${what()}: iod type ${String(iod.type)} is not valid`);
      }
    }
    return { p: { kind: 'update', oid, dkey, iods: out }, scm: Math.ceil(scm * 1.5) };
  }

  /** SCM a value record costs: inline bytes (LMDB overflow pages beyond half a page), or a blob reference. */
  private recordCost(keyBytes: number, bytes: number): number {
    const inline = !this.blob || bytes < INLINE_MAX ? bytes : 12;
    const rec = keyBytes + 40 + inline;
    return rec > 2000 ? Math.ceil((rec + 16) / BLOCK_SIZE) * BLOCK_SIZE : rec;
  }

  /** Take blob blocks for the values of 4 KiB and more; NOSPACE (and nothing taken) when they do not fit. */
  private allocChunks(p: PUpdate): void {
    if (!this.blob) return;
    for (const iod of p.iods) {
      if (iod.size === 0) continue;
      for (const c of iod.chunks) {
        if (c.bytes < INLINE_MAX) continue;
        const nblk = blocksFor(c.bytes);
        const blk = this.alloc.alloc(nblk);
        if (blk === undefined) {
          this.releaseChunks(p.iods);
          throw vosErr.nospace(
            `target ${this.target} (${this.file}) is out of block-device space: no free extent of ${nblk * BLOCK_SIZE} bytes on ${this.blob.device.path} (${this.alloc.freeBlocks * BLOCK_SIZE} bytes free)`,
          );
        }
        c.blk = blk;
        c.nblk = nblk;
      }
    }
  }

  /** The blob writes of p's chunks (allocChunks gave them blocks); undefined when there is none. */
  private chunkWrites(p: PUpdate): BlobWrite[] | undefined {
    let out: BlobWrite[] | undefined;
    for (const iod of p.iods) {
      for (const c of iod.chunks) {
        if (c.blk === undefined) continue;
        const d = c.data!;
        (out ??= []).push({ off: this.blobOffset(c.blk), data: d.length === c.bytes ? d : d.subarray(0, c.bytes) });
      }
    }
    return out;
  }

  /** Write blob data asynchronously (the device's merged writes) and flush the device. */
  private async writeAsync(ws: BlobWrite[]): Promise<void> {
    const dev = this.blob!.device;
    // NB: wait for every write, failed or not, before the blocks may be released
    const res = await Promise.allSettled(ws.map((w) => dev.write(w.off, w.data)));
    for (const r of res) if (r.status === 'rejected') throw r.reason;
    await dev.flush();
  }

  /**
   * Take blob blocks for p's large values, write them, then run fn in the
   * next write transaction; resolves with its result once committed. On any
   * failure the blocks go back to the allocator and the SCM reservation is
   * dropped. Fast path: when the device needs no flush (memory, tmpfs) and
   * the writes are small, they are done synchronously by runTxn right before
   * the transaction, merged with the other operations' writes, and the
   * operation costs one promise. Otherwise they are written and flushed
   * first, asynchronously.
   */
  private submit<T>(p: PUpdate, reserved: number, fn: (ctx: TxnCtx) => T): Promise<T> {
    try {
      this.allocChunks(p);
    } catch (e) {
      this.scmReserved -= reserved;
      return Promise.reject(e);
    }
    const writes = this.chunkWrites(p);
    if (writes && (this.blob!.device.needsFlush || writes.some((w) => w.data.length > this.blob!.device.syncWriteMax))) {
      return this.track(async () => {
        try {
          await this.writeAsync(writes);
        } catch (e) {
          this.scmReserved -= reserved;
          this.releaseChunks(p.iods);
          throw e;
        }
        try {
          return await this.txn(fn, reserved);
        } catch (e) {
          this.releaseChunks(p.iods);
          throw e;
        }
      });
    }
    return new Promise<T>((res, rej) => {
      this.inflight++;
      this.enqueue({
        fn,
        scm: reserved,
        writes,
        resolve: (v) => {
          this.inflight--;
          res(v as T);
        },
        reject: (e) => {
          this.inflight--;
          this.releaseChunks(p.iods);
          rej(e);
        },
      });
    });
  }

  private planPunch(op: Exclude<VosOp, { kind: 'update' }>): PPunch {
    const feats = oidFeatures(op.oid);
    switch (op.kind) {
      case 'punchObject':
        return { kind: 'punchObject', oid: op.oid };
      case 'punchDkeys': {
        if (!Array.isArray(op.dkeys) || op.dkeys.length === 0) throw vosErr.inval(`punch of object ${oidString(op.oid)} names no dkeys`);
        for (const d of op.dkeys) {
          checkKeys(d, []);
          if (feats & OFEAT_DKEY_UINT64) checkUint64Key(d, 'dkey');
        }
        if (hasDup(op.dkeys)) throw vosErr.inval(`punch of object ${oidString(op.oid)} names a dkey twice`);
        return { kind: 'punchDkeys', oid: op.oid, dkeys: op.dkeys.slice() };
      }
      case 'punchAkeys': {
        if (!Array.isArray(op.akeys) || op.akeys.length === 0) throw vosErr.inval(`punch under dkey ${printable(op.dkey)} names no akeys`);
        checkKeys(op.dkey, op.akeys);
        if (feats & OFEAT_DKEY_UINT64) checkUint64Key(op.dkey, 'dkey');
        if (feats & OFEAT_AKEY_UINT64) for (const a of op.akeys) checkUint64Key(a, 'akey');
        if (hasDup(op.akeys)) throw vosErr.inval(`punch under dkey ${printable(op.dkey)} names an akey twice`);
        return { kind: 'punchAkeys', oid: op.oid, dkey: op.dkey, akeys: op.akeys.slice() };
      }
      default:
        throw vosErr.inval(`operation kind ${String((op as { kind: unknown }).kind)} is not valid`);
    }
  }

  // ---------------------------------------------------------------- update and punch

  /**
   * Update values under one dkey, atomically; durable when it resolves.
   * NB: the data buffers are used as given, without a copy: leave them
   * unchanged until the promise settles.
   */
  update(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, iods: UpdateIod[], data: Buffer[]): Promise<void> {
    let p: PUpdate;
    let reserved: number;
    try {
      this.checkOpen();
      VosPool.checkContName(cont);
      checkEpochWrite(epoch);
      const u = this.planUpdate(oid, dkey, iods, data);
      p = u.p;
      reserved = this.admit(u.scm);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(p, reserved, (ctx) => {
      // NB: a new container holds nothing, so applyUpdate cannot refuse after ensureCont wrote
      const cid = this.ensureCont(ctx, cont);
      this.applyUpdate(ctx, cid, epoch, p, DIRECT);
    });
  }

  punchObject(cont: string, oid: UnitOid, epoch: Epoch): Promise<void> {
    return this.punch(cont, epoch, { kind: 'punchObject', oid });
  }

  punchDkeys(cont: string, oid: UnitOid, epoch: Epoch, dkeys: Buffer[]): Promise<void> {
    return this.punch(cont, epoch, { kind: 'punchDkeys', oid, dkeys });
  }

  punchAkeys(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, akeys: Buffer[]): Promise<void> {
    return this.punch(cont, epoch, { kind: 'punchAkeys', oid, dkey, akeys });
  }

  private punch(cont: string, epoch: Epoch, op: Exclude<VosOp, { kind: 'update' }>): Promise<void> {
    return this.track(async () => {
      VosPool.checkContName(cont);
      checkEpochWrite(epoch);
      const p = this.planPunch(op);
      const reserved = this.admit(512 + KEYS_MAX);
      await this.txn((ctx) => {
        const cid = this.ensureCont(ctx, cont);
        this.applyPunch(ctx, cid, epoch, p, DIRECT);
      }, reserved);
    });
  }

  private features(oid: UnitOid): { dU: boolean; aU: boolean } {
    const f = oidFeatures(oid);
    return { dU: (f & OFEAT_DKEY_UINT64) !== 0, aU: (f & OFEAT_AKEY_UINT64) !== 0 };
  }

  /** NB: the records read are cached and shared: never change one in place. */
  private readObj(objK: Buffer): ObjRec | undefined {
    return this.t.obj.read(objK);
  }

  /** fill: cache the record when it was not (writers do; readers of many keys would churn the cache). */
  private readDkey(dK: Buffer, fill = true): IlogEntry[] | undefined {
    return this.t.dkey.read(dK, fill);
  }

  private readAkey(aK: Buffer, fill = true): AkeyRec | undefined {
    return this.t.akey.read(aK, fill);
  }

  private applyUpdate(ctx: TxnCtx, cid: number, e: Epoch, p: PUpdate, mode: Mode): void {
    const t = this.t;
    const { dU, aU } = this.features(p.oid);
    const objK = objKey(cid, p.oid);
    const objRec = this.readObj(objK);
    const obj: ObjRec = objRec ?? { ilog: [], maxUpd: 0n };
    const where = (): string => `object ${oidString(p.oid)}`;
    if (mode.checks && hasAt(obj.ilog, e, true)) throw vosErr.inval(`${where()} was punched at epoch ${e}: an update at the same epoch is refused`);
    const dK = subKey(objK, p.dkey, dU);
    // NB: no object record means no dkey records below it, and no dkey record no akey records
    const dRec = objRec ? this.readDkey(dK) : undefined;
    const dIlog = dRec ?? [];
    if (mode.checks && hasAt(dIlog, e, true)) throw vosErr.inval(`dkey ${printable(p.dkey)} of ${where()} was punched at epoch ${e}: an update at the same epoch is refused`);
    const objB = punchBound(obj.ilog, e);
    const dB = maxE(objB, punchBound(dIlog, e));
    const aks = p.iods.map((iod) => {
      const aK = subKey(dK, iod.akey, aU);
      const rec = dRec ? this.readAkey(aK) : undefined;
      const want = iod.type === 'single' ? TYPE_SINGLE : TYPE_ARRAY;
      const what = (): string => `akey ${printable(iod.akey)} of dkey ${printable(p.dkey)} of ${where()}`;
      if (mode.checks && rec) {
        if (hasAt(rec.ilog, e, true)) throw vosErr.inval(`${what()} was punched at epoch ${e}: an update at the same epoch is refused`);
        if (rec.type !== TYPE_NONE && rec.type !== want) throw vosErr.inval(`${what()} holds ${rec.type === TYPE_SINGLE ? 'a single value' : 'an array'}: it cannot take ${iod.type === 'single' ? 'a single value' : 'array extents'}`);
      }
      // a single value already at this epoch: replaced (its blob blocks freed), or a same-epoch punch conflict
      let old: { punch: boolean; blk: number; size: number } | undefined;
      if (iod.type === 'single' && rec) {
        // NB: above a known newest version there is none to look for
        const v = rec.cur && rec.latest === e ? rec.cur : rec.latest === 0n || e <= rec.latest ? t.sv.getBinaryFast(svKey(aK, e)) : undefined;
        if (v) old = { punch: (v[0]! & F_PUNCH) !== 0, blk: svBlk(v), size: svSize(v) };
        if (mode.checks && old && old.punch !== (iod.size === 0)) {
          throw vosErr.inval(`${what()}: a value update and a value punch at the same epoch ${e} are refused`);
        }
      }
      return { aK, rec, old, want };
    });
    if (mode.checks) this.preparedConflict(cid, p.oid, e, 'update', p.dkey, p.iods.map((i) => i.akey));
    if (!mode.write) return;

    // the object and the dkey: a creation entry unless one already covers this epoch
    let oIlog = obj.ilog;
    let objChanged = !objRec;
    if (!coveredCreate(oIlog, e, 0n)) {
      oIlog = insertEntry(oIlog, e, false);
      objChanged = true;
    }
    let maxUpd = obj.maxUpd;
    if (e > maxUpd) {
      // NB: an upper bound is enough (a punch at or below it takes the exact slow path), so it is
      // raised with some slack and the object record is not rewritten by every update
      maxUpd = EPOCH_MAX - e > this.maxUpdSlack ? e + this.maxUpdSlack : EPOCH_MAX - 1n;
      objChanged = true;
    }
    if (objChanged) {
      const rec: ObjRec = { ilog: oIlog, maxUpd };
      t.obj.putRec(objK, encObj(rec), rec);
    }
    if (!dRec || !coveredCreate(dIlog, e, objB)) {
      const il = insertEntry(dIlog, e, false);
      t.dkey.putRec(dK, encIlog(il), il);
    }

    for (let i = 0; i < p.iods.length; i++) {
      const iod = p.iods[i]!;
      const { aK, rec, old, want } = aks[i]!;
      let aIlog = rec?.ilog ?? [];
      let changed = !rec || rec.type !== want;
      if (!coveredCreate(aIlog, e, dB)) {
        aIlog = insertEntry(aIlog, e, false);
        changed = true;
      }
      let maxLen = rec?.maxLen ?? 0n;
      for (const r of iod.recxs) {
        if (r.nr > maxLen) {
          maxLen = r.nr;
          changed = true;
        }
      }
      let latest = 0n;
      let cur = rec?.cur;
      if (iod.type === 'single') {
        if (old && old.blk >= 0) this.freeBlocks(ctx, old.blk, blocksFor(old.size));
        const v = encSv(iod.size, iod.chunks[0]!);
        // NB: a record written before `latest` existed keeps 0: its newest version is not known
        const was = rec?.latest ?? 0n;
        latest = rec && rec.type === TYPE_SINGLE && was === 0n ? 0n : maxE(was, e);
        if (latest !== 0n && latest === e) {
          // the newest version: kept in the akey record when small (NB: each version in one place only)
          const here = v.length <= CUR_MAX;
          if (was !== e) {
            // the previous newest version moves to sv
            if (cur) t.sv.putSync(svKey(aK, was), cur);
          } else if (!cur && here) {
            // it replaces the version at e, which was in sv
            t.sv.removeSync(svKey(aK, e));
          }
          cur = here ? v : undefined;
          if (!here) t.sv.putSync(svKey(aK, e), v);
          changed = true;
        } else {
          t.sv.putSync(svKey(aK, e), v);
        }
      }
      if (changed) {
        const a: AkeyRec = { type: want, maxLen, latest, ilog: aIlog, cur };
        t.akey.putRec(aK, encAkey(a), a);
      }
      if (iod.type === 'array') {
        for (let j = 0; j < iod.recxs.length; j++) {
          const r = iod.recxs[j]!;
          t.evt.putSync(evtKey(aK, r.idx, e, this.seq++), encExt(r.nr, iod.size, iod.chunks[j]!));
        }
        ctx.counters = true;
      }
      if (mode.alloc) for (const c of iod.chunks) if (c.blk !== undefined) ctx.allocs.push([c.blk, c.nblk!]);
    }
  }

  /** INVAL when a prepared DTX at the same epoch punches what an update touches, or updates what a punch covers. */
  private preparedConflict(cid: number, oid: UnitOid, e: Epoch, kind: VosOp['kind'], dkey: Buffer | undefined, keys: Buffer[]): void {
    const set = this.prepByObj.get(objTag(cid, oid));
    if (!set) return;
    for (const p of set) {
      if (p.epoch !== e) continue;
      let clash = false;
      if (kind === 'update') {
        clash =
          p.kind === 'punchObject' ||
          (p.kind === 'punchDkeys' && keyIn(dkey!, p.dkeys)) ||
          (p.kind === 'punchAkeys' && p.dkeys[0]!.equals(dkey!) && keys.some((k) => keyIn(k, p.akeys)));
      } else if (p.kind === 'update') {
        clash =
          kind === 'punchObject' ||
          (kind === 'punchDkeys' && keys.some((d) => d.equals(p.dkeys[0]!))) ||
          (kind === 'punchAkeys' && dkey!.equals(p.dkeys[0]!) && keys.some((k) => keyIn(k, p.akeys)));
      }
      if (clash) throw vosErr.inval(`object ${oidString(oid)}: prepared transaction ${p.hex} at the same epoch ${e} conflicts (an update and a punch at one epoch are refused)`);
    }
  }

  /**
   * Values of one akey at or above e: whether one is exactly at e, and the
   * lowest epoch above e (the slow path of a punch below existing updates).
   */
  private scanAkey(aK: Buffer, rec: AkeyRec, e: Epoch): { atE: boolean; min?: Epoch } {
    let atE = false;
    let min: Epoch | undefined;
    if (rec.type === TYPE_SINGLE) {
      const start = svKey(aK, e);
      for (const { key } of this.t.sv.getRange({ start, end: aK, reverse: true, limit: 2 })) {
        const ep = EPOCH_MAX - (key as Buffer).readBigUInt64BE(aK.length);
        if (ep === e) atE = true;
        else if (ep > e && (min === undefined || ep < min)) min = ep;
      }
      if (rec.cur) {
        // the newest version, kept in the akey record
        if (rec.latest === e) atE = true;
        else if (rec.latest > e && (min === undefined || rec.latest < min)) min = rec.latest;
      }
    } else if (rec.type === TYPE_ARRAY) {
      for (const key of this.t.evt.getKeys({ start: aK, end: prefixEnd(aK) })) {
        const ep = extKeyEpoch(aK.length, key as Buffer);
        if (ep === e) atE = true;
        else if (ep > e && (min === undefined || ep < min)) min = ep;
      }
    }
    return min === undefined ? { atE } : { atE, min };
  }

  private scanDkey(dK: Buffer, e: Epoch): { atE: boolean; min?: Epoch; akeys: { aK: Buffer; rec: AkeyRec; min?: Epoch }[] } {
    let atE = false;
    let min: Epoch | undefined;
    const akeys: { aK: Buffer; rec: AkeyRec; min?: Epoch }[] = [];
    for (const { key, value } of this.t.akey.getRange({ start: dK, end: prefixEnd(dK) })) {
      const aK = key as Buffer;
      const rec = decAkey(value);
      const s = this.scanAkey(aK, rec, e);
      if (s.atE) atE = true;
      if (s.min !== undefined && (min === undefined || s.min < min)) min = s.min;
      akeys.push(s.min === undefined ? { aK, rec } : { aK, rec, min: s.min });
    }
    return min === undefined ? { atE, akeys } : { atE, min, akeys };
  }

  /** After a punch at e below later updates: creation entries at the first update above e, so those stay visible. */
  private fixAkeys(akeys: { aK: Buffer; rec: AkeyRec; min?: Epoch }[], e: Epoch): void {
    for (const a of akeys) {
      if (a.min === undefined || hasEntryIn(a.rec.ilog, e, a.min)) continue;
      this.t.akey.putSync(a.aK, encAkey({ ...a.rec, ilog: insertEntry(a.rec.ilog, a.min, false) }));
    }
  }

  private applyPunch(_ctx: TxnCtx, cid: number, e: Epoch, p: PPunch, mode: Mode): void {
    const t = this.t;
    const { dU, aU } = this.features(p.oid);
    const objK = objKey(cid, p.oid);
    const objRec = this.readObj(objK);
    const obj: ObjRec = objRec ?? { ilog: [], maxUpd: 0n };
    const slow = objRec !== undefined && e <= obj.maxUpd;
    const where = `object ${oidString(p.oid)}`;
    const sameEpoch = (what: string): VosError => vosErr.inval(`${what} was updated at epoch ${e}: a punch at the same epoch is refused`);

    if (p.kind === 'punchObject') {
      if (mode.checks && hasAt(obj.ilog, e, false)) throw sameEpoch(where);
      const dkeys = slow
        ? [...t.dkey.getRange({ start: objK, end: prefixEnd(objK) })].map(({ key, value }) => ({ dK: key as Buffer, ilog: decIlog(value), ...this.scanDkey(key as Buffer, e) }))
        : [];
      if (mode.checks && dkeys.some((d) => d.atE)) throw sameEpoch(where);
      if (mode.checks) this.preparedConflict(cid, p.oid, e, p.kind, undefined, []);
      if (!mode.write) return;
      let il = insertEntry(obj.ilog, e, true);
      let min: Epoch | undefined;
      for (const d of dkeys) {
        if (d.min !== undefined && (min === undefined || d.min < min)) min = d.min;
        if (d.min !== undefined && !hasEntryIn(d.ilog, e, d.min)) t.dkey.putSync(d.dK, encIlog(insertEntry(d.ilog, d.min, false)));
        this.fixAkeys(d.akeys, e);
      }
      if (min !== undefined && !hasEntryIn(il, e, min)) il = insertEntry(il, min, false);
      t.obj.putSync(objK, encObj({ ilog: il, maxUpd: obj.maxUpd }));
      return;
    }

    if (p.kind === 'punchDkeys') {
      const ds = p.dkeys.map((dkey) => {
        const dK = subKey(objK, dkey, dU);
        const dv = t.dkey.get(dK);
        const ilog = dv ? decIlog(dv) : [];
        const what = `dkey ${printable(dkey)} of ${where}`;
        if (mode.checks && hasAt(ilog, e, false)) throw sameEpoch(what);
        const scan = slow && dv ? this.scanDkey(dK, e) : undefined;
        if (mode.checks && scan?.atE) throw sameEpoch(what);
        return { dK, ilog, scan };
      });
      if (mode.checks) this.preparedConflict(cid, p.oid, e, p.kind, undefined, p.dkeys);
      if (!mode.write) return;
      if (!objRec) t.obj.putSync(objK, encObj(obj));
      for (const d of ds) {
        let il = insertEntry(d.ilog, e, true);
        if (d.scan) {
          if (d.scan.min !== undefined && !hasEntryIn(il, e, d.scan.min)) il = insertEntry(il, d.scan.min, false);
          this.fixAkeys(d.scan.akeys, e);
        }
        t.dkey.putSync(d.dK, encIlog(il));
      }
      return;
    }

    // punchAkeys
    const dK = subKey(objK, p.dkey, dU);
    const dv = t.dkey.get(dK);
    const as = p.akeys.map((akey) => {
      const aK = subKey(dK, akey, aU);
      const av = t.akey.get(aK);
      const rec: AkeyRec = av ? decAkey(av) : { type: TYPE_NONE, maxLen: 0n, latest: 0n, ilog: [] };
      const what = `akey ${printable(akey)} of dkey ${printable(p.dkey)} of ${where}`;
      if (mode.checks && hasAt(rec.ilog, e, false)) throw sameEpoch(what);
      const scan = slow && av ? this.scanAkey(aK, rec, e) : undefined;
      if (mode.checks && scan?.atE) throw sameEpoch(what);
      return { aK, rec, scan };
    });
    if (mode.checks) this.preparedConflict(cid, p.oid, e, p.kind, p.dkey, p.akeys);
    if (!mode.write) return;
    if (!objRec) t.obj.putSync(objK, encObj(obj));
    if (!dv) t.dkey.putSync(dK, encIlog([]));
    for (const a of as) {
      let il = insertEntry(a.rec.ilog, e, true);
      if (a.scan?.min !== undefined && !hasEntryIn(il, e, a.scan.min)) il = insertEntry(il, a.scan.min, false);
      t.akey.putSync(a.aK, encAkey({ ...a.rec, ilog: il }));
    }
  }

  // ---------------------------------------------------------------- fetch

  /**
   * Read values under one dkey as of epoch; prepared (uncommitted) data is
   * never seen. `alloc` gives the buffers values from the block device are
   * read into (default: allocValue, small ones from shared slabs): the I/O
   * server passes pooled ones, reused once the reply has been sent, so large
   * fetches do not fault in fresh memory every time.
   *
   * The records are read synchronously, and so are small device reads
   * (readIntoSync): such a fetch settles with no asynchronous step.
   */
  fetch(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, iods: FetchIod[], alloc: (n: number) => Buffer = allocValue): Promise<FetchedIod[]> {
    let out: FetchedIod[];
    let pending: DevRead[];
    try {
      this.checkOpen();
      checkEpochRead(epoch);
      if (!Array.isArray(iods) || iods.length === 0) throw vosErr.inval(`fetch of dkey ${printable(dkey)} has no iods`);
      checkKeys(dkey, iods.map((i) => i.akey));
      for (const iod of iods) {
        if (iod.type !== 'single' && iod.type !== 'array') throw vosErr.inval(`akey ${printable(iod.akey)}: iod type ${String(iod.type)} is not valid`);
        if (!Number.isSafeInteger(iod.size) || iod.size < 0) throw vosErr.inval(`akey ${printable(iod.akey)}: size ${iod.size} is not valid`);
        for (const r of iod.recxs ?? []) {
          if (typeof r.idx !== 'bigint' || typeof r.nr !== 'bigint' || r.idx < 0n || r.nr < 1n || r.idx + r.nr > END) {
            throw vosErr.inval(`akey ${printable(iod.akey)}: extent [${String(r.idx)}, +${String(r.nr)}) is not valid`);
          }
        }
      }
      out = iods.map(emptyFetched);
      const reads = this.fetchRecords(cont, oid, epoch, dkey, iods, out, alloc);
      pending = reads.length === 0 ? reads : this.readNow(reads);
    } catch (e) {
      return Promise.reject(e);
    }
    if (pending.length === 0) return Promise.resolve(out);
    // NB: registered before yielding: blocks a commit frees meanwhile are not reused until these reads end
    const gen = this.beginRead();
    this.inflight++;
    return this.readLater(pending).then(
      () => {
        this.endRead(gen);
        this.inflight--;
        return out;
      },
      (e: unknown) => {
        this.endRead(gen);
        this.inflight--;
        throw e;
      },
    );
  }

  /** The records of a fetch: fills out, returns the device reads still to do. */
  private fetchRecords(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, iods: FetchIod[], out: FetchedIod[], alloc: (n: number) => Buffer): DevRead[] {
    const reads: DevRead[] = [];
    const cid = this.conts.get(cont);
    if (cid === undefined) return reads;
    const { dU, aU } = this.features(oid);
    const objK = objKey(cid, oid);
    const obj = this.readObj(objK);
    if (!obj) return reads;
    const oB = visibility(obj.ilog, epoch, 0n).bound;
    const dK = subKey(objK, dkey, dU);
    const dIlog = this.readDkey(dK, false);
    if (!dIlog) return reads;
    const dVis = visibility(dIlog, epoch, oB);
    if (!dVis.exists) return reads;
    for (let i = 0; i < iods.length; i++) {
      const iod = iods[i]!;
      const aK = subKey(dK, iod.akey, aU);
      const a = this.readAkey(aK, false);
      if (!a) continue;
      const aVis = visibility(a.ilog, epoch, dVis.bound);
      if (!aVis.exists) continue;
      if (iod.type === 'single' && a.type === TYPE_SINGLE) out[i] = this.fetchSingle(aK, a, epoch, aVis.bound, iod, reads, alloc);
      else if (iod.type === 'array' && a.type === TYPE_ARRAY) out[i] = this.fetchArray(aK, a.maxLen, epoch, aVis.bound, iod, reads, alloc);
    }
    return reads;
  }

  /**
   * The single value visible at e: when e is at or above the akey's newest
   * version, that version (in the akey record, or one lookup); else the
   * first version at or below e, by a range scan.
   */
  private fetchSingle(aK: Buffer, a: AkeyRec, e: Epoch, bound: Epoch, iod: FetchIod, reads: DevRead[], alloc: (n: number) => Buffer): FetchedIod {
    let epoch: Epoch;
    let flags: number;
    let size: number;
    let val: Buffer;
    // NB: getBinaryFast's buffer is reused by the next read: everything is taken from it below, before any other read
    const latest = a.latest !== 0n && e >= a.latest ? (a.cur ?? this.t.sv.getBinaryFast(svKey(aK, a.latest))) : undefined;
    if (latest) {
      epoch = a.latest;
      val = latest;
      flags = val[0]!;
      size = val.readUIntBE(1, 6);
    } else {
      let found: ReturnType<typeof decSv> | undefined;
      for (const { key, value } of this.t.sv.getRange({ start: svKey(aK, e), end: prefixEnd(aK), limit: 1 })) found = decSv(aK.length, key as Buffer, value);
      if (!found) return emptyFetched();
      epoch = found.epoch;
      val = found.val;
      flags = found.flags;
      size = found.size;
    }
    if (epoch < bound || flags & F_PUNCH) return emptyFetched();
    if (iod.size !== 0 && size > iod.size) {
      throw vosErr.rec2big(`akey ${printable(iod.akey)}: the value is ${size} bytes, larger than the ${iod.size} bytes asked for`, size);
    }
    let data: Buffer;
    if (flags & F_BLOB) {
      const b = alloc(size);
      data = b.length === size ? b : b.subarray(0, size);
      reads.push({ off: this.blobOffset(val.readUIntBE(7, 6)), len: size, target: data, toff: 0 });
    } else {
      data = Buffer.allocUnsafe(size);
      val.copy(data, 0, SV_INLINE_OFF, SV_INLINE_OFF + size);
    }
    return { size, data, found: [{ idx: 0n, nr: 1n }] };
  }

  /** Extents that may overlap [lo, hi) and are visible at e above bound, in start order. */
  private scanExtents(aK: Buffer, maxLen: bigint, lo: bigint, hi: bigint, e: Epoch, bound: Epoch): ExtRec[] {
    const ml = maxLen > 0n ? maxLen : 1n;
    const from = lo >= ml ? lo - ml + 1n : 0n;
    const start = withU64(aK, from);
    const end = hi >= END ? prefixEnd(aK) : withU64(aK, hi);
    const out: ExtRec[] = [];
    for (const { key, value } of this.t.evt.getRange({ start, end })) {
      const ep = extKeyEpoch(aK.length, key as Buffer);
      if (ep > e || ep < bound) continue;
      const x = decExt(aK.length, key as Buffer, value);
      if (x.end > lo) out.push(x);
    }
    return out;
  }

  private fetchArray(aK: Buffer, maxLen: bigint, e: Epoch, bound: Epoch, iod: FetchIod, reads: DevRead[], alloc: (n: number) => Buffer): FetchedIod {
    const what = `akey ${printable(iod.akey)}`;
    const recxs = iod.recxs ?? [];
    if (recxs.length === 0) {
      // a size query: the record size of the first visible extent
      for (const f of this.visibleFrags(aK, maxLen, e, bound, 0n)) return { size: f.ext.rsize, data: Buffer.alloc(0), found: [] };
      return emptyFetched();
    }
    let lo = recxs[0]!.idx;
    let hi = recxs[0]!.idx + recxs[0]!.nr;
    for (const r of recxs) {
      if (r.idx < lo) lo = r.idx;
      if (r.idx + r.nr > hi) hi = r.idx + r.nr;
    }
    const exts = this.scanExtents(aK, maxLen, lo, hi, e, bound);
    if (exts.length === 0) return emptyFetched();
    const per = recxs.map((r) => resolve(exts, r.idx, r.idx + r.nr));
    let size = iod.size;
    let any = false;
    for (const frags of per) {
      for (const f of frags) {
        if (f.ext.hole) continue;
        any = true;
        if (size === 0) size = f.ext.rsize;
        if (f.ext.rsize !== size) {
          if (iod.size !== 0 && f.ext.rsize > iod.size) throw vosErr.rec2big(`${what}: records of ${f.ext.rsize} bytes are stored, larger than the ${iod.size} bytes asked for`, f.ext.rsize);
          throw vosErr.inval(`${what}: records of ${f.ext.rsize} bytes are stored where ${size} bytes were expected`);
        }
      }
    }
    if (!any) return emptyFetched();
    let total = 0;
    for (const r of recxs) total += Number(r.nr) * size;
    if (!Number.isSafeInteger(total) || total > 0x7fffffff) throw vosErr.inval(`${what}: a fetch of ${total} bytes is too large`);
    const out = alloc(total).subarray(0, total);
    const found: Recx[] = [];
    let base = 0;
    for (let k = 0; k < recxs.length; k++) {
      const r = recxs[k]!;
      let at = r.idx;
      let last: Recx | undefined;
      for (const f of per[k]!) {
        if (f.lo > at) out.fill(0, base + Number(at - r.idx) * size, base + Number(f.lo - r.idx) * size);
        const toff = base + Number(f.lo - r.idx) * size;
        const len = Number(f.hi - f.lo) * size;
        if (f.ext.hole) {
          out.fill(0, toff, toff + len);
        } else {
          const src = Number(f.lo - f.ext.start) * size;
          if (f.ext.blk >= 0) reads.push({ off: this.blobOffset(f.ext.blk) + src, len, target: out, toff });
          else f.ext.val.copy(out, toff, EXT_INLINE_OFF + src, EXT_INLINE_OFF + src + len);
          if (last && last.idx + last.nr === f.lo) last.nr += f.hi - f.lo;
          else {
            last = { idx: f.lo, nr: f.hi - f.lo };
            found.push(last);
          }
        }
        at = f.hi;
      }
      const endIdx = r.idx + r.nr;
      if (at < endIdx) out.fill(0, base + Number(at - r.idx) * size, base + Number(r.nr) * size);
      base += Number(r.nr) * size;
    }
    return { size, data: out, found };
  }

  /**
   * Visible data fragments of an akey from index `from` upwards, in index
   * order. Extents are read in start order; the fragments below the start of
   * the next unread extent are final, so they are produced window by window.
   */
  private *visibleFrags(aK: Buffer, maxLen: bigint, e: Epoch, bound: Epoch, from: bigint): Generator<Fragment<ExtRec>> {
    const ml = maxLen > 0n ? maxLen : 1n;
    const scanFrom = from >= ml ? from - ml + 1n : 0n;
    const it = this.t.evt.getRange({ start: withU64(aK, scanFrom), end: prefixEnd(aK) })[Symbol.iterator]();
    const next = (): ExtRec | undefined => {
      for (;;) {
        const r = it.next();
        if (r.done) return undefined;
        const key = r.value.key as Buffer;
        const ep = extKeyEpoch(aK.length, key);
        if (ep > e || ep < bound) continue;
        return decExt(aK.length, key, r.value.value);
      }
    };
    try {
      let active: ExtRec[] = [];
      let cur = from;
      let peek = next();
      let batch = 64;
      while (peek) {
        for (let n = 0; peek && n < batch; n++) {
          if (peek.end > cur) active.push(peek);
          peek = next();
        }
        const w = peek ? peek.start : END;
        if (w > cur) {
          for (const f of resolve(active, cur, w)) if (!f.ext.hole) yield f;
          cur = w;
          active = active.filter((x) => x.end > cur);
        }
        batch = Math.min(batch * 2, 4096);
      }
    } finally {
      it.return?.();
    }
  }

  // ---------------------------------------------------------------- enumeration

  /** The dkey record and the bounds above it, when the dkey is visible at e. */
  private dkeyAt(cid: number, oid: UnitOid, e: Epoch, dkey: Buffer): { dK: Buffer; bound: Epoch } | undefined {
    const { dU } = this.features(oid);
    const objK = objKey(cid, oid);
    const obj = this.readObj(objK);
    if (!obj) return undefined;
    const oB = visibility(obj.ilog, e, 0n).bound;
    const dK = subKey(objK, dkey, dU);
    const dIlog = this.readDkey(dK, false);
    if (!dIlog) return undefined;
    const v = visibility(dIlog, e, oB);
    return v.exists ? { dK, bound: v.bound } : undefined;
  }

  private akeyAt(cid: number, oid: UnitOid, e: Epoch, dkey: Buffer, akey: Buffer): { aK: Buffer; rec: AkeyRec; bound: Epoch } | undefined {
    const d = this.dkeyAt(cid, oid, e, dkey);
    if (!d) return undefined;
    const aK = subKey(d.dK, akey, this.features(oid).aU);
    const rec = this.readAkey(aK, false);
    if (!rec) return undefined;
    const v = visibility(rec.ilog, e, d.bound);
    return v.exists ? { aK, rec, bound: v.bound } : undefined;
  }

  private static checkMax(max: number): void {
    if (!Number.isInteger(max) || max < 1) throw vosErr.inval(`enumeration page size ${max} is not valid`);
  }

  /**
   * A page of the keys under prefix that are visible (visibleAt says so for
   * each record), resumed after anchor. The page also ends, early, after
   * scanning a bounded number of hidden keys; the anchor then points there.
   */
  private listKeys<T>(table: Table<unknown>, prefix: Buffer, anchor: Buffer | undefined, max: number, take: (key: Buffer, value: Buffer) => T | undefined): { items: T[]; anchor?: Buffer } {
    let start = prefix;
    if (anchor !== undefined) {
      const r = keyAnchorResume(anchor);
      if (!r) return { items: [] };
      start = concat(prefix, r);
    }
    const items: T[] = [];
    const budget = Math.max(1024, max * 16);
    let scanned = 0;
    for (const { key, value } of table.getRange({ start, end: prefixEnd(prefix) })) {
      const k = key as Buffer;
      scanned++;
      const item = take(k, value);
      if (item !== undefined) items.push(item);
      if (items.length >= max || scanned >= budget) return { items, anchor: keyAnchor(k, prefix.length) };
    }
    return { items };
  }

  listDkeys(cont: string, oid: UnitOid, epoch: Epoch, anchor: Buffer | undefined, max: number): { keys: Buffer[]; anchor?: Buffer } {
    this.checkOpen();
    checkEpochRead(epoch);
    VosPool.checkMax(max);
    const cid = this.conts.get(cont);
    if (cid === undefined) return { keys: [] };
    const objK = objKey(cid, oid);
    const obj = this.readObj(objK);
    if (!obj) return { keys: [] };
    const oB = visibility(obj.ilog, epoch, 0n).bound;
    const { dU } = this.features(oid);
    const r = this.listKeys(this.t.dkey, objK, anchor, max, (k, v) => (visibility(decIlog(v), epoch, oB).exists ? decKey(k, objK.length, dU).key : undefined));
    return r.anchor ? { keys: r.items, anchor: r.anchor } : { keys: r.items };
  }

  listAkeys(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, anchor: Buffer | undefined, max: number): { keys: { key: Buffer; type: IodType }[]; anchor?: Buffer } {
    this.checkOpen();
    checkEpochRead(epoch);
    VosPool.checkMax(max);
    checkKeys(dkey, []);
    const cid = this.conts.get(cont);
    if (cid === undefined) return { keys: [] };
    const d = this.dkeyAt(cid, oid, epoch, dkey);
    if (!d) return { keys: [] };
    const { aU } = this.features(oid);
    const r = this.listKeys(this.t.akey, d.dK, anchor, max, (k, v) => {
      const a = decAkey(v);
      if (a.type === TYPE_NONE || !visibility(a.ilog, epoch, d.bound).exists) return undefined;
      return { key: decKey(k, d.dK.length, aU).key, type: (a.type === TYPE_SINGLE ? 'single' : 'array') as IodType };
    });
    return r.anchor ? { keys: r.items, anchor: r.anchor } : { keys: r.items };
  }

  /** Visible extents of an array akey in index order, each with the epoch it was written at. */
  listRecx(
    cont: string,
    oid: UnitOid,
    epoch: Epoch,
    dkey: Buffer,
    akey: Buffer,
    anchor: Buffer | undefined,
    max: number,
  ): { recxs: { idx: bigint; nr: bigint; epoch: Epoch }[]; size: number; anchor?: Buffer } {
    this.checkOpen();
    checkEpochRead(epoch);
    VosPool.checkMax(max);
    checkKeys(dkey, [akey]);
    const cid = this.conts.get(cont);
    if (cid === undefined) return { recxs: [], size: 0 };
    const a = this.akeyAt(cid, oid, epoch, dkey, akey);
    if (!a || a.rec.type !== TYPE_ARRAY) return { recxs: [], size: 0 };
    const from = anchor === undefined ? 0n : recxAnchorResume(anchor);
    const recxs: { idx: bigint; nr: bigint; epoch: Epoch }[] = [];
    let size = 0;
    let last: { idx: bigint; nr: bigint; epoch: Epoch } | undefined;
    let lastExt: ExtRec | undefined;
    for (const f of this.visibleFrags(a.aK, a.rec.maxLen, epoch, a.bound, from)) {
      if (size === 0) size = f.ext.rsize;
      // a window boundary may split one extent's fragment: join it back
      if (last && lastExt === f.ext && last.idx + last.nr === f.lo) {
        last.nr += f.hi - f.lo;
        continue;
      }
      if (recxs.length >= max) return { recxs, size, anchor: recxAnchor(last!.idx + last!.nr) };
      last = { idx: f.lo, nr: f.hi - f.lo, epoch: f.ext.epoch };
      lastExt = f.ext;
      recxs.push(last);
    }
    return { recxs, size };
  }

  /**
   * The highest visible dkey of the object, the highest visible akey under a
   * dkey (what.akey is that dkey), and the highest visible extent of an akey
   * (the visible fragment holding its last record; nr 0 when there is none).
   */
  queryMax(
    cont: string,
    oid: UnitOid,
    epoch: Epoch,
    what: { dkey?: true; akey?: Buffer; recx?: { dkey: Buffer; akey: Buffer } },
  ): { dkey?: Buffer; akey?: Buffer; recx?: Recx } {
    this.checkOpen();
    checkEpochRead(epoch);
    if (!what.dkey && !what.akey && !what.recx) throw vosErr.inval('query names none of dkey, akey, recx');
    const out: { dkey?: Buffer; akey?: Buffer; recx?: Recx } = {};
    const cid = this.conts.get(cont);
    const { dU, aU } = this.features(oid);
    if (what.dkey && cid !== undefined) {
      const objK = objKey(cid, oid);
      const obj = this.readObj(objK);
      if (obj) {
        const oB = visibility(obj.ilog, epoch, 0n).bound;
        for (const { key, value } of this.t.dkey.getRange({ start: prefixEnd(objK), end: objK, reverse: true })) {
          if (visibility(decIlog(value), epoch, oB).exists) {
            out.dkey = decKey(key as Buffer, objK.length, dU).key;
            break;
          }
        }
      }
    }
    if (what.akey && cid !== undefined) {
      checkKeys(what.akey, []);
      const d = this.dkeyAt(cid, oid, epoch, what.akey);
      if (d) {
        for (const { key, value } of this.t.akey.getRange({ start: prefixEnd(d.dK), end: d.dK, reverse: true })) {
          const a = decAkey(value);
          if (a.type !== TYPE_NONE && visibility(a.ilog, epoch, d.bound).exists) {
            out.akey = decKey(key as Buffer, d.dK.length, aU).key;
            break;
          }
        }
      }
    }
    if (what.recx) {
      checkKeys(what.recx.dkey, [what.recx.akey]);
      out.recx = { idx: 0n, nr: 0n };
      const a = cid === undefined ? undefined : this.akeyAt(cid, oid, epoch, what.recx.dkey, what.recx.akey);
      if (a && a.rec.type === TYPE_ARRAY) {
        const top = this.maxVisibleRecx(a.aK, a.rec.maxLen, epoch, a.bound);
        if (top) out.recx = top;
      }
    }
    return out;
  }

  /**
   * The visible fragment holding the highest visible record. Extents are read
   * from the highest start down; indices at or above (lowest start read +
   * maxLen) can no longer change, so the scan stops once the top fragment
   * lies entirely there.
   */
  private maxVisibleRecx(aK: Buffer, maxLen: bigint, e: Epoch, bound: Epoch): Recx | undefined {
    const read: ExtRec[] = [];
    let lowest = END;
    let batch = 64;
    let n = 0;
    const top = (): Fragment<ExtRec> | undefined => {
      const frags = resolve(read, lowest, END);
      for (let i = frags.length - 1; i >= 0; i--) if (!frags[i]!.ext.hole) return frags[i];
      return undefined;
    };
    for (const { key, value } of this.t.evt.getRange({ start: prefixEnd(aK), end: aK, reverse: true })) {
      const k = key as Buffer;
      const start = k.readBigUInt64BE(aK.length);
      lowest = start;
      const ep = extKeyEpoch(aK.length, k);
      if (ep <= e && ep >= bound) read.push(decExt(aK.length, k, value));
      if (++n < batch) continue;
      n = 0;
      batch *= 2;
      const f = top();
      if (f && f.lo >= lowest + maxLen) return { idx: f.lo, nr: f.hi - f.lo };
    }
    lowest = 0n;
    const f = top();
    return f ? { idx: f.lo, nr: f.hi - f.lo } : undefined;
  }

  /** Every object with records in the container (punched ones too, until aggregation removes them). */
  listObjects(cont: string): UnitOid[] {
    this.checkOpen();
    const cid = this.conts.get(cont);
    if (cid === undefined) return [];
    const p = cidKey(cid);
    const out: UnitOid[] = [];
    for (const key of this.t.obj.getKeys({ start: p, end: prefixEnd(p) })) out.push(decodeObjKey(key as Buffer));
    return out;
  }

  // ---------------------------------------------------------------- DTX

  private addPrepared(dtx: Buffer, rec: Buffer): PreparedEntry {
    const { cid, epoch, p } = decodePrepared(rec);
    const entry: PreparedEntry = {
      dtx,
      hex: dtx.toString('hex'),
      cid,
      epoch,
      oid: p.oid,
      tag: objTag(cid, p.oid),
      kind: p.kind,
      dkeys: p.kind === 'update' ? [p.dkey] : p.kind === 'punchDkeys' ? p.dkeys : p.kind === 'punchAkeys' ? [p.dkey] : [],
      akeys: p.kind === 'update' ? p.iods.map((i) => i.akey) : p.kind === 'punchAkeys' ? p.akeys : [],
      committing: false,
    };
    this.prep.set(entry.hex, entry);
    let s = this.prepByObj.get(entry.tag);
    if (!s) {
      s = new Set();
      this.prepByObj.set(entry.tag, s);
    }
    s.add(entry);
    return entry;
  }

  private dropPrepared(entry: PreparedEntry): void {
    if (this.prep.get(entry.hex) !== entry) return;
    this.prep.delete(entry.hex);
    const s = this.prepByObj.get(entry.tag);
    if (s) {
      s.delete(entry);
      if (s.size === 0) this.prepByObj.delete(entry.tag);
    }
  }

  /**
   * Stage an update or punch under a DTX: its data is written and durable
   * when this resolves, but no read sees it until commit(); abort() discards
   * it. EXIST when the DTX is already prepared or committed here.
   */
  prepare(dtx: DtxId, cont: string, epoch: Epoch, op: VosOp): Promise<void> {
    return this.track(async () => {
      checkDtx(dtx);
      VosPool.checkContName(cont);
      checkEpochWrite(epoch);
      let p: Planned;
      let scm: number;
      if (op.kind === 'update') {
        const u = this.planUpdate(op.oid, op.dkey, op.iods, op.data);
        p = u.p;
        scm = u.scm * 2;
      } else {
        p = this.planPunch(op);
        scm = 1024 + KEYS_MAX;
      }
      const reserved = this.admit(scm);
      const id = Buffer.from(dtx);
      const fn = (ctx: TxnCtx): void => {
        const hex = id.toString('hex');
        if (this.prep.has(hex)) throw vosErr.exist(`dtx ${hex} is already prepared on target ${this.target}`);
        if (this.t.dtxc.get(id)) throw vosErr.exist(`dtx ${hex} is already committed on target ${this.target}`);
        const known = this.conts.get(cont);
        if (known !== undefined) {
          if (p.kind === 'update') this.applyUpdate(new TxnCtx(), known, epoch, p, CHECK_ONLY);
          else this.applyPunch(new TxnCtx(), known, epoch, p, CHECK_ONLY);
        }
        const cid = known ?? this.ensureCont(ctx, cont);
        const rec = encodePrepared(cid, epoch, p);
        if (p.kind === 'update') for (const iod of p.iods) for (const c of iod.chunks) if (c.blk !== undefined) ctx.allocs.push([c.blk, c.nblk!]);
        this.t.dtx.putSync(id, rec);
        const entry = this.addPrepared(id, rec);
        ctx.undo.push(() => this.dropPrepared(entry));
      };
      await (p.kind === 'update' ? this.submit(p, reserved, fn) : this.txn(fn, reserved));
    });
  }

  /** Make prepared DTXs visible at their epochs, atomically; unknown or already committed ids are skipped. */
  commit(dtxs: DtxId[]): Promise<void> {
    return this.track(async () => {
      dtxs.forEach(checkDtx);
      if (dtxs.length === 0) return;
      await this.txn((ctx) => {
        const now = this.clock();
        const stamp = u64(BigInt(Math.max(0, Math.floor(now))));
        let added = 0;
        for (const dtx of dtxs) {
          const entry = this.prep.get(dtx.toString('hex'));
          if (!entry || entry.committing) continue;
          const rec = this.t.dtx.get(entry.dtx);
          if (!rec) continue;
          const { cid, epoch, p } = decodePrepared(rec);
          if (p.kind === 'update') this.applyUpdate(ctx, cid, epoch, p, COMMIT);
          else this.applyPunch(ctx, cid, epoch, p, COMMIT);
          this.t.dtx.removeSync(entry.dtx);
          this.t.dtxc.putSync(entry.dtx, stamp);
          this.t.dtxt.putSync(concat(stamp, entry.dtx), ONE);
          entry.committing = true;
          ctx.undo.push(() => (entry.committing = false));
          ctx.after.push(() => this.dropPrepared(entry));
          added++;
        }
        this.committedCount += added;
        ctx.undo.push(() => (this.committedCount -= added));
        this.trimCommitted(ctx, now);
      });
    });
  }

  /** Forget committed ids beyond the newest committedKeep that are older than committedAgeMs. */
  private trimCommitted(ctx: TxnCtx, now: number): void {
    const excess = this.committedCount - this.committedKeep;
    if (excess <= 0) return;
    const old = now - this.committedAge;
    let removed = 0;
    for (const key of this.t.dtxt.getKeys({ limit: Math.min(excess, TRIM_BATCH) })) {
      const k = key as Buffer;
      if (Number(k.readBigUInt64BE(0)) >= old) break;
      this.t.dtxc.removeSync(k.subarray(8));
      this.t.dtxt.removeSync(k);
      removed++;
    }
    this.committedCount -= removed;
    ctx.undo.push(() => (this.committedCount += removed));
  }

  private abortOne(ctx: TxnCtx, entry: PreparedEntry): void {
    const rec = this.t.dtx.get(entry.dtx);
    if (rec) {
      const { p } = decodePrepared(rec);
      if (p.kind === 'update') for (const iod of p.iods) for (const c of iod.chunks) if (c.blk !== undefined) this.freeBlocks(ctx, c.blk, c.nblk!);
      this.t.dtx.removeSync(entry.dtx);
    }
    entry.committing = true;
    ctx.undo.push(() => (entry.committing = false));
    ctx.after.push(() => this.dropPrepared(entry));
  }

  /** Discard prepared DTXs and free their space; unknown ids are skipped; INVAL for a committed one (nothing changes). */
  abort(dtxs: DtxId[]): Promise<void> {
    return this.track(async () => {
      dtxs.forEach(checkDtx);
      if (dtxs.length === 0) return;
      await this.txn((ctx) => {
        for (const dtx of dtxs) {
          if (!this.prep.has(dtx.toString('hex')) && this.t.dtxc.get(dtx)) throw vosErr.inval(`dtx ${dtx.toString('hex')} is committed on target ${this.target}: it cannot be aborted`);
        }
        for (const dtx of dtxs) {
          const entry = this.prep.get(dtx.toString('hex'));
          if (entry && !entry.committing) this.abortOne(ctx, entry);
        }
      });
    });
  }

  dtxStatus(dtx: DtxId): 'prepared' | 'committed' | 'unknown' {
    this.checkOpen();
    checkDtx(dtx);
    if (this.prep.has(dtx.toString('hex'))) return 'prepared';
    return this.t.dtxc.get(dtx) ? 'committed' : 'unknown';
  }

  prepared(): PreparedInfo[] {
    this.checkOpen();
    const out: PreparedInfo[] = [];
    for (const p of this.prep.values()) {
      const cont = this.contNames.get(p.cid) ?? '';
      if (p.kind === 'punchObject') out.push({ dtx: p.dtx, cont, epoch: p.epoch, oid: p.oid });
      else for (const dkey of p.dkeys) out.push({ dtx: p.dtx, cont, epoch: p.epoch, oid: p.oid, dkey });
    }
    return out;
  }

  /** A prepared DTX on (oid, dkey) at or below epoch (an object punch counts for every dkey): readers answer INPROGRESS. */
  pendingConflict(cont: string, oid: UnitOid, dkey: Buffer, epoch: Epoch): DtxId | undefined {
    this.checkOpen();
    if (this.prep.size === 0) return undefined;
    const cid = this.conts.get(cont);
    if (cid === undefined) return undefined;
    const set = this.prepByObj.get(objTag(cid, oid));
    if (!set) return undefined;
    for (const p of set) {
      if (p.epoch > epoch) continue;
      if (p.kind === 'punchObject' || keyIn(dkey, p.dkeys)) return p.dtx;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- aggregation

  /**
   * Drop what no read can see any more: keep what a read at any epoch >= upTo
   * or at one of the snapshots (epochs below upTo) sees; remove covered
   * versions, covered extents, punched values, and keys and objects that
   * exist at none of those epochs. Returns the bytes of value data removed.
   */
  aggregate(cont: string, upTo: Epoch, snapshots: Epoch[]): Promise<{ freedBytes: number }> {
    return this.track(async () => {
      checkEpochRead(upTo);
      for (const s of snapshots) checkEpochRead(s);
      const cid = this.conts.get(cont);
      if (cid === undefined) return { freedBytes: 0 };
      const pts = [...new Set(snapshots.filter((s) => s < upTo))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      pts.push(upTo);
      const p = cidKey(cid);
      const objs = [...this.t.obj.getKeys({ start: p, end: prefixEnd(p) })].map((k) => Buffer.from(k as Buffer));
      let freed = 0;
      for (let i = 0; i < objs.length; i += AGG_OBJECTS_PER_TXN) {
        const slice = objs.slice(i, i + AGG_OBJECTS_PER_TXN);
        freed += await this.txn((ctx) => {
          if (this.contNames.get(cid) !== cont) return 0;
          let n = 0;
          for (const objK of slice) n += this.aggregateObject(ctx, objK, upTo, pts);
          return n;
        });
      }
      return { freedBytes: freed };
    });
  }

  /**
   * Discard every version of the container written after `above` (rollback to
   * a snapshot): values, extents, punches and incarnation-log entries with a
   * higher epoch go, and their blocks are freed; prepared DTXs above it are
   * aborted. Reads at any epoch then see what they saw at `above`. The caller
   * keeps writers away while it runs.
   */
  discard(cont: string, above: Epoch): Promise<{ freedBytes: number }> {
    return this.track(async () => {
      checkEpochRead(above);
      const cid = this.conts.get(cont);
      if (cid === undefined) return { freedBytes: 0 };
      const stale = [...this.prep.values()].filter((x) => x.cid === cid && x.epoch > above && !x.committing).map((x) => x.dtx);
      if (stale.length) await this.abort(stale);
      const p = cidKey(cid);
      const objs = [...this.t.obj.getKeys({ start: p, end: prefixEnd(p) })].map((k) => Buffer.from(k as Buffer));
      let freed = 0;
      for (let i = 0; i < objs.length; i += AGG_OBJECTS_PER_TXN) {
        const slice = objs.slice(i, i + AGG_OBJECTS_PER_TXN);
        freed += await this.txn((ctx) => {
          if (this.contNames.get(cid) !== cont) return 0;
          let n = 0;
          for (const objK of slice) n += this.discardObject(ctx, objK, above);
          return n;
        });
      }
      return { freedBytes: freed };
    });
  }

  private discardObject(ctx: TxnCtx, objK: Buffer, above: Epoch): number {
    const t = this.t;
    const obj = this.readObj(objK);
    if (!obj) return 0;
    const keep = (il: IlogEntry[]) => il.filter((x) => x.epoch <= above);
    let freed = 0;
    let dLeft = 0;
    for (const { key, value } of [...t.dkey.getRange({ start: objK, end: prefixEnd(objK) })]) {
      const dK = key as Buffer;
      const dIlog = decIlog(value);
      let aLeft = 0;
      for (const { key: ak, value: av } of [...t.akey.getRange({ start: dK, end: prefixEnd(dK) })]) {
        const aK = ak as Buffer;
        const a = decAkey(av);
        // the newest version kept in the akey record goes to sv first: then every version is there
        const moved = this.curToSv(aK, a);
        let left = 0;
        let maxLen = 0n;
        let latest = 0n;
        if (a.type === TYPE_SINGLE) {
          // newest first: the first version kept is the newest one left
          for (const { key: vk, value: vv } of [...t.sv.getRange({ start: aK, end: prefixEnd(aK) })]) {
            const v = decSv(aK.length, vk as Buffer, vv);
            if (v.epoch <= above) {
              if (left === 0) latest = v.epoch;
              left++;
              continue;
            }
            if (v.flags & F_BLOB) this.freeBlocks(ctx, v.blk, blocksFor(v.size));
            freed += v.size;
            t.sv.removeSync(v.key);
          }
        } else if (a.type === TYPE_ARRAY) {
          for (const { key: ek, value: ev } of [...t.evt.getRange({ start: aK, end: prefixEnd(aK) })]) {
            const x = decExt(aK.length, ek as Buffer, ev);
            if (x.epoch <= above) {
              left++;
              if (x.nr > maxLen) maxLen = x.nr;
              continue;
            }
            if (x.blk >= 0) this.freeBlocks(ctx, x.blk, blocksFor(extBytes(x)));
            freed += extBytes(x);
            t.evt.removeSync(x.key);
          }
        }
        const il = keep(a.ilog);
        if (left === 0 && il.length === 0) {
          t.akey.removeSync(aK);
          continue;
        }
        aLeft++;
        const nextMax = a.type === TYPE_ARRAY ? maxLen : a.maxLen;
        const nextLatest = a.type === TYPE_SINGLE ? latest : 0n;
        if (moved || !sameIlog(il, a.ilog) || nextMax !== a.maxLen || nextLatest !== a.latest) t.akey.putSync(aK, encAkey({ type: a.type, maxLen: nextMax, latest: nextLatest, ilog: il }));
      }
      const il = keep(dIlog);
      if (aLeft === 0 && il.length === 0) {
        t.dkey.removeSync(dK);
        continue;
      }
      dLeft++;
      if (!sameIlog(il, dIlog)) t.dkey.putSync(dK, encIlog(il));
    }
    const il = keep(obj.ilog);
    if (dLeft === 0 && il.length === 0) t.obj.removeSync(objK);
    else if (!sameIlog(il, obj.ilog)) t.obj.putSync(objK, encObj({ ilog: il, maxUpd: obj.maxUpd }));
    return freed;
  }

  /**
   * Move the newest version kept in an akey record (cur) to sv, for the
   * passes that work on all versions there (aggregation, discard); the
   * caller then rewrites the akey record without it. True when it moved.
   */
  private curToSv(aK: Buffer, a: AkeyRec): boolean {
    if (!a.cur) return false;
    this.t.sv.putSync(svKey(aK, a.latest), a.cur);
    return true;
  }

  private aggregateObject(ctx: TxnCtx, objK: Buffer, upTo: Epoch, pts: Epoch[]): number {
    const t = this.t;
    const obj = this.readObj(objK);
    if (!obj) return 0;
    const oB = pts.map((r) => punchBound(obj.ilog, r));
    let freed = 0;
    let dLeft = 0;
    for (const { key, value } of [...t.dkey.getRange({ start: objK, end: prefixEnd(objK) })]) {
      const dK = key as Buffer;
      const dIlog = decIlog(value);
      const dB = pts.map((r, i) => maxE(oB[i]!, punchBound(dIlog, r)));
      let aLeft = 0;
      for (const { key: ak, value: av } of [...t.akey.getRange({ start: dK, end: prefixEnd(dK) })]) {
        const aK = ak as Buffer;
        const a = decAkey(av);
        const moved = this.curToSv(aK, a);
        const aB = pts.map((r, i) => maxE(dB[i]!, punchBound(a.ilog, r)));
        let left = 0;
        let maxLen = a.maxLen;
        let latest = a.latest;
        if (a.type === TYPE_SINGLE) {
          const r = this.aggSingle(ctx, aK, upTo, pts, aB);
          freed += r.freed;
          left = r.left;
          latest = r.latest;
        } else if (a.type === TYPE_ARRAY) {
          const r = this.aggArray(ctx, aK, upTo, pts, aB);
          freed += r.freed;
          left = r.left;
          maxLen = r.maxLen;
        }
        if (left === 0 && !existsAnywhere(a.ilog, upTo, pts, dB)) {
          t.akey.removeSync(aK);
          continue;
        }
        aLeft++;
        const il = compactIlog(a.ilog, upTo, pts);
        if (moved || !sameIlog(il, a.ilog) || maxLen !== a.maxLen || latest !== a.latest) t.akey.putSync(aK, encAkey({ type: a.type, maxLen, latest, ilog: il }));
      }
      if (aLeft === 0 && !existsAnywhere(dIlog, upTo, pts, oB)) {
        t.dkey.removeSync(dK);
        continue;
      }
      dLeft++;
      const il = compactIlog(dIlog, upTo, pts);
      if (!sameIlog(il, dIlog)) t.dkey.putSync(dK, encIlog(il));
    }
    const zero = pts.map(() => 0n);
    if (dLeft === 0 && !existsAnywhere(obj.ilog, upTo, pts, zero)) {
      t.obj.removeSync(objK);
    } else {
      const il = compactIlog(obj.ilog, upTo, pts);
      if (!sameIlog(il, obj.ilog)) t.obj.putSync(objK, encObj({ ilog: il, maxUpd: obj.maxUpd }));
    }
    return freed;
  }

  /** Returns the bytes freed, the versions left and the newest of them (0 when none is). */
  private aggSingle(ctx: TxnCtx, aK: Buffer, upTo: Epoch, pts: Epoch[], bounds: Epoch[]): { freed: number; left: number; latest: Epoch } {
    // newest first
    const vs = [...this.t.sv.getRange({ start: aK, end: prefixEnd(aK) })].map(({ key, value }) => decSv(aK.length, key as Buffer, value));
    const keep = vs.map((v) => v.epoch >= upTo);
    pts.forEach((r, i) => {
      const j = vs.findIndex((v) => v.epoch <= r);
      if (j >= 0 && vs[j]!.epoch >= bounds[i]!) keep[j] = true;
    });
    // a punch record matters only while an older version is kept
    let dataBelow = false;
    for (let j = vs.length - 1; j >= 0; j--) {
      const v = vs[j]!;
      const punch = (v.flags & F_PUNCH) !== 0;
      if (keep[j] && punch && v.epoch < upTo && !dataBelow) keep[j] = false;
      if (keep[j] && !punch) dataBelow = true;
    }
    let freed = 0;
    let left = 0;
    let latest = 0n;
    vs.forEach((v, j) => {
      if (keep[j]) {
        if (left === 0) latest = v.epoch;
        left++;
        return;
      }
      if (v.flags & F_BLOB) this.freeBlocks(ctx, v.blk, blocksFor(v.size));
      freed += v.size;
      this.t.sv.removeSync(v.key);
    });
    return { freed, left, latest };
  }

  private aggArray(ctx: TxnCtx, aK: Buffer, upTo: Epoch, pts: Epoch[], bounds: Epoch[]): { freed: number; left: number; maxLen: bigint } {
    const all = [...this.t.evt.getRange({ start: aK, end: prefixEnd(aK) })].map(({ key, value }) => decExt(aK.length, key as Buffer, value));
    const keep = new Set<ExtRec>(all.filter((x) => x.epoch >= upTo));
    const holeWins = new Map<ExtRec, [bigint, bigint][]>();
    if (all.length > 0) {
      let lo = all[0]!.start;
      let hi = all[0]!.end;
      for (const x of all) {
        if (x.start < lo) lo = x.start;
        if (x.end > hi) hi = x.end;
      }
      pts.forEach((r, i) => {
        const cand = all.filter((x) => x.epoch <= r && x.epoch >= bounds[i]!);
        for (const f of resolve(cand, lo, hi)) {
          if (!f.ext.hole) keep.add(f.ext);
          else {
            const l = holeWins.get(f.ext) ?? [];
            l.push([f.lo, f.hi]);
            holeWins.set(f.ext, l);
          }
        }
      });
      // a hole matters only where it hides an older extent that is kept
      for (const [h, ranges] of holeWins) {
        if (keep.has(h)) continue;
        for (const d of keep) {
          if (d.hole || d.epoch > h.epoch || (d.epoch === h.epoch && d.seq > h.seq)) continue;
          if (ranges.some(([a, b]) => d.start < b && d.end > a)) {
            keep.add(h);
            break;
          }
        }
      }
    }
    let freed = 0;
    let maxLen = 0n;
    for (const x of all) {
      if (keep.has(x)) {
        if (x.nr > maxLen) maxLen = x.nr;
        continue;
      }
      if (x.blk >= 0) this.freeBlocks(ctx, x.blk, blocksFor(extBytes(x)));
      freed += extBytes(x);
      this.t.evt.removeSync(x.key);
    }
    return { freed, left: keep.size, maxLen };
  }
}

/** True when the entity exists at one of the read points, or has entries at or above upTo. */
function existsAnywhere(ilog: IlogEntry[], upTo: Epoch, pts: Epoch[], bounds: Epoch[]): boolean {
  if (ilog.some((x) => x.epoch >= upTo)) return true;
  return pts.some((r, i) => visibility(ilog, r, bounds[i]!).exists);
}

function objTag(cid: number, oid: UnitOid): string {
  return `${cid}:${oid.hi.toString(16)}:${oid.lo.toString(16)}:${oid.shard}`;
}

// ---------------------------------------------------------------- prepared DTX records

const KIND_CODE: Record<VosOp['kind'], number> = { update: 1, punchObject: 2, punchDkeys: 3, punchAkeys: 4 };

/**
 * A prepared DTX record: u8 version | u8 kind | u32 cid | u64 epoch | oid (hi
 * u64, lo u64, shard u32), then per kind: update: dkey, u16 iod count, per
 * iod: akey, u8 type, u48 size, u32 extent count, extents (idx u64, nr u64),
 * per chunk: u8 where (0 none, 1 inline, 2 blob), u48 bytes, then the inline
 * bytes or u48 block, u32 blocks. punchDkeys: u16 count, dkeys. punchAkeys:
 * dkey, u16 count, akeys. Keys are u16 length + bytes.
 */
function encodePrepared(cid: number, epoch: Epoch, p: Planned): Buffer {
  const w = new Writer(p.kind === 'update' ? 256 + p.iods.reduce((n, i) => n + i.chunks.reduce((m, c) => m + (c.blk === undefined ? c.bytes : 0), 0), 0) : 256);
  w.u8(1).u8(KIND_CODE[p.kind]).u32(cid).u64(epoch).u64(p.oid.hi).u64(p.oid.lo).u32(p.oid.shard);
  if (p.kind === 'update') {
    w.key(p.dkey).u16(p.iods.length);
    for (const iod of p.iods) {
      w.key(iod.akey).u8(iod.type === 'single' ? TYPE_SINGLE : TYPE_ARRAY).u48(iod.size).u32(iod.recxs.length);
      for (const r of iod.recxs) w.u64(r.idx).u64(r.nr);
      for (const c of iod.chunks) {
        if (iod.size === 0) w.u8(0).u48(0);
        else if (c.blk !== undefined) w.u8(2).u48(c.bytes).u48(c.blk).u32(c.nblk!);
        else w.u8(1).u48(c.bytes).raw(c.data!.subarray(0, c.bytes));
      }
    }
  } else if (p.kind === 'punchDkeys') {
    w.u16(p.dkeys.length);
    for (const d of p.dkeys) w.key(d);
  } else if (p.kind === 'punchAkeys') {
    w.key(p.dkey).u16(p.akeys.length);
    for (const a of p.akeys) w.key(a);
  }
  return Buffer.from(w.done());
}

function decodePrepared(rec: Buffer): { cid: number; epoch: Epoch; p: Planned } {
  const r = new Reader(rec);
  const ver = r.u8();
  if (ver !== 1) throw vosErr.io(`prepared dtx record version ${ver} is not known`);
  const kind = r.u8();
  const cid = r.u32();
  const epoch = r.u64();
  const oid: UnitOid = { hi: r.u64(), lo: r.u64(), shard: r.u32() };
  switch (kind) {
    case 1: {
      const dkey = r.key();
      const n = r.u16();
      const iods: PIod[] = [];
      for (let i = 0; i < n; i++) {
        const akey = r.key();
        const type: IodType = r.u8() === TYPE_SINGLE ? 'single' : 'array';
        const size = r.u48();
        const nr = r.u32();
        const recxs: Recx[] = [];
        for (let j = 0; j < nr; j++) recxs.push({ idx: r.u64(), nr: r.u64() });
        const nchunks = type === 'single' ? 1 : nr;
        const chunks: Chunk[] = [];
        for (let j = 0; j < nchunks; j++) {
          const where = r.u8();
          const bytes = r.u48();
          if (where === 2) chunks.push({ bytes, blk: r.u48(), nblk: r.u32() });
          else if (where === 1) chunks.push({ bytes, data: r.raw(bytes) });
          else chunks.push({ bytes });
        }
        iods.push({ akey, type, size, recxs, chunks });
      }
      return { cid, epoch, p: { kind: 'update', oid, dkey, iods } };
    }
    case 2:
      return { cid, epoch, p: { kind: 'punchObject', oid } };
    case 3: {
      const n = r.u16();
      const dkeys: Buffer[] = [];
      for (let i = 0; i < n; i++) dkeys.push(r.key());
      return { cid, epoch, p: { kind: 'punchDkeys', oid, dkeys } };
    }
    case 4: {
      const dkey = r.key();
      const n = r.u16();
      const akeys: Buffer[] = [];
      for (let i = 0; i < n; i++) akeys.push(r.key());
      return { cid, epoch, p: { kind: 'punchAkeys', oid, dkey, akeys } };
    }
    default:
      throw vosErr.io(`prepared dtx record kind ${kind} is not known`);
  }
}
