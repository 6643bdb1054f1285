/**
 * Storage operations on many hosts: scan, format, prepare.
 */
import type { StorageFormatResp, StoragePrepareResp } from '../../proto/ctl/storage_pb.js';
import type { ScanNvmeResp } from '../../proto/ctl/storage_nvme_pb.js';
import type { ScanScmResp } from '../../proto/ctl/storage_scm_pb.js';
import { ResponseStatus, type ResponseState } from '../../proto/ctl/common_pb.js';
import type { Invoker } from './invoker.js';
import { fanout, type HostResult } from './fanout.js';
import type { DeviceResult, HostFormat, HostPrepare, HostStorage, PmemInfo } from './types.js';

export interface HostRequest {
  hosts: string[];
  timeoutMs?: number;
}

function pmem(p: { uuid: string; blockdev: string; dev: string; numanode: number; size: bigint }): PmemInfo {
  return { uuid: p.uuid, blockDevice: p.blockdev, name: p.dev, numaNode: p.numanode, size: Number(p.size) };
}

export function hostStorageFromProto(scm: ScanScmResp | undefined, nvme: ScanNvmeResp | undefined): HostStorage {
  const hs: HostStorage = { scmModules: [], scmNamespaces: [], nvme: [] };
  if (scm?.state && scm.state.status !== ResponseStatus.CTL_SUCCESS) hs.scmError = scm.state.error || ResponseStatus[scm.state.status];
  if (nvme?.state && nvme.state.status !== ResponseStatus.CTL_SUCCESS) hs.nvmeError = nvme.state.error || ResponseStatus[nvme.state.status];
  for (const m of scm?.modules ?? []) {
    hs.scmModules.push({
      physicalId: m.physicalid,
      capacity: Number(m.capacity),
      socketId: m.loc?.socket ?? 0,
      controllerId: m.loc?.memctrlr ?? 0,
      channelId: m.loc?.channel ?? 0,
      channelPosition: m.loc?.channelpos ?? 0,
    });
  }
  for (const p of scm?.pmems ?? []) hs.scmNamespaces.push(pmem(p));
  for (const c of nvme?.ctrlrs ?? []) {
    const bytes = c.namespaces.reduce((s, n) => s + (n.sizeBytes ? Number(n.sizeBytes) : n.size * 1e9), 0);
    hs.nvme.push({
      pciAddr: c.pciaddr,
      model: c.model,
      serial: c.serial,
      firmware: c.fwrev,
      socketId: c.socketid,
      capacity: bytes,
      capacityGB: c.namespaces.reduce((s, n) => s + n.size, 0),
      namespaces: c.namespaces.length,
    });
  }
  return hs;
}

export async function storageScan(invoker: Invoker, req: HostRequest): Promise<HostResult<HostStorage>[]> {
  return fanout(
    invoker,
    req.hosts,
    async (c, o) => {
      const r = await c.ctl.unary('storageScan', { nvme: {}, scm: {} }, o);
      return hostStorageFromProto(r.scm, r.nvme);
    },
    { timeoutMs: req.timeoutMs ?? 30_000 },
  );
}

function deviceResult(device: string, st: ResponseState | undefined): DeviceResult {
  const status = st ? (ResponseStatus[st.status] ?? String(st.status)) : 'CTL_SUCCESS';
  const ok = !st || st.status === ResponseStatus.CTL_SUCCESS;
  return { device, status, ok, error: st?.error || undefined, info: st?.info || undefined };
}

export function hostFormatFromProto(msgs: StorageFormatResp[]): HostFormat {
  const out: HostFormat = { scm: [], nvme: [] };
  for (const m of msgs) {
    for (const r of m.mrets) out.scm.push(deviceResult(r.mntpoint, r.state));
    for (const r of m.crets) out.nvme.push(deviceResult(r.pciaddr, r.state));
  }
  return out;
}

export async function storageFormat(invoker: Invoker, req: HostRequest & { reformat: boolean }): Promise<HostResult<HostFormat>[]> {
  return fanout(
    invoker,
    req.hosts,
    async (c, o) => {
      const msgs: StorageFormatResp[] = [];
      for await (const m of c.ctl.serverStream('storageFormat', { nvme: {}, scm: {}, reformat: req.reformat }, o)) msgs.push(m);
      return hostFormatFromProto(msgs);
    },
    // Formatting large devices takes long; the original allowed two hours.
    { timeoutMs: req.timeoutMs ?? 2 * 3600_000 },
  );
}

export interface PrepareRequest extends HostRequest {
  nvme?: { pciAllowList: string; nrHugepages: number; targetUser: string; reset: boolean };
  scm?: { reset: boolean };
}

export function hostPrepareFromProto(r: StoragePrepareResp): HostPrepare {
  const out: HostPrepare = {};
  if (r.nvme) out.nvme = deviceResult('nvme', r.nvme.state);
  if (r.scm) out.scm = { ...deviceResult('scm', r.scm.state), rebootRequired: r.scm.rebootRequired, namespaces: r.scm.pmems.map(pmem) };
  return out;
}

export async function storagePrepare(invoker: Invoker, req: PrepareRequest): Promise<HostResult<HostPrepare>[]> {
  return fanout(
    invoker,
    req.hosts,
    async (c, o) => {
      const r = await c.ctl.unary(
        'storagePrepare',
        {
          nvme: req.nvme
            ? { pciwhitelist: req.nvme.pciAllowList, nrhugepages: req.nvme.nrHugepages, targetuser: req.nvme.targetUser, reset: req.nvme.reset }
            : undefined,
          scm: req.scm ? { reset: req.scm.reset } : undefined,
        },
        o,
      );
      return hostPrepareFromProto(r);
    },
    { timeoutMs: req.timeoutMs ?? 30 * 60_000 },
  );
}
