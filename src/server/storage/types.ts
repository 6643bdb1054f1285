/**
 * The storage provider API used by daos_server: detection (scan), preparation
 * and format of SCM and block devices, and the per-instance checks done at
 * start. Privileged operations (mount, mkfs, ndctl/ipmctl) go through the
 * daos_admin helper; the seams (command runner, sysfs root, admin invoker,
 * filesystem probes) are injected so tests can replace them.
 */
import type { BdevConfig, ScmConfig } from '../../config/types.js';

// ---- detection -----------------------------------------------------------

export interface ScmModule {
  physicalId: number;
  capacity: number; // bytes
  socketId: number;
  controllerId: number;
  channelId: number;
  channelPosition: number;
}

export interface PmemNamespace {
  uuid: string;
  blockDevice: string; // pmem0
  name: string; // namespace0.0
  numaNode: number;
  size: number; // bytes
}

export type ScmState = 'unknown' | 'no-regions' | 'free-capacity' | 'no-capacity';

export interface ScmScanResult {
  modules: ScmModule[];
  namespaces: PmemNamespace[];
  state: ScmState;
  /** Why detection saw less than it might have, e.g. "ipmctl not installed; SCM modules cannot be detected". */
  notes?: string[];
}

export interface NvmeNamespace {
  id: number;
  size: number; // bytes
  /** Kernel block device name, e.g. nvme0n1. */
  blockDevice?: string;
}

export interface NvmeController {
  pciAddr: string; // 0000:81:00.0
  model: string;
  serial: string;
  firmware: string;
  socketId: number; // NUMA node, 0 when unknown
  namespaces: NvmeNamespace[];
  /** Kernel block device of the first namespace, e.g. nvme0n1, if bound to the kernel driver. */
  kernelDevice?: string;
  /** Driver the PCI function is bound to: 'nvme' (kernel), 'vfio-pci', 'uio_pci_generic', or '' when unbound. */
  driver?: string;
}

export interface StorageScanResult {
  scm: ScmScanResult;
  scmError?: string;
  nvme: NvmeController[];
  nvmeError?: string;
}

// ---- preparation -----------------------------------------------------------

export interface ScmPrepareResult {
  rebootRequired: boolean;
  namespaces: PmemNamespace[];
  /** Lines to show the administrator, in order (e.g. "creating SCM namespace, may take a few minutes..."). */
  messages: string[];
}

export interface NvmePrepareRequest {
  pciAllowList: string[];
  nrHugepages: number;
  targetUser: string;
  reset: boolean;
}

export interface NvmePrepareResult {
  /** Lines to show the administrator, in order. */
  messages: string[];
  /** PCI addresses that were rebound to the kernel nvme driver. */
  rebound: string[];
}

// ---- format -----------------------------------------------------------------

/**
 * State of an instance's SCM. "Needs format" means neither mounted nor
 * mountable. Whether DAOS metadata (the superblock) is present is checked by
 * the harness, not here.
 */
export interface ScmFormatCheck {
  /** ram: a tmpfs is mounted at the mount point; dcpm: the device is mounted there; dir: the directory was prepared by a format. */
  mounted: boolean;
  /** Not mounted but could be mounted without a format (dcpm device that already holds ext4). */
  mountable: boolean;
}

export interface BdevFormatResult {
  device: string;
  ok: boolean;
  error?: string;
  info?: string;
}

export interface ScmProvider {
  scan(rescan?: boolean): Promise<ScmScanResult>;
  prepare(reset: boolean): Promise<ScmPrepareResult>;
  /** Whether a prepare would change anything that needs the consent prompt. */
  prepareNeedsConsent(reset: boolean): Promise<boolean>;
  checkFormat(cfg: ScmConfig): Promise<ScmFormatCheck>;
  /**
   * Make `cfg.mountPoint` a freshly formatted, mounted, empty SCM mount owned
   * by uid/gid. Refuses with a Fault when the devices are missing or busy.
   */
  format(cfg: ScmConfig, owner: { uid: number; gid: number }): Promise<void>;
  /** Mount a mountable SCM at start (dcpm with ext4; no-op for ram and dir, which are formatted only by format). */
  mount(cfg: ScmConfig): Promise<void>;
  unmount(cfg: ScmConfig): Promise<void>;
}

export interface BdevProvider {
  scan(): Promise<NvmeController[]>;
  /** Bind the selected NVMe controllers to the kernel nvme driver (our I/O servers use it, not SPDK). */
  prepare(req: NvmePrepareRequest): Promise<NvmePrepareResult>;
  /**
   * Check every configured device exists (and resolve nvme PCI addresses);
   * throws a Fault naming the device. With `forFormat`, also check that a
   * format could write each one (kdev and nvme: root, not mounted, no
   * holders), so that a format refuses before it writes anything.
   */
  validate(cfg: BdevConfig, opts?: { forFormat?: boolean }): Promise<void>;
  /** Prepare the configured devices for use (create files, wipe headers); one result per device. */
  format(cfg: BdevConfig): Promise<BdevFormatResult[]>;
  /**
   * Contents of daos_nvme.conf for this instance (empty string when the class has no devices).
   * NB: for the file class it also creates absent backing files, as the original did when it
   * wrote the conf at instance start; existing files are left untouched.
   */
  nvmeConf(cfg: BdevConfig, hostname: string, index: number): Promise<string>;
  /** The kernel block devices behind an nvme-class config's PCI addresses, in order (empty for other classes). */
  kernelDevices(cfg: BdevConfig): Promise<string[]>;
}
