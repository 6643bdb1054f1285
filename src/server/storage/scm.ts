/**
 * The local SCM provider: detection (ipmctl, ndctl), the prepare state
 * machine, and per-class check/format/mount/unmount, done in this process.
 * daos_admin runs it as root for daos_server; daos_server itself uses it
 * directly for `scm_class: dir` (see ../admin/forwarding.ts).
 *
 * Classes:
 *  - ram:  tmpfs at scm_mount, `size=<scm_size>g`; needs root.
 *  - dcpm: ext4 on the single scm_list pmem device, mounted with `dax`; needs root.
 *  - dir:  ours, development only: an existing (or creatable) directory
 *          stands in for the SCM mount; a marker file `.daos_scm_dir` says
 *          DAOS formatted it. Nothing is mounted, no root needed.
 *
 * SCM prepare states (ScmState) and what prepare does in each, without and
 * with reset (scmPrepareAction is the single place that decides):
 *
 *   state          prepare                         prepare --reset
 *   no-regions     create AppDirect goal → reboot  nothing ("SCM is already reset")
 *   free-capacity  create namespaces until full    remove namespaces, MemoryMode goal → reboot
 *   no-capacity    nothing, list namespaces        remove namespaces, MemoryMode goal → reboot
 *   unknown        refused                         refused
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ScmConfig } from '../../config/types.js';
import type { Logger } from '../../logging/logger.js';
import { nullLogger } from '../../logging/logger.js';
import { errorMessage } from '../../fault/fault.js';
import type {
  PmemNamespace,
  ScmFormatCheck,
  ScmModule,
  ScmPrepareResult,
  ScmProvider,
  ScmScanResult,
  ScmState,
} from './types.js';
import { CommandNotFoundError, CommandTimeoutError, type CommandRunner, type RunResult } from './runner.js';
import { MountTable, canonicalPath } from './mountinfo.js';
import { RealDeviceProbe, type DeviceProbe } from './devices.js';
import {
  IPMCTL_CREATE_APPDIRECT_GOAL_ARGS,
  IPMCTL_CREATE_MEMORYMODE_GOAL_ARGS,
  IPMCTL_DELETE_GOAL_ARGS,
  IPMCTL_DIMM_ARGS,
  IPMCTL_REGION_ARGS,
  ipmctlSaysNoModules,
  ipmctlSaysNoRegions,
  parseIpmctlDimms,
  parseIpmctlRegions,
} from './ipmctl.js';
import { NDCTL_CREATE_ARGS, NDCTL_LIST_ARGS, parseNdctlList, toPmemNamespaces, type NdctlNamespace } from './ndctl.js';
import {
  CommandFailed,
  CommandTimeout,
  MissingSoftwareDependency,
  ScmDeviceMissing,
  ScmDeviceNotBlock,
  ScmDirNotEmpty,
  ScmFormatBadParam,
  ScmMountBelow,
  ScmMountNeedsRoot,
  ScmNoModules,
  ScmNotDirectory,
  ScmNotFormatted,
  ScmPrepareIncomplete,
  ScmPrepareNeedsRoot,
  ScmPrepareUnexpectedState,
  ScmUnknown,
  StorageAlreadyFormatted,
  StorageDeviceAlreadyMounted,
  StorageFilesystemAlreadyMounted,
} from './faults.js';

// ---- messages (the deployment guide's wording) -------------------------------------

/** Printed before the consent prompt of a destructive SCM prepare (by the command, not by prepare()). */
export const SCM_PREPARE_WARNING =
  'Memory allocation goals for SCM will be changed and namespaces modified. This\n' +
  'will be a destructive operation. Ensure namespaces are unmounted and the SCM\n' +
  'is otherwise unused.';
export const MSG_REBOOT_REQUIRED = 'A reboot is required to process new memory allocation goals.';

/**
 * What `daos_server storage prepare` prints for an SCM prepare: the
 * provider's messages, then the reboot notice (once: the messages may carry
 * it already) or the namespaces.
 */
export function scmPrepareLines(r: ScmPrepareResult): string[] {
  const out = [...r.messages];
  if (r.rebootRequired) {
    if (!out.includes(MSG_REBOOT_REQUIRED)) out.push(MSG_REBOOT_REQUIRED);
  } else if (r.namespaces.length) {
    out.push('Persistent memory kernel devices:');
    out.push(r.namespaces.map((n) => `{UUID:${n.uuid} Blockdev:${n.blockDevice} Dev:${n.name} NumaNode:${n.numaNode}}`).join(' '));
  } else out.push('no SCM namespaces');
  return out;
}
export const MSG_CREATING_NAMESPACE = 'creating SCM namespace, may take a few minutes...';
export const MSG_RESETTING = 'resetting SCM memory allocations';
export const MSG_ALREADY_RESET = 'SCM is already reset';
export const msgRemovingNamespace = (dev: string): string => `removing SCM namespace "${dev}", may take a few minutes...`;

/** Marker written by a format of a `scm_class: dir` directory. */
export const SCM_DIR_MARKER = '.daos_scm_dir';

// ---- the prepare state machine ----------------------------------------------------------

export type ScmPrepareAction = 'create-regions' | 'create-namespaces' | 'none' | 'remove-all' | 'already-reset';

/** What a prepare does in a state; refuses states it cannot act on. */
export function scmPrepareAction(state: ScmState, reset: boolean): ScmPrepareAction {
  switch (state) {
    case 'no-regions':
      return reset ? 'already-reset' : 'create-regions';
    case 'free-capacity':
      return reset ? 'remove-all' : 'create-namespaces';
    case 'no-capacity':
      return reset ? 'remove-all' : 'none';
    case 'unknown':
      throw ScmUnknown('unknown scm state');
  }
}

/**
 * Whether a prepare needs the administrator's consent: when it creates
 * regions (no-regions, no reset) or resets regions that exist.
 */
export function scmPrepareNeedsConsent(scan: ScmScanResult, reset: boolean): boolean {
  if (scan.modules.length === 0) return false;
  if (reset) return scan.state === 'free-capacity' || scan.state === 'no-capacity';
  return scan.state === 'no-regions';
}

// ---- provider --------------------------------------------------------------------------

export interface ScmFormatResult {
  mountPoint: string;
  formatted: boolean;
  mounted: boolean;
  mountable: boolean;
}

export interface LocalScmProviderOptions {
  runner: CommandRunner;
  log?: Logger;
  mounts?: MountTable;
  probe?: DeviceProbe;
  hostname?: () => string;
  euid?: () => number;
  /** Most namespaces one prepare may create before it gives up (default 16). */
  maxNamespaces?: number;
}

const T_QUERY = 60_000;
const T_GOAL = 5 * 60_000;
const T_NAMESPACE = 15 * 60_000;
const T_MKFS = 30 * 60_000;
const T_MOUNT = 2 * 60_000;

export class LocalScmProvider implements ScmProvider {
  private readonly runner: CommandRunner;
  private readonly log: Logger;
  private readonly mounts: MountTable;
  private readonly probe: DeviceProbe;
  private readonly hostname: () => string;
  private readonly euid: () => number;
  private readonly maxNamespaces: number;
  private cache: ScmScanResult | undefined;

  constructor(opts: LocalScmProviderOptions) {
    this.runner = opts.runner;
    this.log = opts.log ?? nullLogger();
    this.mounts = opts.mounts ?? new MountTable();
    this.probe = opts.probe ?? new RealDeviceProbe();
    this.hostname = opts.hostname ?? (() => os.hostname());
    this.euid = opts.euid ?? (() => process.geteuid?.() ?? -1);
    this.maxNamespaces = opts.maxNamespaces ?? 16;
  }

  // ---- detection ----

  async scan(rescan = false): Promise<ScmScanResult> {
    if (this.cache && !rescan) return structuredClone(this.cache);
    const notes: string[] = [];
    const modules = await this.scanModules(notes);
    const ndctl = await this.runner.which('ndctl');
    let namespaces: PmemNamespace[] = [];
    let state: ScmState = 'unknown';
    if (modules.length > 0) {
      if (!ndctl) throw MissingSoftwareDependency('ndctl');
      namespaces = toPmemNamespaces(await this.listNamespaces());
      state = await this.regionState();
    } else if (ndctl) {
      // Emulated pmem (memmap= kernel parameter) has namespaces but no modules.
      try {
        namespaces = toPmemNamespaces(await this.listNamespaces());
      } catch (e) {
        notes.push(`ndctl failed: ${errorMessage(e)}`);
      }
    } else {
      notes.push('ndctl not installed; pmem namespaces cannot be listed');
    }
    const res: ScmScanResult = { modules, namespaces, state };
    if (notes.length) res.notes = notes;
    this.cache = res;
    return structuredClone(res);
  }

  private async scanModules(notes: string[]): Promise<ScmModule[]> {
    if (!(await this.runner.which('ipmctl'))) {
      notes.push('ipmctl not installed; SCM modules (DCPMM) cannot be detected');
      return [];
    }
    const r = await this.run('ipmctl', IPMCTL_DIMM_ARGS, T_QUERY);
    const out = `${r.stdout}\n${r.stderr}`;
    if (ipmctlSaysNoModules(out)) return [];
    if (r.code !== 0) {
      notes.push(`ipmctl failed (exit ${r.code}): ${firstLines(out)}`);
      return [];
    }
    return parseIpmctlDimms(r.stdout);
  }

  private async listNamespaces(): Promise<NdctlNamespace[]> {
    return parseNdctlList((await this.runChecked('ndctl', NDCTL_LIST_ARGS, T_QUERY)).stdout);
  }

  private async regionState(): Promise<ScmState> {
    const r = await this.run('ipmctl', IPMCTL_REGION_ARGS, T_QUERY);
    if (ipmctlSaysNoRegions(`${r.stdout}\n${r.stderr}`)) return 'no-regions';
    if (r.code !== 0) throw CommandFailed(cmdline('ipmctl', IPMCTL_REGION_ARGS), r.code, firstLines(r.stderr || r.stdout));
    return parseIpmctlRegions(r.stdout);
  }

  // ---- prepare ----

  async prepareNeedsConsent(reset: boolean): Promise<boolean> {
    return scmPrepareNeedsConsent(await this.scan(true), reset);
  }

  async prepare(reset: boolean): Promise<ScmPrepareResult> {
    const scan = await this.scan(true);
    if (scan.modules.length === 0) throw ScmNoModules(this.hostname());
    if (this.euid() !== 0) throw ScmPrepareNeedsRoot();
    try {
      return await this.runPrepare(scmPrepareAction(scan.state, reset), scan);
    } finally {
      this.cache = undefined;
    }
  }

  private async runPrepare(action: ScmPrepareAction, scan: ScmScanResult): Promise<ScmPrepareResult> {
    const messages: string[] = [];
    const say = (m: string): void => {
      messages.push(m);
      this.log.debug(m);
    };
    switch (action) {
      case 'already-reset':
        say(MSG_ALREADY_RESET);
        return { rebootRequired: false, namespaces: [], messages };
      case 'none':
        return { rebootRequired: false, namespaces: scan.namespaces, messages };
      case 'create-regions':
        await this.runChecked('ipmctl', IPMCTL_DELETE_GOAL_ARGS, T_GOAL);
        await this.runChecked('ipmctl', IPMCTL_CREATE_APPDIRECT_GOAL_ARGS, T_GOAL);
        say(MSG_REBOOT_REQUIRED);
        return { rebootRequired: true, namespaces: [], messages };
      case 'create-namespaces': {
        let state: ScmState = 'free-capacity';
        let created = 0;
        while (state === 'free-capacity') {
          if (created >= this.maxNamespaces) throw ScmPrepareIncomplete(created);
          say(MSG_CREATING_NAMESPACE);
          await this.runChecked('ndctl', NDCTL_CREATE_ARGS, T_NAMESPACE);
          created++;
          state = await this.regionState();
        }
        if (state !== 'no-capacity') throw ScmPrepareUnexpectedState('free-capacity or no-capacity', state);
        return { rebootRequired: false, namespaces: toPmemNamespaces(await this.listNamespaces()), messages };
      }
      case 'remove-all': {
        for (const ns of await this.listNamespaces()) {
          if (ns.blockdev) {
            for (const m of await this.mounts.ofDevice(`/dev/${ns.blockdev}`)) {
              this.log.debug(`unmounting ${m.mountPoint} (/dev/${ns.blockdev}) before removing its namespace`);
              await this.runChecked('umount', [m.mountPoint], T_MOUNT);
            }
          }
          say(msgRemovingNamespace(ns.dev));
          await this.runChecked('ndctl', ['disable-namespace', ns.dev], T_NAMESPACE);
          await this.runChecked('ndctl', ['destroy-namespace', ns.dev], T_NAMESPACE);
        }
        say(MSG_RESETTING);
        await this.runChecked('ipmctl', IPMCTL_DELETE_GOAL_ARGS, T_GOAL);
        await this.runChecked('ipmctl', IPMCTL_CREATE_MEMORYMODE_GOAL_ARGS, T_GOAL);
        say(MSG_REBOOT_REQUIRED);
        return { rebootRequired: true, namespaces: [], messages };
      }
    }
  }

  // ---- format ----

  async checkFormat(cfg: ScmConfig): Promise<ScmFormatCheck> {
    const mp = checkMountPoint(cfg);
    switch (cfg.class) {
      case 'dir':
        return { mounted: await this.dirHasMarker(mp), mountable: false };
      case 'ram': {
        const e = await this.mounts.at(mp);
        return { mounted: e?.fsType === 'tmpfs', mountable: false };
      }
      case 'dcpm': {
        const dev = dcpmDevice(cfg);
        if (await this.mountedFrom(mp, dev)) return { mounted: true, mountable: false };
        if ((await this.probe.kind(dev)) !== 'block') return { mounted: false, mountable: false };
        try {
          return { mounted: false, mountable: await this.probe.hasExt4(dev) };
        } catch (e) {
          this.log.debug(`cannot read ${dev} to look for a filesystem: ${errorMessage(e)}`);
          return { mounted: false, mountable: false };
        }
      }
      default:
        throw ScmFormatBadParam(`scm_class ${JSON.stringify(cfg.class)} not supported (ram, dcpm, dir)`);
    }
  }

  /** A fresh, empty, mounted SCM owned by `owner` (always a reformat, as the original). */
  async format(cfg: ScmConfig, owner: { uid: number; gid: number }): Promise<void> {
    await this.formatScm(cfg, owner, true);
  }

  /**
   * Format with an explicit reformat flag: without it, storage that is
   * already formatted (mounted, or holding a filesystem or the dir marker) is
   * refused with StorageAlreadyFormatted.
   */
  async formatScm(cfg: ScmConfig, owner: { uid: number; gid: number }, reformat: boolean): Promise<ScmFormatResult> {
    const mp = checkMountPoint(cfg);
    this.log.debug(`formatting SCM ${cfg.class} at ${mp} (reformat: ${reformat})`);
    switch (cfg.class) {
      case 'dir':
        await this.formatDir(mp, owner, reformat);
        break;
      case 'ram':
        await this.formatRam(cfg, mp, owner, reformat);
        break;
      case 'dcpm':
        await this.formatDcpm(cfg, mp, owner, reformat);
        break;
      default:
        throw ScmFormatBadParam(`scm_class ${JSON.stringify(cfg.class)} not supported (ram, dcpm, dir)`);
    }
    return { mountPoint: mp, formatted: true, mounted: true, mountable: false };
  }

  private async formatDir(dir: string, owner: { uid: number; gid: number }, reformat: boolean): Promise<void> {
    await this.ensureDir(dir);
    const entries = (await fs.readdir(dir)).sort();
    if (entries.includes(SCM_DIR_MARKER)) {
      if (!reformat) throw StorageAlreadyFormatted();
      const inner = await this.mounts.below(dir);
      if (inner.length > 0) throw ScmMountBelow(dir, inner[0]!.mountPoint);
      // NB: the marker proves DAOS formatted this directory, so all of it is ours to wipe.
      for (const e of entries) await fs.rm(path.join(dir, e), { recursive: true, force: true });
    } else if (entries.length > 0) {
      throw ScmDirNotEmpty(dir, entries.slice(0, 5), entries.length);
    }
    await fs.writeFile(
      path.join(dir, SCM_DIR_MARKER),
      `This directory stands in for SCM (scm_class: dir) and was formatted by daos_server on ${new Date().toISOString()}.\n` +
        'A reformat deletes everything in it.\n',
      { mode: 0o600 },
    );
    if (this.euid() === 0) {
      await fs.chown(dir, owner.uid, owner.gid);
      await fs.chown(path.join(dir, SCM_DIR_MARKER), owner.uid, owner.gid);
    }
  }

  private async formatRam(cfg: ScmConfig, mp: string, owner: { uid: number; gid: number }, reformat: boolean): Promise<void> {
    this.requireRoot(`mounting tmpfs at ${JSON.stringify(mp)}`);
    if (!Number.isInteger(cfg.ramSizeGB) || cfg.ramSizeGB < 0) {
      throw ScmFormatBadParam(`scm_size ${JSON.stringify(cfg.ramSizeGB)} is not a whole number of GB`);
    }
    await this.ensureDir(mp);
    let e = await this.mounts.at(mp);
    if (e) {
      if (e.fsType !== 'tmpfs') throw StorageFilesystemAlreadyMounted(mp, e.fsType);
      if (!reformat) throw StorageAlreadyFormatted();
      // A reformat gives a fresh, empty tmpfs: drop every tmpfs stacked here.
      for (let i = 0; e && e.fsType === 'tmpfs' && i < 8; i++) {
        await this.runChecked('umount', [mp], T_MOUNT);
        e = await this.mounts.at(mp);
      }
      if (e) throw StorageFilesystemAlreadyMounted(mp, e.fsType);
    }
    const opts = cfg.ramSizeGB > 0 ? ['-o', `size=${cfg.ramSizeGB}g`] : [];
    await this.runChecked('mount', ['-t', 'tmpfs', ...opts, 'tmpfs', mp], T_MOUNT);
    await this.takeOwnership(mp, owner);
  }

  private async formatDcpm(cfg: ScmConfig, mp: string, owner: { uid: number; gid: number }, reformat: boolean): Promise<void> {
    const dev = dcpmDevice(cfg);
    this.requireRoot(`formatting and mounting pmem device ${JSON.stringify(dev)}`);
    await this.checkPmemDevice(dev, mp);
    const e = await this.mounts.at(mp);
    if (e) {
      if (!(await sameDevice(e.source, dev))) throw StorageFilesystemAlreadyMounted(mp, e.fsType);
      if (!reformat) throw StorageAlreadyFormatted();
      await this.runChecked('umount', [mp], T_MOUNT);
    } else if (!reformat && (await this.probe.hasExt4(dev))) {
      throw StorageAlreadyFormatted();
    }
    await this.runChecked('mkfs.ext4', reformat ? ['-F', dev] : [dev], T_MKFS);
    await this.ensureDir(mp);
    await this.runChecked('mount', ['-t', 'ext4', '-o', 'dax', dev, mp], T_MOUNT);
    await this.takeOwnership(mp, owner);
  }

  /** The device must be a block device not mounted anywhere but at mp. */
  private async checkPmemDevice(dev: string, mp: string): Promise<void> {
    const kind = await this.probe.kind(dev);
    if (kind === 'missing') throw ScmDeviceMissing(dev);
    if (kind !== 'block') throw ScmDeviceNotBlock(dev);
    const mpc = await canonicalPath(mp);
    const elsewhere = (await this.mounts.ofDevice(dev)).filter((m) => m.mountPoint !== mpc);
    if (elsewhere.length > 0) throw StorageDeviceAlreadyMounted(dev, elsewhere[0]!.mountPoint);
  }

  // ---- mount / unmount ----

  async mount(cfg: ScmConfig): Promise<void> {
    const mp = checkMountPoint(cfg);
    if (cfg.class !== 'dcpm') {
      // ram comes back only through a format (a tmpfs does not survive a reboot); dir needs nothing.
      this.log.debug(`SCM mount of class ${cfg.class} at ${mp}: nothing to do`);
      return;
    }
    const dev = dcpmDevice(cfg);
    this.requireRoot(`mounting pmem device ${JSON.stringify(dev)}`);
    if (await this.mountedFrom(mp, dev)) return;
    await this.checkPmemDevice(dev, mp);
    const e = await this.mounts.at(mp);
    if (e) throw StorageFilesystemAlreadyMounted(mp, e.fsType);
    if (!(await this.probe.hasExt4(dev))) throw ScmNotFormatted(dev);
    await this.ensureDir(mp);
    await this.runChecked('mount', ['-t', 'ext4', '-o', 'dax', dev, mp], T_MOUNT);
  }

  async unmount(cfg: ScmConfig): Promise<void> {
    const mp = checkMountPoint(cfg);
    if (cfg.class === 'dir') return;
    this.requireRoot(`unmounting ${JSON.stringify(mp)}`);
    const e = await this.mounts.at(mp);
    if (!e) return;
    const ours = cfg.class === 'ram' ? e.fsType === 'tmpfs' : await sameDevice(e.source, dcpmDevice(cfg));
    if (!ours) throw StorageFilesystemAlreadyMounted(mp, e.fsType);
    await this.runChecked('umount', [mp], T_MOUNT);
  }

  // ---- helpers ----

  private requireRoot(action: string): void {
    if (this.euid() !== 0) throw ScmMountNeedsRoot(action);
  }

  private async dirHasMarker(dir: string): Promise<boolean> {
    try {
      return (await fs.stat(dir)).isDirectory() && (await fs.stat(path.join(dir, SCM_DIR_MARKER))).isFile();
    } catch {
      return false;
    }
  }

  private async mountedFrom(mp: string, dev: string): Promise<boolean> {
    const e = await this.mounts.at(mp);
    return e !== undefined && (await sameDevice(e.source, dev));
  }

  /** mkdir -p with mode 0700 for what is created; refuses a non-directory. */
  private async ensureDir(dir: string): Promise<void> {
    try {
      const st = await fs.stat(dir);
      if (!st.isDirectory()) throw ScmNotDirectory(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }

  /** The root of a fresh mount belongs to daos_server's user, mode 0700. */
  private async takeOwnership(mp: string, owner: { uid: number; gid: number }): Promise<void> {
    await fs.chown(mp, owner.uid, owner.gid);
    await fs.chmod(mp, 0o700);
  }

  private async run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
    const line = cmdline(cmd, args);
    this.log.debug(`running ${line}`);
    try {
      return await this.runner.run(cmd, args, { timeoutMs });
    } catch (e) {
      if (e instanceof CommandNotFoundError) throw MissingSoftwareDependency(cmd);
      if (e instanceof CommandTimeoutError) throw CommandTimeout(line, timeoutMs);
      throw e;
    }
  }

  private async runChecked(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
    const r = await this.run(cmd, args, timeoutMs);
    if (r.code !== 0) throw CommandFailed(cmdline(cmd, args), r.code, firstLines(r.stderr || r.stdout));
    return r;
  }
}

function cmdline(cmd: string, args: string[]): string {
  return [cmd, ...args].join(' ');
}

function firstLines(s: string, n = 3): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join('; ');
}

function checkMountPoint(cfg: ScmConfig): string {
  const mp = cfg.mountPoint;
  if (!mp || !path.isAbsolute(mp)) throw ScmFormatBadParam(`scm_mount ${JSON.stringify(mp)} is not an absolute path`);
  const n = path.resolve(mp);
  if (n === '/') throw ScmFormatBadParam('scm_mount must not be "/"');
  return n;
}

function dcpmDevice(cfg: ScmConfig): string {
  if (cfg.deviceList.length !== 1 || !cfg.deviceList[0]) {
    throw ScmFormatBadParam(`scm_class dcpm needs exactly one scm_list device, got ${cfg.deviceList.length}`);
  }
  return cfg.deviceList[0];
}

async function sameDevice(source: string, dev: string): Promise<boolean> {
  return source === dev || source === (await canonicalPath(dev));
}
