/**
 * An open container: its handle token for the I/O servers, objects, and the
 * metadata operations (query, properties, attributes, snapshots, OIDs).
 */
import * as C from '../proto/mgmt/client_pb.js';
import type { ContOpenResp } from '../proto/mgmt/client_pb.js';
import { DaosError, DER } from '../daos/errors.js';
import { compareOid, generateOid, type Oid } from '../daos/oid.js';
import { isUnavailable } from '../daos/poolmap.js';
import * as P from '../rpc/protocol.js';
import { classByName, type ObjectClassId } from '../daos/oclass.js';
import type { Pool } from './pool.js';
import { DaosObject } from './object.js';
import { KeyValue } from './kv.js';
import { DaosArray } from './array.js';

export interface ContInfo {
  uuid: string;
  label: string;
  nsnapshots: number;
  latestSnapshot: bigint;
  hae: bigint;
  nhandles: number;
  props: { name: string; value: string; acl: string[] }[];
}

export class Container {
  readonly uuid: string;
  readonly label: string;
  readonly handle: string;
  readonly token: Buffer;
  readonly capas: number;
  private closed = false;

  constructor(
    readonly pool: Pool,
    r: ContOpenResp,
  ) {
    this.uuid = r.uuid;
    this.label = r.label;
    this.handle = r.handle;
    this.token = Buffer.from(r.token);
    this.capas = r.capas;
  }

  get client() {
    return this.pool.client;
  }

  get writable(): boolean {
    return this.capas === 2;
  }

  private ref() {
    if (this.closed) throw new DaosError(-DER.NO_HDL, `container ${this.label || this.uuid} is closed`);
    return { pool: this.pool.uuid, handle: this.handle, cont: this.uuid };
  }

  /** An object ID with the class (name or ID) encoded in it. */
  generateOid(cls: string | ObjectClassId, lo: bigint | number, hi32: bigint | number = 0n, features = 0): Oid {
    const id = typeof cls === 'string' ? classByName(cls).id : cls;
    return generateOid({ hi32, lo }, id, features);
  }

  object(oid: Oid): DaosObject {
    this.ref();
    return new DaosObject(this, oid);
  }

  kv(oid: Oid): KeyValue {
    return new KeyValue(this.object(oid));
  }

  /** Create an array object (its cell and chunk sizes are stored in it). */
  arrayCreate(oid: Oid, cellSize: number, chunkSize: number): Promise<DaosArray> {
    return DaosArray.create(this, oid, cellSize, chunkSize);
  }

  arrayOpen(oid: Oid): Promise<DaosArray> {
    return DaosArray.open(this, oid);
  }

  async query(): Promise<ContInfo> {
    const r = await this.client.mgmt('ContQuery', C.ContHandleReqSchema, this.ref(), C.ContQueryRespSchema);
    return {
      uuid: r.uuid,
      label: r.label,
      nsnapshots: Number(r.nsnapshots),
      latestSnapshot: r.latestSnapshot,
      hae: r.hae,
      nhandles: r.nhandles,
      props: r.props.map((p) => ({ name: p.name, value: p.value, acl: p.acl })),
    };
  }

  /**
   * Change properties: label, snapshot_max, owner, owner_group (name@), and
   * acl (an array of ACE strings). The container ACL must allow it.
   */
  async setProps(props: Record<string, string | number | string[]>): Promise<void> {
    const list = Object.entries(props).map(([name, v]) => (Array.isArray(v) ? { name, value: '', acl: v } : { name, value: String(v), acl: [] }));
    await this.client.mgmt('ContSetProp', C.ContSetPropReqSchema, { pool: this.pool.uuid, handle: this.handle, props: list }, C.ContHandleReqSchema);
  }

  async getAttrs(names: string[] = []): Promise<Map<string, Buffer>> {
    const r = await this.client.mgmt('ContGetAttr', C.AttrReqSchema, { ...this.ref(), names }, C.AttrRespSchema);
    return new Map(r.attrs.map((a) => [a.name, Buffer.from(a.value)]));
  }

  async setAttrs(attrs: Map<string, Buffer> | Record<string, Buffer | string>): Promise<void> {
    const list = [...(attrs instanceof Map ? attrs : Object.entries(attrs))].map(([name, v]) => ({ name, value: Buffer.isBuffer(v) ? v : Buffer.from(String(v)) }));
    await this.client.mgmt('ContSetAttr', C.AttrReqSchema, { ...this.ref(), attrs: list }, C.AttrRespSchema);
  }

  async delAttrs(names: string[]): Promise<void> {
    await this.client.mgmt('ContDelAttr', C.AttrReqSchema, { ...this.ref(), names }, C.AttrRespSchema);
  }

  /** Take a snapshot: an epoch after everything this client has written. */
  async createSnapshot(name = ''): Promise<bigint> {
    const r = await this.client.mgmt('ContCreateSnap', C.SnapReqSchema, { ...this.ref(), name }, C.SnapRespSchema);
    return r.epoch;
  }

  async listSnapshots(): Promise<{ epoch: bigint; name: string }[]> {
    const r = await this.client.mgmt('ContListSnaps', C.SnapReqSchema, this.ref(), C.SnapRespSchema);
    return r.epochs.map((epoch, i) => ({ epoch, name: r.names[i] ?? '' }));
  }

  async destroySnapshot(which: { epoch?: bigint; name?: string }): Promise<bigint> {
    const r = await this.client.mgmt('ContDestroySnap', C.SnapReqSchema, { ...this.ref(), epoch: which.epoch ?? 0n, name: which.name ?? '' }, C.SnapRespSchema);
    return r.epoch;
  }

  /**
   * Roll the container back to a snapshot (by epoch or name): what was written
   * after it is gone, and so are the later snapshots. No other handle of the
   * container may be open. Returns the snapshot's epoch.
   */
  async rollback(which: { epoch?: bigint; name?: string }): Promise<bigint> {
    const r = await this.client.mgmt('ContRollback', C.SnapReqSchema, { ...this.ref(), epoch: which.epoch ?? 0n, name: which.name ?? '' }, C.SnapRespSchema);
    return r.epoch;
  }

  /** Reserve `count` consecutive object-ID values; returns the first. */
  async allocOids(count = 1n): Promise<bigint> {
    const r = await this.client.mgmt('ContAllocOids', C.OidAllocReqSchema, { ...this.ref(), count: BigInt(count) }, C.OidAllocRespSchema);
    return r.lo;
  }

  /**
   * Every object stored in the container (its IDs, in OID order), gathered
   * from every target of the pool. A target that cannot be reached makes it
   * fail: the list would be incomplete.
   */
  async listObjects(): Promise<Oid[]> {
    const ref = this.ref();
    const seen = new Map<string, Oid>();
    const targets = this.pool.map.targets.filter((t) => !isUnavailable(t.status));
    await Promise.all(
      targets.map(async (t) => {
        const uri = this.pool.ranks.get(t.rank);
        if (!uri) throw new DaosError(-DER.UNREACH, `rank ${t.rank} has no known fabric address`);
        const conn = await this.object(generateOid({ lo: 0 }, classByName('S1').id)).registeredConn(uri);
        let anchor = Buffer.alloc(0);
        for (let page = 0; page < 1_000_000; page++) {
          const meta = P.encodeList({ pool: ref.pool, cont: ref.cont, coh: ref.handle, hi: 0n, lo: 0n, shard: 0, epoch: 0n, dkey: Buffer.alloc(0), akey: Buffer.alloc(0), anchor, max: 4096 });
          const r = await conn.call(P.Op.LIST_OBJ, t.index, meta, [], { mapVersion: this.pool.map.version, timeoutMs: 60_000 });
          if (r.status !== 0) throw new DaosError(r.status, `listing the objects of rank ${t.rank} target ${t.index}: ${r.meta.toString('utf8')}`);
          const l = P.decodeListReply(r.meta);
          for (const k of l.keys) {
            const oid = { hi: k.key.readBigUInt64BE(0), lo: k.key.readBigUInt64BE(8) };
            seen.set(`${oid.hi}.${oid.lo}`, oid);
          }
          if (l.anchor.length === 0) break;
          anchor = Buffer.from(l.anchor);
        }
      }),
    );
    return [...seen.values()].sort(compareOid);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.client.mgmt('ContClose', C.ContHandleReqSchema, this.ref(), C.ContHandleReqSchema);
    this.closed = true;
    this.pool.forget(this);
  }
}
