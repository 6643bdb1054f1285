/**
 * System members: one per I/O server instance that joined, keyed by rank.
 *
 * Member states and the legal transitions (everything else is refused by
 * checkTransition, the single place that decides):
 *
 *   (join) ──▶ Joined ──▶ Stopping ──▶ Stopped ──▶ Joined (start + rejoin)
 *                │   ▲         │
 *                │   └─────────┘ (stop failed, still running)
 *                ├──▶ Errored ──▶ Joined (restart + rejoin) | Stopped
 *                ├──▶ Unresponsive ──▶ Joined (heartbeats again) | Errored | Stopped
 *                └──▶ Excluded (administrative; rejoin refused until cleared)
 *   Unknown: the state after an MS restart, until the member's host reports.
 */

export enum MemberState {
  Unknown = 'Unknown',
  Joined = 'Joined',
  Stopping = 'Stopping',
  Stopped = 'Stopped',
  Errored = 'Errored',
  Unresponsive = 'Unresponsive',
  Excluded = 'Excluded',
}

export interface Member {
  rank: number;
  uuid: string;
  /** Control address of the member's daos_server, `ip:port`. */
  addr: string;
  /** Data-plane address of the I/O server. */
  fabricUri: string;
  nctxs: number;
  /** Fault domain, `/<hostname>`. */
  faultDomain: string;
  hostname: string;
  instanceIdx: number;
  state: MemberState;
  /** Why the member is in its state (e.g. the exit status of an errored I/O server). */
  info: string;
  /** Incremented at every join. */
  incarnation: number;
  /** VOS targets of the I/O server (0 when unknown: joined before targets were reported). */
  targets?: number;
}

const allowed: Record<MemberState, MemberState[]> = {
  [MemberState.Unknown]: Object.values(MemberState),
  [MemberState.Joined]: [MemberState.Joined, MemberState.Stopping, MemberState.Stopped, MemberState.Errored, MemberState.Unresponsive, MemberState.Excluded],
  [MemberState.Stopping]: [MemberState.Stopping, MemberState.Stopped, MemberState.Errored, MemberState.Joined, MemberState.Unresponsive],
  [MemberState.Stopped]: [MemberState.Stopped, MemberState.Joined, MemberState.Errored, MemberState.Excluded],
  [MemberState.Errored]: [MemberState.Errored, MemberState.Joined, MemberState.Stopped, MemberState.Unresponsive, MemberState.Excluded],
  [MemberState.Unresponsive]: [MemberState.Unresponsive, MemberState.Joined, MemberState.Errored, MemberState.Stopped, MemberState.Excluded],
  [MemberState.Excluded]: [MemberState.Excluded],
};

/** Whether a member may go from one state to another. */
export function checkTransition(from: MemberState, to: MemberState): boolean {
  return allowed[from].includes(to);
}

const byName = new Map<string, MemberState>(Object.values(MemberState).map((s) => [s.toLowerCase(), s]));

export function parseMemberState(s: string): MemberState | undefined {
  return byName.get(s.toLowerCase());
}

/** Display order: ranks ascending. */
export function sortMembers(ms: Member[]): Member[] {
  return [...ms].sort((a, b) => a.rank - b.rank);
}

/** NilRank: no rank assigned / any rank (the original's 0xFFFFFFFF). */
export const NIL_RANK = 0xffffffff;
/** The highest usable rank. */
export const MAX_RANK = 0xfffffffe;
