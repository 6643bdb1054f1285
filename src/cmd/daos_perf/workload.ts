/**
 * The I/O pattern of daos_perf and the window of I/Os in flight, shared by
 * the three layers (backends.ts).
 *
 * One pass visits, as the original does: for each dkey of the object
 * (`blade-<n>`), for each akey under it (`walker-<n>`, one counter shared
 * with the dkeys), for each record r of the akey, for each object: one I/O of
 * one iod with one value:
 *  - single value: `-s` bytes; the R records of an akey are R versions of
 *    the same value (the last one wins);
 *  - array (-A): one extent of `-s` one-byte records at index
 *    `indices[r] * -s` (indices 0..R-1, shuffled with -S), as the original's
 *    `iod_size = 1, rx_nr = vsize, rx_idx = indices[r] * vsize`; with -t every
 *    extent starts at 0.
 * In vos mode every I/O has its own epoch, increasing (the same one with -t).
 *
 * Values: every credit (slot) owns an update buffer and a fetch buffer,
 * allocated once. The update buffer holds a pattern made from the seed; an
 * update only writes a stamp into its first 8 bytes, a hash of (rank,
 * object, dkey, akey, record), so that verification can tell every value
 * apart without keeping a copy of what was written.
 */

export interface WorkloadParams {
  rank: number;
  objs: number;
  dkeys: number;
  akeys: number;
  recxs: number;
  vsize: number;
  array: boolean;
  overwrite: boolean;
  shuffle: boolean;
  seed: number;
  /** As given: 0 or negative means one I/O at a time. */
  credits: number;
  /** Whether each I/O carries its own epoch (vos), so the last write of a value is known exactly. */
  epochs: boolean;
}

/** One I/O. */
export interface IoDesc {
  obj: number;
  dkey: Buffer;
  akey: Buffer;
  /** Array: index of the extent's first record; single value: 0. */
  idx: bigint;
  /** vos: the epoch of an update. */
  epoch: bigint;
}

/** A credit: an I/O slot with its own buffers. */
export interface Slot {
  readonly id: number;
  /** The value an update sends (-s bytes). */
  readonly data: Buffer;
  /** Where a fetch lands (-s bytes). */
  readonly sink: Buffer;
}

/** One DAOS layer as daos_perf drives it. */
export interface PerfBackend {
  update(slot: Slot, io: IoDesc): Promise<void>;
  /** The value fetched (a view of slot.sink when possible). */
  fetch(slot: Slot, io: IoDesc): Promise<Buffer>;
  /** Whether fetched data can be compared with what was written (not for echo). */
  readonly verifiable: boolean;
  /** Walk every key and extent of the first object (vos). */
  iterate?(): Promise<void>;
  close(): Promise<void>;
}

export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

export class VerifyError extends Error {
  override name = 'VerifyError';
}

/** xorshift32: the pattern and the shuffle, reproducible from the seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The stamp of one value: 8 bytes from (seed, rank, object, dkey, akey, record). */
export function stampOf(seed: number, rank: number, obj: number, dkey: number, akey: number, rec: number, out: Buffer = Buffer.allocUnsafe(8)): Buffer {
  let h = mix(seed ^ 0x5bd1e995, rank);
  h = mix(h, obj);
  h = mix(h, dkey);
  h = mix(h, akey);
  const lo = mix(h, rec);
  const hi = mix(lo, 0x27d4eb2f);
  out.writeUInt32LE(lo, 0);
  out.writeUInt32LE(hi, 4);
  return out;
}

/** The value pattern of a run: -s bytes from the seed. */
export function patternOf(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  const r = new Rng(seed ^ 0xa5a5a5a5);
  let i = 0;
  for (; i + 4 <= size; i += 4) b.writeUInt32LE(r.next(), i);
  for (; i < size; i++) b[i] = r.next() & 0xff;
  return b;
}

/** Record order within an akey: 0..n-1, shuffled when asked (the same for every pass of a run). */
export function recordOrder(n: number, shuffle: boolean, seed: number, dkey: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  if (shuffle) {
    const r = new Rng(mix(seed, dkey) || 1);
    for (let i = n - 1; i > 0; i--) {
      const j = r.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  return a;
}

/**
 * At most `slots.length` operations in flight; take() waits for a free
 * slot. The first failure is kept and thrown by the next take() or drain(),
 * so a failing run stops issuing I/O at once.
 */
export class CreditWindow {
  private readonly free: Slot[];
  private inflight = 0;
  private waiter?: () => void;
  private error?: unknown;

  constructor(slots: readonly Slot[]) {
    this.free = [...slots].reverse();
  }

  /** A free slot now, or undefined. */
  tryTake(): Slot | undefined {
    if (this.error !== undefined) throw this.error;
    return this.free.pop();
  }

  async take(): Promise<Slot> {
    for (;;) {
      const s = this.tryTake();
      if (s) return s;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** Track an operation running on a slot; the slot is free again when it settles. */
  run(slot: Slot, p: Promise<unknown>): void {
    this.inflight++;
    p.then(
      () => this.release(slot),
      (e: unknown) => {
        this.error ??= e;
        this.release(slot);
      },
    );
  }

  private release(slot: Slot): void {
    this.inflight--;
    this.free.push(slot);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Wait for every operation; throws the first failure. */
  async drain(): Promise<void> {
    while (this.inflight > 0) await new Promise<void>((r) => (this.waiter = r));
    if (this.error !== undefined) throw this.error;
  }

  get inFlight(): number {
    return this.inflight;
  }
}

export class Workload {
  readonly slots: Slot[];
  readonly pattern: Buffer;
  private epoch = 1n;
  private readonly stampLen: number;
  /** Set by a signal handler: the pass stops at the next I/O. */
  stopped = false;

  constructor(
    readonly p: WorkloadParams,
    readonly backend: PerfBackend,
  ) {
    this.pattern = patternOf(p.seed, p.vsize);
    this.stampLen = Math.min(8, p.vsize);
    const n = Math.max(1, p.credits);
    this.slots = Array.from({ length: n }, (_, id) => ({ id, data: Buffer.from(this.pattern), sink: Buffer.alloc(p.vsize) }));
  }

  /** I/Os of one pass on this rank. */
  get iosPerPass(): number {
    return this.p.objs * this.p.dkeys * this.p.akeys * this.p.recxs;
  }

  private extent(order: Uint32Array, r: number): bigint {
    if (!this.p.array || this.p.overwrite) return 0n;
    return BigInt(order[r]) * BigInt(this.p.vsize);
  }

  /** One pass of updates or fetches over every value of this rank. */
  async pass(kind: 'update' | 'fetch'): Promise<void> {
    const { objs, dkeys, akeys, recxs } = this.p;
    const win = new CreditWindow(this.slots);
    const be = this.backend;
    let counter = 0;
    for (let d = 0; d < dkeys; d++) {
      const dkeyNo = counter++;
      const dkey = Buffer.from(`blade-${dkeyNo}`);
      const order = recordOrder(recxs, this.p.shuffle, this.p.seed, d);
      for (let a = 0; a < akeys; a++) {
        const akeyNo = counter++;
        const akey = Buffer.from(`walker-${akeyNo}`);
        for (let r = 0; r < recxs; r++) {
          const idx = this.extent(order, r);
          for (let o = 0; o < objs; o++) {
            if (this.stopped) {
              await win.drain().catch(() => undefined);
              throw new InterruptedError('interrupted');
            }
            const slot = win.tryTake() ?? (await win.take());
            if (kind === 'update') {
              if (this.stampLen >= 8) stampOf(this.p.seed, this.p.rank, o, dkeyNo, akeyNo, r, slot.data);
              else stampOf(this.p.seed, this.p.rank, o, dkeyNo, akeyNo, r).copy(slot.data, 0, 0, this.stampLen);
              const io: IoDesc = { obj: o, dkey, akey, idx, epoch: this.p.overwrite ? 1n : this.epoch++ };
              win.run(slot, be.update(slot, io));
            } else {
              win.run(slot, be.fetch(slot, { obj: o, dkey, akey, idx, epoch: 0n }));
            }
          }
        }
      }
    }
    await win.drain();
  }

  /**
   * Fetch every value again and compare it with what was written (not
   * timed). Where the last write of a value is not known exactly (a single
   * value or -t with several I/Os in flight, whose order the servers may
   * swap), any of the writes that could have been in flight together is
   * accepted. Throws VerifyError naming the first value that differs.
   */
  async verify(): Promise<{ checked: number }> {
    const { objs, dkeys, akeys, recxs, vsize } = this.p;
    const sameSpot = !this.p.array || this.p.overwrite;
    const exact = !sameSpot || (this.p.epochs && !this.p.overwrite) || this.slots.length === 1;
    // Writes of one value issued less than `slots` I/Os apart may be reordered.
    const spread = exact ? 0 : Math.floor((this.slots.length - 1) / objs);
    const win = new CreditWindow(this.slots);
    const tail = this.pattern.subarray(this.stampLen);
    let counter = 0;
    let checked = 0;
    for (let d = 0; d < dkeys; d++) {
      const dkeyNo = counter++;
      const dkey = Buffer.from(`blade-${dkeyNo}`);
      const order = recordOrder(recxs, this.p.shuffle, this.p.seed, d);
      for (let a = 0; a < akeys; a++) {
        const akeyNo = counter++;
        const akey = Buffer.from(`walker-${akeyNo}`);
        const records = sameSpot ? [recxs - 1] : Array.from({ length: recxs }, (_, r) => r);
        for (const r of records) {
          const idx = this.extent(order, r);
          for (let o = 0; o < objs; o++) {
            const slot = win.tryTake() ?? (await win.take());
            const where = `rank ${this.p.rank} object ${o} dkey blade-${dkeyNo} akey walker-${akeyNo}${this.p.array ? ` extent at record ${idx}` : ''}`;
            const check = this.backend.fetch(slot, { obj: o, dkey, akey, idx, epoch: 0n }).then((got) => {
              checked++;
              if (got.length !== vsize) throw new VerifyError(`${where}: fetched ${got.length} bytes, wrote ${vsize}`);
              const head = got.subarray(0, this.stampLen);
              let ok = false;
              for (let k = 0; k <= spread && !ok && r - k >= 0; k++) {
                ok = head.equals(stampOf(this.p.seed, this.p.rank, o, dkeyNo, akeyNo, r - k).subarray(0, this.stampLen));
              }
              if (!ok) throw new VerifyError(`${where}: fetched data differs from what was written (its first ${this.stampLen} bytes are ${head.toString('hex')}; expected record ${r}'s stamp ${stampOf(this.p.seed, this.p.rank, o, dkeyNo, akeyNo, r).subarray(0, this.stampLen).toString('hex')})`);
              if (!got.subarray(this.stampLen).equals(tail)) {
                const body = got.subarray(this.stampLen);
                let i = 0;
                while (i < body.length && body[i] === tail[i]) i++;
                throw new VerifyError(`${where}: fetched data differs from what was written at byte ${i + this.stampLen} (0x${body[i].toString(16).padStart(2, '0')}, expected 0x${tail[i].toString(16).padStart(2, '0')})`);
              }
            });
            win.run(slot, check);
          }
        }
      }
    }
    await win.drain();
    return { checked };
  }
}
