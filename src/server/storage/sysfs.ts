/**
 * NVMe detection and driver binding through sysfs (root injectable, default
 * /sys), so tests run against a fake tree of files and symlinks.
 *
 * What is read:
 *  - /sys/class/nvme/nvme<N>: controllers bound to the kernel nvme driver;
 *    `model`, `serial`, `firmware_rev`, the PCI address as the basename of the
 *    resolved `device` link, the NUMA node in `device/numa_node` (-1 → 0), and
 *    namespace directories nvme<N>n<M> (or nvme<N>c<C>n<M> with native
 *    multipath) whose `size` counts 512-byte sectors;
 *  - /sys/bus/pci/devices/<addr>: every PCI device of class 0x010802 (NVM
 *    Express), including those bound to vfio-pci/uio_pci_generic or unbound,
 *    which have no entry under class/nvme.
 *
 * NB: our I/O servers use the kernel NVMe driver (no SPDK), so "prepared"
 * means bound to the `nvme` driver.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NvmeController, NvmeNamespace } from './types.js';
import {
  BdevBindFailed,
  BdevNotNvme,
  BdevNvmeDriverMissing,
  BdevNvmeNoNamespace,
  BdevNvmeNotFound,
  BdevNvmeNotKernelBound,
  BdevUnknown,
} from './faults.js';
import { errorMessage } from '../../fault/fault.js';

/** PCI class code of an NVM Express controller (mass storage / NVM / NVMe). */
export const NVME_PCI_CLASS = '0x010802';
export const KERNEL_NVME_DRIVER = 'nvme';

const PCI_ADDR_RE = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;
const SHORT_PCI_ADDR_RE = /^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

/** Canonical form of a PCI address (lower case, with domain), or undefined if it is not one. */
export function normalizePciAddr(s: string): string | undefined {
  const a = s.trim().toLowerCase();
  if (PCI_ADDR_RE.test(a)) return a;
  if (SHORT_PCI_ADDR_RE.test(a)) return `0000:${a}`;
  return undefined;
}

/** An NVMe PCI function as the PCI bus sees it, whatever driver it is bound to. */
export interface PciNvmeDevice {
  pciAddr: string;
  /** Bound driver name, '' when unbound. */
  driver: string;
  numaNode: number;
}

export interface SysfsOptions {
  /** sysfs mount point (default /sys). */
  root?: string;
  /** Where block device nodes live (default /dev). */
  devRoot?: string;
}

export class Sysfs {
  readonly root: string;
  readonly devRoot: string;

  constructor(opts: SysfsOptions = {}) {
    this.root = opts.root ?? '/sys';
    this.devRoot = opts.devRoot ?? '/dev';
  }

  private p(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Controllers bound to the kernel nvme driver, sorted by PCI address. */
  async nvmeControllers(): Promise<NvmeController[]> {
    const names = (await listDir(this.p('class', 'nvme'))).filter((n) => /^nvme\d+$/.test(n));
    const out: NvmeController[] = [];
    for (const name of names) {
      const dir = this.p('class', 'nvme', name);
      const devLink = await realpathOrUndefined(path.join(dir, 'device'));
      const pciAddr = devLink ? normalizePciAddr(path.basename(devLink)) : undefined;
      // Fabrics controllers (nvme-tcp, nvme-rdma) have no PCI device: not local storage.
      if (!pciAddr) continue;
      const namespaces = await this.namespaces(dir);
      const ctrl: NvmeController = {
        pciAddr,
        model: await readTrim(path.join(dir, 'model')),
        serial: await readTrim(path.join(dir, 'serial')),
        firmware: await readTrim(path.join(dir, 'firmware_rev')),
        socketId: await readNuma(path.join(dir, 'device', 'numa_node')),
        namespaces,
        driver: KERNEL_NVME_DRIVER,
      };
      if (namespaces[0]?.blockDevice) ctrl.kernelDevice = namespaces[0].blockDevice;
      out.push(ctrl);
    }
    return out.sort((a, b) => a.pciAddr.localeCompare(b.pciAddr));
  }

  private async namespaces(ctrlDir: string): Promise<NvmeNamespace[]> {
    const out: NvmeNamespace[] = [];
    for (const name of await listDir(ctrlDir)) {
      const m = /^nvme(\d+)(?:c\d+)?n(\d+)$/.exec(name);
      if (!m) continue;
      const sectors = Number(await readTrim(path.join(ctrlDir, name, 'size')));
      const nsidText = await readTrim(path.join(ctrlDir, name, 'nsid'));
      const id = nsidText !== '' && Number.isInteger(Number(nsidText)) ? Number(nsidText) : Number(m[2]);
      // NB: with native multipath the block device is named after the subsystem
      // instance; we assume it equals the controller instance (single-path hosts).
      out.push({ id, size: Number.isFinite(sectors) ? sectors * 512 : 0, blockDevice: `nvme${m[1]}n${m[2]}` });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Every NVMe PCI function, with its driver, sorted by PCI address. */
  async pciNvmeDevices(): Promise<PciNvmeDevice[]> {
    const out: PciNvmeDevice[] = [];
    for (const name of await listDir(this.p('bus', 'pci', 'devices'))) {
      const addr = normalizePciAddr(name);
      if (!addr) continue;
      const dir = this.p('bus', 'pci', 'devices', name);
      if ((await readTrim(path.join(dir, 'class'))).toLowerCase() !== NVME_PCI_CLASS) continue;
      out.push({ pciAddr: addr, driver: await this.driverOf(name), numaNode: await readNuma(path.join(dir, 'numa_node')) });
    }
    return out.sort((a, b) => a.pciAddr.localeCompare(b.pciAddr));
  }

  /** The driver a PCI device is bound to ('' when unbound or absent). */
  async driverOf(pciAddr: string): Promise<string> {
    const link = await realpathOrUndefined(this.p('bus', 'pci', 'devices', pciAddr, 'driver'));
    return link ? path.basename(link) : '';
  }

  /**
   * What `storage scan` shows: kernel-bound controllers with their namespaces,
   * plus NVMe functions bound elsewhere (no namespaces, no kernel device).
   */
  async scanNvme(): Promise<NvmeController[]> {
    const kernel = await this.nvmeControllers();
    const seen = new Set(kernel.map((c) => c.pciAddr));
    const others: NvmeController[] = [];
    for (const d of await this.pciNvmeDevices()) {
      if (seen.has(d.pciAddr)) continue;
      others.push({ pciAddr: d.pciAddr, model: '', serial: '', firmware: '', socketId: d.numaNode, namespaces: [], driver: d.driver });
    }
    return [...kernel, ...others].sort((a, b) => a.pciAddr.localeCompare(b.pciAddr));
  }

  /**
   * The kernel block device (e.g. /dev/nvme0n1, first namespace) of the NVMe
   * controller at a PCI address; a fault naming the address and the fix otherwise.
   */
  async resolveNvmePci(pci: string): Promise<string> {
    const addr = normalizePciAddr(pci);
    if (!addr) throw BdevNvmeNotFound(pci);
    const ctrl = (await this.nvmeControllers()).find((c) => c.pciAddr === addr);
    if (ctrl) {
      if (!ctrl.kernelDevice) throw BdevNvmeNoNamespace(addr);
      return path.join(this.devRoot, ctrl.kernelDevice);
    }
    const dir = this.p('bus', 'pci', 'devices', addr);
    if (!(await exists(dir))) throw BdevNvmeNotFound(addr);
    const cls = (await readTrim(path.join(dir, 'class'))).toLowerCase();
    if (cls !== NVME_PCI_CLASS) throw BdevNotNvme(addr, cls || 'unknown');
    const driver = await this.driverOf(addr);
    if (driver !== KERNEL_NVME_DRIVER) throw BdevNvmeNotKernelBound(addr, driver);
    throw BdevUnknown(`NVMe controller "${addr}" is bound to the nvme driver but the kernel created no controller for it; see dmesg`);
  }

  /**
   * Bind a PCI NVMe function to the kernel nvme driver: clear driver_override,
   * unbind it from its current driver, bind it to nvme. Returns the previous
   * driver ('' when it was unbound); a no-op when it already uses nvme.
   */
  async bindToKernelNvme(pciAddr: string): Promise<string> {
    const dir = this.p('bus', 'pci', 'devices', pciAddr);
    const nvmeDrv = this.p('bus', 'pci', 'drivers', KERNEL_NVME_DRIVER);
    const previous = await this.driverOf(pciAddr);
    if (previous === KERNEL_NVME_DRIVER) return previous;
    if (!(await exists(nvmeDrv))) throw BdevNvmeDriverMissing();
    try {
      const override = path.join(dir, 'driver_override');
      const cur = await readTrim(override);
      if (cur !== '' && cur !== '(null)') await fs.writeFile(override, '\n');
      if (previous) await fs.writeFile(path.join(dir, 'driver', 'unbind'), pciAddr);
      await fs.writeFile(path.join(nvmeDrv, 'bind'), pciAddr);
    } catch (e) {
      throw BdevBindFailed(pciAddr, errorMessage(e));
    }
    return previous;
  }

  /** Devices stacked on a block device (LVM, md, dm-crypt): /sys/class/block/<name>/holders. */
  async blockHolders(name: string): Promise<string[]> {
    return listDir(this.p('class', 'block', name, 'holders'));
  }
}

async function listDir(p: string): Promise<string[]> {
  try {
    return (await fs.readdir(p)).sort();
  } catch {
    return [];
  }
}

async function readTrim(p: string): Promise<string> {
  try {
    return (await fs.readFile(p, 'utf8')).trim();
  } catch {
    return '';
  }
}

async function readNuma(p: string): Promise<number> {
  const n = Number.parseInt(await readTrim(p), 10);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

async function realpathOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.realpath(p);
  } catch {
    return undefined;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
