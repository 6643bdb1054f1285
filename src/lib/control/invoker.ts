/**
 * The invoker: how the control API reaches daos_servers. The real one speaks
 * gRPC (mutual TLS unless insecure); tests use MockInvoker (mocks.ts).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { MgmtCtl } from '../../proto/ctl/control_pb.js';
import { MgmtSvc } from '../../proto/mgmt/mgmt_pb.js';
import { ServiceClient, type CallOptions } from '../grpc/service.js';
import { checkTlsHandshake, detectServerTransport, type ClientTransport } from '../../security/transport.js';
import { securityFaults } from '../../security/faults.js';
import type { Fault } from '../../fault/fault.js';
import { HostGroups } from '../hostlist/index.js';

/** The subset of ServiceClient the control API uses, so mocks can stand in. */
export interface RpcClient<S extends GenService<GenServiceMethods>> {
  unary<K extends keyof S['method'] & string>(
    name: K,
    req: MessageInitShape<S['method'][K]['input']>,
    opts?: CallOptions,
  ): Promise<MessageShape<S['method'][K]['output']>>;
  serverStream<K extends keyof S['method'] & string>(
    name: K,
    req: MessageInitShape<S['method'][K]['input']>,
    opts?: CallOptions,
  ): AsyncIterable<MessageShape<S['method'][K]['output']>>;
}

export interface ControlConn {
  readonly addr: string;
  readonly ctl: RpcClient<typeof MgmtCtl>;
  readonly mgmt: RpcClient<typeof MgmtSvc>;
}

/** Why a host cannot be used, found by probing it. */
export interface HostProblem {
  /** Why, in plain words, for a line under the host's name (`node1:10001: <reason>`). */
  reason: string;
  /**
   * The fault to raise when this is why no host answered, naming `hosts`: set
   * for problems with their own fix (TLS on one side only, certificates the
   * other end refuses), unset for plain network failures.
   */
  fault?: (hosts: string) => Fault;
}

/**
 * When every host failed for the same reason that has its own fix (one
 * security fault), that fault naming all of them; else undefined, and the
 * caller raises its own fault listing each host's reason.
 */
export function commonFault(failures: { host: string; problem?: HostProblem }[]): Fault | undefined {
  if (failures.length === 0) return undefined;
  const g = new HostGroups();
  const make = new Map<string, (hosts: string) => Fault>();
  for (const { host, problem } of failures) {
    if (!problem?.fault) return undefined;
    const key = `${problem.fault('').code}\u0000${problem.fault('').description}`;
    make.set(key, problem.fault);
    g.add(host, key);
  }
  if (g.size !== 1) return undefined;
  const [[key, hosts]] = g.entries();
  return make.get(key)!(hosts.toString());
}

export interface Invoker {
  /** Check that each host accepts our connections: `undefined` when it does, else why not. */
  probe(hosts: string[], timeoutMs: number): Promise<Map<string, HostProblem | undefined>>;
  conn(host: string): ControlConn;
  close(): void;
}

export type { DescMessage };

/** Split `host:port`; IPv6 hosts are bracketed. */
export function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** Describe a socket error the way an administrator reads it. */
export function describeConnError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_AGAIN':
      return 'unknown host (name does not resolve)';
    case 'ECONNREFUSED':
      return 'connection refused (is daos_server running and listening on this port?)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return e.code ? `${e.code}: ${e.message}` : e.message;
  }
}

/** TCP reachability of `host:port` within timeoutMs. */
export async function tcpProbe(addr: string, timeoutMs: number): Promise<string | undefined> {
  const { host, port } = splitAddr(addr);
  let ip: string;
  try {
    ip = (await dns.lookup(host)).address;
  } catch (e) {
    return describeConnError(e as NodeJS.ErrnoException);
  }
  return new Promise((resolve) => {
    const sock = net.createConnection({ host: ip, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('connection timed out');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(undefined);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(describeConnError(e));
    });
  });
}

/**
 * Probe one host the way a gRPC channel of `t` would use it: TCP
 * reachability, then whether it speaks our transport (TLS or plaintext),
 * then, with TLS, a full handshake with our certificates. Undefined when
 * the host accepts us.
 */
export async function diagnoseHost(addr: string, t: ClientTransport, timeoutMs: number): Promise<HostProblem | undefined> {
  const err = await tcpProbe(addr, timeoutMs);
  if (err) return { reason: err };
  const kind = await detectServerTransport(addr, timeoutMs);
  if ((kind === 'tls' && t.insecure) || (kind === 'plaintext' && !t.insecure)) {
    const f = securityFaults.transportMismatch(kind === 'tls');
    return { reason: `${f.description}; ${f.resolution}`, fault: (hosts) => securityFaults.transportMismatch(kind === 'tls', hosts) };
  }
  if (t.insecure) return undefined;
  const why = await checkTlsHandshake(addr, t, timeoutMs);
  if (why === undefined) return undefined;
  return { reason: `TLS handshake failed: ${why}`, fault: (hosts) => securityFaults.tlsHandshake(hosts, why) };
}

export class GrpcInvoker implements Invoker {
  private readonly conns = new Map<string, ControlConn>();

  /** The credentials are loaded by the caller, so a missing certificate fails before any connection. */
  constructor(private readonly transport: ClientTransport) {}

  async probe(hosts: string[], timeoutMs: number): Promise<Map<string, HostProblem | undefined>> {
    return new Map(await Promise.all(hosts.map(async (h) => [h, await diagnoseHost(h, this.transport, timeoutMs)] as const)));
  }

  conn(addr: string): ControlConn {
    let c = this.conns.get(addr);
    if (!c) {
      const t = this.transport;
      c = {
        addr,
        ctl: new ServiceClient(MgmtCtl, addr, t.credentials, t.options),
        mgmt: new ServiceClient(MgmtSvc, addr, t.credentials, t.options),
      };
      this.conns.set(addr, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.conns.values()) {
      (c.ctl as ServiceClient<typeof MgmtCtl>).close();
      (c.mgmt as ServiceClient<typeof MgmtSvc>).close();
    }
    this.conns.clear();
  }
}
