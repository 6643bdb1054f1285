/**
 * Sending one request to many hosts in parallel, each with a deadline, and
 * collecting per-host results or errors.
 */
import { errorMessage } from '../../fault/fault.js';
import { describeTlsError } from '../../security/transport.js';
import type { ControlConn, Invoker } from './invoker.js';

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

/** Human text of a transport-level gRPC error (status 14 UNAVAILABLE etc.). */
export function describeRpcError(e: Error): string {
  const code = (e as { code?: number }).code;
  const details = (e as { details?: string }).details;
  const tlsWhy = details ? describeTlsError(details) : undefined;
  if (tlsWhy) return `TLS handshake failed: ${tlsWhy}`;
  if (code === 14) return `unable to reach daos_server: ${details || 'unavailable'}`;
  if (code === 4) return 'no answer before the deadline';
  if (code === 12) return 'the server does not know this request (is it an older version?)';
  return details || e.message;
}
