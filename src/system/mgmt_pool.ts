/**
 * Pools, containers and their handles in the management service.
 *
 * The MS is the single authority for this metadata (DESIGN decision 3): pool
 * records with their pool map, ACL, properties and attributes; containers
 * with properties, attributes, snapshots and the object-ID counter; open pool
 * and container handles. Everything lives in the system database, so it
 * survives a restart of every node.
 *
 * Pool states: creating → ready → destroying (→ gone). A create that fails on
 * any rank is rolled back on every rank, and the record removed: nothing is
 * left half-created. A destroy that cannot reach a rank keeps the record in
 * "destroying" and says which ranks are missing; retrying finishes it.
 */
import crypto from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { DaosError, DER } from '../daos/errors.js';
import { buildPoolMap, encodePoolMap, decodePoolMap, targetCounts, type PoolMap } from '../daos/poolmap.js';
import { CONT_PROP_NAMES, parseContProps } from '../daos/props.js';
import { classByName } from '../daos/oclass.js';
import { signToken, Capa } from '../security/handle_token.js';
import type { SystemDatabase } from './database.js';
import { MemberState, type Member } from './membership.js';

export const MIN_SCM_PER_TARGET = 16 << 20;
export const NVME_CLUSTER = 1 << 30;
export const MAX_SVC_REPLICAS = 13;

/** Who a client is, as its agent vouched (principals end in '@'). */
export interface Credential {
  user: string;
  group: string;
  groups: string[];
  machine: string;
}

export interface PoolRecord {
  uuid: string;
  label: string;
  state: 'creating' | 'ready' | 'destroying';
  ranks: number[];
  svcReps: number[];
  scmPerRank: number;
  nvmePerRank: number;
  scmPerTarget: number;
  nvmePerTarget: number;
  owner: string;
  ownerGroup: string;
  acl: string[];
  props: Record<string, string | number>;
  mapVersion: number;
  poolMap: Buffer;
  attrs: Record<string, Buffer>;
  created: number;
}

export interface PoolHandleRecord {
  pool: string;
  handle: string;
  capas: number;
  user: string;
  machine: string;
  opened: number;
}

export interface ContRecord {
  pool: string;
  uuid: string;
  label: string;
  owner: string;
  ownerGroup: string;
  acl: string[];
  props: Record<string, string | number>;
  attrs: Record<string, Buffer>;
  /** Epochs as decimal strings: they exceed 2^53 and the database stores plain values. */
  snapshots: { epoch: string; name: string }[];
  oidNext: string;
  created: number;
}

export interface ContHandleRecord {
  pool: string;
  cont: string;
  handle: string;
  poolHandle: string;
  capas: number;
  user: string;
}

/** ACL operations (implemented with src/daos/acl.ts). */
export interface AclPolicy {
  /** Parse and validate ACE strings; returns the canonical, sorted ACL. */
  canonical(aces: string[]): string[];
  update(acl: string[], aces: string[]): string[];
  remove(acl: string[], principal: string): string[];
  /** Does the credential hold every permission letter in `perms` (e.g. "rw")? */
  allows(acl: string[], owner: string, ownerGroup: string, cred: Credential, perms: string): boolean;
  defaultPool(): string[];
  defaultCont(): string[];
}

/** Per-rank results of an engine method run through the ranks' daos_servers. */
export interface RankOutcome {
  status: number;
  error: string;
  body: Uint8Array;
}

export interface TargetCaller {
  call(method: string, ranks: number[], body: Uint8Array, timeoutMs: number): Promise<Map<number, RankOutcome>>;
}

/** Engine-level codecs the service needs (protobuf, kept out of this module's types). */
export interface TargetCodec {
  createReq(p: { pool: string; label: string; scmPerTarget: number; nvmePerTarget: number; poolMap: Buffer; ranks: { rank: number; uri: string }[] }): Uint8Array;
  poolReq(p: { pool: string; cont?: string; poolMap?: Buffer; ranks?: { rank: number; uri: string }[]; epoch?: bigint; handles?: string[] }): Uint8Array;
  space(body: Uint8Array): { target: number; scmTotal: number; scmFree: number; nvmeTotal: number; nvmeFree: number }[];
  avail(body: Uint8Array): { scm: number; nvme: number };
}

export interface PoolServiceOptions {
  db: SystemDatabase;
  log: Logger;
  targets: TargetCaller;
  codec: TargetCodec;
  acl: AclPolicy;
  /** The current members (ranks, targets, fabric URIs, fault domains). */
  members: () => Member[];
  /** The MS clock: snapshot epochs. */
  hlc: { now(): bigint; merge(h: bigint): bigint };
  now?: () => number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL_RE = /^[A-Za-z0-9_.:-]{1,127}$/;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

function gib(n: number): string {
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

export function checkLabel(label: string, what: string): void {
  if (!LABEL_RE.test(label) || isUuid(label)) {
    throw new DaosError(-DER.INVAL, `invalid ${what} label ${JSON.stringify(label)}`, {
      hint: 'a label has 1 to 127 letters, digits or _ . : - and must not look like a UUID',
    });
  }
}

/**
 * Container properties given at create: the names and values the daos tool
 * accepts (src/daos/props.ts), plus the default object class and chunk size
 * it records for array import. Anything else is refused, so that a typo is
 * not stored as a property nobody reads.
 */
export function checkContProps(props: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, raw] of Object.entries(props)) {
    const v = String(raw);
    if (name === 'oclass') {
      out.oclass = classByName(v).name;
    } else if (name === 'chunk_size') {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new DaosError(-DER.INVAL, `property chunk_size ${JSON.stringify(v)} is not a positive number of bytes`);
      out.chunk_size = n;
    } else if (name === 'label') {
      continue;
    } else if (CONT_PROP_NAMES.includes(name)) {
      parseContProps(`${name}:${v}`);
      out[name === 'snapshot_max' ? 'max_snapshot' : name] = v;
    } else {
      throw new DaosError(-DER.INVAL, `unknown container property ${JSON.stringify(name)}`, { hint: `valid properties: ${[...CONT_PROP_NAMES, 'oclass', 'chunk_size'].join(', ')}` });
    }
  }
  return out;
}

/** v0.8's service-replica choice: ranks in order, skipping rank 0 unless it is the only one, capped. */
export function selectSvcRanks(ranks: number[], n: number): number[] {
  const pool = ranks.length > 1 ? ranks.filter((r) => r !== 0) : ranks;
  return pool.slice(0, Math.max(1, Math.min(n, pool.length)));
}

export class PoolService {
  private readonly db: SystemDatabase;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly o: PoolServiceOptions) {
    this.db = o.db;
    this.log = o.log;
    this.now = o.now ?? Date.now;
  }

  // ---- lookups ------------------------------------------------------------------

  pools(): PoolRecord[] {
    return this.db.kvRange<PoolRecord>('pool/').map((e) => e.value);
  }

  /** A pool by UUID or label; NONEXIST otherwise. */
  pool(id: string): PoolRecord {
    let uuid = id.toLowerCase();
    if (!isUuid(id)) {
      const byLabel = this.db.kvGet<string>(`plabel/${id}`);
      if (!byLabel) throw new DaosError(-DER.NONEXIST, `no pool with label ${JSON.stringify(id)}`, { hint: 'list the pools with dmg pool list' });
      uuid = byLabel;
    }
    const p = this.db.kvGet<PoolRecord>(`pool/${uuid}`);
    if (!p) throw new DaosError(-DER.NONEXIST, `no pool ${id}`, { hint: 'list the pools with dmg pool list' });
    return p;
  }

  private readyPool(id: string): PoolRecord {
    const p = this.pool(id);
    if (p.state !== 'ready') throw new DaosError(-DER.AGAIN, `pool ${p.uuid} is ${p.state}`, { hint: 'retry when the operation in progress has finished' });
    return p;
  }

  poolHandles(pool: string): PoolHandleRecord[] {
    return this.db.kvRange<PoolHandleRecord>(`phdl/${pool}/`).map((e) => e.value);
  }

  poolMap(p: PoolRecord): PoolMap {
    return decodePoolMap(p.poolMap);
  }

  /** Data-plane URIs of a pool's ranks. */
  rankUris(p: PoolRecord): { rank: number; uri: string }[] {
    const byRank = new Map(this.o.members().map((m) => [m.rank, m]));
    return p.ranks.map((rank) => ({ rank, uri: byRank.get(rank)?.fabricUri ?? '' }));
  }

  // ---- create / destroy -------------------------------------------------------------

  async create(req: {
    uuid: string;
    label?: string;
    scmPerRank: number;
    nvmePerRank: number;
    ranks: number[];
    nsvc: number;
    owner: string;
    ownerGroup: string;
    acl: string[];
  }): Promise<PoolRecord> {
    if (!isUuid(req.uuid)) throw new DaosError(-DER.INVAL, `pool UUID ${JSON.stringify(req.uuid)} is not a UUID`);
    const uuid = req.uuid.toLowerCase();
    if (this.db.kvGet(`pool/${uuid}`)) throw new DaosError(-DER.EXIST, `pool ${uuid} already exists`);
    const label = req.label ?? '';
    if (label) {
      checkLabel(label, 'pool');
      if (this.db.kvGet(`plabel/${label}`)) throw new DaosError(-DER.EXIST, `a pool labelled ${JSON.stringify(label)} already exists`, { hint: 'choose another label, or destroy that pool first' });
    }
    if (!(req.scmPerRank > 0)) throw new DaosError(-DER.INVAL, 'non-zero scm size is required', { hint: 'give the SCM size per rank with -s/--scm-size, e.g. -s 1G' });
    if (req.nsvc > MAX_SVC_REPLICAS) throw new DaosError(-DER.INVAL, `max number of service replicas is ${MAX_SVC_REPLICAS}, got ${req.nsvc}`);
    const acl = req.acl.length ? this.o.acl.canonical(req.acl) : this.o.acl.defaultPool();

    const members = this.o.members();
    const joined = members.filter((m) => m.state === MemberState.Joined);
    let ranks: number[];
    if (req.ranks.length) {
      const byRank = new Map(members.map((m) => [m.rank, m]));
      const bad = req.ranks.filter((r) => byRank.get(r)?.state !== MemberState.Joined);
      if (bad.length) {
        throw new DaosError(-DER.INVAL, `rank(s) ${bad.join(',')} are not joined members of the system`, { hint: 'check the ranks with dmg system query, or leave out -r to use every joined rank' });
      }
      ranks = [...new Set(req.ranks)].sort((a, b) => a - b);
    } else {
      ranks = joined.map((m) => m.rank).sort((a, b) => a - b);
    }
    if (ranks.length === 0) throw new DaosError(-DER.UNREACH, 'no joined ranks to create the pool on', { hint: 'format the storage (dmg storage format) and check dmg system query' });
    const byRank = new Map(members.map((m) => [m.rank, m]));
    const targets = ranks.map((r) => byRank.get(r)?.targets || 1);
    const minTargets = Math.min(...targets);
    const maxTargets = Math.max(...targets);
    // Each rank splits its share evenly over its targets (the reference's rule).
    const scmPerTarget = Math.max(Math.ceil(req.scmPerRank / minTargets), MIN_SCM_PER_TARGET);
    let nvmePerTarget = 0;
    if (req.nvmePerRank > 0) {
      // Block-device space goes to targets in whole 1 GiB clusters (the reference's rule): a share below one
      // cluster is refused rather than silently rounded up to many times what was asked.
      if (req.nvmePerRank / maxTargets < NVME_CLUSTER) {
        throw new DaosError(-DER.INVAL, `an NVMe size of ${gib(req.nvmePerRank)} per rank gives each of the ${maxTargets} targets less than one 1 GiB cluster`, {
          hint: `give -n 0 (no NVMe) or at least ${maxTargets}G (${maxTargets} targets x 1 GiB)`,
        });
      }
      nvmePerTarget = Math.ceil(req.nvmePerRank / maxTargets / NVME_CLUSTER) * NVME_CLUSTER;
    }
    const domains = new Map<string, { rank: number; targets: number }[]>();
    for (const [i, r] of ranks.entries()) {
      const dom = byRank.get(r)?.faultDomain || `/rank${r}`;
      domains.set(dom, [...(domains.get(dom) ?? []), { rank: r, targets: targets[i] }]);
    }
    const map = buildPoolMap({ version: 1, domains: [...domains].map(([name, rs]) => ({ name, ranks: rs })) });
    const rec: PoolRecord = {
      uuid,
      label,
      state: 'creating',
      ranks,
      svcReps: selectSvcRanks(ranks, req.nsvc || 1),
      scmPerRank: scmPerTarget * minTargets,
      nvmePerRank: nvmePerTarget * maxTargets,
      scmPerTarget,
      nvmePerTarget,
      owner: req.owner,
      ownerGroup: req.ownerGroup,
      acl,
      props: { label: label || 'pool label not set', space_rb: 0, self_heal: 3, reclaim: 'snapshot' },
      mapVersion: map.version,
      poolMap: encodePoolMap(map),
      attrs: {},
      created: this.now(),
    };
    const ops: { key: string; value: unknown }[] = [{ key: `pool/${uuid}`, value: rec }];
    if (label) ops.push({ key: `plabel/${label}`, value: uuid });
    this.db.kvWrite(ops);
    this.log.info(`pool ${uuid}${label ? ` (${label})` : ''}: creating on ranks ${ranks.join(',')}: ${gib(scmPerTarget)} SCM and ${gib(nvmePerTarget)} NVMe per target`);

    const body = this.o.codec.createReq({ pool: uuid, label, scmPerTarget, nvmePerTarget, poolMap: rec.poolMap, ranks: this.rankUris(rec) });
    const res = await this.o.targets.call('PoolCreate', ranks, body, 120_000);
    const failed = ranks.filter((r) => (res.get(r)?.status ?? -DER.UNREACH) !== 0);
    if (failed.length) {
      // Roll back everywhere (ranks that failed may have created some targets).
      await this.o.targets.call('PoolDestroy', ranks, this.o.codec.poolReq({ pool: uuid }), 60_000).catch(() => undefined);
      const del: { key: string; value: unknown }[] = [{ key: `pool/${uuid}`, value: undefined }];
      if (label) del.push({ key: `plabel/${label}`, value: undefined });
      this.db.kvWrite(del);
      const nospace = failed.filter((r) => res.get(r)?.status === -DER.NOSPACE);
      const lines = ranks.map((r) => {
        const o = res.get(r);
        if (!o || o.status === 0) return `rank ${r}: ok`;
        if (o.status === -DER.NOSPACE) {
          const a = this.o.codec.avail(o.body);
          return `rank ${r}: free ${gib(a.scm)} SCM and ${gib(a.nvme)} NVMe per target`;
        }
        return `rank ${r}: ${o.error || `error ${o.status}`}`;
      });
      const rc = nospace.length ? -DER.NOSPACE : res.get(failed[0])?.status ?? -DER.UNREACH;
      this.log.error(`pool ${uuid}: create failed and was rolled back: ${lines.join('; ')}`);
      throw new DaosError(
        rc,
        `pool needs ${gib(scmPerTarget)} SCM and ${gib(nvmePerTarget)} NVMe per target, refused by rank(s) ${failed.join(',')} (${lines.join('; ')})`,
        nospace.length ? { hint: 'ask for less (-s/-n are per rank), free space by destroying pools, or check dmg storage scan; nothing was created' } : undefined,
      );
    }
    rec.state = 'ready';
    this.db.kvWrite([{ key: `pool/${uuid}`, value: rec }]);
    this.log.info(`pool ${uuid}: created`);
    return rec;
  }

  async destroy(id: string, force: boolean): Promise<PoolRecord> {
    const p = this.pool(id);
    const handles = this.poolHandles(p.uuid);
    if (handles.length && !force) {
      throw new DaosError(-DER.BUSY, `pool ${p.uuid} has ${handles.length} open handle(s) (connected from ${[...new Set(handles.map((h) => h.machine))].join(', ')})`, {
        hint: 'disconnect the clients, or destroy with --force to evict them',
      });
    }
    if (p.state !== 'destroying') {
      p.state = 'destroying';
      this.db.kvWrite([{ key: `pool/${p.uuid}`, value: p }]);
    }
    const res = await this.o.targets.call('PoolDestroy', p.ranks, this.o.codec.poolReq({ pool: p.uuid }), 60_000);
    const failed = p.ranks.filter((r) => {
      const s = res.get(r)?.status ?? -DER.UNREACH;
      return s !== 0 && s !== -DER.NONEXIST;
    });
    if (failed.length) {
      throw new DaosError(-DER.UNREACH, `pool ${p.uuid}: could not destroy the targets of rank(s) ${failed.join(',')}: ${failed.map((r) => res.get(r)?.error || 'unreachable').join('; ')}`, {
        hint: 'start the I/O servers of those ranks (dmg system start) and run the destroy again; the pool stays listed as destroying until then',
      });
    }
    const ops: { key: string; value: unknown }[] = [{ key: `pool/${p.uuid}`, value: undefined }];
    if (p.label) ops.push({ key: `plabel/${p.label}`, value: undefined });
    for (const prefix of [`phdl/${p.uuid}/`, `cont/${p.uuid}/`, `clabel/${p.uuid}/`, `chdl/${p.uuid}/`]) {
      for (const e of this.db.kvRange(prefix)) ops.push({ key: e.key, value: undefined });
    }
    this.db.kvWrite(ops);
    this.log.info(`pool ${p.uuid}: destroyed`);
    return p;
  }

  async query(id: string): Promise<PoolQueryInfo> {
    const p = this.pool(id);
    const map = this.poolMap(p);
    const counts = targetCounts(map);
    const res = await this.o.targets.call('PoolQuery', p.ranks, this.o.codec.poolReq({ pool: p.uuid }), 30_000);
    const scmFree: number[] = [];
    const nvmeFree: number[] = [];
    let scmTotal = 0;
    let nvmeTotal = 0;
    for (const r of p.ranks) {
      const o = res.get(r);
      if (!o || o.status !== 0) continue;
      for (const t of this.o.codec.space(o.body)) {
        scmTotal += t.scmTotal;
        nvmeTotal += t.nvmeTotal;
        scmFree.push(t.scmFree);
        nvmeFree.push(t.nvmeFree);
      }
    }
    const usage = (total: number, free: number[]) => ({
      total,
      free: free.reduce((a, b) => a + b, 0),
      min: free.length ? Math.min(...free) : 0,
      max: free.length ? Math.max(...free) : 0,
      mean: free.length ? Math.floor(free.reduce((a, b) => a + b, 0) / free.length) : 0,
    });
    return {
      pool: p,
      ntargets: counts.total,
      disabled: counts.disabled,
      activeTargets: scmFree.length,
      mapVersion: map.version,
      scm: usage(scmTotal, scmFree),
      nvme: usage(nvmeTotal, nvmeFree),
      rebuild: 'idle',
      nhandles: this.poolHandles(p.uuid).length,
    };
  }

  // ---- ACLs ---------------------------------------------------------------------------

  getAcl(id: string): PoolRecord {
    return this.pool(id);
  }

  setAcl(id: string, change: (acl: string[]) => string[]): PoolRecord {
    const p = this.readyPool(id);
    p.acl = change(p.acl);
    this.db.kvWrite([{ key: `pool/${p.uuid}`, value: p }]);
    return p;
  }

  overwriteAcl(id: string, aces: string[]): PoolRecord {
    return this.setAcl(id, () => (aces.length ? this.o.acl.canonical(aces) : []));
  }

  updateAcl(id: string, aces: string[]): PoolRecord {
    if (aces.length === 0) throw new DaosError(-DER.INVAL, 'no entries requested');
    return this.setAcl(id, (acl) => this.o.acl.update(acl, aces));
  }

  deleteAcl(id: string, principal: string): PoolRecord {
    if (!principal) throw new DaosError(-DER.INVAL, 'no principal provided');
    return this.setAcl(id, (acl) => this.o.acl.remove(acl, principal));
  }

  // ---- client: pool handles --------------------------------------------------------------

  connect(id: string, flags: number, cred: Credential): { pool: PoolRecord; handle: string; token: Buffer; capas: number } {
    const p = this.readyPool(id);
    const capas = flags & Capa.EX ? Capa.EX : flags & Capa.RW ? Capa.RW : Capa.RO;
    const need = capas === Capa.RO ? 'r' : 'rw';
    if (!this.o.acl.allows(p.acl, p.owner, p.ownerGroup, cred, need)) {
      throw new DaosError(-DER.NO_PERM, `${cred.user} may not connect to pool ${p.label || p.uuid} ${capas === Capa.RO ? 'read-only' : 'read-write'}`, {
        hint: 'the pool ACL does not allow it: see dmg pool get-acl, and ask the administrator to grant access (dmg pool update-acl)',
      });
    }
    if (capas !== Capa.RO) {
      const ex = this.poolHandles(p.uuid).find((h) => h.capas === Capa.EX);
      if (ex || (capas === Capa.EX && this.poolHandles(p.uuid).some((h) => h.capas !== Capa.RO))) {
        throw new DaosError(-DER.BUSY, `pool ${p.uuid} is connected exclusively`, { hint: 'wait for the exclusive client to disconnect' });
      }
    }
    const handle = crypto.randomUUID();
    const rec: PoolHandleRecord = { pool: p.uuid, handle, capas, user: cred.user, machine: cred.machine, opened: this.now() };
    this.db.kvWrite([{ key: `phdl/${p.uuid}/${handle}`, value: rec }]);
    const token = signToken(this.db.handleKey, { kind: 'pool', pool: p.uuid, poolHandle: handle, capas, issuedMs: this.now() });
    return { pool: p, handle, token, capas };
  }

  poolHandle(pool: string, handle: string): PoolHandleRecord {
    const h = this.db.kvGet<PoolHandleRecord>(`phdl/${pool.toLowerCase()}/${handle}`);
    if (!h) throw new DaosError(-DER.NO_HDL, `pool handle ${handle} is not open`, { hint: 'connect to the pool again' });
    return h;
  }

  disconnect(pool: string, handle: string): void {
    const h = this.poolHandle(pool, handle);
    const open = this.db.kvRange<ContHandleRecord>(`chdl/${h.pool}/`).filter((c) => c.value.poolHandle === handle);
    if (open.length) throw new DaosError(-DER.BUSY, `${open.length} container handle(s) are still open through this pool handle`, { hint: 'close the containers first' });
    this.db.kvWrite([{ key: `phdl/${h.pool}/${handle}`, value: undefined }]);
  }

  // ---- client: containers -------------------------------------------------------------------

  conts(pool: string): ContRecord[] {
    return this.db.kvRange<ContRecord>(`cont/${pool}/`).map((e) => e.value);
  }

  cont(pool: PoolRecord, id: string): ContRecord {
    let uuid = id.toLowerCase();
    if (!isUuid(id)) {
      const byLabel = this.db.kvGet<string>(`clabel/${pool.uuid}/${id}`);
      if (!byLabel) throw new DaosError(-DER.NONEXIST, `no container with label ${JSON.stringify(id)} in pool ${pool.label || pool.uuid}`, { hint: 'list the containers with daos container list <pool>' });
      uuid = byLabel;
    }
    const c = this.db.kvGet<ContRecord>(`cont/${pool.uuid}/${uuid}`);
    if (!c) throw new DaosError(-DER.NONEXIST, `no container ${id} in pool ${pool.label || pool.uuid}`, { hint: 'list the containers with daos container list <pool>' });
    return c;
  }

  contCreate(poolId: string, poolHandle: string, uuid: string, label: string, props: Record<string, string | number>, cred: Credential): ContRecord {
    const p = this.readyPool(poolId);
    const h = this.poolHandle(p.uuid, poolHandle);
    if (h.capas === Capa.RO) throw new DaosError(-DER.NO_PERM, 'creating a container needs a read-write pool connection');
    if (!isUuid(uuid)) throw new DaosError(-DER.INVAL, `container UUID ${JSON.stringify(uuid)} is not a UUID`);
    uuid = uuid.toLowerCase();
    props = checkContProps(props);
    if (this.db.kvGet(`cont/${p.uuid}/${uuid}`)) throw new DaosError(-DER.EXIST, `container ${uuid} already exists`);
    if (label) {
      checkLabel(label, 'container');
      if (this.db.kvGet(`clabel/${p.uuid}/${label}`)) throw new DaosError(-DER.EXIST, `a container labelled ${JSON.stringify(label)} already exists in this pool`, { hint: 'choose another label' });
    }
    const c: ContRecord = {
      pool: p.uuid,
      uuid,
      label,
      owner: cred.user,
      ownerGroup: cred.group,
      acl: this.o.acl.defaultCont(),
      props: { label: label || 'container label not set', ...props },
      attrs: {},
      snapshots: [],
      oidNext: '1',
      created: this.now(),
    };
    const ops: { key: string; value: unknown }[] = [{ key: `cont/${p.uuid}/${uuid}`, value: c }];
    if (label) ops.push({ key: `clabel/${p.uuid}/${label}`, value: uuid });
    this.db.kvWrite(ops);
    return c;
  }

  contOpen(poolId: string, poolHandle: string, contId: string, flags: number, cred: Credential): { cont: ContRecord; handle: string; token: Buffer; capas: number } {
    const p = this.readyPool(poolId);
    const ph = this.poolHandle(p.uuid, poolHandle);
    const c = this.cont(p, contId);
    const capas = flags & Capa.RW ? Capa.RW : Capa.RO;
    if (capas === Capa.RW && ph.capas === Capa.RO) throw new DaosError(-DER.NO_PERM, 'opening a container read-write needs a read-write pool connection');
    const need = capas === Capa.RO ? 'r' : 'rw';
    if (!this.o.acl.allows(c.acl, c.owner, c.ownerGroup, cred, need)) {
      throw new DaosError(-DER.NO_PERM, `${cred.user} may not open container ${c.label || c.uuid} ${capas === Capa.RO ? 'read-only' : 'read-write'}`, {
        hint: "the container ACL does not allow it; its owner can change it",
      });
    }
    const handle = crypto.randomUUID();
    const rec: ContHandleRecord = { pool: p.uuid, cont: c.uuid, handle, poolHandle, capas, user: cred.user };
    this.db.kvWrite([{ key: `chdl/${p.uuid}/${handle}`, value: rec }]);
    const token = signToken(this.db.handleKey, { kind: 'cont', pool: p.uuid, poolHandle, cont: c.uuid, contHandle: handle, capas, issuedMs: this.now() });
    return { cont: c, handle, token, capas };
  }

  contHandle(pool: string, handle: string): ContHandleRecord {
    const h = this.db.kvGet<ContHandleRecord>(`chdl/${pool.toLowerCase()}/${handle}`);
    if (!h) throw new DaosError(-DER.NO_HDL, `container handle ${handle} is not open`, { hint: 'open the container again' });
    return h;
  }

  /**
   * Every open container handle, and the MS clock of the answer: a joining
   * I/O server refuses older tokens of handles not in the list, so a handle
   * closed while it was down or unreachable stays closed there.
   */
  openContHandles(): { handles: string[]; asOfMs: number } {
    return { handles: this.db.kvRange<ContHandleRecord>('chdl/').map((e) => e.value.handle), asOfMs: this.now() };
  }

  contHandlesOf(pool: string, cont: string): ContHandleRecord[] {
    return this.db.kvRange<ContHandleRecord>(`chdl/${pool}/`).map((e) => e.value).filter((h) => h.cont === cont);
  }

  /**
   * Close a container handle, and revoke it on the I/O servers of the pool:
   * its token cannot be used or registered again there. A rank that cannot be
   * reached is logged; it forgets the handle when it restarts.
   */
  async contClose(pool: string, handle: string): Promise<void> {
    const h = this.contHandle(pool, handle);
    this.db.kvWrite([{ key: `chdl/${h.pool}/${handle}`, value: undefined }]);
    const p = this.db.kvGet<PoolRecord>(`pool/${h.pool}`);
    if (!p) return;
    const res = await this.o.targets.call('HandleRevoke', p.ranks, this.o.codec.poolReq({ pool: p.uuid, handles: [handle] }), 10_000).catch(() => new Map<number, RankOutcome>());
    const missed = p.ranks.filter((r) => (res.get(r)?.status ?? -DER.UNREACH) !== 0);
    if (missed.length) this.log.notice(`container handle ${handle}: not revoked on rank(s) ${missed.join(',')} (unreachable)`);
  }

  /**
   * Destroy a container: the caller needs delete-container from the pool ACL
   * (`d`, or `w`, which today's DAOS makes an alias of `c` and `d` on pools) or
   * delete (`d`) from the container's own ACL.
   */
  async contDestroy(poolId: string, poolHandle: string, contId: string, force: boolean, cred: Credential): Promise<ContRecord> {
    const p = this.readyPool(poolId);
    const ph = this.poolHandle(p.uuid, poolHandle);
    if (ph.capas === Capa.RO) throw new DaosError(-DER.NO_PERM, 'destroying a container needs a read-write pool connection');
    const c = this.cont(p, contId);
    const byPool = this.o.acl.allows(p.acl, p.owner, p.ownerGroup, cred, 'd') || this.o.acl.allows(p.acl, p.owner, p.ownerGroup, cred, 'w');
    if (!byPool && !this.o.acl.allows(c.acl, c.owner, c.ownerGroup, cred, 'd')) {
      throw new DaosError(-DER.NO_PERM, `${cred.user} may not destroy container ${c.label || c.uuid}`, { hint: 'neither the pool ACL (d or w) nor the container ACL (d) grants it to you' });
    }
    const open = this.db.kvRange<ContHandleRecord>(`chdl/${p.uuid}/`).filter((e) => e.value.cont === c.uuid);
    if (open.length && !force) throw new DaosError(-DER.BUSY, `container ${c.label || c.uuid} has ${open.length} open handle(s)`, { hint: 'close it everywhere, or destroy with --force' });
    const res = await this.o.targets.call('ContDestroy', p.ranks, this.o.codec.poolReq({ pool: p.uuid, cont: c.uuid }), 60_000);
    const failed = p.ranks.filter((r) => {
      const s = res.get(r)?.status ?? -DER.UNREACH;
      return s !== 0 && s !== -DER.NONEXIST;
    });
    if (failed.length) {
      throw new DaosError(-DER.UNREACH, `container ${c.uuid}: could not destroy it on rank(s) ${failed.join(',')}`, { hint: 'start those ranks (dmg system start) and destroy again' });
    }
    const ops: { key: string; value: unknown }[] = [{ key: `cont/${p.uuid}/${c.uuid}`, value: undefined }];
    if (c.label) ops.push({ key: `clabel/${p.uuid}/${c.label}`, value: undefined });
    for (const e of open) ops.push({ key: e.key, value: undefined });
    this.db.kvWrite(ops);
    return c;
  }

  /**
   * Roll a container back to a snapshot: every I/O server drops what was
   * written after it, and the later snapshots go. Needs a read-write handle
   * and no other open handle of the container (their view would change under
   * them); all targets must answer, else nothing is recorded and it can be
   * retried.
   */
  async contRollback(poolId: string, contHandle: string, which: { epoch?: bigint; name?: string }): Promise<bigint> {
    const p = this.readyPool(poolId);
    const h = this.contHandle(p.uuid, contHandle);
    if (h.capas !== Capa.RW) throw new DaosError(-DER.NO_PERM, 'rolling back needs a container opened read-write');
    const c = this.cont(p, h.cont);
    const snap = c.snapshots.find((s) => (which.name ? s.name === which.name : BigInt(s.epoch) === which.epoch));
    if (!snap) throw new DaosError(-DER.NONEXIST, `no snapshot ${which.name ? JSON.stringify(which.name) : String(which.epoch)} in container ${c.label || c.uuid}`, { hint: 'list them with daos container list-snaps' });
    const others = this.contHandlesOf(p.uuid, c.uuid).filter((x) => x.handle !== contHandle);
    if (others.length) throw new DaosError(-DER.BUSY, `container ${c.label || c.uuid} is open ${others.length} more time(s)`, { hint: 'close it in every other program, then roll back' });
    const epoch = BigInt(snap.epoch);
    const res = await this.o.targets.call('ContRollback', p.ranks, this.o.codec.poolReq({ pool: p.uuid, cont: c.uuid, epoch }), 300_000);
    const failed = p.ranks.filter((r) => (res.get(r)?.status ?? -DER.UNREACH) !== 0);
    if (failed.length) {
      throw new DaosError(-DER.UNREACH, `container ${c.label || c.uuid}: rank(s) ${failed.join(',')} could not roll back (${failed.map((r) => res.get(r)?.error || 'unreachable').join('; ')})`, {
        hint: 'start those ranks (dmg system start) and run the rollback again',
      });
    }
    c.snapshots = c.snapshots.filter((s) => BigInt(s.epoch) <= epoch);
    this.contUpdate(c);
    this.log.info(`container ${c.uuid} of pool ${p.uuid}: rolled back to snapshot ${snap.name || snap.epoch}`);
    return epoch;
  }

  /**
   * Change container properties (daos container set-prop). Each needs its
   * permission in the container ACL: label and snapshot_max `T` (set-prop),
   * acl `A` (set-ACL), owner and owner_group `o` (set-owner). Everything is
   * checked before anything changes.
   */
  contSetProps(poolId: string, contHandle: string, props: { name: string; value: string; acl: string[] }[], cred: Credential): ContRecord {
    const p = this.readyPool(poolId);
    const h = this.contHandle(p.uuid, contHandle);
    if (h.capas !== Capa.RW) throw new DaosError(-DER.NO_PERM, 'setting properties needs a container opened read-write');
    const c = this.cont(p, h.cont);
    if (props.length === 0) throw new DaosError(-DER.INVAL, 'no property to set');
    const next: ContRecord = { ...c, props: { ...c.props } };
    const need = new Set<string>();
    const ops: { key: string; value: unknown }[] = [];
    for (const pr of props) {
      switch (pr.name) {
        case 'label': {
          checkLabel(pr.value, 'container');
          if (pr.value !== c.label && this.db.kvGet(`clabel/${p.uuid}/${pr.value}`)) {
            throw new DaosError(-DER.EXIST, `a container labelled ${JSON.stringify(pr.value)} already exists in this pool`, { hint: 'choose another label' });
          }
          if (c.label && c.label !== pr.value) ops.push({ key: `clabel/${p.uuid}/${c.label}`, value: undefined });
          ops.push({ key: `clabel/${p.uuid}/${pr.value}`, value: c.uuid });
          next.label = pr.value;
          next.props.label = pr.value;
          need.add('T');
          break;
        }
        case 'max_snapshot':
        case 'snapshot_max': {
          const n = Number(pr.value);
          if (!Number.isInteger(n) || n < 0) throw new DaosError(-DER.INVAL, `max_snapshot ${JSON.stringify(pr.value)} is not a number of snapshots`);
          next.props.max_snapshot = n;
          need.add('T');
          break;
        }
        case 'acl':
          next.acl = pr.acl.length ? this.o.acl.canonical(pr.acl) : [];
          need.add('A');
          break;
        case 'owner':
        case 'owner_group': {
          if (!/^[^@\s]+@[^@\s]*$/.test(pr.value)) throw new DaosError(-DER.INVAL, `${pr.name} ${JSON.stringify(pr.value)} is not a principal (name@ or name@domain)`);
          if (pr.name === 'owner') next.owner = pr.value;
          else next.ownerGroup = pr.value;
          need.add('o');
          break;
        }
        default:
          throw new DaosError(-DER.INVAL, `container property ${JSON.stringify(pr.name)} cannot be changed`, {
            hint: 'settable after creation: label, max_snapshot, acl, owner, owner_group; the others are fixed when the container is created',
          });
      }
    }
    for (const perm of need) {
      if (!this.o.acl.allows(c.acl, c.owner, c.ownerGroup, cred, perm)) {
        throw new DaosError(-DER.NO_PERM, `${cred.user} may not change ${perm === 'A' ? 'the ACL' : perm === 'o' ? 'the owner' : 'properties'} of container ${c.label || c.uuid}`, {
          hint: 'the container ACL does not allow it; its owner can change it',
        });
      }
    }
    ops.push({ key: `cont/${p.uuid}/${c.uuid}`, value: next });
    this.db.kvWrite(ops);
    return next;
  }

  contUpdate(c: ContRecord): void {
    this.db.kvWrite([{ key: `cont/${c.pool}/${c.uuid}`, value: c }]);
  }

  poolUpdate(p: PoolRecord): void {
    this.db.kvWrite([{ key: `pool/${p.uuid}`, value: p }]);
  }

  /** A snapshot at an epoch after everything the caller has seen (its clock was merged). */
  snapCreate(c: ContRecord, name: string, clientHlc: bigint): bigint {
    if (clientHlc) this.o.hlc.merge(clientHlc);
    const epoch = this.o.hlc.now();
    if (name && c.snapshots.some((s) => s.name === name)) throw new DaosError(-DER.EXIST, `snapshot ${JSON.stringify(name)} already exists`);
    c.snapshots.push({ epoch: String(epoch), name });
    c.snapshots.sort((a, b) => (BigInt(a.epoch) < BigInt(b.epoch) ? -1 : 1));
    this.contUpdate(c);
    return epoch;
  }

  snapDestroy(c: ContRecord, epoch: bigint, name: string): bigint {
    const i = c.snapshots.findIndex((s) => (name ? s.name === name : BigInt(s.epoch) === epoch));
    if (i < 0) throw new DaosError(-DER.NONEXIST, `no snapshot ${name ? JSON.stringify(name) : epoch}`, { hint: 'list them with daos container list-snaps' });
    const [s] = c.snapshots.splice(i, 1);
    this.contUpdate(c);
    return BigInt(s.epoch);
  }

  allocOids(c: ContRecord, count: bigint): bigint {
    if (count <= 0n) throw new DaosError(-DER.INVAL, 'allocate at least one object ID');
    const lo = BigInt(c.oidNext);
    c.oidNext = String(lo + count);
    this.contUpdate(c);
    return lo;
  }
}

export interface Usage {
  total: number;
  free: number;
  min: number;
  max: number;
  mean: number;
}

export interface PoolQueryInfo {
  pool: PoolRecord;
  ntargets: number;
  disabled: number;
  activeTargets: number;
  mapVersion: number;
  scm: Usage;
  nvme: Usage;
  rebuild: string;
  nhandles: number;
}
