/**
 * The three layers daos_perf drives (-T):
 *  - vos: a VOS pool of this process, in a directory (-f), with a file block
 *    device for values of 4 KiB and more; no servers, no network;
 *  - echo: the data-plane RPCs alone: each I/O goes to the target placement
 *    picks for it (the group leader of the dkey's group), over the client
 *    library's own connection to that I/O server, as ECHO_UPDATE /
 *    ECHO_FETCH, which the server answers without storing anything;
 *  - daos: the client library's object update and fetch, the full stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileDevice, VosPool, EPOCH_MAX, type UnitOid, type UpdateIod } from '../../vos/index.js';
import type { DaosObject } from '../../client/object.js';
import type { DaosClient } from '../../client/daos.js';
import type { Pool } from '../../client/pool.js';
import type { RpcConnection } from '../../rpc/conn.js';
import * as P from '../../rpc/protocol.js';
import { DaosError, DER } from '../../daos/errors.js';
import { dkeyHash } from '../../daos/hash.js';
import { dkeyGroup, groupLeader, objectLayout, type Layout } from '../../daos/placement.js';
import type { Oid } from '../../daos/oid.js';
import type { IoDesc, PerfBackend, Slot } from './workload.js';

export interface ValueShape {
  vsize: number;
  array: boolean;
}

// ---------------------------------------------------------------------- vos

/** The container every rank's VOS holds its objects in. */
const VOS_CONT = '5e9f2b2c-1d6a-4c1e-9a43-7a1f0d2b9c01';

export class VosBackend implements PerfBackend {
  readonly verifiable = true;
  private readonly nr: bigint;

  private constructor(
    private readonly pool: VosPool,
    private readonly dev: FileDevice | undefined,
    private readonly dir: string,
    private readonly oids: UnitOid[],
    private readonly v: ValueShape,
  ) {
    this.nr = BigInt(v.vsize);
  }

  /**
   * A fresh VOS pool in dir (which must not hold one): SCM of scmBytes
   * (LMDB), and a block device file of nvmeBytes when that is not 0.
   */
  static async open(o: { dir: string; scmBytes: number; nvmeBytes: number; objs: number; value: ValueShape }): Promise<VosBackend> {
    fs.mkdirSync(o.dir, { recursive: true });
    let dev: FileDevice | undefined;
    if (o.nvmeBytes > 0) dev = await FileDevice.open(path.join(o.dir, 'vos_perf.bdev'), { size: o.nvmeBytes, create: true });
    try {
      const pool = await VosPool.create({ dir: path.join(o.dir, 'vos_perf'), target: 0, scmBytes: o.scmBytes, blob: dev ? { device: dev, offset: 0, size: o.nvmeBytes } : undefined });
      await pool.createContainer(VOS_CONT);
      const oids = Array.from({ length: o.objs }, (_, i) => ({ hi: 0n, lo: BigInt(i), shard: 0 }));
      return new VosBackend(pool, dev, o.dir, oids, o.value);
    } catch (e) {
      await dev?.close();
      throw e;
    }
  }

  private iod(io: IoDesc): UpdateIod {
    return this.v.array ? { akey: io.akey, type: 'array', size: 1, recxs: [{ idx: io.idx, nr: this.nr }] } : { akey: io.akey, type: 'single', size: this.v.vsize };
  }

  update(slot: Slot, io: IoDesc): Promise<void> {
    return this.pool.update(VOS_CONT, this.oids[io.obj], io.epoch, io.dkey, [this.iod(io)], [slot.data]);
  }

  async fetch(_slot: Slot, io: IoDesc): Promise<Buffer> {
    const [got] = await this.pool.fetch(VOS_CONT, this.oids[io.obj], EPOCH_MAX, io.dkey, [this.iod(io)]);
    return got.data;
  }

  /** Every dkey, akey and extent of the first object, a page of 1024 at a time. */
  async iterate(): Promise<void> {
    const oid = this.oids[0];
    let da: Buffer | undefined;
    do {
      const d = this.pool.listDkeys(VOS_CONT, oid, EPOCH_MAX, da, 1024);
      for (const dkey of d.keys) {
        let aa: Buffer | undefined;
        do {
          const a = this.pool.listAkeys(VOS_CONT, oid, EPOCH_MAX, dkey, aa, 1024);
          for (const k of a.keys) {
            if (k.type !== 'array') continue;
            let ra: Buffer | undefined;
            do {
              ra = this.pool.listRecx(VOS_CONT, oid, EPOCH_MAX, dkey, k.key, ra, 1024).anchor;
            } while (ra);
          }
          aa = a.anchor;
        } while (aa);
      }
      da = d.anchor;
    } while (da);
  }

  /** Destroy the pool and remove its files (the directory stays when it was given). */
  async close(): Promise<void> {
    await this.pool.destroy();
    await this.dev?.close();
    fs.rmSync(path.join(this.dir, 'vos_perf.bdev'), { force: true });
  }
}

// ---------------------------------------------------------------------- daos

export class DaosBackend implements PerfBackend {
  readonly verifiable = true;
  private readonly nr: bigint;

  constructor(
    private readonly objs: DaosObject[],
    private readonly v: ValueShape,
  ) {
    this.nr = BigInt(v.vsize);
  }

  private iod(io: IoDesc): P.Iod {
    return this.v.array ? { akey: io.akey, type: P.IodType.ARRAY, size: 1, recxs: [{ idx: io.idx, nr: this.nr }] } : { akey: io.akey, type: P.IodType.SINGLE, size: this.v.vsize, recxs: [] };
  }

  async update(slot: Slot, io: IoDesc): Promise<void> {
    await this.objs[io.obj].update(io.dkey, [this.iod(io)], [slot.data]);
  }

  async fetch(slot: Slot, io: IoDesc): Promise<Buffer> {
    const [r] = await this.objs[io.obj].fetch(io.dkey, [this.iod(io)], { sinks: [slot.sink] });
    return r.data;
  }

  async close(): Promise<void> {
    // The container and pool are closed by the caller.
  }
}

// ---------------------------------------------------------------------- echo

const NO_UUID = '00000000-0000-0000-0000-000000000000';
const NO_DTX = Buffer.alloc(24);

interface Route {
  conn: RpcConnection;
  rank: number;
  target: number;
  shard: number;
}

export class EchoBackend implements PerfBackend {
  readonly verifiable = false;
  private readonly layouts: Layout[];
  private readonly conns = new Map<string, RpcConnection>();
  /** The route of each (object, dkey); dkey Buffers are reused for every I/O under them. */
  private readonly routes: WeakMap<Buffer, Route>[];
  private readonly nr: bigint;

  constructor(
    private readonly client: DaosClient,
    private readonly pool: Pool,
    private readonly oids: Oid[],
    private readonly v: ValueShape,
  ) {
    this.layouts = oids.map((oid) => objectLayout(pool.map, oid));
    this.routes = oids.map(() => new WeakMap());
    this.nr = BigInt(v.vsize);
  }

  /** The leader of the dkey's group, as an update would be sent. */
  private async route(obj: number, dkey: Buffer): Promise<Route> {
    const known = this.routes[obj].get(dkey);
    if (known && !known.conn.closed) return known;
    const layout = this.layouts[obj];
    const s = groupLeader(layout, this.oids[obj], dkeyGroup(layout, dkeyHash(dkey)));
    const uri = this.pool.ranks.get(s.rank);
    if (s.target < 0 || !uri) throw new DaosError(-DER.UNREACH, `shard ${s.shard} of object ${obj} has no reachable target (rank ${s.rank})`);
    let conn = this.conns.get(uri);
    if (!conn || conn.closed) {
      conn = await this.client.engine(uri);
      this.conns.set(uri, conn);
    }
    const r = { conn, rank: s.rank, target: s.targetIndex, shard: s.shard };
    this.routes[obj].set(dkey, r);
    return r;
  }

  private iod(io: IoDesc): P.Iod {
    return this.v.array ? { akey: io.akey, type: P.IodType.ARRAY, size: 1, recxs: [{ idx: io.idx, nr: this.nr }] } : { akey: io.akey, type: P.IodType.SINGLE, size: this.v.vsize, recxs: [] };
  }

  private addr(obj: number, shard: number): P.ObjAddr {
    const oid = this.oids[obj];
    return { pool: this.pool.uuid, cont: NO_UUID, coh: NO_UUID, hi: oid.hi, lo: oid.lo, shard, epoch: 0n };
  }

  async update(slot: Slot, io: IoDesc): Promise<void> {
    const r = await this.route(io.obj, io.dkey);
    const meta = P.encodeUpdate({ ...this.addr(io.obj, r.shard), dkey: io.dkey, iods: [this.iod(io)], dtx: NO_DTX, replicas: [] });
    const rep = await r.conn.call(P.Op.ECHO_UPDATE, r.target, meta, [slot.data], { mapVersion: this.pool.map.version, timeoutMs: 60_000 });
    if (rep.status !== 0) throw new DaosError(rep.status, `echo update on rank ${r.rank} target ${r.target}: ${rep.meta.toString('utf8')}`);
  }

  async fetch(slot: Slot, io: IoDesc): Promise<Buffer> {
    const r = await this.route(io.obj, io.dkey);
    const meta = P.encodeFetch({ ...this.addr(io.obj, r.shard), dkey: io.dkey, iods: [this.iod(io)] });
    const rep = await r.conn.call(P.Op.ECHO_FETCH, r.target, meta, [], { mapVersion: this.pool.map.version, timeoutMs: 60_000, sink: [slot.sink] });
    if (rep.status !== 0) throw new DaosError(rep.status, `echo fetch on rank ${r.rank} target ${r.target}: ${rep.meta.toString('utf8')}`);
    return rep.bulk.length === 1 ? rep.bulk[0] : Buffer.concat(rep.bulk);
  }

  async close(): Promise<void> {
    // The connections belong to the client, closed by the caller.
  }
}
