/**
 * A mock invoker for CLI and control-API tests: per host, a table of method
 * handlers; every request is recorded so tests can check what was sent.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { MgmtCtl } from '../../proto/ctl/control_pb.js';
import { MgmtSvc } from '../../proto/mgmt/mgmt_pb.js';
import type { ControlConn, HostProblem, Invoker, RpcClient } from './invoker.js';
import { GrpcCallError } from '../grpc/service.js';

type Handler = (req: any) => unknown | Promise<unknown>;

export interface MockHost {
  /**
   * Why the host is unreachable: its probe fails with this, and calls to it
   * fail in transport (as gRPC reports it: no connection); undefined when reachable.
   */
  unreachable?: string | HostProblem;
  ctl?: Partial<Record<keyof (typeof MgmtCtl)['method'], Handler>>;
  mgmt?: Partial<Record<keyof (typeof MgmtSvc)['method'], Handler>>;
}

export interface RecordedCall {
  host: string;
  service: 'ctl' | 'mgmt';
  method: string;
  req: unknown;
}

class MockClient<S extends GenService<GenServiceMethods>> implements RpcClient<S> {
  constructor(
    private readonly svc: S,
    private readonly name: 'ctl' | 'mgmt',
    private readonly host: string,
    private readonly handlers: Partial<Record<string, Handler>>,
    private readonly calls: RecordedCall[],
    private readonly unreachable = false,
  ) {}

  private noConnection(): GrpcCallError {
    const reason = 'no connection could be established';
    return new GrpcCallError({ code: 14, details: 'No connection established', address: this.host, reason, transport: true, message: `cannot connect to ${this.host}: ${reason}` });
  }

  async unary(method: string, req: unknown): Promise<any> {
    this.calls.push({ host: this.host, service: this.name, method, req });
    if (this.unreachable) throw this.noConnection();
    const h = this.handlers[method];
    if (!h) throw Object.assign(new Error(`12 UNIMPLEMENTED: ${method}`), { code: 12, details: `${method} not mocked on ${this.host}` });
    const out = await h(req);
    return create((this.svc.method as any)[method].output, out as never);
  }

  async *serverStream(method: string, req: unknown): AsyncGenerator<any> {
    this.calls.push({ host: this.host, service: this.name, method, req });
    if (this.unreachable) throw this.noConnection();
    const h = this.handlers[method];
    if (!h) throw Object.assign(new Error(`12 UNIMPLEMENTED: ${method}`), { code: 12 });
    const out = (await h(req)) as unknown[];
    for (const m of out) yield create((this.svc.method as any)[method].output, m as never);
  }
}

export class MockInvoker implements Invoker {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly hosts: Record<string, MockHost>) {}

  async probe(hosts: string[]): Promise<Map<string, HostProblem | undefined>> {
    const problem = (h: string): HostProblem | undefined => {
      const u = this.hosts[h] ? this.hosts[h].unreachable : 'unknown host (name does not resolve)';
      return typeof u === 'string' ? { reason: u } : u;
    };
    return new Map(hosts.map((h) => [h, problem(h)]));
  }

  conn(host: string): ControlConn {
    const h = this.hosts[host] ?? {};
    return {
      addr: host,
      ctl: new MockClient(MgmtCtl, 'ctl', host, h.ctl ?? {}, this.calls, h.unreachable !== undefined) as unknown as RpcClient<typeof MgmtCtl>,
      mgmt: new MockClient(MgmtSvc, 'mgmt', host, h.mgmt ?? {}, this.calls, h.unreachable !== undefined) as unknown as RpcClient<typeof MgmtSvc>,
    };
  }

  close(): void {}
}

export type { MessageInitShape };
