/**
 * daos_server's clients of other daos_servers: the MS leader (join, state
 * reports, forwarded system requests) and, on the MS, the hosts of the ranks
 * it stops and starts. Connections are cached per address.
 */
import { ServiceClient, transportFailure } from '../lib/grpc/service.js';
import { systemFaults } from '../system/faults.js';
import { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import { MgmtCtl } from '../proto/ctl/control_pb.js';
import type { ClientTransport } from '../security/transport.js';
import type { RankController } from '../system/mgmt_system.js';

/** Metadata set on a request that one daos_server forwarded to the MS leader, so it is never forwarded twice. */
export const FORWARDED_KEY = 'daos-forwarded';

/**
 * A request forwarded to the MS leader: when the leader cannot be reached the
 * caller gets a fault naming the access point and the fix, in plain words,
 * rather than the transport error of this hop.
 */
export async function viaLeader<T>(leader: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    const why = transportFailure(e);
    if (why !== undefined) throw systemFaults.msUnreachable(leader, why);
    throw e;
  }
}

export class PeerClients {
  private readonly svc = new Map<string, ServiceClient<typeof MgmtSvc>>();
  private readonly ctl = new Map<string, ServiceClient<typeof MgmtCtl>>();

  /** The credentials are loaded (and checked) by the caller, once. */
  constructor(private readonly transport: ClientTransport) {}

  mgmt(addr: string): ServiceClient<typeof MgmtSvc> {
    let c = this.svc.get(addr);
    if (!c) {
      const t = this.transport;
      c = new ServiceClient(MgmtSvc, addr, t.credentials, t.options);
      this.svc.set(addr, c);
    }
    return c;
  }

  control(addr: string): ServiceClient<typeof MgmtCtl> {
    let c = this.ctl.get(addr);
    if (!c) {
      const t = this.transport;
      c = new ServiceClient(MgmtCtl, addr, t.credentials, t.options);
      this.ctl.set(addr, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.svc.values()) c.close();
    for (const c of this.ctl.values()) c.close();
    this.svc.clear();
    this.ctl.clear();
  }
}

/** The MS acting on the ranks of a daos_server over gRPC. */
export class GrpcRankController implements RankController {
  constructor(private readonly peers: PeerClients) {}

  async stopRanks(addr: string, ranks: number[], force: boolean, signal: AbortSignal) {
    const r = await this.peers.mgmt(addr).unary('stopRanks', { ranks, force }, { signal });
    return r.results.map((x) => ({ rank: x.rank, errored: x.errored, msg: x.msg, state: x.state }));
  }

  async startRanks(addr: string, ranks: number[], signal: AbortSignal) {
    const r = await this.peers.mgmt(addr).unary('startRanks', { ranks }, { signal });
    return r.results.map((x) => ({ rank: x.rank, errored: x.errored, msg: x.msg, state: x.state }));
  }
}

/** Parse a gRPC peer string (`ipv4:10.0.0.1:5000`, `[::ffff:10.0.0.1]:5000`, `10.0.0.1:5000`) into its IP. */
export function peerIP(peer: string): string {
  let p = peer.replace(/^ipv[46]:/, '');
  const m = /^\[(.*)\]:\d+$/.exec(p);
  if (m) p = m[1];
  else p = p.replace(/:\d+$/, '');
  return p.replace(/^::ffff:/, '');
}

/** Split `host:port` (IPv6 hosts may be bracketed). */
export function splitHostPortSafe(hp: string): [string, string] {
  const i = hp.lastIndexOf(':');
  if (i < 0) return [hp, ''];
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), hp.slice(i + 1)];
}
