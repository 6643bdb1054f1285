/**
 * The providers daos_server uses: privileged SCM and NVMe work goes to
 * daos_admin through an AdminInvoker, the rest is done in-process by the
 * local providers.
 *
 *  - scm_class dir: always local (no privileges).
 *  - scm_class ram/dcpm format, mount, unmount: daos_admin; when daos_server
 *    is not root they are refused at once with ScmMountNeedsRoot (daos_admin
 *    would refuse anyway: it is not setuid, it must be started by root).
 *  - SCM scan, check-format, prepare: daos_admin when root; otherwise local
 *    (scan and check-format degrade gracefully, prepare refuses with a fault).
 *  - NVMe prepare: daos_admin when root; otherwise local, which refuses only
 *    when something would change. NVMe scan, validate, format, nvmeConf: local.
 */
import type { BdevConfig, ScmConfig } from '../../config/types.js';
import type {
  BdevFormatResult,
  BdevProvider,
  NvmeController,
  NvmePrepareRequest,
  NvmePrepareResult,
  ScmFormatCheck,
  ScmPrepareResult,
  ScmProvider,
  ScmScanResult,
} from '../storage/types.js';
import { scmPrepareNeedsConsent, type LocalScmProvider } from '../storage/scm.js';
import type { LocalBdevProvider } from '../storage/bdev.js';
import { ScmMountNeedsRoot } from '../storage/faults.js';
import type { AdminInvoker } from './client.js';
import { namespaceFromWire, scanFromWire, scmConfigToTarget } from './protocol.js';

const defaultEuid = (): number => process.geteuid?.() ?? -1;

export interface ForwardingScmProviderOptions {
  local: LocalScmProvider;
  admin: AdminInvoker;
  euid?: () => number;
}

export class ForwardingScmProvider implements ScmProvider {
  private readonly local: LocalScmProvider;
  private readonly admin: AdminInvoker;
  private readonly euid: () => number;
  private cache: ScmScanResult | undefined;

  constructor(opts: ForwardingScmProviderOptions) {
    this.local = opts.local;
    this.admin = opts.admin;
    this.euid = opts.euid ?? defaultEuid;
  }

  private get root(): boolean {
    return this.euid() === 0;
  }

  async scan(rescan = false): Promise<ScmScanResult> {
    if (!this.root) return this.local.scan(rescan);
    if (!this.cache || rescan) this.cache = scanFromWire(await this.admin.invoke('ScmScan', { Rescan: true }));
    return structuredClone(this.cache);
  }

  async prepare(reset: boolean): Promise<ScmPrepareResult> {
    if (!this.root) return this.local.prepare(reset);
    this.cache = undefined;
    const r = await this.admin.invoke('ScmPrepare', { Reset: reset });
    return { rebootRequired: r.RebootRequired, namespaces: r.Namespaces.map(namespaceFromWire), messages: r.Messages };
  }

  async prepareNeedsConsent(reset: boolean): Promise<boolean> {
    return scmPrepareNeedsConsent(await this.scan(true), reset);
  }

  async checkFormat(cfg: ScmConfig): Promise<ScmFormatCheck> {
    if (cfg.class === 'dir' || !this.root) return this.local.checkFormat(cfg);
    const r = await this.admin.invoke('ScmCheckFormat', scmConfigToTarget(cfg));
    return { mounted: r.Mounted, mountable: r.Mountable };
  }

  async format(cfg: ScmConfig, owner: { uid: number; gid: number }): Promise<void> {
    if (cfg.class === 'dir') return this.local.format(cfg, owner);
    this.requireRoot(cfg, 'formatting and mounting');
    await this.admin.invoke('ScmFormat', { ...scmConfigToTarget(cfg), Reformat: true, OwnerUID: owner.uid, OwnerGID: owner.gid });
  }

  async mount(cfg: ScmConfig): Promise<void> {
    if (cfg.class !== 'dcpm') return this.local.mount(cfg);
    this.requireRoot(cfg, 'mounting');
    await this.admin.invoke('ScmMount', scmConfigToTarget(cfg));
  }

  async unmount(cfg: ScmConfig): Promise<void> {
    if (cfg.class === 'dir') return this.local.unmount(cfg);
    this.requireRoot(cfg, 'unmounting');
    await this.admin.invoke('ScmUnmount', scmConfigToTarget(cfg));
  }

  private requireRoot(cfg: ScmConfig, verb: string): void {
    if (this.root) return;
    const what = cfg.class === 'ram' ? `tmpfs at ${JSON.stringify(cfg.mountPoint)}` : `pmem device ${JSON.stringify(cfg.deviceList[0] ?? '')}`;
    throw ScmMountNeedsRoot(`${verb} ${what}`);
  }
}

export interface ForwardingBdevProviderOptions {
  local: LocalBdevProvider;
  admin: AdminInvoker;
  euid?: () => number;
}

export class ForwardingBdevProvider implements BdevProvider {
  private readonly local: LocalBdevProvider;
  private readonly admin: AdminInvoker;
  private readonly euid: () => number;

  constructor(opts: ForwardingBdevProviderOptions) {
    this.local = opts.local;
    this.admin = opts.admin;
    this.euid = opts.euid ?? defaultEuid;
  }

  scan(): Promise<NvmeController[]> {
    return this.local.scan();
  }

  async prepare(req: NvmePrepareRequest): Promise<NvmePrepareResult> {
    if (this.euid() !== 0) return this.local.prepare(req);
    const r = await this.admin.invoke('NvmePrepare', {
      PciAllowList: req.pciAllowList,
      NrHugepages: req.nrHugepages,
      TargetUser: req.targetUser,
      Reset: req.reset,
    });
    return { messages: r.Messages, rebound: r.Rebound };
  }

  validate(cfg: BdevConfig, opts?: { forFormat?: boolean }): Promise<void> {
    return this.local.validate(cfg, opts);
  }

  format(cfg: BdevConfig): Promise<BdevFormatResult[]> {
    return this.local.format(cfg);
  }

  nvmeConf(cfg: BdevConfig, hostname: string, index: number): Promise<string> {
    return this.local.nvmeConf(cfg, hostname, index);
  }

  kernelDevices(cfg: BdevConfig): Promise<string[]> {
    return this.local.kernelDevices(cfg);
  }
}
