/**
 * mgmt.MgmtSvc handlers. Membership methods need the management service
 * (the access point); the per-rank methods act on this server's instances.
 */
import { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import type { ServiceImpl } from '../lib/grpc/service.js';
import { systemFaults } from '../system/faults.js';
import { JoinResp_State } from '../proto/mgmt/srv_pb.js';
import { NIL_RANK } from '../system/membership.js';
import type { ControlServer } from './server.js';
import { peerIP, splitHostPortSafe } from './ms_client.js';

/** Pool and device methods arrive with the data plane; until then they answer with this status. */
const DER_NOSYS = -1010;

export function mgmtService(srv: ControlServer): ServiceImpl<typeof MgmtSvc> {
  const ms = () => {
    if (srv.ms) return srv.ms;
    if (srv.isAccessPoint) throw systemFaults.msNotReady(srv.leader, srv.msNotReadyReason);
    throw systemFaults.notReplica(srv.deps.hostname, srv.leader);
  };

  return {
    async join(req, ctx) {
      const port = splitHostPortSafe(req.addr)[1] || String(srv.cfg.port);
      const r = ms().join({
        uuid: req.uuid,
        rank: req.rank === NIL_RANK ? undefined : req.rank,
        fabricUri: req.uri,
        nctxs: req.nctxs,
        addr: `${peerIP(ctx.peer)}:${port}`,
        hostname: req.hostname || peerIP(ctx.peer),
        faultDomain: req.faultDomain || `/${req.hostname || peerIP(ctx.peer)}`,
        instanceIdx: req.instanceIdx,
        system: req.sys,
      });
      return { status: 0, rank: r.rank, state: JoinResp_State.IN, mapVersion: BigInt(r.mapVersion) };
    },

    async leaderQuery(req) {
      if (req.system && req.system !== srv.cfg.name) throw systemFaults.wrongSystem(req.system, srv.cfg.name);
      return { currentLeader: srv.leader, replicas: srv.cfg.accessPoints };
    },

    async getAttachInfo(req, ctx) {
      const m = ms();
      if (req.sys && req.sys !== m.systemName) throw systemFaults.wrongSystem(req.sys, m.systemName);
      if (req.waitNewerThan > 0n) {
        await m.waitForNewer(Number(req.waitNewerThan), Math.min(req.waitMs || 30_000, 60_000), ctx.signal);
      }
      const ai = m.attachInfo();
      return { status: 0, psrs: ai.psrs, mapVersion: BigInt(ai.mapVersion) };
    },

    async clusterEvent(req, ctx) {
      const port = splitHostPortSafe(req.addr)[1] || String(srv.cfg.port);
      const m = ms();
      m.report(
        `${peerIP(ctx.peer)}:${port}`,
        req.instances.map((i) => ({ rank: i.rank, uuid: i.uuid, state: i.state, info: i.info })),
      );
      return { status: 0, mapVersion: BigInt(m.query().mapVersion) };
    },

    async stopRanks(req) {
      return { results: (await srv.stopRanks(req.ranks, req.force)).map((r) => ({ ...r, action: 'stop' })) };
    },

    async startRanks(req) {
      return { results: (await srv.startRanks(req.ranks)).map((r) => ({ ...r, action: 'start' })) };
    },

    async pingRanks(req) {
      return {
        results: req.ranks.map((rank) => {
          const inst = srv.instanceByRank(rank);
          return inst
            ? { rank, action: 'ping', errored: false, msg: '', state: inst.state }
            : { rank, action: 'ping', errored: true, msg: `rank ${rank} not found on this server`, state: 'Unknown' };
        }),
      };
    },

    async killRank(req) {
      const [r] = await srv.stopRanks([req.rank], req.force);
      return { status: r.errored ? -1 : 0 };
    },

    async prepShutdown(req) {
      return { status: srv.instanceByRank(req.rank) ? 0 : -1 };
    },

    // Pools, ACLs and device health come with the data plane; until then the
    // management service answers that the operation is not supported.
    async poolCreate() {
      return { status: DER_NOSYS, svcreps: [] };
    },
    async poolDestroy() {
      return { status: DER_NOSYS };
    },
    async poolGetACL() {
      return { status: DER_NOSYS, ACL: [] };
    },
    async poolOverwriteACL() {
      return { status: DER_NOSYS, ACL: [] };
    },
    async poolUpdateACL() {
      return { status: DER_NOSYS, ACL: [] };
    },
    async poolDeleteACL() {
      return { status: DER_NOSYS, ACL: [] };
    },
    async listPools() {
      ms();
      return { status: 0, pools: [] };
    },
    async bioHealthQuery() {
      return { status: DER_NOSYS };
    },
    async smdListDevs() {
      return { status: DER_NOSYS, devices: [] };
    },
    async smdListPools() {
      return { status: DER_NOSYS, pools: [] };
    },
  };
}
