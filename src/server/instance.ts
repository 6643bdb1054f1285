/**
 * One I/O server instance: the lifecycle of one daos_io_server process.
 *
 * States and legal transitions (checkTransition is the only judge):
 *
 *   AwaitFormat ──format──▶ Stopped ──start──▶ Starting ──joined──▶ Joined
 *                              ▲                  │                   │
 *                              └──── Stopping ◀───┴──────stop─────────┘
 *   Starting/Joined ──process exits or join refused──▶ Errored ──start──▶ Starting
 *   Stopped/Errored ──reformat──▶ AwaitFormat
 *
 * NB: the instance never restarts itself after an error; an administrator
 * does (`dmg system start`), after reading why it failed.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { IOServerConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import { errorMessage, Fault } from '../fault/fault.js';
import { DrpcClient } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import { SetRankReqSchema, PrepShutdownReqSchema, DaosRespSchema } from '../proto/mgmt/srv_pb.js';
import { SetUpReqSchema } from '../proto/mgmt/targets_pb.js';
import type { NotifyReadyReq } from '../proto/srv/srv_pb.js';
import { NIL_RANK } from '../system/membership.js';
import { readSuperblock, writeSuperblock, type Superblock } from '../layout/superblock.js';
import { IOServerProcess, describeExit, ioServerArgs, ioServerEnv } from './instance_exec.js';
import { serverFaults } from './faults.js';

export enum InstanceState {
  AwaitFormat = 'AwaitFormat',
  Stopped = 'Stopped',
  Starting = 'Starting',
  Joined = 'Joined',
  Stopping = 'Stopping',
  Errored = 'Errored',
}

const transitions: Record<InstanceState, InstanceState[]> = {
  [InstanceState.AwaitFormat]: [InstanceState.Stopped],
  [InstanceState.Stopped]: [InstanceState.Starting, InstanceState.AwaitFormat],
  [InstanceState.Starting]: [InstanceState.Joined, InstanceState.Errored, InstanceState.Stopping],
  [InstanceState.Joined]: [InstanceState.Stopping, InstanceState.Errored],
  [InstanceState.Stopping]: [InstanceState.Stopped, InstanceState.Errored],
  [InstanceState.Errored]: [InstanceState.Starting, InstanceState.Stopped, InstanceState.AwaitFormat, InstanceState.Errored],
};

export function checkInstanceTransition(from: InstanceState, to: InstanceState): boolean {
  return transitions[from].includes(to);
}

/** What the MS answered to an instance's join (see JoinResp in srv.proto). */
export interface JoinAnswer {
  rank: number;
  handleKey: Uint8Array;
  openContHandles: string[];
  handlesAsOfMs: bigint;
}

/** What an instance needs from its daos_server. */
export interface InstanceHost {
  log: Logger;
  hostname: string;
  ioServerBin: string;
  /**
   * Prepare storage and write daos_nvme.conf; returns its path (undefined when
   * there are no devices) and environment the I/O server needs for them.
   */
  prepareStart(cfg: IOServerConfig): Promise<{ nvmeConf?: string; env: Record<string, string> }>;
  /** Join the system through the MS leader, retrying transient failures until `signal` aborts. */
  join(inst: IOServerInstance, ready: NotifyReadyReq, signal: AbortSignal): Promise<JoinAnswer>;
  /** Tell the MS about a state change. */
  report(inst: IOServerInstance): void;
  shmId?: number;
  /** The user and group the I/O server runs as (user_name/group_name); undefined: daos_server's own. */
  owner?: { uid: number; gid: number };
}

export interface InstanceTimeouts {
  readyMs: number;
  stopGraceMs: number;
  drpcMs: number;
}

const defaultTimeouts: InstanceTimeouts = { readyMs: 60_000, stopGraceMs: 10_000, drpcMs: 10_000 };

export class IOServerInstance {
  private st: InstanceState;
  private why = '';
  private proc?: IOServerProcess;
  private drpc?: DrpcClient;
  private sb?: Superblock;
  private readyWaiter?: { resolve: (r: NotifyReadyReq) => void; reject: (e: Error) => void };
  private startAbort?: AbortController;
  private op: Promise<void> = Promise.resolve();
  private readonly timeouts: InstanceTimeouts;
  private readonly log: Logger;

  constructor(
    readonly cfg: IOServerConfig,
    private readonly host: InstanceHost,
    initial: InstanceState,
    timeouts: Partial<InstanceTimeouts> = {},
  ) {
    this.st = initial;
    this.timeouts = { ...defaultTimeouts, ...timeouts };
    this.log = host.log;
  }

  get index(): number {
    return this.cfg.index;
  }
  get state(): InstanceState {
    return this.st;
  }
  get info(): string {
    return this.why;
  }
  get superblock(): Superblock | undefined {
    return this.sb;
  }
  get rank(): number | undefined {
    return this.sb?.validRank ? this.sb.rank : undefined;
  }
  get uuid(): string | undefined {
    return this.sb?.uuid;
  }
  get pid(): number | undefined {
    return this.proc?.running ? this.proc.pid : undefined;
  }
  get running(): boolean {
    return this.proc?.running ?? false;
  }

  private setState(to: InstanceState, info = ''): void {
    if (!checkInstanceTransition(this.st, to)) {
      throw new Error(`I/O server instance ${this.index}: illegal state change ${this.st} -> ${to}`);
    }
    const changed = this.st !== to || this.why !== info;
    this.st = to;
    this.why = info;
    if (changed) this.host.report(this);
  }

  /** Serialise lifecycle operations. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.op.then(fn, fn);
    this.op = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** Storage was formatted (or found formatted): the instance may start. */
  storageReady(): void {
    if (this.st === InstanceState.AwaitFormat) this.setState(InstanceState.Stopped);
    this.sb = undefined;
  }

  /** Storage is being reformatted: back to waiting for format. */
  awaitFormat(): void {
    if (this.st !== InstanceState.AwaitFormat) this.setState(InstanceState.AwaitFormat);
    this.sb = undefined;
  }

  /** Called by the harness when the I/O server says it is ready. */
  notifyReady(req: NotifyReadyReq): void {
    if (!this.readyWaiter) throw serverFaults.unexpectedReady(this.index);
    this.readyWaiter.resolve(req);
  }

  start(): Promise<void> {
    return this.serial(() => this.doStart());
  }

  private async doStart(): Promise<void> {
    if (this.st === InstanceState.Joined || this.st === InstanceState.Starting) return;
    if (this.st === InstanceState.AwaitFormat) throw serverFaults.storageNotFormatted(this.index);
    this.setState(InstanceState.Starting);
    const abort = new AbortController();
    this.startAbort = abort;
    try {
      this.sb = readSuperblock(this.cfg.scm.mountPoint);
      if (this.cfg.rank !== undefined && this.sb.validRank && this.sb.rank !== this.cfg.rank) {
        throw serverFaults.configRankMismatch(this.index, this.cfg.rank, this.sb.rank ?? NIL_RANK);
      }
      const { nvmeConf, env: bdevEnv } = await this.host.prepareStart(this.cfg);
      const args = ioServerArgs(this.cfg, { nvmeConf, shmId: this.host.shmId });
      this.log.info(`Starting I/O server instance ${this.index}: ${this.host.ioServerBin}`);
      this.log.debug(`instance ${this.index}: ${this.host.ioServerBin} ${args.join(' ')}`);
      const ready = new Promise<NotifyReadyReq>((resolve, reject) => {
        this.readyWaiter = { resolve, reject };
      });
      const proc = new IOServerProcess(this.host.ioServerBin, args, { ...ioServerEnv(this.cfg), ...bdevEnv }, this.log, this.index, this.host.owner);
      this.proc = proc;
      void proc.exited.then((e) => this.onExit(proc, describeExit(e)));
      const timer = setTimeout(
        () => this.readyWaiter?.reject(serverFaults.readyTimeout(this.index, this.timeouts.readyMs)),
        this.timeouts.readyMs,
      );
      const exitedEarly = proc.exited.then((e) => {
        throw serverFaults.ioServerExited(this.index, describeExit(e));
      });
      let rdy: NotifyReadyReq;
      try {
        rdy = await Promise.race([ready, exitedEarly]);
      } finally {
        clearTimeout(timer);
        this.readyWaiter = undefined;
      }
      this.drpc = await DrpcClient.connect(rdy.drpcListenerSock, { timeoutMs: this.timeouts.drpcMs });
      const { rank, handleKey, openContHandles, handlesAsOfMs } = await Promise.race([this.host.join(this, rdy, abort.signal), exitedEarly]);
      if (!this.sb.validRank || this.sb.rank !== rank || this.sb.recreated) {
        this.sb = { ...this.sb, rank, validRank: true, recreated: false };
        writeSuperblock(this.cfg.scm.mountPoint, this.sb, this.host.owner);
      }
      if (this.sb.createMs) {
        this.sb = { ...this.sb, createMs: false, bootstrapMs: false };
        writeSuperblock(this.cfg.scm.mountPoint, this.sb, this.host.owner);
      }
      await this.call(Method.setRank, toBinary(SetRankReqSchema, create(SetRankReqSchema, { rank })));
      await this.call(Method.setUp, toBinary(SetUpReqSchema, create(SetUpReqSchema, { handleKey, rank, openContHandles, handlesAsOfMs })));
      if (!proc.running) throw serverFaults.ioServerExited(this.index, 'exited during setup');
      this.setState(InstanceState.Joined);
    } catch (e) {
      abort.abort();
      const stopping = this.st === InstanceState.Stopping;
      await this.killProcess(true);
      if (stopping) {
        this.setState(InstanceState.Stopped);
        return;
      }
      const msg = errorMessage(e);
      this.log.error(`I/O server instance ${this.index} failed to start: ${msg}`);
      if (e instanceof Fault && e.resolution) this.log.error(`I/O server instance ${this.index}: ${e.resolution}`);
      if (this.st !== InstanceState.Errored) this.setState(InstanceState.Errored, msg);
      throw e;
    } finally {
      this.startAbort = undefined;
    }
  }

  private async call(method: number, body?: Uint8Array): Promise<Uint8Array> {
    if (!this.drpc) throw new Error('no dRPC connection to the I/O server');
    const resp = await this.drpc.call(Module.mgmt, method, body, { timeoutMs: this.timeouts.drpcMs });
    if (resp.length) {
      const r = fromBinary(DaosRespSchema, resp);
      if (r.status !== 0) throw serverFaults.drpcStatus(this.index, method, r.status);
    }
    return resp;
  }

  /** A raw dRPC call to the I/O server (targets operations); the reply body is returned as is. */
  async drpcCall(method: number, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.drpc || this.st !== InstanceState.Joined) throw serverFaults.ioServerExited(this.index, `is ${this.st.toLowerCase()}`);
    return this.drpc.call(Module.mgmt, method, body, { timeoutMs });
  }

  private onExit(proc: IOServerProcess, how: string): void {
    if (proc !== this.proc) return;
    this.drpc?.close();
    this.drpc = undefined;
    if (this.st === InstanceState.Joined) {
      this.log.error(`${this.host.ioServerBin} (instance ${this.index}) exited: ${how}`);
      this.setState(InstanceState.Errored, `I/O server process ${how}`);
    }
  }

  private async killProcess(force: boolean): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    if (force) proc.kill('SIGKILL');
    await proc.stop(this.timeouts.stopGraceMs);
    this.drpc?.close();
    this.drpc = undefined;
  }

  /** Stop the I/O server: ask it to prepare, then SIGTERM (SIGKILL when forced or after the grace period). */
  stop(force = false): Promise<void> {
    // A start that is still joining is interrupted rather than waited for.
    if (this.st === InstanceState.Starting && this.startAbort) {
      this.setState(InstanceState.Stopping);
      this.startAbort.abort();
      this.proc?.kill('SIGKILL');
    }
    return this.serial(() => this.doStop(force));
  }

  private async doStop(force: boolean): Promise<void> {
    if (this.st === InstanceState.Stopped || this.st === InstanceState.AwaitFormat) return;
    if (this.st === InstanceState.Errored) {
      await this.killProcess(true);
      this.setState(InstanceState.Stopped);
      return;
    }
    if (this.st !== InstanceState.Stopping) this.setState(InstanceState.Stopping);
    if (!force && this.drpc && this.sb?.rank !== undefined) {
      try {
        await this.call(Method.prepShutdown, toBinary(PrepShutdownReqSchema, create(PrepShutdownReqSchema, { rank: this.sb.rank })));
      } catch (e) {
        this.log.debug(`instance ${this.index}: prepare shutdown: ${errorMessage(e)}`);
      }
    }
    await this.killProcess(force);
    this.log.info(`I/O server instance ${this.index} stopped`);
    this.setState(InstanceState.Stopped);
  }

  /** Kill the process at once (daos_server is exiting). */
  async kill(): Promise<void> {
    await this.killProcess(true);
  }
}
