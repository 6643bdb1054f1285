/**
 * The local block-device provider for the bdev classes:
 *  - file:   absolute paths of files of `bdev_size` GB, created sparse
 *            (floor(bdev_size*1e9/4096)*4096 bytes); format resets them;
 *  - malloc: memory, nothing on disk;
 *  - kdev:   existing block devices; format zeroes their first 1 MiB;
 *  - nvme:   PCI addresses, resolved through sysfs to the kernel NVMe
 *            namespace (/dev/nvme0n1); format zeroes its first 1 MiB.
 * NVMe prepare binds controllers to the kernel nvme driver: our I/O servers
 * use it instead of SPDK, so there are no hugepages or uio/vfio to set up.
 *
 * NB: a device that is mounted (itself or a partition) or has holders (LVM,
 * md, dm) is never written to.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BdevConfig } from '../../config/types.js';
import type { Logger } from '../../logging/logger.js';
import { nullLogger } from '../../logging/logger.js';
import { errorMessage } from '../../fault/fault.js';
import type { BdevFormatResult, BdevProvider, NvmeController, NvmePrepareRequest, NvmePrepareResult } from './types.js';
import { KERNEL_NVME_DRIVER, Sysfs, normalizePciAddr } from './sysfs.js';
import { RealDeviceProbe, type DeviceProbe } from './devices.js';
import { MountTable } from './mountinfo.js';
import {
  BdevBadPath,
  BdevBadSize,
  BdevDeviceInUse,
  BdevDeviceMissing,
  BdevFormatBadParam,
  BdevNeedsRoot,
  BdevNotBlockDevice,
  BdevNvmeNotFound,
} from './faults.js';

/** Bytes wiped at the start of a kdev or NVMe device by a format. */
export const WIPE_BYTES = 1 << 20;
const FILE_BLOCK = 4096;

/** Size of a `file` class backing file: bdev_size GB (decimal) rounded down to 4 KiB blocks. */
export function bdevFileSize(sizeGB: number): number {
  return Math.floor((sizeGB * 1e9) / FILE_BLOCK) * FILE_BLOCK;
}

/** daos_nvme.conf for a bdev config, per the original's templates (`<i>` numbers the devices). */
export function renderNvmeConf(cfg: BdevConfig, hostname: string): string {
  const ind = '    ';
  switch (cfg.class) {
    case 'nvme':
      if (cfg.deviceList.length === 0) return '';
      return (
        '[Nvme]\n' +
        cfg.deviceList.map((d, i) => `${ind}TransportID "trtype:PCIe traddr:${d}" Nvme_${hostname}_${i}\n`).join('') +
        [
          'RetryCount 4',
          'TimeoutUsec 0',
          'ActionOnTimeout None',
          'AdminPollRate 100000',
          'HotplugEnable No',
          'HotplugPollRate 0',
        ]
          .map((l) => `${ind}${l}\n`)
          .join('')
      );
    case 'file':
      if (cfg.deviceList.length === 0) return '';
      return '[AIO]\n' + cfg.deviceList.map((d, i) => `${ind}AIO ${d} AIO_${hostname}_${i} 4096\n`).join('');
    case 'kdev':
      if (cfg.deviceList.length === 0) return '';
      return '[AIO]\n' + cfg.deviceList.map((d, i) => `${ind}AIO ${d} AIO_${hostname}_${i}\n`).join('');
    case 'malloc':
      if (cfg.number === 0) return '';
      // NB: LunSizeInMB is bdev_size GB × 1000, as the original's template.
      return `[Malloc]\n${ind}NumberOfLuns ${cfg.number}\n${ind}LunSizeInMB ${cfg.sizeGB}000\n`;
    default:
      throw BdevFormatBadParam(JSON.stringify((cfg as { class: string }).class));
  }
}

export interface LocalBdevProviderOptions {
  sysfs?: Sysfs;
  probe?: DeviceProbe;
  mounts?: MountTable;
  log?: Logger;
  euid?: () => number;
}

export class LocalBdevProvider implements BdevProvider {
  readonly sysfs: Sysfs;
  private readonly probe: DeviceProbe;
  private readonly mounts: MountTable;
  private readonly log: Logger;
  private readonly euid: () => number;

  constructor(opts: LocalBdevProviderOptions = {}) {
    this.sysfs = opts.sysfs ?? new Sysfs();
    this.probe = opts.probe ?? new RealDeviceProbe();
    this.mounts = opts.mounts ?? new MountTable();
    this.log = opts.log ?? nullLogger();
    this.euid = opts.euid ?? (() => process.geteuid?.() ?? -1);
  }

  async scan(): Promise<NvmeController[]> {
    return this.sysfs.scanNvme();
  }

  async prepare(req: NvmePrepareRequest): Promise<NvmePrepareResult> {
    if (req.nrHugepages > 0 || req.targetUser) {
      this.log.debug(
        `NVMe prepare: hugepages (${req.nrHugepages}) and target user (${JSON.stringify(req.targetUser)}) are not needed: the I/O servers use the kernel nvme driver`,
      );
    }
    const all = await this.sysfs.pciNvmeDevices();
    let selected = all;
    if (req.pciAllowList.length > 0) {
      const want = req.pciAllowList.map((a) => {
        const n = normalizePciAddr(a);
        if (!n || !all.some((d) => d.pciAddr === n)) throw BdevNvmeNotFound(a);
        return n;
      });
      selected = all.filter((d) => want.includes(d.pciAddr));
    }
    const messages: string[] = [];
    const rebound: string[] = [];
    if (selected.length === 0) {
      messages.push('no NVMe controllers found; nothing to prepare, nothing changed');
      return { messages, rebound };
    }
    const todo = selected.filter((d) => d.driver !== KERNEL_NVME_DRIVER);
    if (todo.length === 0) {
      messages.push(`${plural(selected.length, 'NVMe controller')} already bound to the kernel nvme driver; nothing changed`);
      return { messages, rebound };
    }
    if (this.euid() !== 0) throw BdevNeedsRoot('binding NVMe controllers to the kernel nvme driver');
    for (const d of todo) {
      const prev = await this.sysfs.bindToKernelNvme(d.pciAddr);
      rebound.push(d.pciAddr);
      messages.push(`${d.pciAddr}: bound to the kernel nvme driver (was ${prev ? JSON.stringify(prev) : 'unbound'})`);
    }
    return { messages, rebound };
  }

  async validate(cfg: BdevConfig, opts: { forFormat?: boolean } = {}): Promise<void> {
    switch (cfg.class) {
      case 'file':
        if (cfg.deviceList.length > 0 && !(cfg.sizeGB > 0)) throw BdevBadSize('bdev_size', cfg.sizeGB);
        for (const f of cfg.deviceList) await this.checkFilePath(f);
        return;
      case 'malloc':
        if (cfg.number > 0 && !(cfg.sizeGB > 0)) throw BdevBadSize('bdev_size', cfg.sizeGB);
        return;
      case 'kdev':
        for (const d of cfg.deviceList) {
          await this.checkBlockDevice(d);
          if (opts.forFormat) await this.checkWritable(d);
        }
        return;
      case 'nvme':
        for (const pci of cfg.deviceList) {
          const dev = await this.sysfs.resolveNvmePci(pci);
          if (opts.forFormat) await this.checkWritable(dev);
        }
        return;
      default:
        throw BdevFormatBadParam(JSON.stringify((cfg as { class: string }).class));
    }
  }

  async format(cfg: BdevConfig): Promise<BdevFormatResult[]> {
    await this.validate(cfg);
    switch (cfg.class) {
      case 'malloc':
        return [];
      case 'file': {
        const size = bdevFileSize(cfg.sizeGB);
        return this.each(cfg.deviceList, async (f) => {
          const created = await this.resetFile(f, size);
          return `${created ? 'created' : 'reset'} sparse file of ${size} bytes`;
        });
      }
      case 'kdev':
        return this.each(cfg.deviceList, async (d) => {
          await this.wipe(d);
          return `zeroed the first ${WIPE_BYTES} bytes`;
        });
      case 'nvme':
        return this.each(cfg.deviceList, async (pci) => {
          const dev = await this.sysfs.resolveNvmePci(pci);
          await this.wipe(dev);
          return `zeroed the first ${WIPE_BYTES} bytes of ${dev}`;
        });
      default:
        throw BdevFormatBadParam(JSON.stringify((cfg as { class: string }).class));
    }
  }

  /** The kernel block devices of an nvme-class config's PCI addresses, in order. */
  async kernelDevices(cfg: BdevConfig): Promise<string[]> {
    const out: string[] = [];
    if (cfg.class === 'nvme') for (const pci of cfg.deviceList) out.push(await this.sysfs.resolveNvmePci(pci));
    return out;
  }

  async nvmeConf(cfg: BdevConfig, hostname: string, index: number): Promise<string> {
    if (cfg.class === 'file' && cfg.deviceList.length > 0) {
      const size = bdevFileSize(cfg.sizeGB);
      for (const f of cfg.deviceList) {
        await this.checkFilePath(f);
        if (await this.createFileIfAbsent(f, size)) this.log.debug(`I/O server ${index}: created bdev file ${f} (${size} bytes)`);
      }
    }
    return renderNvmeConf(cfg, hostname);
  }

  // ---- helpers ----

  private async each(devices: string[], fn: (d: string) => Promise<string>): Promise<BdevFormatResult[]> {
    const out: BdevFormatResult[] = [];
    for (const d of devices) {
      try {
        const info = await fn(d);
        this.log.debug(`bdev format ${d}: ${info}`);
        out.push({ device: d, ok: true, info });
      } catch (e) {
        out.push({ device: d, ok: false, error: errorMessage(e) });
      }
    }
    return out;
  }

  private async checkFilePath(f: string): Promise<void> {
    if (!path.isAbsolute(f)) throw BdevBadPath(f, 'is not an absolute path');
    try {
      const st = await fs.stat(f);
      if (!st.isFile()) throw BdevBadPath(f, 'exists and is not a regular file');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  private async checkBlockDevice(d: string): Promise<void> {
    const kind = await this.probe.kind(d);
    if (kind === 'missing') throw BdevDeviceMissing(d);
    if (kind !== 'block') throw BdevNotBlockDevice(d);
  }

  /** Creates a sparse file of `size` bytes unless one exists; true when created. */
  private async createFileIfAbsent(f: string, size: number): Promise<boolean> {
    await fs.mkdir(path.dirname(f), { recursive: true });
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(f, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      await fh.truncate(size);
    } finally {
      await fh.close();
    }
    return true;
  }

  /** Empty a backing file and give it its configured size again; true when it was created. */
  private async resetFile(f: string, size: number): Promise<boolean> {
    if (await this.createFileIfAbsent(f, size)) return true;
    await fs.truncate(f, 0);
    await fs.truncate(f, size);
    return false;
  }

  /** Refuse a block device a format may not write: not root, mounted (itself or a partition), or held. */
  private async checkWritable(dev: string): Promise<void> {
    if (this.euid() !== 0) throw BdevNeedsRoot(`writing to ${JSON.stringify(dev)}`);
    const mounted = await this.mounts.ofDevice(dev, true);
    if (mounted.length > 0) throw BdevDeviceInUse(dev, `${mounted[0]!.source} is mounted at ${JSON.stringify(mounted[0]!.mountPoint)}`);
    const real = await fs.realpath(dev).catch(() => dev);
    const holders = await this.sysfs.blockHolders(path.basename(real));
    if (holders.length > 0) throw BdevDeviceInUse(dev, `held by ${holders.join(', ')}`);
  }

  /** Zero the head of a block device that nothing uses (checked again: validate ran earlier). */
  private async wipe(dev: string): Promise<void> {
    await this.checkWritable(dev);
    await this.probe.zeroHead(dev, WIPE_BYTES);
  }
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
