/**
 * The management service acting on pool targets: it asks the daos_server of
 * each rank (gRPC MgmtSvc/TargetsCall), which hands the request to the I/O
 * server of that rank over dRPC and returns one result per rank.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Method } from '../drpc/modules.js';
import { errorMessage } from '../fault/fault.js';
import {
  PoolTgtCreateReqSchema,
  PoolTgtReplySchema,
  PoolTgtReqSchema,
  RankReplySchema,
} from '../proto/mgmt/targets_pb.js';
import type { RankReply } from '../proto/mgmt/targets_pb.js';
import type { Member } from '../system/membership.js';
import type { RankOutcome, TargetCaller, TargetCodec } from '../system/mgmt_pool.js';
import type { PeerClients } from './ms_client.js';
import type { ControlServer } from './server.js';

const DER_UNREACH = -1006;
const DER_NOSYS = -1010;

/** Engine dRPC method of each targets operation. */
export const TARGET_METHODS: Readonly<Record<string, number>> = {
  PoolCreate: Method.poolCreate,
  PoolDestroy: Method.poolDestroy,
  PoolQuery: Method.poolQueryTargets,
  ContDestroy: Method.contDestroy,
  PoolMapUpdate: Method.poolMapUpdate,
  ContRollback: Method.contRollback,
  HandleRevoke: Method.handleRevoke,
};

/** daos_server side: run the request on the local I/O servers of the ranks named. */
export async function runTargetsCall(srv: ControlServer, method: string, ranks: number[], body: Uint8Array, timeoutMs = 120_000): Promise<RankReply[]> {
  const m = TARGET_METHODS[method];
  return Promise.all(
    ranks.map(async (rank) => {
      if (m === undefined) return create(RankReplySchema, { rank, status: DER_NOSYS, error: `unknown targets method ${method}` });
      const inst = srv.instanceByRank(rank);
      if (!inst) return create(RankReplySchema, { rank, status: DER_UNREACH, error: `rank ${rank} is not served by this daos_server` });
      try {
        return fromBinary(RankReplySchema, await inst.drpcCall(m, body, timeoutMs));
      } catch (e) {
        return create(RankReplySchema, { rank, status: DER_UNREACH, error: `rank ${rank}: ${errorMessage(e)}` });
      }
    }),
  );
}

/** MS side: one TargetsCall per daos_server, in parallel. */
export class GrpcTargetCaller implements TargetCaller {
  constructor(
    private readonly peers: PeerClients,
    private readonly members: () => Member[],
  ) {}

  async call(method: string, ranks: number[], body: Uint8Array, timeoutMs: number): Promise<Map<number, RankOutcome>> {
    const byAddr = new Map<string, number[]>();
    const members = new Map(this.members().map((m) => [m.rank, m]));
    const out = new Map<number, RankOutcome>();
    for (const r of ranks) {
      const m = members.get(r);
      if (!m) {
        out.set(r, { status: DER_UNREACH, error: `rank ${r} is not a member`, body: new Uint8Array() });
        continue;
      }
      byAddr.set(m.addr, [...(byAddr.get(m.addr) ?? []), r]);
    }
    await Promise.all(
      [...byAddr].map(async ([addr, rs]) => {
        try {
          const resp = await this.peers.mgmt(addr).unary('targetsCall', { method, ranks: rs, body }, { deadline: new Date(Date.now() + timeoutMs + 5000) });
          for (const x of resp.results) out.set(x.rank, { status: x.status, error: x.error, body: x.body });
          for (const r of rs) if (!out.has(r)) out.set(r, { status: DER_UNREACH, error: `${addr} did not answer for rank ${r}`, body: new Uint8Array() });
        } catch (e) {
          for (const r of rs) out.set(r, { status: DER_UNREACH, error: `daos_server at ${addr}: ${errorMessage(e)}`, body: new Uint8Array() });
        }
      }),
    );
    return out;
  }
}

export const targetCodec: TargetCodec = {
  createReq: (p) =>
    toBinary(
      PoolTgtCreateReqSchema,
      create(PoolTgtCreateReqSchema, {
        pool: p.pool,
        label: p.label,
        scmPerTarget: BigInt(p.scmPerTarget),
        nvmePerTarget: BigInt(p.nvmePerTarget),
        poolMap: p.poolMap,
        ranks: p.ranks,
      }),
    ),
  poolReq: (p) => toBinary(PoolTgtReqSchema, create(PoolTgtReqSchema, { pool: p.pool, cont: p.cont ?? '', poolMap: p.poolMap ?? new Uint8Array(), ranks: p.ranks ?? [], epoch: p.epoch ?? 0n, handles: p.handles ?? [] })),
  space: (body) =>
    fromBinary(PoolTgtReplySchema, body).targets.map((t) => ({
      target: t.target,
      scmTotal: Number(t.scmTotal),
      scmFree: Number(t.scmFree),
      nvmeTotal: Number(t.nvmeTotal),
      nvmeFree: Number(t.nvmeFree),
    })),
  avail: (body) => {
    const r = fromBinary(PoolTgtReplySchema, body);
    return { scm: Number(r.scmAvailPerTarget), nvme: Number(r.nvmeAvailPerTarget) };
  },
};
