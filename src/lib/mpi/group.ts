/**
 * A process group: N ranks of one job on one host, with the few collectives
 * an MPI benchmark needs (barrier, bcast, gather, allgather, reduce,
 * allreduce), abort and finalize.
 *
 * Topology: a star. Rank 0 (the hub) listens on <dir>/pg.sock; every other
 * rank connects to it. A collective is a round: every rank sends its
 * contribution to the hub, which computes each rank's result once all have
 * arrived and sends it back. Rounds are numbered; the hub checks that every
 * rank called the same collective with the same root and operation, and says
 * which rank did not when they differ.
 *
 * Lifecycle of a rank: joining → ready → (failed | finalized). A failure is
 * final: the pending collective and every later one reject with it.
 *
 * Nothing waits forever:
 *  - the join is bounded (joinTimeoutMs, default 60 s): "rank 2 did not join
 *    the group within 60 s";
 *  - a round is bounded by the hub from its first arrival ("rank 3 did not
 *    reach the barrier (collective #4) within 60 s"), and by every other rank
 *    from its own arrival plus a grace period, in case the hub itself hangs;
 *  - a rank that exits or closes its connection fails the whole group at
 *    once ("rank 1 (pid 4242) left the group unexpectedly ...");
 *  - abort(code) makes every rank exit with that code (as MPI_Abort does),
 *    unless the program handles it with onAbort.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PgError } from './errors.js';
import { decodeList, encodeList, encodeMessage, Kind, kindName, MessageParser, MsgType, type Message } from './frame.js';
import { groupEnv, type GroupEnv, type GroupSource } from './env.js';

export type ReduceOp = 'min' | 'max' | 'sum';
const OPS: Record<ReduceOp, number> = { min: 1, max: 2, sum: 3 };
const OP_NAMES = ['', 'min', 'max', 'sum'];

export const DEFAULT_TIMEOUT_MS = 60_000;
export const SOCKET_NAME = 'pg.sock';
/** How much longer than the hub a rank waits for a round's result, so that the hub's message (which names the late rank) arrives first. */
const SPOKE_GRACE_MS = 5_000;
const CLOSE_WAIT_MS = 5_000;

export interface GroupOptions {
  /** Environment to read the rank, size and directory from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Use this identity instead of reading the environment (tests). */
  identity?: GroupEnv;
  /** Default bound of a collective; default DAOS_PG_TIMEOUT seconds, else 60 s. */
  timeoutMs?: number;
  /** Bound of the join; default the same as timeoutMs. */
  joinTimeoutMs?: number;
  /** Called once when the group fails (a rank left, a round timed out). */
  onFailure?: (e: PgError) => void;
  /**
   * Called when a rank called abort(code). Default: print the reason on
   * stderr and exit with that code, as MPI_Abort ends the whole job.
   */
  onAbort?: (code: number, message: string, fromRank: number) => void;
}

export interface CollectiveOptions {
  /** Bound of this collective (default: the group's). */
  timeoutMs?: number;
}

function secs(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

function rankList(ranks: number[]): string {
  return ranks.length === 1 ? `rank ${ranks[0]}` : `ranks ${ranks.join(', ')}`;
}

function roundName(kind: number, seq: number): string {
  return kind === Kind.BARRIER ? `the barrier (collective #${seq})` : `${kindName(kind)} (collective #${seq})`;
}

/** Contribution payload: u32 timeout ms, u8 op, then the body. */
function encodeContrib(timeoutMs: number, op: number, body: Buffer): Buffer {
  const b = Buffer.allocUnsafe(5 + body.length);
  b.writeUInt32BE(Math.min(timeoutMs, 0xffffffff), 0);
  b.writeUInt8(op, 4);
  body.copy(b, 5);
  return b;
}

function f64(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(v, 0);
  return b;
}

function readF64(b: Buffer, what: string): number {
  if (b.length !== 8) throw new PgError(`${what}: expected an 8-byte number, got ${b.length} bytes`);
  return b.readDoubleLE(0);
}

function combine(op: number, values: number[]): number {
  switch (op) {
    case OPS.min:
      return Math.min(...values);
    case OPS.max:
      return Math.max(...values);
    case OPS.sum:
      return values.reduce((a, b) => a + b, 0);
    default:
      throw new PgError(`unknown reduce operation ${op}`);
  }
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/** One collective as the hub sees it. */
interface Round {
  seq: number;
  kind: number;
  root: number;
  op: number;
  parts: (Buffer | undefined)[];
  arrived: number;
  timer?: NodeJS.Timeout;
  timeoutMs: number;
  /** The hub's own call, once it arrives. */
  self?: Pending;
}

interface SpokeConn {
  rank: number;
  pid: number;
  sock: net.Socket;
  /** The hub sent this rank the result of finalize: its closing is expected. */
  done: boolean;
}

function writeAll(sock: net.Socket, data: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed || !sock.writable) return resolve();
    const t = setTimeout(resolve, timeoutMs);
    sock.write(data, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export class ProcessGroup {
  readonly rank: number;
  readonly size: number;
  readonly source: GroupSource;
  /** Rendezvous directory ('' for a group of one). */
  readonly dir: string;
  /** Process ids by rank, known once the group is ready. */
  pids: number[] = [];

  private readonly timeoutMs: number;
  private seq = 0;
  private failure?: PgError;
  private finalized = false;
  private onFailureCb?: (e: PgError) => void;
  private onAbortCb?: (code: number, message: string, fromRank: number) => void;

  // hub (rank 0) state
  private server?: net.Server;
  private readonly spokes = new Map<number, SpokeConn>();
  private readonly rounds = new Map<number, Round>();
  private createdDir = false;
  private sockPath = '';

  // spoke state
  private hubSock?: net.Socket;
  private waiting?: Pending & { seq: number; timer: NodeJS.Timeout };

  private constructor(id: GroupEnv, opts: GroupOptions) {
    this.rank = id.rank;
    this.size = id.size;
    this.source = id.source;
    this.dir = id.dir;
    const envTimeout = Number((opts.env ?? process.env).DAOS_PG_TIMEOUT);
    this.timeoutMs = opts.timeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout * 1000 : DEFAULT_TIMEOUT_MS);
    this.onFailureCb = opts.onFailure;
    this.onAbortCb = opts.onAbort;
  }

  /**
   * Join the group this process belongs to (see env.ts) and wait until every
   * rank has joined, like MPI_Init. A group of one is ready at once.
   */
  static async init(opts: GroupOptions = {}): Promise<ProcessGroup> {
    const id = opts.identity ?? groupEnv(opts.env);
    const g = new ProcessGroup(id, opts);
    const joinMs = opts.joinTimeoutMs ?? g.timeoutMs;
    if (g.size === 1) {
      g.pids = [process.pid];
      return g;
    }
    g.sockPath = path.join(id.dir, SOCKET_NAME);
    try {
      if (g.rank === 0) await g.hubJoin(id, joinMs);
      else await g.spokeJoin(id, joinMs);
    } catch (e) {
      await g.close();
      throw e;
    }
    return g;
  }

  /** Called once when the group fails; replaces the one given to init. */
  onFailure(cb: (e: PgError) => void): void {
    this.onFailureCb = cb;
    if (this.failure) cb(this.failure);
  }

  /** The failure that ended the group, if any. */
  get failed(): PgError | undefined {
    return this.failure;
  }

  private pidOf(rank: number): string {
    const p = this.pids[rank] ?? this.spokes.get(rank)?.pid;
    return p ? ` (pid ${p})` : '';
  }

  // ------------------------------------------------------------------ join

  private async hubJoin(id: GroupEnv, joinMs: number): Promise<void> {
    if (!fs.existsSync(id.dir)) {
      fs.mkdirSync(id.dir, { recursive: true, mode: 0o700 });
      this.createdDir = true;
    }
    await removeStaleSocket(this.sockPath);
    const server = net.createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new PgError(`rank 0 cannot listen on ${this.sockPath}: ${e.code ?? e.message}`, 'check that the directory is writable and the path is shorter than 108 bytes (set DAOS_PG_DIR or TMPDIR to a short directory)', { cause: e })),
      );
      server.listen(this.sockPath, () => resolve());
    });
    process.once('exit', () => {
      try {
        if (this.server) fs.unlinkSync(this.sockPath);
      } catch {
        // already gone
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = [];
        for (let r = 1; r < this.size; r++) if (!this.spokes.has(r)) missing.push(r);
        const e = new PgError(`${rankList(missing)} did not join the group within ${secs(joinMs)} (rank 0 listens on ${this.sockPath})`, 'check that every rank was started, with the same job environment, on this host');
        this.fail(e);
        reject(e);
      }, joinMs);
      const joined = () => {
        clearTimeout(timer);
        resolve();
      };
      const failedDuringJoin = (e: PgError) => {
        clearTimeout(timer);
        reject(e);
      };
      server.on('connection', (sock) => this.hubAccept(sock, id, joinMs, joined, failedDuringJoin));
    });
    this.server.unref();
    for (const s of this.spokes.values()) s.sock.unref();
  }

  private hubAccept(sock: net.Socket, id: GroupEnv, joinMs: number, joined: () => void, failedDuringJoin: (e: PgError) => void): void {
    const parser = new MessageParser();
    let conn: SpokeConn | undefined;
    const helloTimer = setTimeout(() => sock.destroy(), joinMs);
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      let msgs: Message[];
      try {
        msgs = parser.push(chunk);
      } catch (e) {
        const err = new PgError(`bad message from ${conn ? `rank ${conn.rank}` : 'a connecting process'}: ${(e as Error).message}`);
        if (conn) this.fail(err);
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        if (!conn) {
          clearTimeout(helloTimer);
          const r = this.checkHello(m, id);
          if (typeof r === 'string') {
            sock.end(encodeMessage({ type: MsgType.FAIL, payload: Buffer.from(r) }));
            return;
          }
          conn = { rank: r.rank, pid: r.pid, sock, done: false };
          this.spokes.set(r.rank, conn);
          if (this.spokes.size === this.size - 1) {
            this.pids = [process.pid, ...Array.from({ length: this.size - 1 }, (_, i) => this.spokes.get(i + 1)!.pid)];
            const ready = encodeMessage({ type: MsgType.READY, payload: Buffer.from(JSON.stringify(this.pids)) });
            for (const s of this.spokes.values()) s.sock.write(ready);
            joined();
          }
          continue;
        }
        this.hubMessage(conn, m);
      }
    });
    sock.on('close', () => {
      clearTimeout(helloTimer);
      if (!conn || this.spokes.get(conn.rank) !== conn) return;
      if (conn.done || this.failure) return;
      const e = new PgError(`rank ${conn.rank} (pid ${conn.pid}) left the group unexpectedly: it exited or closed its connection`, 'see that rank\'s own error output for why it stopped');
      if (this.pids.length === 0) failedDuringJoin(e);
      this.fail(e);
    });
  }

  /** A HELLO's rank, or the reason it is refused. */
  private checkHello(m: Message, id: GroupEnv): { rank: number; pid: number } | string {
    if (m.type !== MsgType.HELLO) return `expected a hello message, got type ${m.type}`;
    let h: { rank?: unknown; size?: unknown; job?: unknown; pid?: unknown };
    try {
      h = JSON.parse(m.payload.toString('utf8')) as typeof h;
    } catch {
      return 'the hello message is not valid JSON';
    }
    const rank = h.rank;
    if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1 || rank >= this.size) return `rank ${String(rank)} is not in 1..${this.size - 1}`;
    if (h.size !== this.size) return `rank ${rank} thinks the group has ${String(h.size)} ranks; rank 0 has ${this.size}`;
    if (h.job !== id.job) return `rank ${rank} belongs to job ${JSON.stringify(h.job)}, not ${JSON.stringify(id.job)}`;
    if (this.spokes.has(rank)) return `rank ${rank} joined twice (pids ${this.spokes.get(rank)!.pid} and ${String(h.pid)})`;
    if (this.pids.length > 0) return 'the group is already complete';
    return { rank, pid: typeof h.pid === 'number' ? h.pid : 0 };
  }

  private async spokeJoin(id: GroupEnv, joinMs: number): Promise<void> {
    const deadline = Date.now() + joinMs;
    let sock: net.Socket | undefined;
    let last = '';
    for (let delay = 20; !sock; delay = Math.min(delay * 2, 250)) {
      try {
        sock = await connectUnix(this.sockPath, Math.max(1, deadline - Date.now()));
      } catch (e) {
        last = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        if (Date.now() + delay >= deadline) {
          throw new PgError(`rank ${this.rank} could not reach rank 0 at ${this.sockPath} within ${secs(joinMs)} (${last})`, 'check that rank 0 was started in the same job on this host and is still running');
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.hubSock = sock;
    sock.write(encodeMessage({ type: MsgType.HELLO, payload: Buffer.from(JSON.stringify({ rank: this.rank, size: this.size, job: id.job, pid: process.pid })) }));
    const parser = new MessageParser();
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        const e = new PgError(`rank 0 did not confirm the group to rank ${this.rank} within ${secs(joinMs)}: some rank did not join`, 'rank 0 names the missing ranks in its own error output');
        this.fail(e);
        sock.destroy();
        reject(e);
      }, Math.max(1, deadline - Date.now()) + SPOKE_GRACE_MS);
      sock.on('error', () => sock.destroy());
      sock.on('data', (chunk: Buffer) => {
        let msgs: Message[];
        try {
          msgs = parser.push(chunk);
        } catch (e) {
          this.fail(new PgError(`bad message from rank 0: ${(e as Error).message}`));
          sock.destroy();
          return;
        }
        for (const m of msgs) {
          if (!ready) {
            if (m.type === MsgType.READY) {
              ready = true;
              clearTimeout(timer);
              try {
                this.pids = JSON.parse(m.payload.toString('utf8')) as number[];
              } catch {
                this.pids = [];
              }
              sock.unref();
              resolve();
              continue;
            }
            if (m.type === MsgType.FAIL) {
              clearTimeout(timer);
              const e = new PgError(`rank 0 refused rank ${this.rank}: ${m.payload.toString('utf8')}`);
              this.fail(e);
              reject(e);
              return;
            }
          }
          this.spokeMessage(m);
        }
      });
      sock.on('close', () => {
        if (this.finalized || this.failure) return;
        const e = new PgError(`rank 0${this.pidOf(0)} left the group unexpectedly: it exited or closed its connection`, 'see rank 0\'s own error output for why it stopped');
        if (!ready) {
          clearTimeout(timer);
          reject(e);
        }
        this.fail(e);
      });
    });
  }

  // ------------------------------------------------------------------ messages

  private hubMessage(conn: SpokeConn, m: Message): void {
    switch (m.type) {
      case MsgType.CONTRIB:
        this.contribute(conn.rank, m.seq, m.kind, m.arg, m.payload);
        return;
      case MsgType.FAIL:
        this.fail(new PgError(`rank ${conn.rank}: ${m.payload.toString('utf8')}`));
        return;
      case MsgType.ABORT: {
        const msg = m.payload.toString('utf8');
        // NB: set before the aborting rank's connection closes, so that its exit is not reported as a loss.
        this.failure ??= new PgError(`rank ${conn.rank} called abort(${m.arg})${msg ? `: ${msg}` : ''}`);
        const fwd = encodeMessage({ type: MsgType.ABORT, arg: m.arg, payload: Buffer.from(JSON.stringify({ from: conn.rank, message: msg })) });
        const others = [...this.spokes.values()].filter((s) => s !== conn);
        Promise.all(others.map((s) => writeAll(s.sock, fwd, 2000))).then(() => this.aborted(m.arg, msg, conn.rank));
        return;
      }
      default:
        this.fail(new PgError(`unexpected message type ${m.type} from rank ${conn.rank}`));
    }
  }

  private spokeMessage(m: Message): void {
    switch (m.type) {
      case MsgType.RESULT: {
        const w = this.waiting;
        if (!w || w.seq !== m.seq) {
          this.fail(new PgError(`rank 0 sent the result of collective #${m.seq}, but rank ${this.rank} waits for #${w?.seq ?? 'none'}`));
          return;
        }
        clearTimeout(w.timer);
        this.waiting = undefined;
        w.resolve(m.payload);
        return;
      }
      case MsgType.FAIL:
        this.fail(new PgError(m.payload.toString('utf8')));
        return;
      case MsgType.ABORT: {
        let from = 0;
        let message = m.payload.toString('utf8');
        try {
          const j = JSON.parse(message) as { from: number; message: string };
          from = j.from;
          message = j.message;
        } catch {
          // rank 0's own abort: the payload is the message
        }
        this.aborted(m.arg, message, from);
        return;
      }
      default:
        this.fail(new PgError(`unexpected message type ${m.type} from rank 0`));
    }
  }

  private aborted(code: number, message: string, from: number): void {
    const e = new PgError(`rank ${from} called abort(${code})${message ? `: ${message}` : ''}`);
    this.failure ??= e;
    this.rejectPending(e);
    if (this.onAbortCb) {
      this.onAbortCb(code, message, from);
      return;
    }
    process.stderr.write(`ERROR: rank ${this.rank}: ${e.message}\n`);
    process.exit(code);
  }

  // ------------------------------------------------------------------ failure

  private rejectPending(e: PgError): void {
    for (const r of this.rounds.values()) {
      if (r.timer) clearTimeout(r.timer);
      r.self?.reject(e);
    }
    this.rounds.clear();
    if (this.waiting) {
      clearTimeout(this.waiting.timer);
      this.waiting.reject(e);
      this.waiting = undefined;
    }
  }

  /** The group failed: reject what waits, tell the others (hub), call onFailure once. */
  private fail(e: PgError): void {
    if (this.failure) return;
    this.failure = e;
    this.rejectPending(e);
    if (this.rank === 0) {
      const msg = encodeMessage({ type: MsgType.FAIL, payload: Buffer.from(e.message) });
      for (const s of this.spokes.values()) {
        if (!s.sock.destroyed) s.sock.end(msg);
      }
    } else if (this.hubSock && !this.hubSock.destroyed) {
      this.hubSock.end(encodeMessage({ type: MsgType.FAIL, payload: Buffer.from(e.message) }));
    }
    this.onFailureCb?.(e);
  }

  // ------------------------------------------------------------------ rounds

  /** The hub records one rank's contribution to round `seq`; completes the round when all are in. */
  private contribute(rank: number, seq: number, kind: number, root: number, payload: Buffer, self?: Pending): void {
    if (this.failure) {
      self?.reject(this.failure);
      return;
    }
    if (payload.length < 5) {
      this.fail(new PgError(`rank ${rank} sent a malformed contribution to collective #${seq}`));
      return;
    }
    const timeoutMs = payload.readUInt32BE(0);
    const op = payload.readUInt8(4);
    const body = payload.subarray(5);
    let r = this.rounds.get(seq);
    if (!r) {
      r = { seq, kind, root, op, parts: new Array<Buffer | undefined>(this.size).fill(undefined), arrived: 0, timeoutMs };
      this.rounds.set(seq, r);
      const round = r;
      round.timer = setTimeout(() => this.roundTimedOut(round), timeoutMs);
    } else if (r.kind !== kind || r.root !== root || r.op !== op) {
      const first = r.parts.findIndex((p) => p !== undefined);
      const what = (k: number, rt: number, o: number) => `${kindName(k)}${k === Kind.BCAST || k === Kind.GATHER || k === Kind.REDUCE ? ` with root ${rt}` : ''}${o ? ` (${OP_NAMES[o]})` : ''}`;
      this.fail(new PgError(`collective #${seq} differs between ranks: rank ${rank} called ${what(kind, root, op)}, rank ${first} called ${what(r.kind, r.root, r.op)}`, 'every rank must call the same collectives in the same order'));
      self?.reject(this.failure!);
      return;
    }
    if (r.parts[rank] !== undefined) {
      this.fail(new PgError(`rank ${rank} contributed twice to collective #${seq}`));
      return;
    }
    r.parts[rank] = Buffer.from(body);
    r.arrived++;
    if (self) r.self = self;
    if (r.arrived === this.size) this.completeRound(r);
  }

  private roundTimedOut(r: Round): void {
    const missing = r.parts.flatMap((p, i) => (p === undefined ? [i] : []));
    this.fail(new PgError(`${rankList(missing)} did not reach ${roundName(r.kind, r.seq)} within ${secs(r.timeoutMs)}`, 'that rank is stuck or much slower than the others; its own output may say why'));
  }

  private completeRound(r: Round): void {
    if (r.timer) clearTimeout(r.timer);
    this.rounds.delete(r.seq);
    let results: Buffer[];
    try {
      results = this.results(r);
    } catch (e) {
      this.fail(e instanceof PgError ? e : new PgError((e as Error).message));
      return;
    }
    for (const [rank, s] of this.spokes) {
      if (r.kind === Kind.FINALIZE) s.done = true;
      s.sock.write(encodeMessage({ type: MsgType.RESULT, kind: r.kind, seq: r.seq, arg: r.root, payload: results[rank] }));
    }
    r.self?.resolve(results[0]);
  }

  /** Each rank's result of a complete round. */
  private results(r: Round): Buffer[] {
    const parts = r.parts as Buffer[];
    const none = Buffer.alloc(0);
    const all = (b: Buffer) => parts.map(() => b);
    switch (r.kind) {
      case Kind.BARRIER:
      case Kind.FINALIZE:
        return all(none);
      case Kind.BCAST:
        return all(parts[r.root]);
      case Kind.GATHER:
        return parts.map((_, i) => (i === r.root ? encodeList(parts) : none));
      case Kind.ALLGATHER:
        return all(encodeList(parts));
      case Kind.REDUCE:
      case Kind.ALLREDUCE: {
        const v = f64(combine(r.op, parts.map((p, i) => readF64(p, `rank ${i}'s ${kindName(r.kind)} value`))));
        return r.kind === Kind.ALLREDUCE ? all(v) : parts.map((_, i) => (i === r.root ? v : none));
      }
      default:
        throw new PgError(`unknown collective kind ${r.kind}`);
    }
  }

  /** Run one collective: this rank's contribution in, its result out. */
  private collective(kind: number, root: number, op: number, body: Buffer, opts: CollectiveOptions = {}): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.finalized) return Promise.reject(new PgError(`rank ${this.rank} called ${kindName(kind)} after finalize`));
    if (!Number.isInteger(root) || root < 0 || root >= this.size) return Promise.reject(new PgError(`root ${root} is not a rank of this group of ${this.size}`));
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const seq = ++this.seq;
    if (this.size === 1) {
      const r: Round = { seq, kind, root, op, parts: [body], arrived: 1, timeoutMs };
      try {
        return Promise.resolve(this.results(r)[0]);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const payload = encodeContrib(timeoutMs, op, body);
    return new Promise<Buffer>((resolve, reject) => {
      if (this.rank === 0) {
        this.contribute(0, seq, kind, root, payload, { resolve, reject });
        return;
      }
      if (this.waiting) {
        reject(new PgError(`rank ${this.rank} started ${kindName(kind)} while collective #${this.waiting.seq} was still running: await each collective before the next`));
        return;
      }
      const timer = setTimeout(() => {
        this.fail(new PgError(`no answer from rank 0 to rank ${this.rank} for ${roundName(kind, seq)} within ${secs(timeoutMs + SPOKE_GRACE_MS)}: rank 0 may be stuck`));
      }, timeoutMs + SPOKE_GRACE_MS);
      this.waiting = { seq, resolve, reject, timer };
      this.hubSock!.write(encodeMessage({ type: MsgType.CONTRIB, kind, seq, arg: root, payload }));
    });
  }

  // ------------------------------------------------------------------ the collectives

  /** Wait until every rank reached this barrier. */
  async barrier(opts?: CollectiveOptions): Promise<void> {
    await this.collective(Kind.BARRIER, 0, 0, Buffer.alloc(0), opts);
  }

  /** The root's buffer, on every rank (the others' `buf` is ignored). */
  bcast(buf: Buffer | undefined, root: number, opts?: CollectiveOptions): Promise<Buffer> {
    return this.collective(Kind.BCAST, root, 0, this.rank === root ? (buf ?? Buffer.alloc(0)) : Buffer.alloc(0), opts);
  }

  /** bcast of a JSON value. */
  async bcastJson<T>(value: T | undefined, root: number, opts?: CollectiveOptions): Promise<T> {
    const b = await this.bcast(this.rank === root ? Buffer.from(JSON.stringify(value ?? null)) : undefined, root, opts);
    return JSON.parse(b.toString('utf8')) as T;
  }

  /** Every rank's buffer, in rank order, on the root; undefined on the others. */
  async gather(buf: Buffer, root: number, opts?: CollectiveOptions): Promise<Buffer[] | undefined> {
    const r = await this.collective(Kind.GATHER, root, 0, buf, opts);
    return this.rank === root ? decodeList(r) : undefined;
  }

  /** Every rank's buffer, in rank order, on every rank. */
  async allgather(buf: Buffer, opts?: CollectiveOptions): Promise<Buffer[]> {
    return decodeList(await this.collective(Kind.ALLGATHER, 0, 0, buf, opts));
  }

  /** min/max/sum of one number per rank, on the root; undefined on the others. */
  async reduce(value: number, op: ReduceOp, root: number, opts?: CollectiveOptions): Promise<number | undefined> {
    const r = await this.collective(Kind.REDUCE, root, OPS[op], f64(value), opts);
    return this.rank === root ? readF64(r, 'reduce result') : undefined;
  }

  /** min/max/sum of one number per rank, on every rank. */
  async allreduce(value: number, op: ReduceOp, opts?: CollectiveOptions): Promise<number> {
    return readF64(await this.collective(Kind.ALLREDUCE, 0, OPS[op], f64(value), opts), 'allreduce result');
  }

  /**
   * End the job now: every rank exits with `code` (MPI_Abort). The message is
   * shown by the other ranks. Resolves never.
   */
  async abort(code: number, message = ''): Promise<never> {
    const msg = encodeMessage({ type: MsgType.ABORT, arg: code, payload: Buffer.from(this.rank === 0 ? JSON.stringify({ from: 0, message }) : message) });
    this.failure ??= new PgError(`rank ${this.rank} called abort(${code})${message ? `: ${message}` : ''}`);
    this.rejectPending(this.failure);
    if (this.rank === 0) await Promise.all([...this.spokes.values()].map((s) => writeAll(s.sock, msg, 2000)));
    else if (this.hubSock) await writeAll(this.hubSock, msg, 2000);
    process.exit(code);
  }

  /**
   * Leave the group (MPI_Finalize): a last barrier, then the connections
   * close; rank 0 removes the socket (and the directory when it made it).
   */
  async finalize(opts?: CollectiveOptions): Promise<void> {
    if (this.finalized) return;
    if (this.size === 1) {
      this.finalized = true;
      return;
    }
    try {
      await this.collective(Kind.FINALIZE, 0, 0, Buffer.alloc(0), opts);
    } finally {
      this.finalized = true;
      await this.close();
    }
  }

  /** Close the connections without the final barrier (after a failure). */
  async close(): Promise<void> {
    this.finalized = true;
    if (this.rank === 0) {
      const end = Date.now() + CLOSE_WAIT_MS;
      while ([...this.spokes.values()].some((s) => !s.sock.destroyed && !s.sock.closed) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      for (const s of this.spokes.values()) s.sock.destroy();
      const srv = this.server;
      this.server = undefined;
      if (srv) await new Promise<void>((r) => srv.close(() => r()));
      try {
        fs.unlinkSync(this.sockPath);
      } catch {
        // already gone
      }
      if (this.createdDir) fs.rmSync(this.dir, { recursive: true, force: true });
    } else if (this.hubSock) {
      const s = this.hubSock;
      await new Promise<void>((resolve) => {
        if (s.destroyed || s.closed) return resolve();
        const t = setTimeout(() => {
          s.destroy();
          resolve();
        }, CLOSE_WAIT_MS);
        s.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        s.end();
      });
    }
  }
}

function connectUnix(p: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: p });
    const t = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      s.destroy();
      reject(e);
    });
  });
}

/** A socket file nobody listens on is left by a job that died: remove it. One that answers belongs to a live job. */
async function removeStaleSocket(p: string): Promise<void> {
  if (!fs.existsSync(p)) return;
  try {
    const s = await connectUnix(p, 1000);
    s.destroy();
  } catch {
    fs.rmSync(p, { force: true });
    return;
  }
  throw new PgError(`another process group already listens on ${p}`, 'two jobs share the rendezvous directory: set DAOS_PG_DIR to a directory of its own for each job');
}
