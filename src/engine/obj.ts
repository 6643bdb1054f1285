/**
 * The object service of an I/O server: data-plane requests checked and
 * applied to the VOS of the addressed target.
 *
 * Every request is checked before any I/O, in this order: the pool has
 * targets here; the container handle was registered with a token the
 * management service signed (and allows writing, for modifications); the
 * pool-map version is not stale for a modification; the target exists.
 *
 * Replicated updates and punches are two-phase (DTX): the client sends them to
 * the group leader, which prepares locally and on every replica, commits
 * locally once all are prepared, answers, and commits on the replicas in
 * batches afterwards. Readers that meet a prepared, uncommitted change on a
 * replica get -DER_INPROGRESS and retry at the leader. See dtx.ts for the
 * resolution of DTXs left prepared by a crash.
 */
import crypto from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { DaosError, DER } from '../daos/errors.js';
import type { Hlc } from '../daos/hlc.js';
import { verifyToken, Capa, type HandleToken } from '../security/handle_token.js';
import type { RpcRequest, RpcResponse } from '../rpc/conn.js';
import * as P from '../rpc/protocol.js';
import { BufferPool } from '../rpc/wire.js';
import type { EnginePool, PoolTargets } from './pools.js';
import type { UnitOid, VIod, VosOp, VosStore } from './vos_api.js';
import type { DtxManager } from './dtx.js';

const ZERO_DTX = Buffer.alloc(24);

function vIods(iods: P.Iod[]): VIod[] {
  return iods.map((d) => ({ akey: d.akey, type: d.type === P.IodType.SINGLE ? 'single' : 'array', size: d.size, recxs: d.recxs }));
}

/** Split a request's bulk into one Buffer per iod (views, no copy). */
export function splitBulk(iods: P.Iod[], bulk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (const d of iods) {
    const n = P.iodBytes(d);
    if (off + n > bulk.length) throw new DaosError(-DER.IO_INVAL, `the request carries ${bulk.length} bytes of data but its descriptors need ${off + n}`);
    out.push(bulk.subarray(off, off + n));
    off += n;
  }
  if (off !== bulk.length) throw new DaosError(-DER.IO_INVAL, `the request carries ${bulk.length - off} bytes of data no descriptor describes`);
  return out;
}

export interface OpenHandle {
  token: HandleToken;
}

/** Closed handles remembered (oldest forgotten first beyond this). */
const REVOKED_MAX = 100_000;

/** Container handles registered on this I/O server. */
export class HandleCache {
  private readonly handles = new Map<string, HandleToken>();
  /** Handles closed at the management service: their tokens are refused. */
  private readonly revoked = new Set<string>();
  key?: Buffer;

  /**
   * The container handles the MS had open at `asOfMs` (its clock), from the
   * join answer: a token issued before then for a handle not in the list was
   * closed while this I/O server was down or could not be told, and is
   * refused. Tokens issued later are checked against revocations as usual.
   */
  setOpenAt(open: string[], asOfMs: number): void {
    this.openAt = { handles: new Set(open), asOfMs };
  }

  private openAt?: { handles: Set<string>; asOfMs: number };

  /** Forget closed handles and refuse their tokens from now on. */
  revoke(handles: string[]): void {
    for (const h of handles) {
      this.handles.delete(h);
      this.revoked.add(h);
    }
    for (const h of this.revoked) {
      if (this.revoked.size <= REVOKED_MAX) break;
      this.revoked.delete(h);
    }
  }

  register(token: Buffer): HandleToken {
    if (!this.key) throw new DaosError(-DER.NO_HDL, 'this I/O server has not joined the system yet', { hint: 'retry once the rank is joined (dmg system query)' });
    let t: HandleToken;
    try {
      t = verifyToken(this.key, token);
    } catch (e) {
      throw new DaosError(-DER.NO_HDL, (e as Error).message, { hint: 'open the container again (the system may have been reformatted)' });
    }
    if (t.contHandle && (this.revoked.has(t.contHandle) || (this.openAt && t.issuedMs < this.openAt.asOfMs && !this.openAt.handles.has(t.contHandle)))) {
      throw new DaosError(-DER.NO_HDL, `container handle ${t.contHandle} was closed`, { hint: 'open the container again' });
    }
    if (t.kind === 'cont' && t.contHandle) this.handles.set(t.contHandle, t);
    return t;
  }

  /** The container handle of a request: registered, for this pool and container. */
  check(coh: string, pool: string, cont: string, write: boolean): HandleToken {
    const t = this.handles.get(coh);
    if (!t) throw new DaosError(-DER.NO_HDL, `container handle ${coh} is not registered on this I/O server`);
    if (t.pool !== pool || t.cont !== cont) throw new DaosError(-DER.NO_HDL, `container handle ${coh} is not a handle of container ${cont}`);
    if (write && t.capas !== Capa.RW) throw new DaosError(-DER.NO_PERM, 'the container was opened read-only', { hint: 'open it read-write to update or punch' });
    return t;
  }

  /** Forget the handles of a container (destroyed) or of a pool. */
  drop(pool: string, cont?: string): void {
    for (const [k, t] of this.handles) if (t.pool === pool && (!cont || t.cont === cont)) this.handles.delete(k);
  }
}

export interface ObjServiceDeps {
  pools: PoolTargets;
  handles: HandleCache;
  hlc: Hlc;
  dtx: DtxManager;
  log: Logger;
  rank: () => number | undefined;
}

export class ObjService {
  private zeros = Buffer.alloc(1 << 20);
  /** Reply buffers of fetches, reused once the reply has been written. */
  private readonly replyPool = new BufferPool(64 << 10, 64);

  constructor(private readonly d: ObjServiceDeps) {}

  /** Answer a data-plane request. */
  async handle(req: RpcRequest): Promise<RpcResponse> {
    switch (req.opcode) {
      case P.Op.PING:
        return this.ping(req);
      case P.Op.HANDLE: {
        this.d.handles.register(Buffer.from(P.decodeHandle(req.meta)));
        return { status: 0, mapVersion: 0 };
      }
      case P.Op.UPDATE:
        return this.update(req, false);
      case P.Op.TGT_UPDATE:
        return this.update(req, true);
      case P.Op.FETCH:
        return this.fetch(req);
      case P.Op.PUNCH:
      case P.Op.PUNCH_DKEYS:
      case P.Op.PUNCH_AKEYS:
        return this.punch(req, false);
      case P.Op.TGT_PUNCH:
      case P.Op.TGT_PUNCH_DKEYS:
      case P.Op.TGT_PUNCH_AKEYS:
        return this.punch(req, true);
      case P.Op.LIST_DKEY:
      case P.Op.LIST_AKEY:
      case P.Op.LIST_RECX:
        return this.list(req);
      case P.Op.LIST_OBJ:
        return this.listObjects(req);
      case P.Op.QUERY_KEY:
        return this.query(req);
      case P.Op.DTX_COMMIT:
      case P.Op.DTX_ABORT:
      case P.Op.DTX_CHECK:
        return this.d.dtx.handle(req);
      case P.Op.ECHO_UPDATE:
        return { status: 0, mapVersion: 0, meta: P.encodeEpoch(this.d.hlc.now()) };
      case P.Op.ECHO_FETCH:
        return this.echoFetch(req);
      default:
        return { status: -DER.NOSYS, mapVersion: 0, meta: Buffer.from(`unknown opcode ${req.opcode}`) };
    }
  }

  private ping(req: RpcRequest): RpcResponse {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.d.rank() ?? 0xffffffff, 0);
    b.writeUInt32BE(req.target, 4);
    return { status: 0, mapVersion: 0, meta: b };
  }

  /** The checks every object request passes before touching VOS. */
  private admit(req: RpcRequest, a: P.ObjAddr, write: boolean, forwarded: boolean): { pool: EnginePool; store: VosStore } {
    const pool = this.d.pools.get(a.pool);
    if (!forwarded) this.d.handles.check(a.coh, a.pool, a.cont, write);
    if (write && req.mapVersion < pool.mapVersion) {
      throw new DaosError(-DER.STALE, `request built with pool map version ${req.mapVersion}, this I/O server has ${pool.mapVersion}`);
    }
    return { pool, store: pool.store(req.target) };
  }

  private epoch(a: P.ObjAddr): bigint {
    return a.epoch === P.EPOCH_SERVER ? this.d.hlc.now() : a.epoch;
  }

  private async update(req: RpcRequest, forwarded: boolean): Promise<RpcResponse> {
    const q = P.decodeUpdate(req.meta);
    const { pool, store } = this.admit(req, q, true, forwarded);
    const data = splitBulk(q.iods, req.bulk);
    const oid: UnitOid = { hi: q.hi, lo: q.lo, shard: q.shard };
    const iods = vIods(q.iods);
    if (forwarded) {
      // A replica: prepare the leader's DTX at the leader's epoch.
      await store.prepare(Buffer.from(q.dtx), q.cont, q.epoch, { kind: 'update', oid, dkey: Buffer.from(q.dkey), iods, data });
      return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(q.epoch) };
    }
    const epoch = this.epoch(q);
    if (q.replicas.length === 0) {
      await store.update(q.cont, oid, epoch, q.dkey, iods, data);
      return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(epoch) };
    }
    const op: VosOp = { kind: 'update', oid, dkey: Buffer.from(q.dkey), iods, data };
    await this.d.dtx.leaderRun(pool, req.target, store, q, epoch, op, (dtx, shard) => P.encodeUpdate({ ...q, shard, epoch, dtx, replicas: [] }), P.Op.TGT_UPDATE, req.bulk);
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(epoch) };
  }

  private async punch(req: RpcRequest, forwarded: boolean): Promise<RpcResponse> {
    const q = P.decodePunch(req.meta);
    const { pool, store } = this.admit(req, q, true, forwarded);
    const oid: UnitOid = { hi: q.hi, lo: q.lo, shard: q.shard };
    let op: VosOp;
    if (q.kind === P.PunchKind.OBJECT) op = { kind: 'punchObject', oid };
    else if (q.kind === P.PunchKind.DKEYS) {
      if (q.dkeys.length === 0) throw new DaosError(-DER.INVAL, 'no dkey to punch');
      op = { kind: 'punchDkeys', oid, dkeys: q.dkeys.map((k) => Buffer.from(k)) };
    } else {
      if (q.dkeys.length !== 1 || q.akeys.length === 0) throw new DaosError(-DER.INVAL, 'punching akeys needs one dkey and at least one akey');
      op = { kind: 'punchAkeys', oid, dkey: Buffer.from(q.dkeys[0]), akeys: q.akeys.map((k) => Buffer.from(k)) };
    }
    if (forwarded) {
      await store.prepare(Buffer.from(q.dtx), q.cont, q.epoch, op);
      return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(q.epoch) };
    }
    const epoch = this.epoch(q);
    if (q.replicas.length === 0) {
      if (op.kind === 'punchObject') await store.punchObject(q.cont, oid, epoch);
      else if (op.kind === 'punchDkeys') await store.punchDkeys(q.cont, oid, epoch, op.dkeys);
      else if (op.kind === 'punchAkeys') await store.punchAkeys(q.cont, oid, epoch, op.dkey, op.akeys);
      return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(epoch) };
    }
    const fwdOp = q.kind === P.PunchKind.OBJECT ? P.Op.TGT_PUNCH : q.kind === P.PunchKind.DKEYS ? P.Op.TGT_PUNCH_DKEYS : P.Op.TGT_PUNCH_AKEYS;
    await this.d.dtx.leaderRun(pool, req.target, store, q, epoch, op, (dtx, shard) => P.encodePunch({ ...q, shard, epoch, dtx, replicas: [] }), fwdOp, Buffer.alloc(0));
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeEpoch(epoch) };
  }

  private async fetch(req: RpcRequest): Promise<RpcResponse> {
    const q = P.decodeFetch(req.meta);
    const { pool, store } = this.admit(req, q, false, false);
    const oid: UnitOid = { hi: q.hi, lo: q.lo, shard: q.shard };
    const epoch = this.epoch(q);
    if (store.pendingConflict(q.cont, oid, q.dkey, epoch)) {
      throw new DaosError(-DER.INPROGRESS, 'the data is being updated by a transaction not yet committed here');
    }
    const pooled: Buffer[] = [];
    const alloc = (n: number) => {
      const b = this.replyPool.get(n);
      pooled.push(b);
      return b;
    };
    let got;
    try {
      got = await store.fetch(q.cont, oid, epoch, q.dkey, vIods(q.iods), alloc);
    } catch (e) {
      for (const b of pooled) this.replyPool.release(b);
      throw e;
    }
    const iods: P.FetchedIod[] = [];
    const bulk: Buffer[] = [];
    for (const g of got) {
      const data = g.data;
      iods.push({ size: g.size, length: data.length, found: g.found });
      bulk.push(data);
    }
    const done = pooled.length ? () => pooled.forEach((b) => this.replyPool.release(b)) : undefined;
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeFetchReply({ epoch, iods }), bulk, done };
  }

  private async list(req: RpcRequest): Promise<RpcResponse> {
    const q = P.decodeList(req.meta);
    const { pool, store } = this.admit(req, q, false, false);
    const oid: UnitOid = { hi: q.hi, lo: q.lo, shard: q.shard };
    const epoch = this.epoch(q);
    const anchor = q.anchor.length ? Buffer.from(q.anchor) : undefined;
    const max = Math.max(1, Math.min(q.max || 1024, 1 << 16));
    let reply: P.ListReply;
    if (req.opcode === P.Op.LIST_DKEY) {
      const r = store.listDkeys(q.cont, oid, epoch, anchor, max);
      reply = { keys: r.keys.map((key) => ({ key, type: 0 })), recxs: [], size: 0, anchor: r.anchor ?? Buffer.alloc(0) };
    } else if (req.opcode === P.Op.LIST_AKEY) {
      if (store.pendingConflict(q.cont, oid, q.dkey, epoch)) throw new DaosError(-DER.INPROGRESS, 'the dkey is being updated by a transaction not yet committed here');
      const r = store.listAkeys(q.cont, oid, epoch, Buffer.from(q.dkey), anchor, max);
      reply = { keys: r.keys.map((k) => ({ key: k.key, type: k.type === 'single' ? P.IodType.SINGLE : P.IodType.ARRAY })), recxs: [], size: 0, anchor: r.anchor ?? Buffer.alloc(0) };
    } else {
      if (store.pendingConflict(q.cont, oid, q.dkey, epoch)) throw new DaosError(-DER.INPROGRESS, 'the dkey is being updated by a transaction not yet committed here');
      const r = store.listRecx(q.cont, oid, epoch, Buffer.from(q.dkey), Buffer.from(q.akey), anchor, max);
      reply = { keys: [], recxs: r.recxs, size: r.size, anchor: r.anchor ?? Buffer.alloc(0) };
    }
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeListReply(reply) };
  }

  /** The objects of a container on this target, OID order, each once (not per shard); paged by index. */
  private listObjects(req: RpcRequest): RpcResponse {
    const q = P.decodeList(req.meta);
    const { pool, store } = this.admit(req, q, false, false);
    const seen = new Map<string, Buffer>();
    for (const o of store.listObjects(q.cont)) {
      const k = Buffer.alloc(16);
      k.writeBigUInt64BE(o.hi, 0);
      k.writeBigUInt64BE(o.lo, 8);
      seen.set(k.toString('hex'), k);
    }
    const all = [...seen.keys()].sort().map((h) => seen.get(h)!);
    const from = q.anchor.length === 4 ? Buffer.from(q.anchor).readUInt32BE(0) : 0;
    const max = Math.max(1, Math.min(q.max || 1024, 1 << 16));
    const page = all.slice(from, from + max);
    let anchor = Buffer.alloc(0);
    if (from + page.length < all.length) {
      anchor = Buffer.alloc(4);
      anchor.writeUInt32BE(from + page.length, 0);
    }
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeListReply({ keys: page.map((key) => ({ key, type: 0 })), recxs: [], size: 0, anchor }) };
  }

  private async query(req: RpcRequest): Promise<RpcResponse> {
    const q = P.decodeQuery(req.meta);
    const { pool, store } = this.admit(req, q, false, false);
    const oid: UnitOid = { hi: q.hi, lo: q.lo, shard: q.shard };
    const epoch = this.epoch(q);
    if (!(q.flags & P.QueryFlag.MAX)) throw new DaosError(-DER.NOSYS, 'only MAX queries are served');
    let r: { dkey?: Buffer; akey?: Buffer; recx?: { idx: bigint; nr: bigint } };
    if (q.flags & P.QueryFlag.RECX) r = store.queryMax(q.cont, oid, epoch, { recx: { dkey: Buffer.from(q.dkey), akey: Buffer.from(q.akey) } });
    else if (q.flags & P.QueryFlag.AKEY) r = store.queryMax(q.cont, oid, epoch, { akey: Buffer.from(q.dkey) });
    else r = store.queryMax(q.cont, oid, epoch, { dkey: true });
    return { status: 0, mapVersion: pool.mapVersion, meta: P.encodeQueryReply(r) };
  }

  private echoFetch(req: RpcRequest): RpcResponse {
    const q = P.decodeFetch(req.meta);
    const iods: P.FetchedIod[] = [];
    const bulk: Buffer[] = [];
    for (const d of q.iods) {
      const n = P.iodBytes(d);
      if (n > this.zeros.length) this.zeros = Buffer.alloc(n);
      iods.push({ size: d.size, length: n, found: d.type === P.IodType.ARRAY ? d.recxs : [] });
      bulk.push(this.zeros.subarray(0, n));
    }
    return { status: 0, mapVersion: 0, meta: P.encodeFetchReply({ epoch: this.d.hlc.now(), iods }), bulk };
  }
}

/** A fresh DTX id: leader rank (u32) and target (u16), 10 random bytes, then the HLC. */
export function newDtxId(rank: number, target: number, hlc: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(rank >>> 0, 0);
  b.writeUInt16BE(target, 4);
  crypto.randomFillSync(b, 6, 10);
  b.writeBigUInt64BE(hlc, 16);
  return b;
}

export function dtxLeader(dtx: Buffer): { rank: number; target: number } {
  return { rank: dtx.readUInt32BE(0), target: dtx.readUInt16BE(4) };
}

export function isZeroDtx(d: Buffer): boolean {
  return d.equals(ZERO_DTX);
}
