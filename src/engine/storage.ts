/**
 * The I/O server's storage: the block devices of its daos_nvme.conf opened
 * for VOS, the SMD that maps (pool, target) to device regions, and one VOS
 * pool per target. This is the engine's `Storage` (pools.ts) over src/vos.
 *
 *   bdev_class file / kdev -> [AIO] section: files or kernel block devices
 *   bdev_class nvme        -> [Nvme] section: PCI addresses, opened through the
 *                             kernel devices daos_server resolved for us
 *                             (DAOS_NVME_KDEVS), DESIGN decision 5
 *   bdev_class malloc      -> [Malloc] section: memory, lost at exit as in
 *                             the original
 */
import path from 'node:path';
import type { Logger } from '../logging/logger.js';
import { FileDevice, MemoryDevice, type BlockDevice } from '../vos/bdev.js';
import { Smd } from '../vos/smd.js';
import { VosPool } from '../vos/pool.js';
import type { NvmeConfDevices } from './nvme_conf.js';
import type { BlobRef, Storage } from './pools.js';
import type { VosStore } from './vos_api.js';

export const SMD_FILE = 'daos_smd.mdb';

async function openDevices(conf: NvmeConfDevices, kernelDevices: string[]): Promise<BlockDevice[]> {
  const out: BlockDevice[] = [];
  try {
    switch (conf.class) {
      case 'aio':
        for (const d of conf.devices) out.push(await FileDevice.open(d));
        break;
      case 'nvme':
        if (kernelDevices.length !== conf.devices.length) {
          throw new Error(`daos_nvme.conf lists ${conf.devices.length} NVMe controller(s) but daos_server resolved ${kernelDevices.length} kernel device(s) (DAOS_NVME_KDEVS)`);
        }
        for (const d of kernelDevices) out.push(await FileDevice.open(d));
        break;
      case 'malloc': {
        const n = conf.mallocLuns ?? 0;
        const size = (conf.mallocLunSizeMB ?? 0) * 2 ** 20;
        for (let i = 0; i < n; i++) out.push(new MemoryDevice(size, `Malloc${i}`));
        break;
      }
      default:
        break;
    }
  } catch (e) {
    for (const d of out) await d.close().catch(() => undefined);
    throw e;
  }
  return out;
}

export async function createVosStorage(o: { scmMount: string; devices: NvmeConfDevices; kernelDevices: string[]; log: Logger }): Promise<Storage & { close(): Promise<void> }> {
  const devices = await openDevices(o.devices, o.kernelDevices);
  let smd: Smd;
  try {
    smd = await Smd.open(path.join(o.scmMount, SMD_FILE), devices);
  } catch (e) {
    for (const d of devices) await d.close().catch(() => undefined);
    throw e;
  }
  if (devices.length) o.log.info(`block devices: ${devices.map((d) => `${d.path} (${d.size} bytes)`).join(', ')}`);
  const toVos = (blob?: BlobRef) => (blob ? { device: blob.device as BlockDevice, offset: blob.offset, size: blob.size } : undefined);
  return {
    async createStore(dir: string, target: number, scmBytes: number, blob?: BlobRef): Promise<VosStore> {
      return VosPool.create({ dir, target, scmBytes, blob: toVos(blob) });
    },
    async openStore(dir: string, target: number, scmBytes: number, blob?: BlobRef): Promise<VosStore> {
      return VosPool.open({ dir, target, scmBytes, blob: toVos(blob) });
    },
    allocRegions: (pool, targets, bytes) => smd.allocRegions(pool, targets, bytes),
    regions: (pool) => smd.regions(pool),
    freeRegions: (pool) => smd.freeRegions(pool),
    bdevFree: () => (devices.length ? smd.freeBytes() : 0),
    bdevTotal: () => (devices.length ? smd.totalBytes() : 0),
    async close() {
      await smd.close();
      for (const d of devices) await d.close().catch(() => undefined);
    },
  };
}
