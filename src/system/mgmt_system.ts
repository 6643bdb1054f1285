/**
 * The management service (MS): system membership. It runs inside the
 * daos_server of the access point and owns the system database.
 *
 * Ranks are handed out at join and are stable: a join by a known uuid gets its
 * rank back, a new uuid gets the lowest free rank (or its configured rank, if
 * free). Every rank, the access point's own included, is a member.
 *
 * Liveness: each daos_server reports its instances at once when they change
 * state and every heartbeat interval; a host silent for `heartbeatTimeoutMs`
 * has its running members marked Unresponsive.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { errorMessage } from '../fault/fault.js';
import type { SystemDatabase } from './database.js';
import { MemberState, NIL_RANK, MAX_RANK, checkTransition, sortMembers, parseMemberState } from './membership.js';
import type { Member } from './membership.js';
import { systemFaults } from './faults.js';

export interface JoinRequest {
  uuid: string;
  /** Requested rank; undefined or NIL_RANK for "any". */
  rank?: number;
  fabricUri: string;
  nctxs: number;
  /** Control address as seen by the MS: peer ip + the sender's control port. */
  addr: string;
  hostname: string;
  faultDomain: string;
  instanceIdx: number;
  system: string;
  targets?: number;
  /**
   * The instance's superblock was re-created (`--recreate-superblocks`): it
   * takes back the rank of the stopped member with the same hostname and
   * instance index instead of leaving that member behind as a ghost.
   */
  replace?: boolean;
}

export interface JoinResult {
  rank: number;
  mapVersion: number;
}

/** State of one instance as its daos_server reports it. */
export interface ReportedInstance {
  rank: number;
  uuid: string;
  state: string;
  info: string;
}

export interface RankResult {
  rank: number;
  action: string;
  errored: boolean;
  msg: string;
  state: MemberState;
  addr: string;
  uuid: string;
}

/** How the MS acts on ranks hosted by a daos_server (gRPC in production). */
export interface RankController {
  stopRanks(addr: string, ranks: number[], force: boolean, signal: AbortSignal): Promise<{ rank: number; errored: boolean; msg: string; state: string }[]>;
  startRanks(addr: string, ranks: number[], signal: AbortSignal): Promise<{ rank: number; errored: boolean; msg: string; state: string }[]>;
}

export interface ManagementServiceOptions {
  db: SystemDatabase;
  log: Logger;
  controller: RankController;
  /** Leader and replica addresses (access points). */
  leader: string;
  replicas: string[];
  heartbeatTimeoutMs?: number;
  now?: () => number;
}

export class ManagementService {
  private readonly db: SystemDatabase;
  private readonly log: Logger;
  private readonly controller: RankController;
  private readonly hbTimeout: number;
  private readonly now: () => number;
  /** Last report per control address. Not persisted: after an MS restart every host gets a full timeout of grace. */
  private readonly lastSeen = new Map<string, number>();
  private readonly startedAt: number;
  private timer?: NodeJS.Timeout;
  private readonly listeners: ((v: number) => void)[] = [];

  constructor(private readonly opts: ManagementServiceOptions) {
    this.db = opts.db;
    this.log = opts.log;
    this.controller = opts.controller;
    this.hbTimeout = opts.heartbeatTimeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  get systemName(): string {
    return this.db.systemName;
  }

  /** The database (pools and containers live beside the members). */
  get database(): SystemDatabase {
    return this.db;
  }

  /** Start the liveness checks. */
  start(intervalMs = 1000): void {
    this.timer = setInterval(() => this.checkLiveness(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called with the new map version after every membership change. */
  onChange(listener: (mapVersion: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Resolve once the map version is newer than `version`, or after ms, or
   * when signal aborts (long poll for attach-info watchers).
   */
  waitForNewer(version: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.db.mapVersion() > version || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const i = this.listeners.indexOf(onChange);
        if (i >= 0) this.listeners.splice(i, 1);
        resolve();
      };
      const onChange = (v: number) => {
        if (v > version) done();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.listeners.push(onChange);
    });
  }

  private put(m: Member): number {
    const v = this.db.putMember(m);
    for (const l of this.listeners) l(v);
    return v;
  }

  private setState(m: Member, to: MemberState, info: string): boolean {
    if (m.state === to && m.info === info) return false;
    if (!checkTransition(m.state, to)) {
      this.log.debug(`rank ${m.rank}: ignoring state change ${m.state} -> ${to}`);
      return false;
    }
    this.log.info(`rank ${m.rank} (${m.hostname}): ${m.state} -> ${to}${info ? ` (${info})` : ''}`);
    m.state = to;
    m.info = info;
    this.put(m);
    return true;
  }

  join(req: JoinRequest): JoinResult {
    if (req.system && req.system !== this.db.systemName) {
      throw systemFaults.wrongSystem(req.system, this.db.systemName);
    }
    const asked = req.rank === undefined || req.rank === NIL_RANK ? undefined : req.rank;
    if (asked !== undefined && (asked < 0 || asked > MAX_RANK)) throw systemFaults.badRank(asked);
    let known = this.db.memberByUuid(req.uuid);
    let replaced: Member | undefined;
    if (!known && asked === undefined && req.replace) {
      replaced = this.previousIncarnation(req);
      known = replaced;
    }
    let rank: number;
    if (known) {
      if (asked !== undefined && asked !== known.rank) throw systemFaults.rankChange(req.uuid, known.rank, asked);
      if (known.state === MemberState.Excluded) throw systemFaults.rankExcluded(known.rank);
      rank = known.rank;
    } else if (asked !== undefined) {
      const holder = this.db.memberByRank(asked);
      if (holder) throw systemFaults.rankTaken(asked, holder.uuid, holder.addr);
      rank = asked;
    } else {
      rank = this.db.allocateRank();
    }
    const m: Member = {
      rank,
      uuid: req.uuid,
      addr: req.addr,
      fabricUri: req.fabricUri,
      nctxs: req.nctxs,
      faultDomain: req.faultDomain,
      hostname: req.hostname,
      instanceIdx: req.instanceIdx,
      state: MemberState.Joined,
      info: '',
      incarnation: (known?.incarnation ?? 0) + 1,
      targets: req.targets ?? known?.targets ?? 0,
    };
    const v = this.put(m);
    this.lastSeen.set(req.addr, this.now());
    if (replaced) {
      this.log.info(
        `rank ${rank} rejoined with a re-created superblock: ${req.hostname} instance ${req.instanceIdx} is now I/O server ${req.uuid} (was ${replaced.uuid}) at ${req.addr} (map version ${v})`,
      );
    } else {
      this.log.info(`rank ${rank} ${known ? 'rejoined' : 'joined'}: ${req.hostname} ${req.addr} ${req.fabricUri} (map version ${v})`);
    }
    return { rank, mapVersion: v };
  }

  /**
   * The member a re-created instance replaces: same hostname and instance
   * index, and not running (a running one is another live I/O server, whose
   * rank must not be taken). Excluded members are never handed back.
   */
  private previousIncarnation(req: JoinRequest): Member | undefined {
    const running = new Set([MemberState.Joined, MemberState.Stopping, MemberState.Excluded]);
    return this.db
      .members()
      .filter((m) => m.hostname === req.hostname && m.instanceIdx === req.instanceIdx && !running.has(m.state))
      .sort((a, b) => b.incarnation - a.incarnation || a.rank - b.rank)[0];
  }

  /** Members, optionally only the given ranks; unknown ranks are returned separately. */
  query(ranks: number[] = []): { members: Member[]; absent: number[]; mapVersion: number } {
    const all = sortMembers(this.db.members());
    if (ranks.length === 0) return { members: all, absent: [], mapVersion: this.db.mapVersion() };
    const want = new Set(ranks);
    const members = all.filter((m) => want.has(m.rank));
    const found = new Set(members.map((m) => m.rank));
    return { members, absent: ranks.filter((r) => !found.has(r)), mapVersion: this.db.mapVersion() };
  }

  /** Rank → data-plane URI of every member that can serve I/O. */
  attachInfo(): { psrs: { rank: number; uri: string }[]; mapVersion: number } {
    const psrs = sortMembers(this.db.members())
      .filter((m) => m.state === MemberState.Joined)
      .map((m) => ({ rank: m.rank, uri: m.fabricUri }));
    return { psrs, mapVersion: this.db.mapVersion() };
  }

  leaderQuery(system: string): { leader: string; replicas: string[] } {
    if (system && system !== this.db.systemName) throw systemFaults.wrongSystem(system, this.db.systemName);
    return { leader: this.opts.leader, replicas: this.opts.replicas };
  }

  /** A daos_server reports its instances (state change or heartbeat). */
  report(addr: string, instances: ReportedInstance[]): void {
    this.lastSeen.set(addr, this.now());
    for (const inst of instances) {
      if (inst.rank === NIL_RANK) continue;
      const m = this.db.memberByRank(inst.rank);
      if (!m || m.uuid !== inst.uuid) continue;
      if (m.addr !== addr) continue;
      const reported = parseMemberState(inst.state);
      if (!reported) continue;
      // NB: a heartbeat must not undo an MS-driven transition in progress.
      if (m.state === MemberState.Stopping && reported === MemberState.Joined) continue;
      this.setState(m, reported, reported === MemberState.Joined ? '' : inst.info);
    }
  }

  /** Mark the running members of silent hosts unresponsive. */
  checkLiveness(): void {
    const now = this.now();
    for (const m of this.db.members()) {
      if (m.state !== MemberState.Joined && m.state !== MemberState.Stopping && m.state !== MemberState.Errored && m.state !== MemberState.Unknown) continue;
      const seen = this.lastSeen.get(m.addr) ?? this.startedAt;
      if (now - seen > this.hbTimeout) {
        this.setState(m, MemberState.Unresponsive, `no heartbeat from ${m.addr} for ${Math.round((now - seen) / 1000)}s`);
      }
    }
  }

  private select(ranks: number[]): Member[] {
    const { members, absent } = this.query(ranks);
    if (absent.length) throw systemFaults.unknownRanks(absent.join(','));
    return members;
  }

  private async perHost(
    members: Member[],
    action: string,
    fn: (addr: string, ranks: number[], signal: AbortSignal) => Promise<{ rank: number; errored: boolean; msg: string; state: string }[]>,
    timeoutMs: number,
  ): Promise<RankResult[]> {
    const byAddr = new Map<string, Member[]>();
    for (const m of members) {
      const l = byAddr.get(m.addr) ?? [];
      l.push(m);
      byAddr.set(m.addr, l);
    }
    const results: RankResult[] = [];
    await Promise.all(
      [...byAddr].map(async ([addr, ms]) => {
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const rs = await fn(addr, ms.map((m) => m.rank), signal);
          for (const m of ms) {
            const r = rs.find((x) => x.rank === m.rank);
            const cur = this.db.memberByRank(m.rank) ?? m;
            if (!r) {
              results.push({ rank: m.rank, action, errored: true, msg: `${addr} did not report on rank ${m.rank}`, state: cur.state, addr, uuid: m.uuid });
              continue;
            }
            const st = parseMemberState(r.state);
            if (st) this.setState(cur, st, r.errored ? r.msg : '');
            results.push({ rank: m.rank, action, errored: r.errored, msg: r.msg, state: this.db.memberByRank(m.rank)?.state ?? cur.state, addr, uuid: m.uuid });
          }
        } catch (e) {
          const msg = `unable to ${action} ranks on ${addr}: ${errorMessage(e)}`;
          for (const m of ms) results.push({ rank: m.rank, action, errored: true, msg, state: this.db.memberByRank(m.rank)?.state ?? m.state, addr, uuid: m.uuid });
        }
      }),
    );
    return results.sort((a, b) => a.rank - b.rank);
  }

  /** Stop the I/O servers of the given ranks (all when empty); daos_server processes keep running. */
  async stopRanks(ranks: number[], force: boolean, timeoutMs = 30_000): Promise<RankResult[]> {
    const selected = this.select(ranks);
    const stopped = selected.filter((m) => !force && m.state === MemberState.Stopped);
    const members = selected.filter((m) => force || m.state !== MemberState.Stopped);
    for (const m of members) {
      if (m.state === MemberState.Joined) this.setState(m, MemberState.Stopping, '');
    }
    const results = await this.perHost(members, 'stop', (addr, rs, signal) => this.controller.stopRanks(addr, rs, force, signal), timeoutMs);
    for (const m of stopped) {
      results.push({ rank: m.rank, action: 'stop', errored: false, msg: 'already stopped', state: m.state, addr: m.addr, uuid: m.uuid });
    }
    return results.sort((a, b) => a.rank - b.rank);
  }

  /** Start the I/O servers of the given ranks (all when empty); they rejoin with the same rank. */
  async startRanks(ranks: number[], timeoutMs = 60_000): Promise<RankResult[]> {
    const selected = this.select(ranks);
    const running = selected.filter((m) => m.state === MemberState.Joined);
    const results = await this.perHost(
      selected.filter((m) => m.state !== MemberState.Joined),
      'start',
      (addr, rs, signal) => this.controller.startRanks(addr, rs, signal),
      timeoutMs,
    );
    for (const m of running) {
      results.push({ rank: m.rank, action: 'start', errored: false, msg: 'already running', state: m.state, addr: m.addr, uuid: m.uuid });
    }
    return results.sort((a, b) => a.rank - b.rank);
  }
}

export function newSystemUuid(): string {
  return randomUUID();
}
