/**
 * Pool administration requests of dmg (MgmtSvc PoolCreate, PoolDestroy,
 * ListPools, PoolQuery and the ACL methods), answered by the pool service.
 * Errors travel as the original's status (a negative DER code, which the v0.8
 * dmg prints) and, for our dmg, as the error in JSON.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { DaosError, DER } from '../daos/errors.js';
import { errorMessage } from '../fault/fault.js';
import type { PoolQueryRespSchema } from '../proto/mgmt/pool_pb.js';
import type { PoolQueryInfo, PoolRecord } from '../system/mgmt_pool.js';

export function daosErr(e: unknown): DaosError {
  return e instanceof DaosError ? e : new DaosError(-DER.IO, errorMessage(e));
}

export function errJson(e: unknown): string {
  return JSON.stringify(daosErr(e).toJSON());
}

export function poolQueryToProto(q: PoolQueryInfo): MessageInitShape<typeof PoolQueryRespSchema> {
  const u = (x: PoolQueryInfo['scm']) => ({ total: BigInt(x.total), free: BigInt(x.free), min: BigInt(x.min), max: BigInt(x.max), mean: BigInt(x.mean) });
  return {
    status: 0,
    uuid: q.pool.uuid,
    label: q.pool.label,
    ntargets: q.ntargets,
    disabled: q.disabled,
    activeTargets: q.activeTargets,
    mapVersion: q.mapVersion,
    scm: u(q.scm),
    nvme: u(q.nvme),
    rebuildState: q.rebuild,
    leader: q.pool.svcReps[0] ?? 0,
    svcreps: q.pool.svcReps,
    nhandles: q.nhandles,
    tgtRanks: q.pool.ranks,
  };
}

export function poolListEntry(p: PoolRecord, nhandles: number) {
  return {
    uuid: p.uuid,
    svcreps: p.svcReps,
    label: p.label,
    scmTotal: BigInt(p.scmPerRank * p.ranks.length),
    nvmeTotal: BigInt(p.nvmePerRank * p.ranks.length),
    nhandles,
  };
}
