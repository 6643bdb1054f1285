/**
 * Data-plane RPC endpoints over TCP: a client connection with many requests
 * in flight (matched by request id), and a server dispatching requests to a
 * handler. Both stamp every message with their hybrid logical clock and merge
 * the peer's; a peer too far ahead is refused with -DER_HLC_SYNC.
 *
 * Writes are corked and flushed once per tick, so many small messages leave
 * in one writev; bulk data is written as the caller's own Buffers.
 */
import net from 'node:net';
import { DEFAULT_MAX_MESSAGE, Flag, MessageReader, WireError, encodeHeader, WIRE_HEADER_SIZE } from './wire.js';
import type { Logger } from '../logging/logger.js';

/** Negative DER codes used by the transport itself. */
export const RpcStatus = {
  NOSYS: -1010,
  TIMEDOUT: -1011,
  UNREACH: -1006,
  HLC_SYNC: -1037,
  PROTO: -1014,
  CANCELED: -1018,
  MISC: -1025,
} as const;

/** The clock both ends stamp messages with. */
export interface MessageClock {
  now(): bigint;
  /** Merge a peer's timestamp; throws when the peer is too far ahead. */
  merge(remote: bigint): bigint;
}

export class RpcError extends Error {
  constructor(
    readonly rc: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcReply {
  status: number;
  mapVersion: number;
  body: Buffer;
}

export interface CallOptions {
  mapVersion?: number;
  timeoutMs?: number;
}

interface Pending {
  resolve: (r: RpcReply) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Corked writes flushed on the next tick. */
class Writer {
  private corked = false;
  constructor(private readonly sock: net.Socket) {}
  write(parts: Buffer[]): void {
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      process.nextTick(() => {
        this.corked = false;
        this.sock.uncork();
      });
    }
    for (const p of parts) if (p.length) this.sock.write(p);
  }
}

function bodyLength(parts: Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** A client connection to one I/O server. */
export class RpcConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedErr?: Error;
  private readonly writer: Writer;
  private readonly closeListeners: ((e: Error) => void)[] = [];

  private constructor(
    readonly addr: string,
    private readonly sock: net.Socket,
    private readonly clock: MessageClock,
    private readonly maxBody: number,
  ) {
    this.writer = new Writer(sock);
    const reader = new MessageReader(maxBody);
    sock.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        this.fail(new RpcError(RpcStatus.PROTO, `bad message from ${addr}: ${(e as Error).message}`));
        return;
      }
      for (const { header, body } of msgs) {
        const p = this.pending.get(header.requestId);
        if (!p) continue;
        this.pending.delete(header.requestId);
        if (p.timer) clearTimeout(p.timer);
        try {
          this.clock.merge(header.hlc);
        } catch (e) {
          p.reject(e as Error);
          continue;
        }
        p.resolve({ status: header.status, mapVersion: header.mapVersion, body });
      }
    });
    sock.on('error', (e) => this.fail(new RpcError(RpcStatus.UNREACH, `connection to ${addr} failed: ${e.message}`)));
    sock.on('close', () => this.fail(new RpcError(RpcStatus.UNREACH, `connection to ${addr} closed`)));
  }

  static connect(host: string, port: number, clock: MessageClock, opts: { timeoutMs?: number; maxBody?: number } = {}): Promise<RpcConnection> {
    const addr = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ host, port });
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new RpcError(RpcStatus.TIMEDOUT, `connecting to ${addr} timed out`));
      }, opts.timeoutMs ?? 5000);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new RpcConnection(addr, sock, clock, opts.maxBody ?? DEFAULT_MAX_MESSAGE));
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(new RpcError(RpcStatus.UNREACH, `cannot connect to ${addr}: ${e.message}`));
      });
    });
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    this.sock.destroy();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    for (const l of this.closeListeners) l(e);
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }

  onClose(l: (e: Error) => void): void {
    if (this.closedErr) l(this.closedErr);
    else this.closeListeners.push(l);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Send a request; body parts are written as given (no concatenation). */
  call(opcode: number, target: number, body: Buffer[], opts: CallOptions = {}): Promise<RpcReply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const len = bodyLength(body);
    if (len > this.maxBody) return Promise.reject(new RpcError(-2013, `request of ${len} bytes exceeds the message limit of ${this.maxBody} bytes`));
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
    const header = encodeHeader({
      flags: 0,
      opcode,
      requestId: id,
      status: 0,
      mapVersion: opts.mapVersion ?? 0,
      target,
      bodyLength: len,
      hlc: this.clock.now(),
    });
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (opts.timeoutMs) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError(RpcStatus.TIMEDOUT, `no reply from ${this.addr} within ${opts.timeoutMs} ms (opcode ${opcode})`));
        }, opts.timeoutMs);
      }
      this.pending.set(id, p);
      this.writer.write([header, ...body]);
    });
  }

  close(): void {
    this.fail(new RpcError(RpcStatus.CANCELED, `connection to ${this.addr} closed by us`));
  }
}

export interface RpcRequest {
  opcode: number;
  target: number;
  mapVersion: number;
  hlc: bigint;
  body: Buffer;
  peer: string;
}

export interface RpcResponse {
  status: number;
  mapVersion: number;
  body?: Buffer[];
}

export type RpcHandler = (req: RpcRequest) => Promise<RpcResponse>;

/** The I/O server side: dispatches every request to the handler, replies with its result. */
export class RpcServer {
  private server?: net.Server;
  private readonly socks = new Set<net.Socket>();

  constructor(
    private readonly handler: RpcHandler,
    private readonly clock: MessageClock,
    private readonly opts: { log?: Logger; maxBody?: number; mapVersion?: () => number } = {},
  ) {}

  listen(host: string, port: number): Promise<void> {
    const srv = net.createServer((s) => this.accept(s));
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        this.server = srv;
        resolve();
      });
    });
  }

  get address(): net.AddressInfo | undefined {
    return this.server?.address() as net.AddressInfo | undefined;
  }

  private accept(sock: net.Socket): void {
    this.socks.add(sock);
    sock.setNoDelay(true);
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    const reader = new MessageReader(this.opts.maxBody ?? DEFAULT_MAX_MESSAGE);
    const writer = new Writer(sock);
    const reply = (opcode: number, id: number, r: RpcResponse) => {
      if (sock.destroyed) return;
      const body = r.body ?? [];
      const h = encodeHeader({
        flags: Flag.reply,
        opcode,
        requestId: id,
        status: r.status,
        mapVersion: r.mapVersion,
        target: 0,
        bodyLength: bodyLength(body),
        hlc: this.clock.now(),
      });
      writer.write([h, ...body]);
    };
    sock.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        this.opts.log?.error(`data-plane connection from ${peer}: ${(e as WireError).message}; closing it`);
        sock.destroy();
        return;
      }
      for (const { header, body } of msgs) {
        if (header.flags & Flag.reply) {
          this.opts.log?.error(`data-plane connection from ${peer}: unexpected reply message; closing it`);
          sock.destroy();
          return;
        }
        try {
          this.clock.merge(header.hlc);
        } catch (e) {
          this.opts.log?.error(`refusing a request from ${peer}: ${(e as Error).message}`);
          reply(header.opcode, header.requestId, { status: RpcStatus.HLC_SYNC, mapVersion: this.opts.mapVersion?.() ?? 0 });
          continue;
        }
        this.handler({ opcode: header.opcode, target: header.target, mapVersion: header.mapVersion, hlc: header.hlc, body, peer }).then(
          (r) => reply(header.opcode, header.requestId, r),
          (e) => {
            const rc = typeof (e as { rc?: unknown }).rc === 'number' ? (e as { rc: number }).rc : RpcStatus.MISC;
            if (rc === RpcStatus.MISC) this.opts.log?.error(`request ${header.opcode} from ${peer} failed: ${(e as Error).stack ?? e}`);
            reply(header.opcode, header.requestId, { status: rc < 0 ? rc : -rc, mapVersion: this.opts.mapVersion?.() ?? 0, body: errorBody(e) });
          },
        );
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.socks.delete(sock));
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}

/** An error reply carries the message as its body, for logs and the user. */
function errorBody(e: unknown): Buffer[] {
  const msg = e instanceof Error ? e.message : String(e);
  return [Buffer.from(msg.slice(0, 1024), 'utf8')];
}

export const RPC_HEADER_SIZE = WIRE_HEADER_SIZE;
