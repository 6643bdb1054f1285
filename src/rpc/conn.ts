/**
 * Data-plane RPC endpoints over TCP: a client connection with many requests
 * in flight (matched by request id), and a server dispatching requests to a
 * handler. Both stamp every message with their hybrid logical clock and merge
 * the peer's; a peer too far ahead is refused with -DER_HLC_SYNC.
 *
 * A message body is [metadata][bulk]; the header says how long the bulk is.
 * Bulk data is never copied into intermediate buffers when it can be avoided:
 *  - sending: the caller's Buffers are written as they are (writev), corked
 *    so that many small messages leave in one system call;
 *  - receiving replies (client): the socket reads straight into the buffers
 *    the caller gave for the reply's bulk (`sink`), like DAOS reading into
 *    the application's scatter/gather list;
 *  - receiving requests (server): large bodies land in pooled, reused
 *    buffers, released when the handler is done.
 */
import net from 'node:net';
import { BufferPool, DEFAULT_MAX_MESSAGE, Flag, MessageReader, WireError, decodeHeader, encodeHeader, WIRE_HEADER_SIZE, type WireHeader } from './wire.js';
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
  REC2BIG: -2013,
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
  meta: Buffer;
  /** The reply's bulk data: views of the sink buffers when they were big enough, else one new buffer. */
  bulk: Buffer[];
  bulkLength: number;
}

export interface CallOptions {
  mapVersion?: number;
  timeoutMs?: number;
  /** Where the reply's bulk data should land, in order. */
  sink?: Buffer[];
}

interface Pending {
  resolve: (r: RpcReply) => void;
  reject: (e: Error) => void;
  /** performance.now() after which the call times out (0: never). */
  deadline: number;
  timeoutMs: number;
  opcode: number;
  sink?: Buffer[];
}

/** How often a connection looks for calls past their deadline. */
const SWEEP_MS = 100;

function total(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/**
 * Corked writes, flushed once per turn of the event loop (setImmediate runs
 * right after the I/O callbacks of the turn): every message produced while
 * handling the replies or requests that arrived together leaves in one
 * writev, which on loopback costs about as much as a single small one.
 */
class CorkedWriter {
  private corked = false;
  private readonly flush = () => {
    this.corked = false;
    this.sock.uncork();
  };
  constructor(private readonly sock: net.Socket) {}
  /** `done` runs once every part has been handed to the kernel (or the socket failed). */
  write(parts: Buffer[], done?: () => void): void {
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      setImmediate(this.flush);
    }
    let last = -1;
    for (let i = 0; i < parts.length; i++) if (parts[i].length) last = i;
    for (let i = 0; i <= last; i++) this.sock.write(parts[i], i === last && done ? () => done() : undefined);
    if (last < 0) done?.();
  }
}

const SCRATCH = 256 << 10;

/**
 * The receive side of a connection: parses messages from a scratch buffer
 * and reads bulk data directly into its destination (used as net's
 * `onread`): the caller's sink for replies, a pooled buffer for requests.
 */
class Receiver {
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH);
  private s0 = 0;
  private s1 = 0;
  private hdr?: WireHeader;
  private meta?: Buffer;
  private metaFilled = 0;
  private segs: Buffer[] = [];
  private segIdx = 0;
  private segOff = 0;
  private bulkLeft = 0;

  constructor(
    private readonly maxBody: number,
    private readonly sinkFor: (h: WireHeader) => Buffer[] | undefined,
    private readonly deliver: (h: WireHeader, meta: Buffer, bulk: Buffer[]) => void,
    private readonly fail: (e: Error) => void,
    private readonly alloc: (n: number) => Buffer = (n) => Buffer.allocUnsafe(n),
  ) {}

  /** net's onread option for a socket fed by this receiver. */
  onread(): { buffer: () => Buffer; callback: (n: number, buf: Uint8Array) => boolean } {
    return {
      buffer: () => this.buffer(),
      callback: (n: number, buf: Uint8Array) => {
        this.onRead(n, buf as Buffer);
        return true;
      },
    };
  }

  /** The buffer the next socket read goes into. */
  buffer(): Buffer {
    if (this.hdr && this.meta && this.metaFilled === this.meta.length && this.bulkLeft > 0 && this.s0 === this.s1) {
      const seg = this.segs[this.segIdx];
      return seg.subarray(this.segOff, this.segOff + Math.min(seg.length - this.segOff, this.bulkLeft));
    }
    if (this.s0 === this.s1) this.s0 = this.s1 = 0;
    if (this.s1 === SCRATCH) {
      this.scratch.copy(this.scratch, 0, this.s0, this.s1);
      this.s1 -= this.s0;
      this.s0 = 0;
    }
    return this.scratch.subarray(this.s1);
  }

  /** n bytes were read into the buffer last returned by buffer(). */
  onRead(n: number, buf: Buffer): void {
    if (buf.buffer === this.scratch.buffer && buf.byteOffset === this.scratch.byteOffset + this.s1) {
      this.s1 += n;
    } else {
      this.advanceBulk(n);
    }
    try {
      this.parse();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private advanceBulk(n: number): void {
    this.segOff += n;
    this.bulkLeft -= n;
    while (this.segIdx < this.segs.length && this.segOff === this.segs[this.segIdx].length && this.bulkLeft > 0) {
      this.segIdx++;
      this.segOff = 0;
    }
  }

  private parse(): void {
    for (;;) {
      if (!this.hdr) {
        if (this.s1 - this.s0 < WIRE_HEADER_SIZE) return;
        const h = decodeHeader(this.scratch.subarray(this.s0, this.s0 + WIRE_HEADER_SIZE), this.maxBody);
        this.s0 += WIRE_HEADER_SIZE;
        this.hdr = h;
        this.meta = Buffer.allocUnsafe(h.bodyLength - h.bulkLength);
        this.metaFilled = 0;
        this.bulkLeft = h.bulkLength;
        const sink = h.bulkLength > 0 ? this.sinkFor(h) : undefined;
        this.segs = sink && total(sink) >= h.bulkLength ? sink : h.bulkLength > 0 ? [this.alloc(h.bulkLength)] : [];
        this.segIdx = 0;
        this.segOff = 0;
      }
      const meta = this.meta!;
      if (this.metaFilled < meta.length) {
        const k = Math.min(meta.length - this.metaFilled, this.s1 - this.s0);
        this.scratch.copy(meta, this.metaFilled, this.s0, this.s0 + k);
        this.metaFilled += k;
        this.s0 += k;
        if (this.metaFilled < meta.length) return;
      }
      while (this.bulkLeft > 0 && this.s1 > this.s0) {
        const seg = this.segs[this.segIdx];
        const k = Math.min(seg.length - this.segOff, this.bulkLeft, this.s1 - this.s0);
        this.scratch.copy(seg, this.segOff, this.s0, this.s0 + k);
        this.s0 += k;
        this.advanceBulk(k);
      }
      if (this.bulkLeft > 0) return;
      const h = this.hdr;
      const bulk = trimTo(this.segs, h.bulkLength);
      this.hdr = undefined;
      this.meta = undefined;
      this.segs = [];
      this.deliver(h, meta, bulk);
    }
  }
}

/** Views of parts covering exactly n bytes. */
function trimTo(parts: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (n <= 0) break;
    const k = Math.min(p.length, n);
    out.push(k === p.length ? p : p.subarray(0, k));
    n -= k;
  }
  return out;
}

/** A client connection to one I/O server. */
export class RpcConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedErr?: Error;
  private writer!: CorkedWriter;
  private sock!: net.Socket;
  private readonly closeListeners: ((e: Error) => void)[] = [];

  private constructor(
    readonly addr: string,
    private readonly clock: MessageClock,
    private readonly maxBody: number,
  ) {}

  static connect(host: string, port: number, clock: MessageClock, opts: { timeoutMs?: number; maxBody?: number } = {}): Promise<RpcConnection> {
    const c = new RpcConnection(`${host}:${port}`, clock, opts.maxBody ?? DEFAULT_MAX_MESSAGE);
    return c.open(host, port, opts.timeoutMs ?? 5000);
  }

  private open(host: string, port: number, timeoutMs: number): Promise<RpcConnection> {
    const rx = new Receiver(
      this.maxBody,
      (h) => this.pending.get(h.requestId)?.sink,
      (h, meta, bulk) => this.onReply(h, meta, bulk),
      (e) => this.fail(new RpcError(RpcStatus.PROTO, `bad message from ${this.addr}: ${e.message}`)),
    );
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({
        host,
        port,
        onread: rx.onread(),
      });
      sock.setNoDelay(true);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new RpcError(RpcStatus.TIMEDOUT, `connecting to ${this.addr} timed out`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        this.sock = sock;
        this.writer = new CorkedWriter(sock);
        sock.on('error', (e) => this.fail(new RpcError(RpcStatus.UNREACH, `connection to ${this.addr} failed: ${e.message}`)));
        sock.on('close', () => this.fail(new RpcError(RpcStatus.UNREACH, `connection to ${this.addr} closed`)));
        resolve(this);
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(new RpcError(RpcStatus.UNREACH, `cannot connect to ${this.addr}: ${e.message}`));
      });
    });
  }

  private onReply(h: WireHeader, meta: Buffer, bulk: Buffer[]): void {
    const p = this.pending.get(h.requestId);
    if (!p) return;
    this.pending.delete(h.requestId);
    try {
      this.clock.merge(h.hlc);
    } catch (e) {
      p.reject(e as Error);
      return;
    }
    p.resolve({ status: h.status, mapVersion: h.mapVersion, meta, bulk, bulkLength: h.bulkLength });
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    this.sock?.destroy();
    if (this.sweeper) clearInterval(this.sweeper);
    for (const [, p] of this.pending) p.reject(e);
    this.pending.clear();
    for (const l of this.closeListeners) l(e);
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }

  private sweeper?: NodeJS.Timeout;

  /** Fail the calls past their deadline. */
  private sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.pending) {
      if (p.deadline && p.deadline <= now) {
        this.pending.delete(id);
        p.reject(new RpcError(RpcStatus.TIMEDOUT, `no reply from ${this.addr} within ${p.timeoutMs} ms (opcode ${p.opcode})`));
      }
    }
  }

  onClose(l: (e: Error) => void): void {
    if (this.closedErr) l(this.closedErr);
    else this.closeListeners.push(l);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Send a request: metadata, then bulk data written as the caller's own Buffers. */
  call(opcode: number, target: number, meta: Buffer, bulk: Buffer[] = [], opts: CallOptions = {}): Promise<RpcReply> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const bulkLength = total(bulk);
    const len = meta.length + bulkLength;
    if (len > this.maxBody) return Promise.reject(new RpcError(RpcStatus.REC2BIG, `request of ${len} bytes exceeds the message limit of ${this.maxBody} bytes`));
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
      bulkLength,
      hlc: this.clock.now(),
    });
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 0;
      const p: Pending = { resolve, reject, sink: opts.sink, deadline: timeoutMs ? performance.now() + timeoutMs : 0, timeoutMs, opcode };
      // NB: one sweeper per connection instead of a timer per call (a timer costs more than the call).
      if (timeoutMs && !this.sweeper) {
        this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
        this.sweeper.unref();
      }
      this.pending.set(id, p);
      this.writer.write([header, meta, ...bulk]);
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
  meta: Buffer;
  /** The request's bulk data (a view; valid until the handler settles). */
  bulk: Buffer;
  peer: string;
}

export interface RpcResponse {
  status: number;
  mapVersion: number;
  meta?: Buffer;
  bulk?: Buffer[];
  /** Called once the reply has been written to the socket, or dropped (e.g. to release pooled buffers). */
  done?: () => void;
}

export type RpcHandler = (req: RpcRequest) => Promise<RpcResponse>;

/** The I/O server side: dispatches every request to the handler, replies with its result. */
export class RpcServer {
  private server?: net.Server;
  private readonly socks = new Set<net.Socket>();
  readonly pool = new BufferPool();

  constructor(
    private readonly handler: RpcHandler,
    private readonly clock: MessageClock,
    private readonly opts: { log?: Logger; maxBody?: number; mapVersion?: () => number } = {},
  ) {}

  listen(host: string, port: number): Promise<void> {
    // NB: accepted sockets are paused and re-wrapped with an onread receiver,
    // so request bulk lands in pooled buffers without passing through
    // per-read allocations (net.Server has no onread option of its own).
    const srv = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
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

  private accept(accepted: net.Socket): void {
    const peer = `${accepted.remoteAddress}:${accepted.remotePort}`;
    const maxBody = this.opts.maxBody ?? DEFAULT_MAX_MESSAGE;
    let sock: net.Socket;
    const rx = new Receiver(
      maxBody,
      () => undefined,
      (h, meta, bulk) => this.onRequest(sock, writer, peer, h, meta, bulk[0] ?? EMPTY),
      (e) => {
        this.opts.log?.error(`data-plane connection from ${peer}: ${e.message}; closing it`);
        sock.destroy();
      },
      (n) => this.pool.get(n),
    );
    const handle = (accepted as unknown as { _handle: unknown })._handle;
    if (handle) {
      (accepted as unknown as { _handle: unknown })._handle = null;
      // The husk without its handle is destroyed so the server stops counting it.
      accepted.destroy();
      sock = new net.Socket({ handle, onread: rx.onread() } as net.SocketConstructorOpts);
      sock.setNoDelay(true);
      sock.resume();
    } else {
      sock = accepted;
      const reader = new MessageReader(maxBody, this.pool);
      sock.on('data', (chunk: Buffer) => {
        try {
          for (const { header, body } of reader.push(chunk)) {
            const metaLen = header.bodyLength - header.bulkLength;
            this.onRequest(sock, writer, peer, header, body.subarray(0, metaLen), body.subarray(metaLen));
          }
        } catch (e) {
          this.opts.log?.error(`data-plane connection from ${peer}: ${(e as WireError).message}; closing it`);
          sock.destroy();
        }
      });
      sock.resume();
    }
    const writer = new CorkedWriter(sock);
    this.socks.add(sock);
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.socks.delete(sock));
  }

  private reply(sock: net.Socket, writer: CorkedWriter, opcode: number, id: number, r: RpcResponse): void {
    if (!sock.destroyed) {
      const meta = r.meta ?? EMPTY;
      const bulk = r.bulk ?? [];
      const bulkLength = total(bulk);
      const h = encodeHeader({
        flags: Flag.reply,
        opcode,
        requestId: id,
        status: r.status,
        mapVersion: r.mapVersion,
        target: 0,
        bodyLength: meta.length + bulkLength,
        bulkLength,
        hlc: this.clock.now(),
      });
      // The bulk may be pooled memory: it is released only once the socket has written it.
      writer.write([h, meta, ...bulk], r.done);
      return;
    }
    r.done?.();
  }

  private onRequest(sock: net.Socket, writer: CorkedWriter, peer: string, header: WireHeader, meta: Buffer, bulk: Buffer): void {
    if (header.flags & Flag.reply) {
      this.opts.log?.error(`data-plane connection from ${peer}: unexpected reply message; closing it`);
      sock.destroy();
      return;
    }
    try {
      this.clock.merge(header.hlc);
    } catch (e) {
      this.opts.log?.error(`refusing a request from ${peer}: ${(e as Error).message}`);
      this.pool.release(bulk);
      this.reply(sock, writer, header.opcode, header.requestId, { status: RpcStatus.HLC_SYNC, mapVersion: this.opts.mapVersion?.() ?? 0, meta: Buffer.from((e as Error).message) });
      return;
    }
    const req: RpcRequest = { opcode: header.opcode, target: header.target, mapVersion: header.mapVersion, hlc: header.hlc, meta, bulk, peer };
    this.handler(req).then(
      (r) => {
        this.pool.release(bulk);
        this.reply(sock, writer, header.opcode, header.requestId, r);
      },
      (e) => {
        this.pool.release(bulk);
        const rc = typeof (e as { rc?: unknown }).rc === 'number' ? (e as { rc: number }).rc : RpcStatus.MISC;
        if (rc === RpcStatus.MISC) this.opts.log?.error(`request ${header.opcode} from ${peer} failed: ${(e as Error).stack ?? e}`);
        this.reply(sock, writer, header.opcode, header.requestId, { status: rc < 0 ? rc : -rc, mapVersion: this.opts.mapVersion?.() ?? 0, meta: errorMeta(e) });
      },
    );
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}

const EMPTY = Buffer.alloc(0);

/** An error reply carries the message as its metadata, for logs and the user. */
function errorMeta(e: unknown): Buffer {
  const msg = e instanceof Error ? e.message : String(e);
  return Buffer.from(msg.slice(0, 1024), 'utf8');
}

/** The message of an error reply. */
export function replyError(r: RpcReply): string {
  return r.meta.toString('utf8');
}
