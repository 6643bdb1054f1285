/**
 * Storage scan and prepare on this host, in the ctl protobuf shapes.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ResponseStatus } from '../proto/ctl/common_pb.js';
import type { StoragePrepareReq, StoragePrepareRespSchema, StorageScanRespSchema } from '../proto/ctl/storage_pb.js';
import { Fault, errorMessage } from '../fault/fault.js';
import type { BdevProvider, NvmeController, NvmePrepareRequest, NvmePrepareResult, ScmScanResult, PmemNamespace } from './storage/types.js';
import { filterActive, preparePciList, skippedMessage, type BdevFilter } from './storage/bdev_filter.js';
import type { ControlServer } from './server.js';

/**
 * NVMe prepare limited by bdev_include/bdev_exclude: the filter's leftovers
 * are named in the messages, and when nothing is left nothing is prepared.
 */
export async function prepareNvmeFiltered(bdev: BdevProvider, req: NvmePrepareRequest, filter: BdevFilter | undefined): Promise<NvmePrepareResult> {
  if (!filterActive(filter)) return bdev.prepare(req);
  const present = (await bdev.scan()).map((c) => c.pciAddr);
  const { allow, skipped } = preparePciList(req.pciAllowList, present, filter);
  const notes = skipped.length ? [skippedMessage(skipped)] : [];
  if (allow.length === 0) return { messages: [...notes, 'no NVMe controller left to prepare; nothing changed'], rebound: [] };
  const r = await bdev.prepare({ ...req, pciAllowList: allow });
  return { messages: [...notes, ...r.messages], rebound: r.rebound };
}

export function pmemToProto(n: PmemNamespace) {
  return { uuid: n.uuid, blockdev: n.blockDevice, dev: n.name, numanode: n.numaNode, size: BigInt(n.size) };
}

export function scanToProto(
  s: { scm: ScmScanResult; scmError?: string },
  n: { nvme: NvmeController[]; nvmeError?: string },
): MessageInitShape<typeof StorageScanRespSchema> {
  return {
    scm: {
      modules: s.scm.modules.map((m) => ({
        physicalid: m.physicalId,
        capacity: BigInt(m.capacity),
        loc: { channel: m.channelId, channelpos: m.channelPosition, memctrlr: m.controllerId, socket: m.socketId },
      })),
      pmems: s.scm.namespaces.map(pmemToProto),
      state: s.scmError ? { status: ResponseStatus.CTL_ERR_SCM, error: s.scmError } : { status: ResponseStatus.CTL_SUCCESS },
    },
    nvme: {
      ctrlrs: n.nvme.map((c) => ({
        model: c.model,
        serial: c.serial,
        pciaddr: c.pciAddr,
        fwrev: c.firmware,
        socketid: c.socketId,
        kernelDevice: c.kernelDevice ?? '',
        namespaces: c.namespaces.map((ns) => ({
          id: ns.id,
          size: Math.floor(ns.size / 1e9),
          sizeBytes: BigInt(ns.size),
          ctrlrpciaddr: c.pciAddr,
        })),
      })),
      state: n.nvmeError ? { status: ResponseStatus.CTL_ERR_NVME, error: n.nvmeError } : { status: ResponseStatus.CTL_SUCCESS },
    },
  };
}

function failure(status: ResponseStatus, e: unknown) {
  return e instanceof Fault
    ? { status, error: e.description, info: e.resolution }
    : { status, error: errorMessage(e) };
}

export async function prepareStorage(srv: ControlServer, req: StoragePrepareReq): Promise<MessageInitShape<typeof StoragePrepareRespSchema>> {
  const resp: MessageInitShape<typeof StoragePrepareRespSchema> = {};
  if (req.nvme) {
    try {
      const r = await prepareNvmeFiltered(
        srv.deps.bdev,
        {
          pciAllowList: req.nvme.pciwhitelist.split(/\s+/).filter(Boolean),
          nrHugepages: req.nvme.nrhugepages,
          targetUser: req.nvme.targetuser,
          reset: req.nvme.reset,
        },
        { include: srv.cfg.bdevInclude, exclude: srv.cfg.bdevExclude },
      );
      resp.nvme = { state: { status: ResponseStatus.CTL_SUCCESS, info: r.messages.join('\n') } };
    } catch (e) {
      resp.nvme = { state: failure(ResponseStatus.CTL_ERR_NVME, e) };
    }
  }
  if (req.scm) {
    try {
      const r = await srv.deps.scm.prepare(req.scm.reset);
      resp.scm = {
        pmems: r.namespaces.map(pmemToProto),
        rebootRequired: r.rebootRequired,
        state: { status: ResponseStatus.CTL_SUCCESS, info: r.messages.join('\n') },
      };
    } catch (e) {
      resp.scm = { state: failure(ResponseStatus.CTL_ERR_SCM, e) };
    }
  }
  return resp;
}
