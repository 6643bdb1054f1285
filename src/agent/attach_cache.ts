/**
 * The agent's attach-info cache: the ranks and data-plane URIs of the system,
 * kept current by a long poll to the management service (GetAttachInfo with
 * wait_newer_than): the MS answers as soon as its map version moves, so the
 * cache follows joins and departures within a round trip, without a restart,
 * a signal or periodic polling.
 */
import type { Logger } from '../logging/logger.js';
import { errorMessage, type Fault } from '../fault/fault.js';
import { transportFailure, type ServiceClient } from '../lib/grpc/service.js';
import type { HostProblem } from '../lib/control/invoker.js';
import type { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import type { GetAttachInfoResp } from '../proto/mgmt/srv_pb.js';
import { agentFaults } from './faults.js';

export interface AttachInfo {
  mapVersion: number;
  ranks: { rank: number; uri: string }[];
  /** When the cache last heard from the MS. */
  fetchedAt: number;
}

export class AttachInfoCache {
  private info?: AttachInfo;
  private stopped = false;
  private abort = new AbortController();
  private lastError = '';
  /** Why the MS cannot be used when that has its own fix (TLS on one side only, refused certificates). */
  private fault?: Fault;
  private loop?: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly client: Pick<ServiceClient<typeof MgmtSvc>, 'unary'>,
    private readonly system: string,
    private readonly accessPoint: string,
    private readonly log: Logger,
    private readonly opts: {
      waitMs?: number;
      retryMs?: number;
      /** Probe the access point after a transport failure, for the reason (gRPC reports TLS on one side only as "no connection"). */
      diagnose?: () => Promise<HostProblem | undefined>;
    } = {},
  ) {}

  get current(): AttachInfo | undefined {
    return this.info;
  }

  /** Start following the MS. */
  start(): void {
    this.loop = this.run();
  }

  private set(r: GetAttachInfoResp): void {
    const v = Number(r.mapVersion);
    const changed = !this.info || this.info.mapVersion !== v;
    this.info = { mapVersion: v, ranks: r.psrs.map((p) => ({ rank: p.rank, uri: p.uri })), fetchedAt: Date.now() };
    if (changed) this.log.info(`attach info: map version ${v}, ${this.info.ranks.length} rank(s) ${this.info.ranks.map((r) => r.rank).join(',')}`);
    for (const w of this.waiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    const waitMs = this.opts.waitMs ?? 30_000;
    for (let i = 0; !this.stopped && i < Number.MAX_SAFE_INTEGER; i++) {
      try {
        const have = this.info?.mapVersion ?? 0;
        const r = await this.client.unary(
          'getAttachInfo',
          { sys: this.system, waitNewerThan: BigInt(have), waitMs },
          { deadline: new Date(Date.now() + waitMs + 10_000), signal: this.abort.signal },
        );
        this.set(r);
        if (this.lastError) this.log.info(`attach info: reconnected to the management service at ${this.accessPoint}`);
        this.lastError = '';
        this.fault = undefined;
      } catch (e) {
        if (this.stopped) return;
        let msg = errorMessage(e);
        this.fault = undefined;
        if (transportFailure(e) !== undefined && this.opts.diagnose) {
          const p = await this.opts.diagnose().catch(() => undefined);
          if (this.stopped) return;
          this.fault = p?.fault?.(this.accessPoint);
          if (this.fault) {
            msg = `${this.fault.description}; resolution: ${this.fault.resolution}`;
            // Those waiting for a first answer get the fault now.
            for (const w of this.waiters.splice(0)) w();
          }
        }
        if (msg !== this.lastError) {
          this.log.error(this.fault ? `attach info: ${msg}` : `attach info: cannot reach the management service at ${this.accessPoint}: ${msg}`);
        }
        this.lastError = msg;
        await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 1000));
      }
    }
  }

  /** The attach info, waiting (bounded) for the first answer of the MS. */
  async get(timeoutMs = 10_000): Promise<AttachInfo> {
    if (this.info) return this.info;
    // A known misconfiguration (TLS on one side only, refused certificates) is not worth waiting for.
    if (this.fault) throw this.fault;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    if (!this.info) throw this.fault ?? agentFaults.noAttachInfo(this.accessPoint, this.lastError || 'no answer yet');
    return this.info;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const w of this.waiters.splice(0)) w();
    await this.loop;
  }
}
