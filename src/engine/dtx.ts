/**
 * Distributed transactions (DTX) for replicated updates and punches.
 *
 * Leader: prepare locally and on every replica in parallel; when all are
 * prepared, commit locally (the change becomes visible and durable here),
 * answer the client, then commit on the replicas in batches. If any member
 * fails to prepare, abort everywhere and report the failure.
 *
 * Resolution of DTXs left prepared (a crash, a lost commit): every second,
 * each target looks at its DTXs prepared for more than a few seconds.
 *  - It leads the DTX: the client was never answered (the leader answers only
 *    after its own commit), so abort it here and on the replicas.
 *  - Another target leads it: ask the leader. Committed → commit; unknown →
 *    abort (the leader never committed it); prepared → wait. If the leader
 *    cannot be reached, ask the other replicas: any of them has it committed,
 *    or all have it prepared → commit; any lacks it → abort.
 * So an acknowledged update is never lost and a half-written one never shows.
 */
import type { Logger } from '../logging/logger.js';
import { DaosError, DER } from '../daos/errors.js';
import type { Hlc } from '../daos/hlc.js';
import { hlcPhysical } from '../daos/hlc.js';
import { objectLayout, replicasOf } from '../daos/placement.js';
import type { RpcRequest, RpcResponse } from '../rpc/conn.js';
import { RpcError } from '../rpc/conn.js';
import * as P from '../rpc/protocol.js';
import type { EnginePool, PoolTargets } from './pools.js';
import type { VosOp, VosStore } from './vos_api.js';
import type { Peers } from './peers.js';
import { dtxLeader, newDtxId } from './obj.js';

/** How long a DTX may stay prepared before resolution looks at it. */
const RESOLVE_AFTER_NS = 3_000_000_000n;

export class DtxManager {
  private readonly pendingCommits = new Map<string, { uri: string; target: number; pool: string; cont: string; dtxs: Buffer[] }>();
  private flushScheduled = false;
  private timer?: NodeJS.Timeout;
  private resolving = false;

  constructor(
    private readonly pools: PoolTargets,
    private readonly peers: Peers,
    private readonly hlc: Hlc,
    private readonly log: Logger,
    private readonly rank: () => number | undefined,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.resolveAll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }

  private async forward(pool: EnginePool, r: P.ShardTarget, opcode: number, meta: Buffer, bulk: Buffer): Promise<void> {
    const uri = pool.ranks.get(r.rank);
    if (!uri) throw new DaosError(-DER.UNREACH, `rank ${r.rank} has no known address`);
    let reply;
    try {
      const c = await this.peers.conn(uri);
      reply = await c.call(opcode, r.target, meta, bulk.length ? [bulk] : [], { mapVersion: pool.mapVersion, timeoutMs: 30_000 });
    } catch (e) {
      throw new DaosError(e instanceof RpcError ? e.rc : -DER.UNREACH, `replica rank ${r.rank}: ${(e as Error).message}`);
    }
    if (reply.status !== 0) throw new DaosError(reply.status, `replica rank ${r.rank} target ${r.target}: ${reply.meta.toString('utf8')}`);
  }

  /** Run a replicated modification as its group leader. */
  async leaderRun(
    pool: EnginePool,
    target: number,
    store: VosStore,
    q: P.ObjAddr & { replicas: P.ShardTarget[] },
    epoch: bigint,
    op: VosOp,
    encodeFwd: (dtx: Buffer, shard: number) => Buffer,
    fwdOpcode: number,
    bulk: Buffer,
  ): Promise<void> {
    const dtx = newDtxId(this.rank() ?? 0, target, this.hlc.now());
    // Each replica gets the request for its own shard of the object.
    const results = await Promise.allSettled([
      store.prepare(dtx, q.cont, epoch, op),
      ...q.replicas.map((r) => this.forward(pool, r, fwdOpcode, encodeFwd(dtx, r.shard), bulk)),
    ]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 0) {
      await store.commit([dtx]);
      for (const r of q.replicas) this.queueCommit(pool, r, q.cont, dtx);
      return;
    }
    // Abort where it was prepared; a replica that never got it has nothing to undo.
    if (results[0].status === 'fulfilled') await store.abort([dtx]).catch(() => undefined);
    await Promise.all(
      q.replicas.map((r, i) =>
        results[i + 1].status === 'fulfilled' ? this.send(pool, r.rank, r.target, P.Op.DTX_ABORT, P.encodeDtx({ pool: pool.uuid, cont: q.cont, dtxs: [dtx] })).catch(() => undefined) : undefined,
      ),
    );
    const e = failed[0].reason;
    throw e instanceof DaosError ? e : new DaosError(-DER.IO, String(e));
  }

  private queueCommit(pool: EnginePool, r: P.ShardTarget, cont: string, dtx: Buffer): void {
    const uri = pool.ranks.get(r.rank);
    if (!uri) return;
    const key = `${uri}|${r.target}|${pool.uuid}|${cont}`;
    let e = this.pendingCommits.get(key);
    if (!e) {
      e = { uri, target: r.target, pool: pool.uuid, cont, dtxs: [] };
      this.pendingCommits.set(key, e);
    }
    e.dtxs.push(dtx);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Send the queued commits, one message per replica target. */
  private flush(): void {
    this.flushScheduled = false;
    const all = [...this.pendingCommits.values()];
    this.pendingCommits.clear();
    for (const e of all) {
      void this.peers
        .conn(e.uri)
        .then((c) => c.call(P.Op.DTX_COMMIT, e.target, P.encodeDtx({ pool: e.pool, cont: e.cont, dtxs: e.dtxs }), [], { timeoutMs: 30_000 }))
        .catch((err) => this.log.debug(`DTX commit to ${e.uri} failed (the replica will resolve it): ${(err as Error).message}`));
    }
  }

  private async send(pool: EnginePool, rank: number, target: number, opcode: number, meta: Buffer): Promise<Buffer> {
    const uri = pool.ranks.get(rank);
    if (!uri) throw new DaosError(-DER.UNREACH, `rank ${rank} has no known address`);
    const c = await this.peers.conn(uri);
    const r = await c.call(opcode, target, meta, [], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new DaosError(r.status, r.meta.toString('utf8'));
    return r.meta;
  }

  /** DTX_COMMIT, DTX_ABORT and DTX_CHECK from a leader or a peer replica. */
  async handle(req: RpcRequest): Promise<RpcResponse> {
    const q = P.decodeDtx(req.meta);
    const pool = this.pools.get(q.pool);
    const store = pool.store(req.target);
    const dtxs = q.dtxs.map((d) => Buffer.from(d));
    if (req.opcode === P.Op.DTX_COMMIT) await store.commit(dtxs);
    else if (req.opcode === P.Op.DTX_ABORT) await store.abort(dtxs);
    else {
      const s = store.dtxStatus(dtxs[0]);
      const b = Buffer.alloc(1);
      b[0] = s === 'committed' ? P.DtxState.COMMITTED : s === 'prepared' ? P.DtxState.PREPARED : P.DtxState.UNKNOWN;
      return { status: 0, mapVersion: pool.mapVersion, meta: b };
    }
    return { status: 0, mapVersion: pool.mapVersion };
  }

  private async check(pool: EnginePool, rank: number, target: number, cont: string, dtx: Buffer): Promise<number> {
    const m = await this.send(pool, rank, target, P.Op.DTX_CHECK, P.encodeDtx({ pool: pool.uuid, cont, dtxs: [dtx] }));
    return m[0];
  }

  /** Resolve the DTXs prepared for too long on every target. */
  async resolveAll(): Promise<void> {
    if (this.resolving) return;
    this.resolving = true;
    try {
      const me = this.rank();
      if (me === undefined) return;
      const now = hlcPhysical(this.hlc.now());
      for (const pool of this.pools.all()) {
        for (const [target, store] of pool.stores.entries()) {
          for (const p of store.prepared()) {
            const born = hlcPhysical(p.dtx.readBigUInt64BE(16));
            if (now - born < RESOLVE_AFTER_NS) continue;
            await this.resolveOne(pool, me, target, store, p).catch((e) => this.log.debug(`DTX resolution: ${(e as Error).message}`));
          }
        }
      }
    } finally {
      this.resolving = false;
    }
  }

  private async resolveOne(pool: EnginePool, me: number, target: number, store: VosStore, p: { dtx: Buffer; cont: string; oid: { hi: bigint; lo: bigint; shard: number } }): Promise<void> {
    const leader = dtxLeader(p.dtx);
    const hex = p.dtx.toString('hex').slice(0, 16);
    if (leader.rank === me && leader.target === target) {
      this.log.info(`DTX ${hex}: left prepared by this leader (never acknowledged); aborting`);
      await store.abort([p.dtx]);
      for (const r of this.otherReplicas(pool, p.oid, me, target)) {
        await this.send(pool, r.rank, r.target, P.Op.DTX_ABORT, P.encodeDtx({ pool: pool.uuid, cont: p.cont, dtxs: [p.dtx] })).catch(() => undefined);
      }
      return;
    }
    let state: number | undefined;
    try {
      state = await this.check(pool, leader.rank, leader.target, p.cont, p.dtx);
    } catch {
      state = undefined;
    }
    if (state === P.DtxState.COMMITTED) {
      this.log.info(`DTX ${hex}: committed by its leader; committing here`);
      await store.commit([p.dtx]);
      return;
    }
    if (state === P.DtxState.UNKNOWN) {
      this.log.info(`DTX ${hex}: unknown to its leader; aborting`);
      await store.abort([p.dtx]);
      return;
    }
    if (state === P.DtxState.PREPARED) return;
    // The leader is unreachable: ask the other replicas.
    const others = this.otherReplicas(pool, p.oid, me, target).filter((r) => !(r.rank === leader.rank && r.target === leader.target));
    let all = true;
    for (const r of others) {
      let s: number | undefined;
      try {
        s = await this.check(pool, r.rank, r.target, p.cont, p.dtx);
      } catch {
        s = undefined;
      }
      if (s === P.DtxState.COMMITTED) {
        this.log.info(`DTX ${hex}: committed on rank ${r.rank}; committing here`);
        await store.commit([p.dtx]);
        return;
      }
      if (s === P.DtxState.UNKNOWN) {
        this.log.info(`DTX ${hex}: missing on rank ${r.rank}, so never acknowledged; aborting`);
        await store.abort([p.dtx]);
        return;
      }
      if (s === undefined) all = false;
    }
    if (all) {
      this.log.info(`DTX ${hex}: its leader rank ${leader.rank} is unreachable and every other replica has it prepared; committing`);
      await store.commit([p.dtx]);
    }
  }

  /** The members of the shard's group other than (me, target), from the pool map. */
  private otherReplicas(pool: EnginePool, oid: { hi: bigint; lo: bigint; shard: number }, me: number, target: number): { rank: number; target: number }[] {
    try {
      const layout = objectLayout(pool.map, { hi: oid.hi, lo: oid.lo });
      const group = Math.floor(oid.shard / layout.grpSize);
      return replicasOf(layout, group)
        .filter((s) => s.target >= 0)
        .map((s) => ({ rank: s.rank, target: s.targetIndex }))
        .filter((s) => !(s.rank === me && s.target === target));
    } catch {
      return [];
    }
  }
}
