/**
 * A pool connection: its handle, pool map and ranks' addresses, and the
 * container and attribute operations.
 */
import * as C from '../proto/mgmt/client_pb.js';
import type { PoolConnectResp } from '../proto/mgmt/client_pb.js';
import type { PoolQueryResp } from '../proto/mgmt/pool_pb.js';
import { DaosError, DER } from '../daos/errors.js';
import { decodePoolMap, type PoolMap } from '../daos/poolmap.js';
import type { DaosClient } from './daos.js';
import { newUuid } from './daos.js';
import { Container } from './container.js';

export interface PoolInfo {
  uuid: string;
  label: string;
  ntargets: number;
  disabled: number;
  activeTargets: number;
  mapVersion: number;
  scm: { total: number; free: number; min: number; max: number; mean: number };
  nvme: { total: number; free: number; min: number; max: number; mean: number };
  rebuild: string;
  leader: number;
  svcReps: number[];
  ranks: number[];
}

type Usage = PoolInfo['scm'];

function usage(u?: { total: bigint; free: bigint; min: bigint; max: bigint; mean: bigint }): Usage {
  return { total: Number(u?.total ?? 0n), free: Number(u?.free ?? 0n), min: Number(u?.min ?? 0n), max: Number(u?.max ?? 0n), mean: Number(u?.mean ?? 0n) };
}

export function poolInfoFromProto(i: PoolQueryResp): PoolInfo {
  return {
    uuid: i.uuid,
    label: i.label,
    ntargets: i.ntargets,
    disabled: i.disabled,
    activeTargets: i.activeTargets,
    mapVersion: i.mapVersion,
    scm: usage(i.scm),
    nvme: usage(i.nvme),
    rebuild: i.rebuildState || 'idle',
    leader: i.leader,
    svcReps: i.svcreps,
    ranks: i.tgtRanks,
  };
}

export class Pool {
  readonly uuid: string;
  readonly label: string;
  readonly handle: string;
  readonly capas: number;
  map: PoolMap;
  ranks: Map<number, string>;
  private refreshing?: Promise<void>;
  private disconnected = false;
  private readonly open = new Set<Container>();

  constructor(
    readonly client: DaosClient,
    r: PoolConnectResp,
  ) {
    this.uuid = r.uuid;
    this.label = r.label;
    this.handle = r.handle;
    this.capas = r.capas;
    this.map = decodePoolMap(r.poolMap);
    this.ranks = new Map(r.ranks.map((x) => [x.rank, x.uri]));
  }

  get mapVersion(): number {
    return this.map.version;
  }

  private ref() {
    if (this.disconnected) throw new DaosError(-DER.NO_HDL, `pool ${this.label || this.uuid} is disconnected`);
    return { pool: this.uuid, handle: this.handle };
  }

  /** Space, targets and rebuild state; refreshes the pool map as a side effect. */
  async query(): Promise<PoolInfo> {
    const r = await this.client.mgmt('PoolQuery', C.PoolHandleReqSchema, this.ref(), C.PoolQueryClientRespSchema);
    this.applyMap(r.poolMap, r.ranks);
    return poolInfoFromProto(r.info!);
  }

  private applyMap(buf: Uint8Array, ranks: { rank: number; uri: string }[]): void {
    if (!buf.length) return;
    const m = decodePoolMap(buf);
    if (m.version >= this.map.version) {
      this.map = m;
      this.ranks = new Map(ranks.map((x) => [x.rank, x.uri]));
    }
  }

  /** Fetch the current pool map (after -DER_STALE); concurrent callers share one request. */
  refreshMap(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.query().then(
        () => {
          this.refreshing = undefined;
        },
        (e) => {
          this.refreshing = undefined;
          throw e;
        },
      );
    }
    return this.refreshing;
  }

  async listContainers(): Promise<{ uuid: string; label: string }[]> {
    const r = await this.client.mgmt('PoolListCont', C.PoolHandleReqSchema, this.ref(), C.ContListRespSchema);
    return r.conts.map((c) => ({ uuid: c.uuid, label: c.label }));
  }

  async getProps(): Promise<{ name: string; value: string; acl: string[] }[]> {
    const r = await this.client.mgmt('PoolGetProp', C.PoolHandleReqSchema, this.ref(), C.PropRespSchema);
    return r.props.map((p) => ({ name: p.name, value: p.value, acl: p.acl }));
  }

  async getAttrs(names: string[] = []): Promise<Map<string, Buffer>> {
    const r = await this.client.mgmt('PoolGetAttr', C.AttrReqSchema, { ...this.ref(), names }, C.AttrRespSchema);
    return new Map(r.attrs.map((a) => [a.name, Buffer.from(a.value)]));
  }

  async setAttrs(attrs: Map<string, Buffer> | Record<string, Buffer | string>): Promise<void> {
    const list = [...(attrs instanceof Map ? attrs : Object.entries(attrs))].map(([name, v]) => ({ name, value: Buffer.isBuffer(v) ? v : Buffer.from(String(v)) }));
    await this.client.mgmt('PoolSetAttr', C.AttrReqSchema, { ...this.ref(), attrs: list }, C.AttrRespSchema);
  }

  async delAttrs(names: string[]): Promise<void> {
    await this.client.mgmt('PoolDelAttr', C.AttrReqSchema, { ...this.ref(), names }, C.AttrRespSchema);
  }

  /** Create a container (optionally labelled); returns its UUID. */
  async containerCreate(opts: { label?: string; uuid?: string; props?: Record<string, string> } = {}): Promise<{ uuid: string; label: string }> {
    const uuid = opts.uuid ?? newUuid();
    const props = Object.entries(opts.props ?? {}).map(([name, value]) => ({ name, value }));
    const r = await this.client.mgmt('ContCreate', C.ContCreateReqSchema, { ...this.ref(), uuid, label: opts.label ?? '', props }, C.ContOpenRespSchema);
    return { uuid: r.uuid, label: r.label };
  }

  /** Open a container by label or UUID. */
  async containerOpen(cont: string, mode: 'r' | 'rw' = 'rw'): Promise<Container> {
    const r = await this.client.mgmt('ContOpen', C.ContOpenReqSchema, { ...this.ref(), cont, flags: mode === 'rw' ? 2 : 1 }, C.ContOpenRespSchema);
    const c = new Container(this, r);
    this.open.add(c);
    return c;
  }

  /** Called by Container.close(). */
  forget(c: Container): void {
    this.open.delete(c);
  }

  async containerDestroy(cont: string, force = false): Promise<void> {
    await this.client.mgmt('ContDestroy', C.ContHandleReqSchema, { ...this.ref(), cont, force }, C.ContQueryRespSchema);
  }

  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    for (const c of [...this.open]) await c.close();
    await this.client.mgmt('PoolDisconnect', C.PoolHandleReqSchema, this.ref(), C.PoolHandleReqSchema);
    this.disconnected = true;
  }
}
