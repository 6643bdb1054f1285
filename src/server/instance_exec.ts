/**
 * Building and running the daos_io_server process of one instance: its
 * argument list and environment are derived from the config exactly as the
 * original daos_server derived them (control-plane reference §1.3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { IOServerConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import { serverFaults } from './faults.js';

export const IO_SERVER_BIN = 'daos_io_server';

/** Name of daos_nvme.conf under the SCM mount. */
export const NVME_CONF = 'daos_nvme.conf';

/** Argument list, in the original's order: -m -t -x -f -g -d -s -n -i -p -I. */
export function ioServerArgs(cfg: IOServerConfig, opts: { nvmeConf?: string; shmId?: number }): string[] {
  const a: string[] = [];
  if (cfg.modules) a.push('-m', cfg.modules);
  if (cfg.targets) a.push('-t', String(cfg.targets));
  a.push('-x', String(cfg.nrXsHelpers));
  if (cfg.firstCore) a.push('-f', String(cfg.firstCore));
  if (cfg.systemName) a.push('-g', cfg.systemName);
  if (cfg.socketDir) a.push('-d', cfg.socketDir);
  a.push('-s', cfg.scm.mountPoint);
  if (opts.nvmeConf) a.push('-n', opts.nvmeConf);
  if (opts.shmId) a.push('-i', String(opts.shmId));
  if (cfg.pinnedNumaNode !== undefined) a.push('-p', String(cfg.pinnedNumaNode));
  a.push('-I', String(cfg.index));
  return a;
}

/** VOS_BDEV_CLASS as the original set it: MALLOC for malloc, AIO for kdev and file, unset for nvme. */
function bdevClassEnv(cfg: IOServerConfig): string | undefined {
  switch (cfg.bdev.class) {
    case 'malloc':
      return 'MALLOC';
    case 'kdev':
    case 'file':
      return 'AIO';
    default:
      return undefined;
  }
}

/**
 * Environment: daos_server's own, overridden by `env_vars`, overridden by the
 * config-derived variables. NB: unlike the original, values containing `=`
 * are kept.
 */
export function ioServerEnv(cfg: IOServerConfig, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const kv of cfg.envVars) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const derived: Record<string, string | undefined> = {
    D_LOG_MASK: cfg.logMask || undefined,
    D_LOG_FILE: cfg.logFile || undefined,
    VOS_BDEV_CLASS: bdevClassEnv(cfg),
    CRT_PHY_ADDR_STR: cfg.provider || undefined,
    OFI_INTERFACE: cfg.fabricIface || undefined,
    OFI_PORT: cfg.fabricIfacePort ? String(cfg.fabricIfacePort) : undefined,
  };
  for (const [k, v] of Object.entries(derived)) {
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** The daos_io_server program: next to the running program first (same installation), else $PATH. */
export function findIoServerBinary(selfPath = process.argv[1] ?? '', envPath = process.env.PATH ?? ''): string {
  const candidates: string[] = [];
  if (selfPath) candidates.push(path.join(path.dirname(fs.realpathSync(selfPath)), IO_SERVER_BIN));
  for (const dir of envPath.split(':').filter(Boolean)) candidates.push(path.join(dir, IO_SERVER_BIN));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw serverFaults.ioServerNotFound();
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(e: ExitInfo): string {
  if (e.signal) return `killed by signal ${e.signal}`;
  return `exited with status ${e.code}`;
}

/** A running daos_io_server process with its output relayed to the log. */
export class IOServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private exitInfo?: ExitInfo;

  constructor(bin: string, args: string[], env: NodeJS.ProcessEnv, log: Logger, index: number, owner?: { uid: number; gid: number }) {
    // NB: own process group, so a Ctrl-C on daos_server's terminal reaches
    // daos_server alone and it stops its I/O servers in order; stdin is the
    // lifeline: the I/O server exits when daos_server goes away, even on SIGKILL.
    // With user_name/group_name the I/O server runs as that user and group
    // (its supplementary groups are dropped).
    this.child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
    const prefix = `${IO_SERVER_BIN}:${index} `;
    readline.createInterface({ input: this.child.stdout! }).on('line', (l) => log.info(prefix + l));
    readline.createInterface({ input: this.child.stderr! }).on('line', (l) => log.error(prefix + l));
    this.child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (e) => {
        log.error(`${prefix}failed to start ${bin}: ${e.message}`);
        this.exitInfo = { code: 127, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    this.kill('SIGTERM');
    const t = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }
}
