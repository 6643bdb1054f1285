/**
 * daos_server's side of the daos_admin channel. AdminInvoker is the seam;
 * ProcessAdminInvoker is the real one: one daos_admin child per request, the
 * request on its stdin, the reply from its stdout, its stderr relayed into
 * daos_server's log, killed after a per-method timeout. A reply carrying a
 * fault is rethrown as the same Fault.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logging/logger.js';
import { AdminFailed, AdminNotFound, AdminTimeout } from '../storage/faults.js';
import { decodeReply, encodeRequest, faultFromReply, type AdminMethod, type AdminMethods, type AdminReply, type AdminRequest } from './protocol.js';

export interface InvokeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AdminInvoker {
  invoke<M extends AdminMethod>(method: M, payload: AdminMethods[M]['req'], opts?: InvokeOptions): Promise<AdminMethods[M]['resp']>;
}

/** Default time allowed per method (mkfs of a large pmem device and namespace creation are slow). */
export const ADMIN_TIMEOUTS_MS: Record<AdminMethod, number> = {
  ScmMount: 3 * 60_000,
  ScmUnmount: 3 * 60_000,
  ScmCheckFormat: 3 * 60_000,
  ScmFormat: 35 * 60_000,
  ScmScan: 3 * 60_000,
  ScmPrepare: 60 * 60_000,
  NvmePrepare: 5 * 60_000,
};

const MAX_REPLY_BYTES = 16 << 20;

/** Turn a decoded reply into the payload or the error it carries. */
export function replyResult<M extends AdminMethod>(method: M, reply: AdminReply): AdminMethods[M]['resp'] {
  if (reply.Error) throw faultFromReply(reply) ?? AdminFailed(method, reply.Error.Message);
  if (typeof reply.Payload !== 'object' || reply.Payload === null) throw AdminFailed(method, 'reply has no payload');
  return reply.Payload as AdminMethods[M]['resp'];
}

/**
 * Where daos_admin is: next to the running program (bin/daos_server →
 * bin/daos_admin, with and without resolving symlinks), then this package's
 * bin directory, then PATH. Throws AdminNotFound listing where it looked.
 */
export function findDaosAdmin(opts: { argv1?: string; pathEnv?: string } = {}): string {
  const argv1 = opts.argv1 ?? process.argv[1];
  const candidates: string[] = [];
  if (argv1) {
    candidates.push(path.join(path.dirname(path.resolve(argv1)), 'daos_admin'));
    try {
      candidates.push(path.join(path.dirname(fs.realpathSync(argv1)), 'daos_admin'));
    } catch {
      // the program path may not exist (node -e); the other candidates remain
    }
  }
  candidates.push(fileURLToPath(new URL('../../../../bin/daos_admin', import.meta.url)));
  for (const d of (opts.pathEnv ?? process.env.PATH ?? '').split(':').filter(Boolean)) candidates.push(path.join(d, 'daos_admin'));
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c)) continue;
    seen.add(c);
    if (isExecutableFile(c)) return c;
  }
  throw AdminNotFound([...seen].join(', '));
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A script whose shebang names node is run with this node binary, so a restricted PATH does not matter. */
function commandFor(bin: string): { file: string; args: string[] } {
  try {
    const fd = fs.openSync(bin, 'r');
    try {
      const buf = Buffer.alloc(128);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const first = buf.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
      if (first.startsWith('#!') && /\bnode\b/.test(first)) return { file: process.execPath, args: [bin] };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // spawn reports the real error
  }
  return { file: bin, args: [] };
}

export interface ProcessAdminInvokerOptions {
  log: Logger;
  /** daos_admin to run; found with findDaosAdmin() when omitted. */
  binPath?: string;
  /** Environment of the child (default: ours, which carries DAOS_ADMIN_LOG_FILE when set). */
  env?: NodeJS.ProcessEnv;
  timeoutsMs?: Partial<Record<AdminMethod, number>>;
}

export class ProcessAdminInvoker implements AdminInvoker {
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly timeouts: Record<AdminMethod, number>;
  private bin: string | undefined;

  constructor(opts: ProcessAdminInvokerOptions) {
    this.log = opts.log;
    this.bin = opts.binPath;
    this.env = opts.env;
    this.timeouts = { ...ADMIN_TIMEOUTS_MS, ...opts.timeoutsMs };
  }

  async invoke<M extends AdminMethod>(method: M, payload: AdminMethods[M]['req'], opts: InvokeOptions = {}): Promise<AdminMethods[M]['resp']> {
    this.bin ??= findDaosAdmin();
    const bin = this.bin;
    const timeoutMs = opts.timeoutMs ?? this.timeouts[method];
    const req = encodeRequest({ Method: method, Payload: payload } as AdminRequest);
    const { file, args } = commandFor(bin);
    this.log.debug(`invoking ${bin} ${method}`);

    const reply = await new Promise<AdminReply>((resolve, reject) => {
      // NB: its own process group, so a timeout also kills the tools it runs
      // (mkfs, ndctl), whose open pipes would otherwise hold up the answer.
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: this.env ?? process.env, detached: true });
      const out: Buffer[] = [];
      let outLen = 0;
      let errTail: string[] = [];
      let partial = '';
      let settled = false;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
      };
      const timer = setTimeout(() => {
        killGroup();
        finish(() => reject(AdminTimeout(method, timeoutMs)));
      }, timeoutMs);
      const onAbort = (): void => {
        killGroup();
        finish(() => reject(AdminFailed(method, 'cancelled')));
      };
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort);

      child.stdout.on('data', (b: Buffer) => {
        outLen += b.length;
        if (outLen > MAX_REPLY_BYTES) {
          killGroup();
          finish(() => reject(AdminFailed(method, `reply larger than ${MAX_REPLY_BYTES} bytes`)));
          return;
        }
        out.push(b);
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        const lines = (partial + s).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) relay(l);
      });
      const relay = (l: string): void => {
        if (l.trim() === '') return;
        // daos_admin's own "ERROR: " prefix would double ours.
        this.log.error(`${bin}: ${l.replace(/^ERROR: /, '')}`);
        errTail = [...errTail.slice(-4), l];
      };
      // A child that refuses early closes its stdin; the reply says why.
      child.stdin.on('error', () => {});
      child.on('error', (e) => finish(() => reject(AdminFailed(method, `cannot run ${bin}: ${e.message}`))));
      child.on('close', (code, signal) => {
        if (partial) relay(partial);
        finish(() => {
          const text = Buffer.concat(out).toString('utf8');
          const r = decodeReply(text);
          if (r) return resolve(r);
          const how = signal ? `killed by ${signal}` : `exit code ${code}`;
          reject(AdminFailed(method, `no valid reply (${how})${errTail.length ? `: ${errTail.join('; ')}` : ''}`));
        });
      });
      child.stdin.end(req);
    });
    return replyResult(method, reply);
  }
}
