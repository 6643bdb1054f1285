/**
 * dRPC server and client over Unix stream sockets (see framing.ts).
 *
 * A connection carries many calls in flight; responses are matched to calls by
 * the sequence number. A handler error becomes a FAILURE response whose
 * `error` field carries the fault (as JSON) so it survives the socket.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CallSchema, ResponseSchema, Status } from '../proto/drpc/drpc_pb.js';
import type { Call, Response } from '../proto/drpc/drpc_pb.js';
import { Fault, errorMessage } from '../fault/fault.js';
import { DEFAULT_MAX_BODY, FrameDecoder, FrameKind, encodeFrame } from './framing.js';
import type { Logger } from '../logging/logger.js';
import { drpcFaults } from './faults.js';

export { Status as DrpcStatus };

/** Information about the calling connection. */
export interface DrpcCallContext {
  readonly module: number;
  readonly method: number;
  readonly socket: net.Socket;
}

export type DrpcHandler = (body: Uint8Array, ctx: DrpcCallContext) => Promise<Uint8Array>;

/** A module: method number → handler. */
export type DrpcModule = Map<number, DrpcHandler>;

const statusText: Partial<Record<Status, string>> = {
  [Status.UNKNOWN_MODULE]: 'unrecognized module ID',
  [Status.UNKNOWN_METHOD]: 'unrecognized method ID',
  [Status.FAILED_UNMARSHAL_CALL]: 'failed to unmarshal incoming call',
  [Status.FAILED_UNMARSHAL_PAYLOAD]: 'failed to unmarshal method-specific payload',
  [Status.FAILED_MARSHAL]: 'failed to marshal response payload',
};

/** Thrown by a handler to answer with a specific dRPC status. */
export class DrpcStatusError extends Error {
  constructor(
    readonly status: Status,
    message?: string,
  ) {
    super(message ?? statusText[status] ?? `drpc status ${Status[status]}`);
  }
}

export interface DrpcServerOptions {
  log?: Logger;
  maxBody?: number;
  /** Socket file mode (the original used 0777 so any local user may connect). */
  mode?: number;
}

let tmpSeq = 0;

/** A socket file left by a server that is gone would make listen fail with EADDRINUSE. */
function removeStaleSocket(file: string): void {
  try {
    if (fs.lstatSync(file).isSocket()) fs.unlinkSync(file);
  } catch {
    // absent
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.lstatSync(file).ino;
  } catch {
    return undefined;
  }
}

export class DrpcServer {
  private readonly modules = new Map<number, DrpcModule>();
  /** The inode of the socket file this server put at `path`, while it listens. */
  private ino?: number;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly maxBody: number;

  constructor(
    readonly path: string,
    private readonly opts: DrpcServerOptions = {},
  ) {
    this.maxBody = opts.maxBody ?? DEFAULT_MAX_BODY;
  }

  register(module: number, method: number, handler: DrpcHandler): void {
    let m = this.modules.get(module);
    if (!m) {
      m = new Map();
      this.modules.set(module, m);
    }
    m.set(method, handler);
  }

  /** Register a module with no methods yet (calls get UNKNOWN_METHOD, not UNKNOWN_MODULE). */
  registerModule(module: number): void {
    if (!this.modules.has(module)) this.modules.set(module, new Map());
  }

  /**
   * Listen on `path`. A stale socket file there (a crash) is replaced; the
   * caller makes sure no live server owns it (daos_server and daos_agent hold
   * a pid lock in the directory first).
   *
   * NB: the socket is bound under a temporary name in the same directory and
   * renamed into place. libuv unlinks a Unix socket by its bound name when the
   * server closes, so a server bound to `path` itself would, at close, remove
   * a socket another process has put there since. close() removes `path` only
   * while it is still this server's socket (same inode).
   */
  async listen(): Promise<void> {
    const tmp = path.join(path.dirname(this.path), `.drpc-${process.pid}-${++tmpSeq}`);
    // A Unix socket name is at most 107 bytes: bind the real name when the temporary one would not fit.
    const bindTo = Buffer.byteLength(tmp) <= 107 ? tmp : this.path;
    removeStaleSocket(bindTo);
    const taken = fs.lstatSync(this.path, { throwIfNoEntry: false });
    if (taken && !taken.isSocket()) {
      // As listen(2) on an existing file: never replaced.
      throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${this.path}`), { code: 'EADDRINUSE' });
    }
    const server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bindTo, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      fs.chmodSync(bindTo, this.opts.mode ?? 0o777);
      // Atomic: a stale socket at path is replaced, and clients never see the name missing or half set up.
      if (bindTo !== this.path) fs.renameSync(bindTo, this.path);
      this.ino = fs.statSync(this.path).ino;
    } catch (e) {
      server.close();
      throw e;
    }
    this.server = server;
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    const dec = new FrameDecoder(this.maxBody);
    sock.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = dec.push(chunk);
      } catch (e) {
        this.opts.log?.error(`drpc ${this.path}: ${errorMessage(e)}; closing connection`);
        sock.destroy();
        return;
      }
      for (const f of frames) {
        if (f.kind !== FrameKind.Call) {
          this.opts.log?.error(`drpc ${this.path}: unexpected response frame from a client; closing connection`);
          sock.destroy();
          return;
        }
        void this.dispatch(sock, f.body);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.sockets.delete(sock));
  }

  private async dispatch(sock: net.Socket, body: Buffer): Promise<void> {
    let call: Call;
    try {
      call = fromBinary(CallSchema, body);
    } catch {
      this.reply(sock, create(ResponseSchema, { sequence: -1n, status: Status.FAILED_UNMARSHAL_CALL, error: statusText[Status.FAILED_UNMARSHAL_CALL] }));
      return;
    }
    const resp = create(ResponseSchema, { sequence: call.sequence, status: Status.SUCCESS });
    const mod = this.modules.get(call.module);
    const handler = mod?.get(call.method);
    if (!mod) {
      resp.status = Status.UNKNOWN_MODULE;
      resp.error = `${statusText[Status.UNKNOWN_MODULE]} ${call.module}`;
    } else if (!handler) {
      resp.status = Status.UNKNOWN_METHOD;
      resp.error = `${statusText[Status.UNKNOWN_METHOD]} ${call.method} (module ${call.module})`;
    } else {
      try {
        resp.body = await handler(call.body, { module: call.module, method: call.method, socket: sock });
      } catch (e) {
        if (e instanceof DrpcStatusError) {
          resp.status = e.status;
          resp.error = e.message;
        } else {
          resp.status = Status.FAILURE;
          resp.error = e instanceof Fault ? e.toWire() : errorMessage(e);
        }
        resp.body = new Uint8Array();
      }
    }
    this.reply(sock, resp);
  }

  private reply(sock: net.Socket, resp: Response): void {
    if (sock.destroyed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(FrameKind.Response, toBinary(ResponseSchema, resp), this.maxBody);
    } catch (e) {
      const fail = create(ResponseSchema, { sequence: resp.sequence, status: Status.FAILED_MARSHAL, error: errorMessage(e) });
      frame = encodeFrame(FrameKind.Response, toBinary(ResponseSchema, fail), this.maxBody);
    }
    sock.write(frame);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const srv = this.server;
    this.server = undefined;
    // NB: checked before closing, as libuv may unlink the bound name on close.
    const mine = this.ino !== undefined && inodeOf(this.path) === this.ino;
    this.ino = undefined;
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    if (mine) {
      try {
        fs.unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

interface Pending {
  resolve: (body: Uint8Array) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export interface DrpcCallOptions {
  timeoutMs?: number;
}

/** A client connection to a dRPC server; many calls may be in flight. */
export class DrpcClient {
  private sock?: net.Socket;
  private seq = 0n;
  private readonly pending = new Map<bigint, Pending>();
  private closedError?: Error;
  private readonly closeListeners: ((err?: Error) => void)[] = [];

  private constructor(
    readonly path: string,
    private readonly maxBody: number,
  ) {}

  static async connect(path: string, opts: { timeoutMs?: number; maxBody?: number } = {}): Promise<DrpcClient> {
    const c = new DrpcClient(path, opts.maxBody ?? DEFAULT_MAX_BODY);
    await c.open(opts.timeoutMs ?? 5000);
    return c;
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(this.path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(drpcFaults.connectTimeout(this.path, timeoutMs));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        this.sock = sock;
        this.attach(sock);
        resolve();
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(drpcFaults.connectFailed(this.path, e.code ?? e.message));
      });
    });
  }

  private attach(sock: net.Socket): void {
    const dec = new FrameDecoder(this.maxBody);
    sock.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = dec.push(chunk);
      } catch (e) {
        this.shutdown(new Error(`drpc ${this.path}: ${errorMessage(e)}`));
        return;
      }
      for (const f of frames) {
        if (f.kind !== FrameKind.Response) {
          this.shutdown(new Error(`drpc ${this.path}: unexpected call frame from the server`));
          return;
        }
        let resp: Response;
        try {
          resp = fromBinary(ResponseSchema, f.body);
        } catch {
          this.shutdown(new Error(`drpc ${this.path}: undecodable response`));
          return;
        }
        this.settle(resp);
      }
    });
    sock.on('error', (e) => this.shutdown(e));
    sock.on('close', () => this.shutdown(new Error(`drpc connection to ${this.path} closed`)));
  }

  private settle(resp: Response): void {
    const p = this.pending.get(resp.sequence);
    if (!p) return;
    this.pending.delete(resp.sequence);
    if (p.timer) clearTimeout(p.timer);
    if (resp.status === Status.SUCCESS) {
      p.resolve(resp.body);
      return;
    }
    const f = resp.status === Status.FAILURE ? Fault.fromWire(resp.error) : undefined;
    p.reject(f ?? new DrpcStatusError(resp.status, resp.error || statusText[resp.status] || `drpc status ${Status[resp.status]}`));
  }

  private shutdown(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    this.sock?.destroy();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const l of this.closeListeners) l(err);
  }

  /** Called once when the connection is lost or closed. */
  onClose(listener: (err?: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  call(module: number, method: number, body: Uint8Array = new Uint8Array(), opts: DrpcCallOptions = {}): Promise<Uint8Array> {
    if (this.closedError || !this.sock) return Promise.reject(this.closedError ?? new Error('drpc client not connected'));
    const sequence = ++this.seq;
    const frame = encodeFrame(FrameKind.Call, toBinary(CallSchema, create(CallSchema, { module, method, sequence, body })), this.maxBody);
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (opts.timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.pending.delete(sequence);
          reject(drpcFaults.callTimeout(this.path, module, method, opts.timeoutMs ?? 0));
        }, opts.timeoutMs);
      }
      this.pending.set(sequence, p);
      this.sock?.write(frame);
    });
  }

  close(): void {
    this.shutdown(new Error(`drpc connection to ${this.path} closed`));
  }
}
