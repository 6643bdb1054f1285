/**
 * System operations. They go to one server (the first of the host list that
 * answers), which forwards them to the management service leader.
 */
import type { SystemMember } from '../../proto/ctl/system_pb.js';
import { commonFault, type ControlConn, type HostProblem, type Invoker } from './invoker.js';
import type { RankActionResult, SystemMemberInfo } from './types.js';
import { errorMessage, Fault } from '../../fault/fault.js';
import { controlFaults } from './faults.js';
import { transportFailure } from '../grpc/service.js';
import { securityFaults } from '../../security/faults.js';

export interface SystemRequest {
  hosts: string[];
  timeoutMs?: number;
}

function memberFromProto(m: SystemMember): SystemMemberInfo {
  return {
    rank: m.rank,
    uuid: m.uuid,
    addr: m.addr,
    state: m.state || 'Joined',
    info: m.info,
    fabricUri: m.fabricUri,
    faultDomain: m.faultDomain,
    incarnation: Number(m.incarnation),
  };
}

/** How long a host that failed in transport is probed for the reason. */
const PROBE_MS = 5000;

/**
 * Call fn on the first host that answers. Faults (the server understood and
 * refused) are returned at once; transport errors move on to the next host,
 * after probing the failed host for the reason (as the per-host commands do
 * before sending anything): gRPC reports TLS on one side only as "no
 * connection could be established". When every host failed for the same
 * reason with its own fix (TLS mismatch, refused certificates), that fault is
 * raised; else ClientNoServerAnswered lists every host's reason.
 */
export async function firstAnswer<T>(
  invoker: Invoker,
  req: SystemRequest,
  fn: (c: ControlConn, deadline: Date) => Promise<T>,
): Promise<{ host: string; value: T }> {
  if (req.hosts.length === 0) throw controlFaults.noHosts();
  const failures: { host: string; reason: string; problem?: HostProblem }[] = [];
  for (const host of req.hosts) {
    try {
      const value = await fn(invoker.conn(host), new Date(Date.now() + (req.timeoutMs ?? 60_000)));
      return { host, value };
    } catch (e) {
      if (e instanceof Fault) throw e;
      // NB: plain words ("connection refused"), never grpc-js's status text.
      const why = transportFailure(e);
      if (why === undefined) {
        failures.push({ host, reason: errorMessage(e) });
        continue;
      }
      const problem = (await invoker.probe([host], PROBE_MS)).get(host) ?? tlsProblem(why);
      failures.push({ host, reason: problem?.reason ?? why, problem });
    }
  }
  throw commonFault(failures) ?? controlFaults.noServerAnswered(failures.map((f) => `${f.host}: ${f.reason}`).join('; '));
}

/** A TLS failure gRPC reported while the probe found nothing wrong (a race, or a check only the channel makes). */
function tlsProblem(why: string): HostProblem | undefined {
  const m = /^TLS handshake failed: (.*)$/s.exec(why);
  return m ? { reason: why, fault: (hosts) => securityFaults.tlsHandshake(hosts, m[1]) } : undefined;
}

export async function systemQuery(invoker: Invoker, req: SystemRequest & { ranks: number[] }) {
  const { host, value } = await firstAnswer(invoker, req, (c, deadline) => c.ctl.unary('systemQuery', { ranks: req.ranks }, { deadline }));
  return { host, members: value.members.map(memberFromProto), absentRanks: value.absentRanks, mapVersion: Number(value.mapVersion) };
}

function resultFromProto(r: { rank: number; action: string; errored: boolean; msg: string; state: string; id: string }): RankActionResult {
  return { rank: r.rank, action: r.action, errored: r.errored, msg: r.msg, state: r.state, addr: r.id.split('/')[0] ?? '' };
}

export async function systemStop(invoker: Invoker, req: SystemRequest & { ranks: number[]; force: boolean }) {
  const { host, value } = await firstAnswer(invoker, req, (c, deadline) => c.ctl.unary('systemStop', { ranks: req.ranks, force: req.force }, { deadline }));
  return { host, results: value.results.map(resultFromProto) };
}

export async function systemStart(invoker: Invoker, req: SystemRequest & { ranks: number[] }) {
  const { host, value } = await firstAnswer(invoker, req, (c, deadline) => c.ctl.unary('systemStart', { ranks: req.ranks }, { deadline }));
  return { host, results: value.results.map(resultFromProto) };
}

export async function leaderQuery(invoker: Invoker, req: SystemRequest & { system: string }) {
  const { host, value } = await firstAnswer(invoker, req, (c, deadline) => c.mgmt.unary('leaderQuery', { system: req.system }, { deadline }));
  return { host, leader: value.currentLeader, replicas: value.replicas };
}
