/**
 * What every daos command gets: the global flags, the output streams, the
 * JSON envelope, and the pool and container handles it opened (closed again
 * when the command ends, whatever happened).
 */
import type { Readable, Writable } from 'node:stream';
import { DaosClient, type ConnectOptions } from '../../client/daos.js';
import type { Pool } from '../../client/pool.js';
import type { Container } from '../../client/container.js';
import { DaosError } from '../../daos/errors.js';
import { Fault, errorMessage } from '../../fault/fault.js';

export interface DaosIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  /** Whether stderr is a terminal: progress bars are drawn only then. */
  errIsTTY: boolean;
}

export function realIO(): DaosIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, errIsTTY: process.stderr.isTTY === true };
}

/** The seams a test may replace: how the client library is reached. */
export interface Deps {
  connect: (opts: ConnectOptions) => Promise<DaosClient>;
}

export const realDeps: Deps = { connect: (o) => DaosClient.connect(o) };

export interface GlobalOpts {
  json?: boolean;
  sysName?: string;
  group?: string;
  /** v0.8's pool service ranks: accepted and ignored (the agent and the pool map know them). */
  svc?: string;
}

/**
 * A mistake on the command line, or a local problem (a file that cannot be
 * read): what is wrong and how to fix it. Usage mistakes exit 2, the others 1.
 */
export class CmdError extends Error {
  override name = 'CmdError';
  constructor(
    message: string,
    readonly resolution: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export function usage(message: string, resolution: string): CmdError {
  return new CmdError(message, resolution, 2);
}

/** A DAOS call that failed: what the command was doing, and the DAOS error (name, rc, detail, hint). */
export class OpError extends Error {
  override name = 'OpError';
  constructor(
    readonly context: string,
    readonly der: DaosError,
    readonly hint?: string,
  ) {
    super(`${context}: ${der.name}(${der.rc}): ${der.message}`, { cause: der });
  }
}

/** Run `fn`; a DaosError it throws becomes an OpError saying what was being done (and, optionally, a better hint per rc). */
export async function doing<T>(context: string, fn: () => Promise<T>, hints: Record<number, string> = {}): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DaosError) throw new OpError(context, e, hints[e.rc] ?? e.hint);
    throw e;
  }
}

/** The error part of the -j envelope. */
export function errorJSON(e: unknown): Record<string, unknown> {
  if (e instanceof OpError) return { message: e.message, name: e.der.name, rc: e.der.rc, ...(e.der.detail ? { detail: e.der.detail } : {}), ...(e.hint ? { resolution: e.hint } : {}) };
  if (e instanceof DaosError) return { message: e.toString(), name: e.name, rc: e.rc, ...(e.detail ? { detail: e.detail } : {}), ...(e.hint ? { resolution: e.hint } : {}) };
  if (e instanceof Fault) return { message: e.description, resolution: e.resolution, fault: e.toJSON() };
  if (e instanceof CmdError) return { message: e.message, resolution: e.resolution };
  return { message: errorMessage(e) };
}

/** The status of the -j envelope and the exit status for an error. */
export function errorStatus(e: unknown): { status: number; exit: number } {
  if (e instanceof OpError) return { status: e.der.rc, exit: 1 };
  if (e instanceof DaosError) return { status: e.rc, exit: 1 };
  if (e instanceof Fault) return { status: e.code || 1, exit: 1 };
  if (e instanceof CmdError) return { status: e.exitCode, exit: e.exitCode };
  return { status: 1, exit: 1 };
}

/** `ERROR: daos: <what>` and `ERROR: daos: resolution: <fix>` lines. */
export function errorText(e: unknown): string {
  let msg: string;
  let fix: string | undefined;
  if (e instanceof OpError) {
    msg = e.message;
    fix = e.hint;
  } else if (e instanceof DaosError) {
    msg = `${e.name}(${e.rc}): ${e.message}`;
    fix = e.hint;
  } else if (e instanceof Fault) {
    msg = e.description;
    fix = e.resolution;
  } else if (e instanceof CmdError) {
    msg = e.message;
    fix = e.resolution;
  } else {
    msg = errorMessage(e);
  }
  return `ERROR: daos: ${msg}\n${fix ? `ERROR: daos: resolution: ${fix}\n` : ''}`;
}

/** Write to a stream, waiting for it to drain when it asks to. */
export function writeTo(s: Writable, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    s.once('error', onError);
    const done = () => {
      s.off('error', onError);
      resolve();
    };
    if (s.write(data)) done();
    else s.once('drain', done);
  });
}

export class Ctx {
  private clientP?: Promise<DaosClient>;
  private readonly pools: Pool[] = [];
  private readonly conts: Container[] = [];
  /** Set by a command that printed its own result (e.g. raw bytes) and must not get the envelope. */
  exitCode = 0;

  constructor(
    readonly g: GlobalOpts,
    readonly io: DaosIO,
    private readonly deps: Deps,
  ) {}

  get json(): boolean {
    return this.g.json === true;
  }

  /** --sys-name, --group (v0.8 spelling of the same), default daos_server. */
  get system(): string {
    return this.g.sysName ?? this.g.group ?? 'daos_server';
  }

  out(s: string): void {
    this.io.stdout.write(s);
  }

  err(s: string): void {
    this.io.stderr.write(s);
  }

  /** The result: `response` as the -j envelope, else the text. */
  emit(response: unknown, text: string | (() => string)): void {
    if (this.json) this.out(JSON.stringify({ response, error: null, status: 0 }, jsonReplacer, 2) + '\n');
    else this.out(typeof text === 'string' ? text : text());
  }

  client(): Promise<DaosClient> {
    if (!this.clientP) this.clientP = this.deps.connect({ system: this.system });
    return this.clientP;
  }

  /** Connect to a pool by label or UUID (read-only unless asked). */
  async pool(id: string, mode: 'r' | 'rw' = 'r'): Promise<Pool> {
    const daos = await this.client();
    const p = await doing(`failed to connect to pool ${id}`, () => daos.poolConnect(id, mode), {
      [-1005]: `check the pool label or UUID: dmg pool list shows the pools of the system`,
    });
    this.pools.push(p);
    return p;
  }

  /** Open a container of a pool by label or UUID (read-only unless asked). */
  async cont(pool: Pool, id: string, mode: 'r' | 'rw' = 'r'): Promise<Container> {
    const c = await doing(`failed to open container ${id} of pool ${pool.label || pool.uuid}`, () => pool.containerOpen(id, mode), {
      [-1005]: `check the container label or UUID: daos container list ${pool.label || pool.uuid} shows the containers of the pool`,
    });
    this.conts.push(c);
    return c;
  }

  /** Close what was opened, newest first; failures here do not hide the command's own result. */
  async close(): Promise<void> {
    for (const c of this.conts.reverse()) await c.close().catch(() => undefined);
    for (const p of this.pools.reverse()) await p.disconnect().catch(() => undefined);
    if (this.clientP) {
      const daos = await this.clientP.catch(() => undefined);
      daos?.close();
    }
  }
}

/** bigint as a decimal string; Buffers as base64. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v;
}
