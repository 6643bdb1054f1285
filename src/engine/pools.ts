/**
 * The pools of one I/O server: for each pool, one VOS store per target, the
 * pool map and the ranks' addresses. Kept under <scm_mount>/pools/<uuid>/:
 * pool.json (sizes, label), poolmap (the encoded map) and the VOS files.
 *
 * Space: SCM is reserved logically (the shares of all pools must fit in the
 * SCM mount); block-device space is reserved for real, one region per target
 * from the instance's SMD.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DaosError, DER } from '../daos/errors.js';
import { decodePoolMap, type PoolMap } from '../daos/poolmap.js';
import type { Logger } from '../logging/logger.js';
import type { VosStore } from './vos_api.js';

export interface BlobRef {
  offset: number;
  size: number;
  device: unknown;
}

/** How pools are stored: the VOS library and the SMD region allocator, behind an interface. */
export interface Storage {
  createStore(dir: string, target: number, scmBytes: number, blob?: BlobRef): Promise<VosStore>;
  openStore(dir: string, target: number, scmBytes: number, blob?: BlobRef): Promise<VosStore>;
  /** One region per target on the block devices; throws NOSPACE when they do not fit. */
  allocRegions(pool: string, targets: number, bytesPerTarget: number): BlobRef[];
  regions(pool: string): BlobRef[];
  freeRegions(pool: string): void;
  /** Free and total block-device bytes of this instance. */
  bdevFree(): number;
  bdevTotal(): number;
}

export interface PoolInfo {
  uuid: string;
  label: string;
  scmPerTarget: number;
  nvmePerTarget: number;
  targets: number;
}

export class EnginePool {
  map: PoolMap;
  ranks = new Map<number, string>();
  constructor(
    readonly info: PoolInfo,
    readonly dir: string,
    readonly stores: VosStore[],
    map: PoolMap,
  ) {
    this.map = map;
  }

  get uuid(): string {
    return this.info.uuid;
  }

  get mapVersion(): number {
    return this.map.version;
  }

  store(target: number): VosStore {
    const s = this.stores[target];
    if (!s) throw new DaosError(-DER.NONEXIST, `target ${target} is not part of pool ${this.uuid} on this I/O server`);
    return s;
  }
}

export interface TargetSpace {
  target: number;
  scmTotal: number;
  scmFree: number;
  nvmeTotal: number;
  nvmeFree: number;
}

export class PoolTargets {
  private readonly pools = new Map<string, EnginePool>();
  private readonly root: string;

  constructor(
    readonly scmMount: string,
    readonly targets: number,
    private readonly storage: Storage,
    private readonly log: Logger,
  ) {
    this.root = path.join(scmMount, 'pools');
  }

  get(uuid: string): EnginePool {
    const p = this.pools.get(uuid);
    if (!p) throw new DaosError(-DER.NONEXIST, `pool ${uuid} has no targets on this I/O server`, { hint: 'the pool was destroyed, or this rank is not part of it' });
    return p;
  }

  maybe(uuid: string): EnginePool | undefined {
    return this.pools.get(uuid);
  }

  all(): EnginePool[] {
    return [...this.pools.values()];
  }

  /** Reopen the pools found on storage (at start). */
  async loadAll(): Promise<void> {
    if (!fs.existsSync(this.root)) return;
    for (const d of fs.readdirSync(this.root)) {
      const dir = path.join(this.root, d);
      try {
        const info = JSON.parse(fs.readFileSync(path.join(dir, 'pool.json'), 'utf8')) as PoolInfo;
        const map = decodePoolMap(fs.readFileSync(path.join(dir, 'poolmap')));
        const regions = this.storage.regions(info.uuid);
        const stores: VosStore[] = [];
        for (let t = 0; t < info.targets; t++) stores.push(await this.storage.openStore(dir, t, info.scmPerTarget, regions[t]));
        const p = new EnginePool(info, dir, stores, map);
        this.readRanks(p);
        this.pools.set(info.uuid, p);
        this.log.info(`pool ${info.uuid}: opened ${info.targets} target(s)`);
      } catch (e) {
        this.log.error(`pool directory ${dir} could not be opened: ${(e as Error).message}`);
      }
    }
  }

  private readRanks(p: EnginePool): void {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(p.dir, 'ranks.json'), 'utf8')) as { rank: number; uri: string }[];
      p.ranks = new Map(r.map((x) => [x.rank, x.uri]));
    } catch {
      p.ranks = new Map();
    }
  }

  private writeFileAtomic(file: string, data: string | Buffer): void {
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  /** What this I/O server can still give each target of a new pool. */
  available(): { scm: number; nvme: number } {
    let scmCap = 0;
    try {
      const st = fs.statfsSync(this.scmMount);
      scmCap = Number(st.bavail) * Number(st.bsize);
    } catch {
      scmCap = 0;
    }
    let reserved = 0;
    for (const p of this.pools.values()) reserved += p.info.scmPerTarget * p.info.targets;
    // LMDB files grow into the mount lazily: what is already used by open pools counts once.
    let used = 0;
    for (const p of this.pools.values()) used += dirSize(p.dir);
    const scmFree = Math.max(0, scmCap + used - reserved);
    return { scm: Math.floor(scmFree / this.targets), nvme: Math.floor(this.storage.bdevFree() / this.targets) };
  }

  async create(req: { pool: string; label: string; scmPerTarget: number; nvmePerTarget: number; poolMap: Buffer; ranks: { rank: number; uri: string }[] }): Promise<EnginePool> {
    if (this.pools.has(req.pool)) return this.get(req.pool);
    const avail = this.available();
    if (req.scmPerTarget > avail.scm || req.nvmePerTarget > avail.nvme) {
      throw Object.assign(
        new DaosError(-DER.NOSPACE, `this I/O server can give each target ${(avail.scm / 2 ** 30).toFixed(2)} GiB SCM and ${(avail.nvme / 2 ** 30).toFixed(2)} GiB NVMe; the pool asks ${(req.scmPerTarget / 2 ** 30).toFixed(2)} GiB and ${(req.nvmePerTarget / 2 ** 30).toFixed(2)} GiB`),
        { avail },
      );
    }
    const dir = path.join(this.root, req.pool);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const regions = req.nvmePerTarget > 0 ? this.storage.allocRegions(req.pool, this.targets, req.nvmePerTarget) : [];
    const stores: VosStore[] = [];
    try {
      for (let t = 0; t < this.targets; t++) stores.push(await this.storage.createStore(dir, t, req.scmPerTarget, regions[t]));
      const info: PoolInfo = { uuid: req.pool, label: req.label, scmPerTarget: req.scmPerTarget, nvmePerTarget: req.nvmePerTarget, targets: this.targets };
      this.writeFileAtomic(path.join(dir, 'poolmap'), req.poolMap);
      this.writeFileAtomic(path.join(dir, 'ranks.json'), JSON.stringify(req.ranks));
      // NB: pool.json is written last: it marks the pool complete for loadAll().
      this.writeFileAtomic(path.join(dir, 'pool.json'), JSON.stringify(info));
      const p = new EnginePool(info, dir, stores, decodePoolMap(req.poolMap));
      p.ranks = new Map(req.ranks.map((r) => [r.rank, r.uri]));
      this.pools.set(req.pool, p);
      this.log.info(`pool ${req.pool}: created ${this.targets} target(s)`);
      return p;
    } catch (e) {
      for (const s of stores) await s.destroy().catch(() => undefined);
      this.storage.freeRegions(req.pool);
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async destroy(uuid: string): Promise<void> {
    const p = this.pools.get(uuid);
    const dir = path.join(this.root, uuid);
    if (!p && !fs.existsSync(dir)) {
      this.storage.freeRegions(uuid);
      throw new DaosError(-DER.NONEXIST, `pool ${uuid} has no targets here`);
    }
    this.pools.delete(uuid);
    if (p) for (const s of p.stores) await s.destroy().catch((e) => this.log.error(`pool ${uuid}: ${(e as Error).message}`));
    this.storage.freeRegions(uuid);
    fs.rmSync(dir, { recursive: true, force: true });
    this.log.info(`pool ${uuid}: destroyed`);
  }

  space(uuid: string): TargetSpace[] {
    const p = this.get(uuid);
    return p.stores.map((s, target) => {
      const sp = s.space();
      return { target, scmTotal: sp.scm.total, scmFree: sp.scm.free, nvmeTotal: sp.nvme.total, nvmeFree: sp.nvme.free };
    });
  }

  updateMap(uuid: string, poolMap: Buffer, ranks: { rank: number; uri: string }[]): void {
    const p = this.get(uuid);
    const map = decodePoolMap(poolMap);
    if (map.version < p.map.version) return;
    this.writeFileAtomic(path.join(p.dir, 'poolmap'), poolMap);
    if (ranks.length) {
      this.writeFileAtomic(path.join(p.dir, 'ranks.json'), JSON.stringify(ranks));
      p.ranks = new Map(ranks.map((r) => [r.rank, r.uri]));
    }
    p.map = map;
  }

  async closeAll(): Promise<void> {
    for (const p of this.pools.values()) for (const s of p.stores) await s.close().catch(() => undefined);
    this.pools.clear();
  }
}

function dirSize(dir: string): number {
  let n = 0;
  try {
    for (const f of fs.readdirSync(dir)) {
      const st = fs.statSync(path.join(dir, f));
      if (st.isFile()) n += st.blocks * 512;
    }
  } catch {
    // gone
  }
  return n;
}
