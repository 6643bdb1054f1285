/**
 * Pool administration (dmg pool ..., dmg system list-pools). Like the system
 * operations, each request goes to the first server of the host list that
 * answers; a server that is not the management service leader forwards it.
 *
 * A refusal by DAOS comes back as a status (a negative DER code) and, from our
 * servers, the error itself; it is raised here as a DaosError so callers see
 * the code, its name, the detail and the hint.
 */
import { DaosError } from '../../daos/errors.js';
import { firstAnswer, type SystemRequest } from './system.js';
import type { Invoker } from './invoker.js';

export interface PoolCreateRequest extends SystemRequest {
  uuid: string;
  label?: string;
  scmBytes: number;
  nvmeBytes: number;
  ranks: number[];
  nsvc: number;
  sys: string;
  user: string;
  group: string;
  acl: string[];
}

export interface PoolCreateResult {
  uuid: string;
  svcReps: number[];
  tgtRanks: number[];
  scmPerRank: number;
  nvmePerRank: number;
}

export interface StorageUsage {
  total: number;
  free: number;
  min: number;
  max: number;
  mean: number;
}

export interface PoolQueryResult {
  uuid: string;
  label: string;
  ntargets: number;
  disabled: number;
  activeTargets: number;
  mapVersion: number;
  leader: number;
  svcReps: number[];
  tgtRanks: number[];
  nhandles: number;
  scm: StorageUsage;
  nvme: StorageUsage;
  rebuild: { state: string; objects: number; records: number; errno: number };
}

export interface PoolListEntry {
  uuid: string;
  label: string;
  svcReps: number[];
  scmTotal: number;
  nvmeTotal: number;
  nhandles: number;
}

export interface AclResult {
  acl: string[];
  owner: string;
  ownerGroup: string;
}

/** The DAOS error of a reply: ours carry it as JSON in `fault`; the original's only the status. */
export function statusError(status: number, fault: string | undefined): DaosError {
  if (fault) {
    try {
      const e = DaosError.fromJSON(JSON.parse(fault));
      if (e) return e;
    } catch {
      // not JSON: use the status alone
    }
  }
  return new DaosError(status);
}

function check(r: { status: number; fault?: string }): void {
  if (r.status !== 0) throw statusError(r.status, r.fault);
}

export async function poolCreate(invoker: Invoker, req: PoolCreateRequest): Promise<PoolCreateResult> {
  const { value } = await firstAnswer(invoker, { ...req, timeoutMs: req.timeoutMs ?? 300_000 }, (c, deadline) =>
    c.mgmt.unary(
      'poolCreate',
      {
        uuid: req.uuid,
        label: req.label ?? '',
        scmbytes: BigInt(req.scmBytes),
        nvmebytes: BigInt(req.nvmeBytes),
        ranks: req.ranks,
        numsvcreps: req.nsvc,
        sys: req.sys,
        user: req.user,
        usergroup: req.group,
        acl: req.acl,
      },
      { deadline },
    ),
  );
  check(value);
  return { uuid: value.uuid || req.uuid, svcReps: value.svcreps, tgtRanks: value.tgtRanks, scmPerRank: Number(value.scmPerRank), nvmePerRank: Number(value.nvmePerRank) };
}

export async function poolDestroy(invoker: Invoker, req: SystemRequest & { pool: string; sys: string; force: boolean }): Promise<void> {
  const { value } = await firstAnswer(invoker, { ...req, timeoutMs: req.timeoutMs ?? 300_000 }, (c, deadline) =>
    c.mgmt.unary('poolDestroy', { uuid: req.pool, sys: req.sys, force: req.force }, { deadline }),
  );
  check(value);
}

export async function poolList(invoker: Invoker, req: SystemRequest & { sys: string }): Promise<PoolListEntry[]> {
  const { value } = await firstAnswer(invoker, req, (c, deadline) => c.mgmt.unary('listPools', { sys: req.sys }, { deadline }));
  check(value);
  return value.pools.map((p) => ({
    uuid: p.uuid,
    label: p.label,
    svcReps: p.svcreps,
    scmTotal: Number(p.scmTotal),
    nvmeTotal: Number(p.nvmeTotal),
    nhandles: p.nhandles,
  }));
}

export async function poolQuery(invoker: Invoker, req: SystemRequest & { pool: string; sys: string }): Promise<PoolQueryResult> {
  const { value: r } = await firstAnswer(invoker, req, (c, deadline) => c.mgmt.unary('poolQuery', { uuid: req.pool, sys: req.sys }, { deadline }));
  check(r);
  const u = (x: { total: bigint; free: bigint; min: bigint; max: bigint; mean: bigint } | undefined): StorageUsage => ({
    total: Number(x?.total ?? 0n),
    free: Number(x?.free ?? 0n),
    min: Number(x?.min ?? 0n),
    max: Number(x?.max ?? 0n),
    mean: Number(x?.mean ?? 0n),
  });
  return {
    uuid: r.uuid,
    label: r.label,
    ntargets: r.ntargets,
    disabled: r.disabled,
    activeTargets: r.activeTargets,
    mapVersion: r.mapVersion,
    leader: r.leader,
    svcReps: r.svcreps,
    tgtRanks: r.tgtRanks,
    nhandles: r.nhandles,
    scm: u(r.scm),
    nvme: u(r.nvme),
    rebuild: { state: r.rebuildState || 'idle', objects: Number(r.rebuildObjs), records: Number(r.rebuildRecs), errno: r.rebuildErrno },
  };
}

type AclMethod = 'poolGetACL' | 'poolOverwriteACL' | 'poolUpdateACL' | 'poolDeleteACL';

export async function poolAcl(
  invoker: Invoker,
  req: SystemRequest & { method: AclMethod; pool: string; acl?: string[]; principal?: string },
): Promise<AclResult> {
  const { value } = await firstAnswer(invoker, req, (c, deadline) => {
    switch (req.method) {
      case 'poolGetACL':
        return c.mgmt.unary('poolGetACL', { uuid: req.pool }, { deadline });
      case 'poolDeleteACL':
        return c.mgmt.unary('poolDeleteACL', { uuid: req.pool, principal: req.principal ?? '' }, { deadline });
      default:
        return c.mgmt.unary(req.method, { uuid: req.pool, ACL: req.acl ?? [] }, { deadline });
    }
  });
  check(value);
  return { acl: value.ACL, owner: value.owner, ownerGroup: value.ownerGroup };
}
