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
import { FORWARDED_KEY, peerIP, splitHostPortSafe, viaLeader } from './ms_client.js';
import type { CallContext } from '../lib/grpc/service.js';
import { daosErr, errJson, poolListEntry, poolQueryToProto } from './mgmt_pool_svc.js';
import { clientCall } from './client_call.js';
import { runTargetsCall } from './targets.js';
import os from 'node:os';

/** Device health methods (SPDK blobstore and SMD) have no equivalent in this implementation. */
const DER_NOSYS = -1010;

export function mgmtService(srv: ControlServer): ServiceImpl<typeof MgmtSvc> {
  const ms = () => {
    if (srv.ms) return srv.ms;
    if (srv.isAccessPoint) throw srv.msNotReadyFault();
    throw systemFaults.notReplica(srv.deps.hostname, srv.leader);
  };
  /** The pool service here, or undefined when this server must forward to the leader. */
  const pools = (ctx: CallContext) => {
    if (srv.ms) return srv.poolService;
    if (srv.isAccessPoint || ctx.metadata.get(FORWARDED_KEY).length) throw srv.msNotReadyFault();
    return undefined;
  };
  const fwd = { metadata: { [FORWARDED_KEY]: os.hostname() } };
  const leader = () => srv.peers.mgmt(srv.leader);
  const aclResp = async (fn: () => { uuid: string; acl: string[]; owner: string; ownerGroup: string }) => {
    try {
      const p = fn();
      return { status: 0, ACL: p.acl, owner: p.owner, ownerGroup: p.ownerGroup };
    } catch (e) {
      return { status: daosErr(e).rc, ACL: [], fault: errJson(e) };
    }
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
        replace: req.replace,
        targets: req.targets || undefined,
      });
      const open = srv.poolService.openContHandles();
      return {
        status: 0,
        rank: r.rank,
        state: JoinResp_State.IN,
        mapVersion: BigInt(r.mapVersion),
        handleKey: ms().database.handleKey,
        openContHandles: open.handles,
        handlesAsOfMs: BigInt(open.asOfMs),
      };
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

    // ---- pools (dmg) ----
    async poolCreate(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolCreate', req, fwd));
      try {
        const p = await ps.create({
          uuid: req.uuid,
          label: req.label || undefined,
          scmPerRank: Number(req.scmbytes),
          nvmePerRank: Number(req.nvmebytes),
          ranks: req.ranks,
          nsvc: req.numsvcreps,
          owner: req.user || 'nobody@',
          ownerGroup: req.usergroup || 'nobody@',
          acl: req.acl,
        });
        return { status: 0, svcreps: p.svcReps, tgtRanks: p.ranks, scmPerRank: BigInt(p.scmPerRank), nvmePerRank: BigInt(p.nvmePerRank), uuid: p.uuid };
      } catch (e) {
        return { status: daosErr(e).rc, svcreps: [], fault: errJson(e) };
      }
    },
    async poolDestroy(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolDestroy', req, fwd));
      try {
        await ps.destroy(req.uuid, req.force);
        return { status: 0 };
      } catch (e) {
        return { status: daosErr(e).rc, fault: errJson(e) };
      }
    },
    async listPools(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('listPools', req, fwd));
      if (req.sys && req.sys !== srv.cfg.name) throw systemFaults.wrongSystem(req.sys, srv.cfg.name);
      return { status: 0, pools: ps.pools().filter((p) => p.state === 'ready').map((p) => poolListEntry(p, ps.poolHandles(p.uuid).length)) };
    },
    async poolQuery(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolQuery', req, fwd));
      try {
        return poolQueryToProto(await ps.query(req.uuid));
      } catch (e) {
        return { status: daosErr(e).rc, fault: errJson(e) };
      }
    },
    async poolGetACL(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolGetACL', req, fwd));
      return aclResp(() => ps.getAcl(req.uuid));
    },
    async poolOverwriteACL(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolOverwriteACL', req, fwd));
      return aclResp(() => ps.overwriteAcl(req.uuid, req.ACL));
    },
    async poolUpdateACL(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolUpdateACL', req, fwd));
      return aclResp(() => ps.updateAcl(req.uuid, req.ACL));
    },
    async poolDeleteACL(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('poolDeleteACL', req, fwd));
      return aclResp(() => ps.deleteAcl(req.uuid, req.principal));
    },

    // ---- clients (through daos_agent) and targets (from the MS) ----
    async clientCall(req, ctx) {
      const ps = pools(ctx);
      if (!ps) return viaLeader(srv.leader, leader().unary('clientCall', req, fwd));
      return clientCall(srv, req);
    },
    async targetsCall(req) {
      return { results: await runTargetsCall(srv, req.method, req.ranks, req.body) };
    },

    // v0.8's `dmg storage query blobstore-health|smd`: SPDK blobstore health
    // and the SPDK device/blob table. Block devices are reached through the
    // kernel here (files, kernel block devices, NVMe through the nvme driver),
    // so there is no blobstore to report on: these answer -DER_NOSYS, which the
    // original dmg prints as "error: -1010". `dmg storage scan -v` shows the
    // devices, `dmg pool query` the space per target (docs/admin-guide.md,
    // "Using the original v0.8 dmg"; test/v08_compat.test.ts).
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
