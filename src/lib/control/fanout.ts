/**
 * Sending one request to many hosts in parallel, each with a deadline, and
 * collecting per-host results or errors.
 */
import { Fault, errorMessage } from '../../fault/fault.js';
import type { ControlConn, Invoker } from './invoker.js';
import { GrpcCallError, describeCallError } from '../grpc/service.js';

export interface HostResult<T> {
  host: string;
  value?: T;
  error?: Error;
}

export interface FanoutOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export class DeadlineError extends Error {
  constructor(host: string, ms: number) {
    super(`no answer from ${host} within ${ms / 1000}s`);
    this.name = 'DeadlineError';
  }
}

/** Run fn against every host at once; never rejects, every host gets a result. */
export async function fanout<T>(
  invoker: Invoker,
  hosts: string[],
  fn: (conn: ControlConn, opts: { deadline: Date; signal: AbortSignal }) => Promise<T>,
  opts: FanoutOptions,
): Promise<HostResult<T>[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostResult<T>> => {
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      try {
        const deadline = new Date(Date.now() + opts.timeoutMs);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            ac.abort();
            reject(new DeadlineError(host, opts.timeoutMs));
          }, opts.timeoutMs);
        });
        const value = await Promise.race([fn(invoker.conn(host), { deadline, signal: ac.signal }), timeout]);
        return { host, value };
      } catch (e) {
        return { host, error: e instanceof Error ? e : new Error(errorMessage(e)) };
      } finally {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
    }),
  );
}

/** Human text of a gRPC error for a per-host line (`<host>: <text>`): the host is named by the caller. */
export function describeRpcError(e: Error): string {
  if (e instanceof Fault) return e.description;
  const g = e instanceof GrpcCallError ? e : describeCallError(e, '');
  if (g) {
    if (g.code === 14) return g.reason.startsWith('TLS handshake failed') ? g.reason : `unable to reach daos_server: ${g.reason}`;
    return g.reason;
  }
  return e.message;
}
