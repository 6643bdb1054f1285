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
import { detectServerTransport, type ClientTransport } from '../../security/transport.js';
import { securityFaults } from '../../security/faults.js';

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

export interface Invoker {
  /** Check that each host accepts connections: `undefined` when it does, else why not. */
  probe(hosts: string[], timeoutMs: number): Promise<Map<string, string | undefined>>;
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

export class GrpcInvoker implements Invoker {
  private readonly conns = new Map<string, ControlConn>();

  /** The credentials are loaded by the caller, so a missing certificate fails before any connection. */
  constructor(private readonly transport: ClientTransport) {}

  /** TCP reachability, then whether the server speaks the same transport (TLS or plaintext) as we do. */
  async probe(hosts: string[], timeoutMs: number): Promise<Map<string, string | undefined>> {
    const res = await Promise.all(
      hosts.map(async (h) => {
        const err = await tcpProbe(h, timeoutMs);
        if (err) return [h, err] as const;
        const kind = await detectServerTransport(h, timeoutMs);
        const mismatch = (kind === 'tls' && this.transport.insecure) || (kind === 'plaintext' && !this.transport.insecure);
        if (mismatch) {
          const f = securityFaults.transportMismatch(kind === 'tls');
          return [h, `${f.description}; ${f.resolution}`] as const;
        }
        return [h, undefined] as const;
      }),
    );
    return new Map(res);
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
