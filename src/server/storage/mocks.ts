/**
 * Test doubles for the storage seams: a fake sysfs tree on disk, a fake
 * mount table file, and a device probe that lets regular files play block
 * devices.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RealDeviceProbe, type DeviceProbe, type PathKind } from './devices.js';

// ---- fake sysfs ------------------------------------------------------------------------

export interface FakeNvmeSpec {
  pciAddr: string;
  /** 'nvme' creates the kernel controller (class/nvme/nvme<instance>); '' leaves it unbound. */
  driver: string;
  /** Controller instance N of nvme<N> (kernel-bound only). */
  instance?: number;
  model?: string;
  serial?: string;
  firmware?: string;
  /** Written to numa_node as is; -1 is what the kernel shows on single-node machines. */
  numaNode?: number;
  /** Namespaces with their size in 512-byte sectors. */
  namespaces?: { nsid: number; sectors: number }[];
  /** Name namespace directories nvme<N>c<N>n<M> (native multipath). */
  multipath?: boolean;
  /** PCI class, default NVMe (0x010802). */
  pciClass?: string;
  driverOverride?: string;
}

export interface FakeSysfsSpec {
  devices: FakeNvmeSpec[];
  /** Whether the kernel nvme driver is registered (bus/pci/drivers/nvme exists); default true. */
  nvmeDriverLoaded?: boolean;
  /** Holders of block devices, e.g. { nvme0n1: ['dm-0'] }. */
  holders?: Record<string, string[]>;
}

function writeFile(p: string, content: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

function symlink(target: string, linkPath: string): void {
  fs.mkdirSync(path.dirname(linkPath), { recursive: true });
  fs.symlinkSync(path.relative(path.dirname(linkPath), target), linkPath);
}

/** Build a sysfs-like tree under root (files and relative symlinks, as the kernel lays them out). */
export function buildFakeSysfs(root: string, spec: FakeSysfsSpec): void {
  const drivers = path.join(root, 'bus', 'pci', 'drivers');
  const ensureDriver = (name: string): string => {
    const d = path.join(drivers, name);
    if (!fs.existsSync(d)) {
      fs.mkdirSync(d, { recursive: true });
      writeFile(path.join(d, 'bind'), '');
      writeFile(path.join(d, 'unbind'), '');
    }
    return d;
  };
  if (spec.nvmeDriverLoaded ?? true) ensureDriver('nvme');
  fs.mkdirSync(path.join(root, 'class', 'nvme'), { recursive: true });
  let nextInstance = 0;
  for (const d of spec.devices) {
    const pciDir = path.join(root, 'devices', 'pci0000:00', d.pciAddr);
    writeFile(path.join(pciDir, 'class'), `${d.pciClass ?? '0x010802'}\n`);
    writeFile(path.join(pciDir, 'vendor'), '0x8086\n');
    writeFile(path.join(pciDir, 'device'), '0x2701\n');
    writeFile(path.join(pciDir, 'numa_node'), `${d.numaNode ?? 0}\n`);
    writeFile(path.join(pciDir, 'driver_override'), `${d.driverOverride ?? '(null)'}\n`);
    symlink(pciDir, path.join(root, 'bus', 'pci', 'devices', d.pciAddr));
    if (d.driver) symlink(ensureDriver(d.driver), path.join(pciDir, 'driver'));
    if (d.driver !== 'nvme') continue;
    const n = d.instance ?? nextInstance;
    nextInstance = n + 1;
    const ctrl = path.join(pciDir, 'nvme', `nvme${n}`);
    // The kernel pads these fields with spaces.
    writeFile(path.join(ctrl, 'model'), `${(d.model ?? 'INTEL SSDPED1K750GA').padEnd(40)}\n`);
    writeFile(path.join(ctrl, 'serial'), `${(d.serial ?? 'PHKS7335006W750BGN').padEnd(20)}\n`);
    writeFile(path.join(ctrl, 'firmware_rev'), `${(d.firmware ?? 'E2010325').padEnd(8)}\n`);
    symlink(pciDir, path.join(ctrl, 'device'));
    for (const ns of d.namespaces ?? []) {
      const name = d.multipath ? `nvme${n}c${n}n${ns.nsid}` : `nvme${n}n${ns.nsid}`;
      writeFile(path.join(ctrl, name, 'size'), `${ns.sectors}\n`);
      writeFile(path.join(ctrl, name, 'nsid'), `${ns.nsid}\n`);
      fs.mkdirSync(path.join(root, 'class', 'block', `nvme${n}n${ns.nsid}`, 'holders'), { recursive: true });
    }
    symlink(ctrl, path.join(root, 'class', 'nvme', `nvme${n}`));
  }
  for (const [dev, hs] of Object.entries(spec.holders ?? {})) {
    const dir = path.join(root, 'class', 'block', dev, 'holders');
    fs.mkdirSync(dir, { recursive: true });
    for (const h of hs) writeFile(path.join(dir, h), '');
  }
}

// ---- fake mount table ---------------------------------------------------------------------

export interface FakeMount {
  mountPoint: string;
  fsType: string;
  source: string;
}

function escapeField(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** mountinfo lines for mounts (ids and devices made up, as the kernel would print them). */
export function formatMountinfo(mounts: FakeMount[]): string {
  return mounts
    .map(
      (m, i) =>
        `${100 + i} 1 0:${50 + i} / ${escapeField(m.mountPoint)} rw,relatime shared:${i + 1} - ${m.fsType} ${escapeField(m.source)} rw\n`,
    )
    .join('');
}

/** A mount table kept in a file that MountTable can read; tests mount and unmount by editing it. */
export class FakeMountTable {
  readonly mounts: FakeMount[];
  constructor(
    readonly file: string,
    mounts: FakeMount[] = [{ mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }],
  ) {
    this.mounts = [...mounts];
    this.flush();
  }
  add(m: FakeMount): void {
    this.mounts.push(m);
    this.flush();
  }
  /** Remove the topmost mount at a path. */
  remove(mountPoint: string): void {
    for (let i = this.mounts.length - 1; i >= 0; i--) {
      if (this.mounts[i]!.mountPoint === mountPoint) {
        this.mounts.splice(i, 1);
        break;
      }
    }
    this.flush();
  }
  private flush(): void {
    fs.writeFileSync(this.file, formatMountinfo(this.mounts));
  }
}

// ---- fake device probe ------------------------------------------------------------------------

/**
 * Paths listed in `kinds` report that kind (so a temp file can be a block
 * device); others are probed for real. hasExt4 answers from `ext4`; zeroHead
 * really writes (to the temp file).
 */
export class FakeDeviceProbe implements DeviceProbe {
  private readonly real = new RealDeviceProbe();
  readonly zeroed: string[] = [];
  constructor(
    readonly kinds: Record<string, PathKind> = {},
    readonly ext4: Set<string> = new Set(),
  ) {}
  async kind(p: string): Promise<PathKind> {
    return this.kinds[p] ?? this.real.kind(p);
  }
  async hasExt4(dev: string): Promise<boolean> {
    return this.ext4.has(dev);
  }
  async zeroHead(dev: string, bytes: number): Promise<void> {
    this.zeroed.push(dev);
    await this.real.zeroHead(dev, bytes);
  }
}
