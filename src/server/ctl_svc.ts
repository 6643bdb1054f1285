/**
 * ctl.MgmtCtl handlers: per-host storage and network operations, and the
 * system commands, which the management service answers (forwarded to the
 * MS leader when this server is not the access point).
 */
import os from 'node:os';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { MgmtCtl } from '../proto/ctl/control_pb.js';
import { ResponseStatus } from '../proto/ctl/common_pb.js';
import type { SystemMemberSchema, SystemStopResp_ResultSchema } from '../proto/ctl/system_pb.js';
import type { ServiceImpl, CallContext } from '../lib/grpc/service.js';
import { errorMessage } from '../fault/fault.js';
import type { Member } from '../system/membership.js';
import type { RankResult } from '../system/mgmt_system.js';
import { FORWARDED_KEY, viaLeader } from './ms_client.js';
import type { ControlServer } from './server.js';
import { SUPPORTED_PROVIDERS, scanFabric } from './netdetect.js';
import { scanToProto, prepareStorage } from './ctl_storage.js';
import { filterByPci } from './storage/bdev_filter.js';

export function memberToProto(m: Member): MessageInitShape<typeof SystemMemberSchema> {
  return {
    addr: m.addr,
    uuid: m.uuid,
    rank: m.rank,
    state: m.state,
    info: m.info,
    fabricUri: m.fabricUri,
    faultDomain: m.faultDomain,
    nctxs: m.nctxs,
    incarnation: BigInt(m.incarnation),
  };
}

function resultToProto(r: RankResult): MessageInitShape<typeof SystemStopResp_ResultSchema> {
  return { id: `${r.addr}/${r.uuid}/${r.rank}`, action: r.action, errored: r.errored, msg: r.msg, rank: r.rank, state: r.state };
}

function forwarded(ctx: CallContext): boolean {
  return ctx.metadata.get(FORWARDED_KEY).length > 0;
}

export function controlService(srv: ControlServer): ServiceImpl<typeof MgmtCtl> {
  /** The MS here, or a fault when this server cannot answer system requests itself. */
  const localMs = (ctx: CallContext) => {
    if (srv.ms) return srv.ms;
    if (srv.isAccessPoint || forwarded(ctx)) throw srv.msNotReadyFault();
    return undefined;
  };
  const fwd = { metadata: { [FORWARDED_KEY]: os.hostname() } };

  return {
    async storageScan() {
      return scanToProto(await srv.deps.scm.scan(true).then(
        (scm) => ({ scm, scmError: undefined as string | undefined }),
        (e) => ({ scm: { modules: [], namespaces: [], state: 'unknown' as const }, scmError: errorMessage(e) }),
      ), await srv.deps.bdev.scan().then(
        // bdev_include / bdev_exclude limit what the scan shows.
        (nvme) => ({ nvme: filterByPci(nvme, { include: srv.cfg.bdevInclude, exclude: srv.cfg.bdevExclude }), nvmeError: undefined as string | undefined }),
        (e) => ({ nvme: [], nvmeError: errorMessage(e) }),
      ));
    },

    async storagePrepare(req) {
      return prepareStorage(srv, req);
    },

    async *storageFormat(req) {
      const out = await srv.format(req.reformat);
      yield {
        mrets: out.scm.map((r) => ({
          mntpoint: r.mountPoint,
          instanceidx: r.index,
          state: r.ok
            ? { status: ResponseStatus.CTL_SUCCESS }
            : { status: ResponseStatus.CTL_ERR_SCM, error: r.error?.toString() ?? 'unknown error', info: r.error?.resolutionString() ?? '' },
        })),
        crets: out.bdev.map((r) => ({
          pciaddr: r.device,
          state: r.ok
            ? { status: ResponseStatus.CTL_SUCCESS, info: r.info ?? '' }
            : {
                // NB: v0.8 labelled every block device CTL_ERR_NVME; only NVMe devices are, here.
                status: srv.cfg.servers[r.index]?.bdev.class === 'nvme' ? ResponseStatus.CTL_ERR_NVME : ResponseStatus.CTL_ERR_BDEV,
                error: r.error ?? 'unknown error',
                info: r.info ?? '',
              },
        })),
      };
    },

    async systemMemberQuery(_req, ctx) {
      const ms = localMs(ctx);
      if (!ms) return viaLeader(srv.leader, srv.peers.control(srv.leader).unary('systemMemberQuery', {}, fwd));
      return { members: ms.query().members.map(memberToProto) };
    },

    async systemQuery(req, ctx) {
      const ms = localMs(ctx);
      if (!ms) return viaLeader(srv.leader, srv.peers.control(srv.leader).unary('systemQuery', { ranks: req.ranks }, fwd));
      const q = ms.query(req.ranks);
      return { members: q.members.map(memberToProto), mapVersion: BigInt(q.mapVersion), absentRanks: q.absent };
    },

    async systemStop(req, ctx) {
      const ms = localMs(ctx);
      if (!ms) return viaLeader(srv.leader, srv.peers.control(srv.leader).unary('systemStop', { ranks: req.ranks, force: req.force }, fwd));
      const results = await ms.stopRanks(req.ranks, req.force);
      return { results: results.map(resultToProto) };
    },

    async systemStart(req, ctx) {
      const ms = localMs(ctx);
      if (!ms) return viaLeader(srv.leader, srv.peers.control(srv.leader).unary('systemStart', { ranks: req.ranks }, fwd));
      const results = await ms.startRanks(req.ranks);
      return { results: results.map(resultToProto) };
    },

    async networkListProviders() {
      return { provider: SUPPORTED_PROVIDERS.join(', ') };
    },

    async *networkScanDevices(req) {
      for (const f of scanFabric(req.provider, srv.deps.netSeams)) {
        yield { provider: f.provider, device: f.device, numanode: f.numaNode, priority: f.priority };
      }
    },
  };
}
