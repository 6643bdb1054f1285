/**
 * Objects: placement from the pool map, and update/fetch/enumerate/punch sent
 * straight to the I/O servers holding the shards.
 *
 * Placement: the object's layout (groups of shards on targets) is computed
 * here with the jump-map algorithm; a dkey's hash picks the group. Updates and
 * punches go to the group leader, which forwards to the replicas (DTX);
 * fetches and listings go to one replica, another on failure. Retries:
 *  - -DER_STALE: the pool map changed; refresh it and recompute the layout;
 *  - -DER_NO_HDL: the I/O server does not know our container handle yet
 *    (it restarted); register the token again;
 *  - -DER_INPROGRESS on a read: a replica holds an uncommitted change; ask
 *    the leader;
 *  - unreachable or timed out: reads try the next replica; modifications wait
 *    and retry (the server may be restarting), then fail.
 * Every retry loop is bounded in attempts and time.
 */
import { DaosError, DER, isNetworkError } from '../daos/errors.js';
import { dkeyHash } from '../daos/hash.js';
import { objectLayout, dkeyGroup, groupLeader, replicasOf, type Layout, type LayoutShard } from '../daos/placement.js';
import { oidClass, type Oid } from '../daos/oid.js';
import { classById } from '../daos/oclass.js';
import type { RpcConnection, RpcReply } from '../rpc/conn.js';
import { RpcError } from '../rpc/conn.js';
import * as P from '../rpc/protocol.js';
import type { Container } from './container.js';

export { IodType } from '../rpc/protocol.js';
export type { Iod, Recx } from '../rpc/protocol.js';

const NO_DTX = Buffer.alloc(24);
const MAX_ATTEMPTS = 12;
const RETRY_BUDGET_MS = 60_000;

export interface FetchResult {
  /** Value or record size found; 0: nothing there. */
  size: number;
  data: Buffer;
  /** Array extents actually present (holes are zero-filled in data). */
  found: P.Recx[];
}

export interface IoOptions {
  /** Read at this epoch (a snapshot); default: the latest. */
  epoch?: bigint;
}

/** Where a listing stopped: the group and the I/O server's anchor within it. */
export interface ListAnchor {
  group: number;
  inner: Buffer;
  eof: boolean;
}

export const ANCHOR_START: ListAnchor = { group: 0, inner: Buffer.alloc(0), eof: false };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A copy of an RPC failure as a DaosError with the server's message. */
function replyError(r: RpcReply, who: string): DaosError {
  const msg = r.meta.length && r.meta.length < 2048 ? r.meta.toString('utf8') : '';
  return new DaosError(r.status, `${who}${msg ? `: ${msg}` : ''}`);
}

function rpcFailure(e: unknown, who: string): DaosError {
  if (e instanceof DaosError) return e;
  if (e instanceof RpcError) return new DaosError(e.rc, `${who}: ${e.message}`);
  return new DaosError(-DER.IO, `${who}: ${(e as Error).message}`);
}

export class DaosObject {
  private layoutCache?: Layout;
  /** Connections on which the container handle is registered. */
  private static readonly registered = new WeakMap<RpcConnection, Set<string>>();
  /** Groups whose reads go to the leader for a while (after -DER_INPROGRESS). */
  private readonly leaderReads = new Map<number, number>();

  constructor(
    readonly cont: Container,
    readonly oid: Oid,
  ) {
    classById(oidClass(oid));
  }

  get pool() {
    return this.cont.pool;
  }

  /** The layout for the current pool map (cached per map version). */
  layout(): Layout {
    if (!this.layoutCache || this.layoutCache.ver !== this.pool.map.version) {
      this.layoutCache = objectLayout(this.pool.map, this.oid);
    }
    return this.layoutCache;
  }

  private group(dkey: Buffer | undefined): number {
    return dkey === undefined ? 0 : dkeyGroup(this.layout(), dkeyHash(dkey));
  }

  private addr(s: LayoutShard): { uri: string; target: number } {
    if (s.target < 0) throw new DaosError(-DER.NONEXIST, `shard ${s.shard} of object ${this.oid.hi}.${this.oid.lo} has no target (degraded)`);
    const uri = this.pool.ranks.get(s.rank);
    if (!uri) throw new DaosError(-DER.UNREACH, `rank ${s.rank} has no known fabric address`, { hint: 'the rank may have left the system; dmg system query shows it' });
    return { uri, target: s.targetIndex };
  }

  /** The connection to uri when it is open and our handle is registered on it (the common case: no await). */
  private readyConn(uri: string): RpcConnection | undefined {
    const c = this.cont.client.readyEngine(uri);
    return c && DaosObject.registered.get(c)?.has(this.cont.handle) ? c : undefined;
  }

  /** A connection to an I/O server with this object's container handle registered on it. */
  registeredConn(uri: string): Promise<RpcConnection> {
    return this.conn(uri);
  }

  /** A connection to the I/O server of a shard, with our container handle registered on it. */
  private async conn(uri: string): Promise<RpcConnection> {
    const c = await this.cont.client.engine(uri);
    let reg = DaosObject.registered.get(c);
    if (!reg) {
      reg = new Set();
      DaosObject.registered.set(c, reg);
    }
    if (!reg.has(this.cont.handle)) {
      const r = await c.call(P.Op.HANDLE, 0, P.encodeHandle(this.cont.token), [], { timeoutMs: 30_000 });
      if (r.status !== 0) throw replyError(r, `registering the container handle on ${uri}`);
      reg.add(this.cont.handle);
    }
    return c;
  }

  private forgetHandle(c: RpcConnection): void {
    DaosObject.registered.get(c)?.delete(this.cont.handle);
  }

  private prefix?: Buffer;

  private addrBase(shard: number, epoch: bigint): P.ObjAddr {
    this.prefix ??= P.addrPrefix(this.pool.uuid, this.cont.uuid, this.cont.handle);
    return { pool: this.pool.uuid, cont: this.cont.uuid, coh: this.cont.handle, hi: this.oid.hi, lo: this.oid.lo, shard, epoch, prefix: this.prefix };
  }

  /**
   * Send one request to a shard chosen by `pick` (called again on every
   * attempt, after map refreshes), with the retry rules above.
   */
  private async send(
    modifying: boolean,
    opcode: number,
    pick: (attempt: number, prefer: 'any' | 'leader') => LayoutShard,
    meta: (shard: LayoutShard) => Buffer,
    bulk: Buffer[],
    sinks?: Buffer[],
  ): Promise<RpcReply> {
    const start = Date.now();
    let prefer: 'any' | 'leader' = 'any';
    let last: DaosError | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && Date.now() - start < RETRY_BUDGET_MS; attempt++) {
      if (modifying && !this.cont.writable) throw new DaosError(-DER.NO_PERM, 'the container was opened read-only', { hint: 'open it read-write to update or punch' });
      const shard = pick(attempt, prefer);
      const { uri, target } = this.addr(shard);
      let c: RpcConnection;
      let r: RpcReply;
      try {
        c = this.readyConn(uri) ?? (await this.conn(uri));
        r = await c.call(opcode, target, meta(shard), bulk, { mapVersion: this.pool.map.version, timeoutMs: 60_000, sink: sinks });
      } catch (e) {
        last = rpcFailure(e, `rank ${shard.rank}`);
        if (!isNetworkError(-last.rc) && last.rc !== -DER.TIMEDOUT && last.rc !== -DER.UNREACH) throw last;
        // Reads move on to another replica; modifications wait for the server.
        if (modifying) await sleep(Math.min(100 * 2 ** attempt, 3000));
        continue;
      }
      switch (r.status) {
        case 0:
          return r;
        case -DER.NO_HDL:
          this.forgetHandle(c);
          last = replyError(r, `rank ${shard.rank}`);
          continue;
        case -DER.STALE:
          last = replyError(r, `rank ${shard.rank}`);
          await this.pool.refreshMap().catch(() => undefined);
          continue;
        case -DER.INPROGRESS:
          last = replyError(r, `rank ${shard.rank}`);
          prefer = 'leader';
          await sleep(Math.min(2 * (attempt + 1), 50));
          continue;
        case -DER.TIMEDOUT:
        case -DER.UNREACH:
          last = replyError(r, `rank ${shard.rank}`);
          if (modifying) await sleep(Math.min(100 * 2 ** attempt, 3000));
          continue;
        default:
          throw replyError(r, `rank ${shard.rank} target ${target}`);
      }
    }
    throw last ?? new DaosError(-DER.TIMEDOUT, `object ${this.oid.hi}.${this.oid.lo}: no replica answered`);
  }

  private readableCache?: { ver: number; groups: Map<number, LayoutShard[]> };

  /** The members of a group that can be read (cached per layout). */
  private readable(group: number): LayoutShard[] {
    const layout = this.layout();
    if (!this.readableCache || this.readableCache.ver !== layout.ver) this.readableCache = { ver: layout.ver, groups: new Map() };
    let r = this.readableCache.groups.get(group);
    if (!r) {
      r = replicasOf(layout, group).filter((s) => s.target >= 0 && !s.rebuilding);
      this.readableCache.groups.set(group, r);
    }
    return r;
  }

  private leaderOf(group: number): LayoutShard {
    return groupLeader(this.layout(), this.oid, group);
  }

  private readPicker(group: number) {
    let order: LayoutShard[] | undefined;
    let base = 0;
    return (attempt: number, prefer: 'any' | 'leader'): LayoutShard => {
      const until = this.leaderReads.get(group);
      if (prefer === 'leader' || (until && until > Date.now())) {
        if (prefer === 'leader') this.leaderReads.set(group, Date.now() + 2000);
        // Fall back to the others when the leader is the one failing.
        if (attempt % 3 !== 2) return this.leaderOf(group);
      }
      if (!order || order[0]?.shard === undefined || attempt === 0) {
        order = this.readable(group);
        base = Math.floor(Math.random() * Math.max(1, order.length));
      }
      if (order.length === 0) throw new DaosError(-DER.NONEXIST, `no readable replica of object ${this.oid.hi}.${this.oid.lo} group ${group}`);
      return order[(base + attempt) % order.length];
    };
  }

  private targetsCache?: { ver: number; groups: Map<number, { leader: LayoutShard; replicas: P.ShardTarget[] }> };

  /** The group leader and the replicas it forwards to (cached per layout). */
  private writeTargets(group: number): { leader: LayoutShard; replicas: P.ShardTarget[] } {
    const layout = this.layout();
    if (!this.targetsCache || this.targetsCache.ver !== layout.ver) this.targetsCache = { ver: layout.ver, groups: new Map() };
    let t = this.targetsCache.groups.get(group);
    if (!t) {
      const leader = this.leaderOf(group);
      const replicas = replicasOf(layout, group)
        .filter((s) => s.shard !== leader.shard && s.target >= 0)
        .map((s) => ({ rank: s.rank, target: s.targetIndex, shard: s.shard }));
      t = { leader, replicas };
      this.targetsCache.groups.set(group, t);
    }
    return t;
  }


  // ---- update / fetch --------------------------------------------------------------------

  /** Write values under one dkey; `data[i]` holds iod i's bytes (records packed in recx order). Returns the epoch. */
  async update(dkey: Buffer, iods: P.Iod[], data: Buffer[], _opts: IoOptions = {}): Promise<bigint> {
    if (iods.length !== data.length) throw new DaosError(-DER.INVAL, `${iods.length} iods but ${data.length} data buffers`);
    for (const [i, d] of iods.entries()) {
      const need = P.iodBytes(d);
      if (data[i].length !== need) {
        throw new DaosError(need > data[i].length ? -DER.REC2BIG : -DER.INVAL, `iod ${i}: its extents need ${need} bytes, the buffer has ${data[i].length}`);
      }
      if (d.type === P.IodType.SINGLE && d.recxs.length > 1) throw new DaosError(-DER.INVAL, `iod ${i}: a single value takes no extents`);
      checkNoOverlap(d, i);
    }
    const group = this.group(dkey);
    const r = await this.send(
      true,
      P.Op.UPDATE,
      () => this.writeTargets(group).leader,
      (s) => {
        const a = this.addrBase(s.shard, 0n) as P.UpdateReq;
        a.dkey = dkey;
        a.iods = iods;
        a.dtx = NO_DTX;
        a.replicas = this.writeTargets(group).replicas;
        return P.encodeUpdate(a);
      },
      data,
    );
    return P.decodeEpoch(r.meta);
  }

  /**
   * Read values under one dkey. An iod with size 0 asks for "any size": the
   * size found comes back with the data. `sinks` (one per iod) receive the
   * data without a copy when they are exactly the size expected.
   */
  async fetch(dkey: Buffer, iods: P.Iod[], opts: IoOptions & { sinks?: Buffer[] } = {}): Promise<FetchResult[]> {
    const group = this.group(dkey);
    const r = await this.send(
      false,
      P.Op.FETCH,
      this.readPicker(group),
      (s) => {
        const a = this.addrBase(s.shard, opts.epoch ?? 0n) as P.FetchReq;
        a.dkey = dkey;
        a.iods = iods;
        return P.encodeFetch(a);
      },
      [],
      opts.sinks,
    );
    const f = P.decodeFetchReply(r.meta);
    const out: FetchResult[] = [];
    let seg = 0;
    let off = 0;
    for (const d of f.iods) {
      let data: Buffer;
      const cur = r.bulk[seg];
      if (d.length === 0) data = Buffer.alloc(0);
      else if (cur && cur.length - off >= d.length) {
        data = cur.subarray(off, off + d.length);
        off += d.length;
        if (off === cur.length) {
          seg++;
          off = 0;
        }
      } else {
        // Spans segments (sinks of other sizes): gather.
        data = Buffer.allocUnsafe(d.length);
        let filled = 0;
        while (filled < d.length) {
          const c = r.bulk[seg];
          const k = Math.min(c.length - off, d.length - filled);
          c.copy(data, filled, off, off + k);
          filled += k;
          off += k;
          if (off === c.length) {
            seg++;
            off = 0;
          }
        }
      }
      out.push({ size: d.size, data, found: d.found });
    }
    return out;
  }

  // ---- punch --------------------------------------------------------------------------------

  private async punchGroup(group: number, kind: number, dkeys: Buffer[], akeys: Buffer[]): Promise<void> {
    const op = kind === P.PunchKind.OBJECT ? P.Op.PUNCH : kind === P.PunchKind.DKEYS ? P.Op.PUNCH_DKEYS : P.Op.PUNCH_AKEYS;
    await this.send(
      true,
      op,
      () => this.leaderOf(group),
      (s) => P.encodePunch({ ...this.addrBase(s.shard, 0n), kind, dkeys, akeys, dtx: NO_DTX, replicas: this.writeTargets(group).replicas }),
      [],
    );
  }

  /** Punch the whole object (every group). */
  async punch(): Promise<void> {
    const n = this.layout().grpNr;
    await Promise.all(Array.from({ length: n }, (_, g) => this.punchGroup(g, P.PunchKind.OBJECT, [], [])));
  }

  async punchDkeys(dkeys: Buffer[]): Promise<void> {
    if (dkeys.length !== 1) throw new DaosError(-DER.INVAL, 'punch one dkey at a time (as DAOS does)');
    await this.punchGroup(this.group(dkeys[0]), P.PunchKind.DKEYS, dkeys, []);
  }

  async punchAkeys(dkey: Buffer, akeys: Buffer[]): Promise<void> {
    if (akeys.length === 0) throw new DaosError(-DER.INVAL, 'no akey to punch');
    await this.punchGroup(this.group(dkey), P.PunchKind.AKEYS, [dkey], akeys);
  }

  // ---- enumeration -------------------------------------------------------------------------------

  /** One page of dkeys; call again with the returned anchor until eof. Each page comes from one group. */
  async listDkeys(anchor: ListAnchor = ANCHOR_START, max = 1024, opts: IoOptions = {}): Promise<{ keys: Buffer[]; anchor: ListAnchor }> {
    if (anchor.eof) return { keys: [], anchor };
    const layout = this.layout();
    const group = anchor.group;
    const r = await this.send(false, P.Op.LIST_DKEY, this.readPicker(group), (s) =>
      P.encodeList({ ...this.addrBase(s.shard, opts.epoch ?? 0n), dkey: Buffer.alloc(0), akey: Buffer.alloc(0), anchor: anchor.inner, max }), []);
    const l = P.decodeListReply(r.meta);
    const keys = l.keys.map((k) => k.key);
    if (l.anchor.length) return { keys, anchor: { group, inner: l.anchor, eof: false } };
    if (group + 1 < layout.grpNr) return { keys, anchor: { group: group + 1, inner: Buffer.alloc(0), eof: false } };
    return { keys, anchor: { group, inner: Buffer.alloc(0), eof: true } };
  }

  /** Every dkey (paged under the hood). */
  async *dkeys(opts: IoOptions = {}, pageSize = 1024): AsyncGenerator<Buffer> {
    let a = ANCHOR_START;
    for (let i = 0; i < 1_000_000 && !a.eof; i++) {
      const page = await this.listDkeys(a, pageSize, opts);
      yield* page.keys;
      a = page.anchor;
    }
  }

  async listAkeys(dkey: Buffer, anchor: Buffer = Buffer.alloc(0), max = 1024, opts: IoOptions = {}): Promise<{ keys: { key: Buffer; type: number }[]; anchor: Buffer; eof: boolean }> {
    const group = this.group(dkey);
    const r = await this.send(false, P.Op.LIST_AKEY, this.readPicker(group), (s) => P.encodeList({ ...this.addrBase(s.shard, opts.epoch ?? 0n), dkey, akey: Buffer.alloc(0), anchor, max }), []);
    const l = P.decodeListReply(r.meta);
    return { keys: l.keys, anchor: l.anchor, eof: l.anchor.length === 0 };
  }

  async listRecx(dkey: Buffer, akey: Buffer, anchor: Buffer = Buffer.alloc(0), max = 1024, opts: IoOptions = {}): Promise<{ recxs: { idx: bigint; nr: bigint; epoch: bigint }[]; size: number; anchor: Buffer; eof: boolean }> {
    const group = this.group(dkey);
    const r = await this.send(false, P.Op.LIST_RECX, this.readPicker(group), (s) => P.encodeList({ ...this.addrBase(s.shard, opts.epoch ?? 0n), dkey, akey, anchor, max }), []);
    const l = P.decodeListReply(r.meta);
    return { recxs: l.recxs, size: l.size, anchor: l.anchor, eof: l.anchor.length === 0 };
  }

  // ---- queries ----------------------------------------------------------------------------------

  /** The largest dkey across every group (numeric for uint64 dkeys). */
  async queryMaxDkey(opts: IoOptions = {}): Promise<Buffer | undefined> {
    const n = this.layout().grpNr;
    const results = await Promise.all(
      Array.from({ length: n }, (_, g) =>
        this.send(false, P.Op.QUERY_KEY, this.readPicker(g), (s) =>
          P.encodeQuery({ ...this.addrBase(s.shard, opts.epoch ?? 0n), flags: P.QueryFlag.MAX | P.QueryFlag.DKEY, dkey: Buffer.alloc(0), akey: Buffer.alloc(0) }), []),
      ),
    );
    let best: Buffer | undefined;
    for (const r of results) {
      const q = P.decodeQueryReply(r.meta);
      if (q.dkey && (!best || compareU64Keys(q.dkey, best) > 0)) best = q.dkey;
    }
    return best;
  }

  /** The highest extent of an array akey. */
  async queryMaxRecx(dkey: Buffer, akey: Buffer, opts: IoOptions = {}): Promise<P.Recx | undefined> {
    const group = this.group(dkey);
    const r = await this.send(false, P.Op.QUERY_KEY, this.readPicker(group), (s) =>
      P.encodeQuery({ ...this.addrBase(s.shard, opts.epoch ?? 0n), flags: P.QueryFlag.MAX | P.QueryFlag.RECX, dkey, akey }), []);
    return P.decodeQueryReply(r.meta).recx;
  }
}

/** Compare two keys as little-endian u64 when both are 8 bytes, else as bytes. */
export function compareU64Keys(a: Buffer, b: Buffer): number {
  if (a.length === 8 && b.length === 8) {
    const x = a.readBigUInt64LE(0);
    const y = b.readBigUInt64LE(0);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(a, b);
}

/** The extents of one update must not overlap (the reference's rule). */
function checkNoOverlap(d: P.Iod, i: number): void {
  if (d.type !== P.IodType.ARRAY || d.recxs.length < 2) return;
  const s = [...d.recxs].sort((a, b) => (a.idx < b.idx ? -1 : a.idx > b.idx ? 1 : 0));
  for (let k = 1; k < s.length; k++) {
    if (s[k - 1].idx + s[k - 1].nr > s[k].idx) throw new DaosError(-DER.INVAL, `iod ${i}: extents [${s[k - 1].idx}, +${s[k - 1].nr}) and [${s[k].idx}, +${s[k].nr}) overlap`);
  }
}
