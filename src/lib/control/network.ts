/**
 * Network operations on many hosts: fabric scan and provider list.
 */
import type { Invoker } from './invoker.js';
import { fanout, type HostResult } from './fanout.js';
import type { FabricInfo } from './types.js';

export async function networkScan(invoker: Invoker, req: { hosts: string[]; provider: string; timeoutMs?: number }): Promise<HostResult<FabricInfo[]>[]> {
  return fanout(
    invoker,
    req.hosts,
    async (c, o) => {
      const out: FabricInfo[] = [];
      for await (const d of c.ctl.serverStream('networkScanDevices', { provider: req.provider }, o)) {
        out.push({ provider: d.provider, device: d.device, numaNode: d.numanode, priority: d.priority });
      }
      return out;
    },
    { timeoutMs: req.timeoutMs ?? 10_000 },
  );
}

export async function networkList(invoker: Invoker, req: { hosts: string[]; timeoutMs?: number }): Promise<HostResult<string[]>[]> {
  return fanout(
    invoker,
    req.hosts,
    async (c, o) => {
      const r = await c.ctl.unary('networkListProviders', {}, o);
      return r.provider.split(',').map((s) => s.trim()).filter(Boolean);
    },
    { timeoutMs: req.timeoutMs ?? 10_000 },
  );
}
