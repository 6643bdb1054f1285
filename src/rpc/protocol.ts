/**
 * The data-plane operations and the encoding of their metadata. Bulk data
 * (values) is never in here: it follows the metadata as raw Buffers, in iod
 * order (see conn.ts).
 *
 * Opcodes are ours (the original's were CaRT module/opc pairs; the object
 * ones keep their order: update, fetch, dkey/akey/recx enumeration, punch,
 * punch dkeys, punch akeys, query key, then the leader-to-replica ones).
 */
import { Reader, Writer } from './codec.js';

export const Op = {
  PING: 1,
  /** Register a pool or container handle token on this I/O server. */
  HANDLE: 2,
  UPDATE: 10,
  FETCH: 11,
  LIST_DKEY: 12,
  LIST_AKEY: 13,
  LIST_RECX: 14,
  PUNCH: 15,
  PUNCH_DKEYS: 16,
  PUNCH_AKEYS: 17,
  QUERY_KEY: 18,
  /** The objects of a container on one target (list request: keys are 16-byte OIDs, the anchor a u32 index). */
  LIST_OBJ: 19,
  /** Leader → replica: prepare the update or punch of a DTX. */
  TGT_UPDATE: 20,
  TGT_PUNCH: 21,
  TGT_PUNCH_DKEYS: 22,
  TGT_PUNCH_AKEYS: 23,
  DTX_COMMIT: 30,
  DTX_ABORT: 31,
  DTX_CHECK: 32,
  /** daos_perf -T echo: the network and RPC path alone, nothing stored. */
  ECHO_UPDATE: 40,
  ECHO_FETCH: 41,
} as const;

export const MODIFYING: ReadonlySet<number> = new Set([Op.UPDATE, Op.PUNCH, Op.PUNCH_DKEYS, Op.PUNCH_AKEYS, Op.TGT_UPDATE, Op.TGT_PUNCH, Op.TGT_PUNCH_DKEYS, Op.TGT_PUNCH_AKEYS]);

/** Epoch 0 in a request: "the server picks" (its HLC). */
export const EPOCH_SERVER = 0n;

export interface Recx {
  idx: bigint;
  nr: bigint;
}

export const IodType = { SINGLE: 1, ARRAY: 2 } as const;

export interface Iod {
  akey: Buffer;
  type: number;
  /** Value size (single) or record size (array); 0: punch (update) or "any" (fetch). */
  size: number;
  recxs: Recx[];
}

/** Where an object operation applies. */
export interface ObjAddr {
  pool: string;
  cont: string;
  /** Container handle UUID (registered with Op.HANDLE). */
  coh: string;
  hi: bigint;
  lo: bigint;
  shard: number;
  epoch: bigint;
  /** pool, cont and coh already encoded (48 bytes): senders of many requests keep it (addrPrefix). */
  prefix?: Buffer;
}

/** The 48 encoded bytes of pool, container and handle UUIDs, reusable in every ObjAddr of a container handle. */
export function addrPrefix(pool: string, cont: string, coh: string): Buffer {
  const w = new Writer(48);
  w.uuid(pool).uuid(cont).uuid(coh);
  return Buffer.from(w.finish());
}

/** A member of a replicated group: where to forward. */
export interface ShardTarget {
  rank: number;
  target: number;
  shard: number;
}

function wAddr(w: Writer, a: ObjAddr): void {
  if (a.prefix) w.raw(a.prefix);
  else w.uuid(a.pool).uuid(a.cont).uuid(a.coh);
  w.u64(a.hi).u64(a.lo).u32(a.shard).u64(a.epoch);
}

function rAddr(r: Reader): ObjAddr {
  return { pool: r.uuid(), cont: r.uuid(), coh: r.uuid(), hi: r.u64(), lo: r.u64(), shard: r.u32(), epoch: r.u64() };
}

function wIods(w: Writer, iods: Iod[]): void {
  w.u32(iods.length);
  for (const d of iods) {
    w.bytes(d.akey).u8(d.type).n64(d.size).u32(d.recxs.length);
    for (const x of d.recxs) w.u64(x.idx).u64(x.nr);
  }
}

function rIods(r: Reader): Iod[] {
  const n = r.count(14);
  const out: Iod[] = [];
  for (let i = 0; i < n; i++) {
    const akey = r.bytes(1 << 16);
    const type = r.u8();
    const size = r.n64();
    const nx = r.count(16);
    const recxs: Recx[] = [];
    for (let j = 0; j < nx; j++) recxs.push({ idx: r.u64(), nr: r.u64() });
    out.push({ akey, type, size, recxs });
  }
  return out;
}

function wTargets(w: Writer, t: ShardTarget[]): void {
  w.u16(t.length);
  for (const x of t) w.u32(x.rank).u16(x.target).u32(x.shard);
}

function rTargets(r: Reader): ShardTarget[] {
  const n = r.u16();
  const out: ShardTarget[] = [];
  for (let i = 0; i < n; i++) out.push({ rank: r.u32(), target: r.u16(), shard: r.u32() });
  return out;
}

/** Bytes of bulk data an iod carries: the value, or records × size. */
export function iodBytes(d: Iod): number {
  if (d.size === 0) return 0;
  if (d.type === IodType.SINGLE) return d.size;
  let n = 0n;
  for (const x of d.recxs) n += x.nr;
  return Number(n) * d.size;
}

// ---- update / punch --------------------------------------------------------------

export interface UpdateReq extends ObjAddr {
  dkey: Buffer;
  iods: Iod[];
  /** 24 bytes; all zero for an update with no DTX (single replica). */
  dtx: Buffer;
  /** The other members of the group, for the leader to forward to. */
  replicas: ShardTarget[];
}

export function encodeUpdate(q: UpdateReq): Buffer {
  const w = new Writer(128 + q.dkey.length + q.iods.length * 48);
  wAddr(w, q);
  w.bytes(q.dkey);
  wIods(w, q.iods);
  w.raw(q.dtx);
  wTargets(w, q.replicas);
  return w.finish();
}

export function decodeUpdate(meta: Buffer): UpdateReq {
  const r = new Reader(meta);
  const a = rAddr(r);
  const dkey = r.bytes(1 << 16);
  const iods = rIods(r);
  const dtx = r.raw(24);
  const replicas = rTargets(r);
  r.end();
  const q = a as UpdateReq;
  q.dkey = dkey;
  q.iods = iods;
  q.dtx = dtx;
  q.replicas = replicas;
  return q;
}

export const PunchKind = { OBJECT: 1, DKEYS: 2, AKEYS: 3 } as const;

export interface PunchReq extends ObjAddr {
  kind: number;
  dkeys: Buffer[];
  akeys: Buffer[];
  dtx: Buffer;
  replicas: ShardTarget[];
}

export function encodePunch(q: PunchReq): Buffer {
  const w = new Writer(128);
  wAddr(w, q);
  w.u8(q.kind).u32(q.dkeys.length);
  for (const k of q.dkeys) w.bytes(k);
  w.u32(q.akeys.length);
  for (const k of q.akeys) w.bytes(k);
  w.raw(q.dtx);
  wTargets(w, q.replicas);
  return w.finish();
}

export function decodePunch(meta: Buffer): PunchReq {
  const r = new Reader(meta);
  const a = rAddr(r);
  const kind = r.u8();
  const nd = r.count(4);
  const dkeys: Buffer[] = [];
  for (let i = 0; i < nd; i++) dkeys.push(r.bytes(1 << 16));
  const na = r.count(4);
  const akeys: Buffer[] = [];
  for (let i = 0; i < na; i++) akeys.push(r.bytes(1 << 16));
  const dtx = r.raw(24);
  const replicas = rTargets(r);
  r.end();
  const q = a as PunchReq;
  q.kind = kind;
  q.dkeys = dkeys;
  q.akeys = akeys;
  q.dtx = dtx;
  q.replicas = replicas;
  return q;
}

/** Reply of an update or punch: the epoch it was applied at. */
export function encodeEpoch(e: bigint): Buffer {
  return new Writer(8).u64(e).finish();
}

export function decodeEpoch(meta: Buffer): bigint {
  return meta.length >= 8 ? meta.readBigUInt64BE(0) : 0n;
}

// ---- fetch ------------------------------------------------------------------------------

export interface FetchReq extends ObjAddr {
  dkey: Buffer;
  iods: Iod[];
}

export function encodeFetch(q: FetchReq): Buffer {
  const w = new Writer(96 + q.dkey.length + q.iods.length * 48);
  wAddr(w, q);
  w.bytes(q.dkey);
  wIods(w, q.iods);
  return w.finish();
}

export function decodeFetch(meta: Buffer): FetchReq {
  const r = new Reader(meta);
  const a = rAddr(r);
  const dkey = r.bytes(1 << 16);
  const iods = rIods(r);
  r.end();
  const q = a as FetchReq;
  q.dkey = dkey;
  q.iods = iods;
  return q;
}

export interface FetchedIod {
  /** Record or value size found; 0: nothing there. */
  size: number;
  /** Bytes of bulk data that follow for this iod. */
  length: number;
  found: Recx[];
}

export interface FetchReply {
  epoch: bigint;
  iods: FetchedIod[];
}

export function encodeFetchReply(f: FetchReply): Buffer {
  const w = new Writer(16 + f.iods.length * 32);
  w.u64(f.epoch).u32(f.iods.length);
  for (const d of f.iods) {
    w.n64(d.size).n64(d.length).u32(d.found.length);
    for (const x of d.found) w.u64(x.idx).u64(x.nr);
  }
  return w.finish();
}

export function decodeFetchReply(meta: Buffer): FetchReply {
  const r = new Reader(meta);
  const epoch = r.u64();
  const n = r.count(20);
  const iods: FetchedIod[] = [];
  for (let i = 0; i < n; i++) {
    const size = r.n64();
    const length = r.n64();
    const nf = r.count(16);
    const found: Recx[] = [];
    for (let j = 0; j < nf; j++) found.push({ idx: r.u64(), nr: r.u64() });
    iods.push({ size, length, found });
  }
  r.end();
  return { epoch, iods };
}

// ---- enumeration ------------------------------------------------------------------------------

export const ListKind = { DKEY: 1, AKEY: 2, RECX: 3 } as const;

export interface ListReq extends ObjAddr {
  dkey: Buffer;
  akey: Buffer;
  anchor: Buffer;
  max: number;
}

export function encodeList(q: ListReq): Buffer {
  const w = new Writer(128);
  wAddr(w, q);
  w.bytes(q.dkey).bytes(q.akey).bytes(q.anchor).u32(q.max);
  return w.finish();
}

export function decodeList(meta: Buffer): ListReq {
  const r = new Reader(meta);
  const a = rAddr(r);
  const q = { ...a, dkey: r.bytes(1 << 16), akey: r.bytes(1 << 16), anchor: r.bytes(1024), max: r.u32() };
  r.end();
  return q;
}

export interface ListReply {
  keys: { key: Buffer; type: number }[];
  recxs: { idx: bigint; nr: bigint; epoch: bigint }[];
  size: number;
  /** Empty: the end. */
  anchor: Buffer;
}

export function encodeListReply(l: ListReply): Buffer {
  const w = new Writer(256);
  w.u32(l.keys.length);
  for (const k of l.keys) w.bytes(k.key).u8(k.type);
  w.u32(l.recxs.length);
  for (const x of l.recxs) w.u64(x.idx).u64(x.nr).u64(x.epoch);
  w.n64(l.size).bytes(l.anchor);
  return w.finish();
}

export function decodeListReply(meta: Buffer): ListReply {
  const r = new Reader(meta);
  const nk = r.count(5);
  const keys: { key: Buffer; type: number }[] = [];
  for (let i = 0; i < nk; i++) keys.push({ key: Buffer.from(r.bytes(1 << 16)), type: r.u8() });
  const nx = r.count(24);
  const recxs: { idx: bigint; nr: bigint; epoch: bigint }[] = [];
  for (let i = 0; i < nx; i++) recxs.push({ idx: r.u64(), nr: r.u64(), epoch: r.u64() });
  const size = r.n64();
  const anchor = Buffer.from(r.bytes(1024));
  r.end();
  return { keys, recxs, size, anchor };
}

// ---- query key ------------------------------------------------------------------------------

export const QueryFlag = { MAX: 1, MIN: 2, DKEY: 4, AKEY: 8, RECX: 16 } as const;

export interface QueryReq extends ObjAddr {
  flags: number;
  dkey: Buffer;
  akey: Buffer;
}

export function encodeQuery(q: QueryReq): Buffer {
  const w = new Writer(128);
  wAddr(w, q);
  w.u32(q.flags).bytes(q.dkey).bytes(q.akey);
  return w.finish();
}

export function decodeQuery(meta: Buffer): QueryReq {
  const r = new Reader(meta);
  const a = rAddr(r);
  const q = { ...a, flags: r.u32(), dkey: r.bytes(1 << 16), akey: r.bytes(1 << 16) };
  r.end();
  return q;
}

export interface QueryReply {
  dkey?: Buffer;
  akey?: Buffer;
  recx?: Recx;
}

export function encodeQueryReply(q: QueryReply): Buffer {
  const w = new Writer(64);
  w.bool(!!q.dkey).bytes(q.dkey ?? Buffer.alloc(0));
  w.bool(!!q.akey).bytes(q.akey ?? Buffer.alloc(0));
  w.bool(!!q.recx).u64(q.recx?.idx ?? 0n).u64(q.recx?.nr ?? 0n);
  return w.finish();
}

export function decodeQueryReply(meta: Buffer): QueryReply {
  const r = new Reader(meta);
  const hd = r.bool();
  const dkey = Buffer.from(r.bytes(1 << 16));
  const ha = r.bool();
  const akey = Buffer.from(r.bytes(1 << 16));
  const hr = r.bool();
  const recx = { idx: r.u64(), nr: r.u64() };
  r.end();
  return { ...(hd ? { dkey } : {}), ...(ha ? { akey } : {}), ...(hr ? { recx } : {}) };
}

// ---- DTX -------------------------------------------------------------------------------------------

export interface DtxReq {
  pool: string;
  cont: string;
  dtxs: Buffer[];
}

export function encodeDtx(q: DtxReq): Buffer {
  const w = new Writer(40 + q.dtxs.length * 24);
  w.uuid(q.pool).uuid(q.cont).u32(q.dtxs.length);
  for (const d of q.dtxs) w.raw(d);
  return w.finish();
}

export function decodeDtx(meta: Buffer): DtxReq {
  const r = new Reader(meta);
  const pool = r.uuid();
  const cont = r.uuid();
  const n = r.count(24);
  const dtxs: Buffer[] = [];
  for (let i = 0; i < n; i++) dtxs.push(r.raw(24));
  r.end();
  return { pool, cont, dtxs };
}

export const DtxState = { UNKNOWN: 0, PREPARED: 1, COMMITTED: 2 } as const;

// ---- handle registration ------------------------------------------------------------------------

export function encodeHandle(token: Buffer): Buffer {
  return new Writer(token.length + 4).bytes(token).finish();
}

export function decodeHandle(meta: Buffer): Buffer {
  const r = new Reader(meta);
  const t = r.bytes(4096);
  r.end();
  return t;
}
