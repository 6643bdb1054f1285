/**
 * Hybrid logical clock, v0.8 format (data-plane §4.1): the upper 48 bits are Unix-epoch nanoseconds
 * with the low 16 bits cleared (a ~65.5 µs tick), the lower 16 bits a logical counter. Epochs are
 * HLC values; every RPC header carries the sender's HLC and the receiver merges it.
 *
 * NB: v0.8 had no skew limit. As v1.2 does, merge refuses a remote time more than `epsilonNs`
 * (default 1 s) ahead of the local clock with -DER_HLC_SYNC; `epsilonNs: null` gives v0.8's
 * behaviour. Unlike v1.2 the epsilon is not rounded, since our unit is the nanosecond.
 */

import { DaosError, DER } from './errors.js';

/** The logical counter bits. */
export const HLC_MASK = 0xffffn;
const PHYS = ~HLC_MASK & 0xffffffffffffffffn;
const MAX = 0xffffffffffffffffn;

/** Unix-epoch nanoseconds now. */
export type NsClock = () => bigint;

/** Wall-clock nanoseconds (CLOCK_REALTIME) at microsecond resolution. */
export const realtimeNs: NsClock = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;

export interface HlcOptions {
  /** Injectable clock (tests); defaults to the wall clock. */
  clock?: NsClock;
  /** Largest accepted lead of a remote HLC over the local clock; null for no limit (v0.8). */
  epsilonNs?: bigint | null;
  /** Start from this HLC (e.g. the last one persisted). */
  last?: bigint;
}

/** The physical part of an HLC: nanoseconds with the low 16 bits cleared. */
export function hlcPhysical(h: bigint): bigint {
  return h & PHYS;
}

/** The logical counter of an HLC. */
export function hlcLogical(h: bigint): number {
  return Number(h & HLC_MASK);
}

/** Seconds since the Unix epoch (crt_hlc2sec). */
export function hlcToSeconds(h: bigint): number {
  return Number(hlcPhysical(h)) / 1e9;
}

/** The wall-clock time of an HLC, to the millisecond. */
export function hlcToDate(h: bigint): Date {
  return new Date(Number(hlcPhysical(h) / 1_000_000n));
}

/** `2020-01-02T03:04:05.123456768Z #3`: the physical time to the nanosecond, then the logical counter. */
export function hlcToString(h: bigint): string {
  const p = hlcPhysical(h);
  const iso = new Date(Number(p / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${iso}.${(p % 1_000_000_000n).toString().padStart(9, '0')}Z #${hlcLogical(h)}`;
}

/** An HLC for a wall-clock time in nanoseconds, logical counter 0. */
export function hlcFromNs(ns: bigint): bigint {
  return ns & PHYS;
}

export class Hlc {
  private last: bigint;
  private readonly clock: NsClock;
  readonly epsilonNs: bigint | null;

  constructor(opts: HlcOptions = {}) {
    this.clock = opts.clock ?? realtimeNs;
    this.epsilonNs = opts.epsilonNs === undefined ? 1_000_000_000n : opts.epsilonNs;
    this.last = opts.last ?? 0n;
  }

  physical(h: bigint): bigint {
    return hlcPhysical(h);
  }

  /** The last HLC handed out (0 before the first). */
  get current(): bigint {
    return this.last;
  }

  private pt(): { raw: bigint; pt: bigint } {
    const raw = this.clock();
    return { raw, pt: raw & PHYS };
  }

  private set(h: bigint): bigint {
    if (h > MAX) throw new DaosError(-DER.OVERFLOW, 'hlc passed 2^64-1');
    this.last = h;
    return h;
  }

  /** A local event (crt_hlc_get): the clock tick if it moved past the last HLC, else last + 1. */
  now(): bigint {
    const { pt } = this.pt();
    return this.set(hlcPhysical(this.last) < pt ? pt : this.last + 1n);
  }

  /**
   * A received HLC (crt_hlc_get_msg): the result is above both the local last HLC and `remote`.
   * DaosError(-DER_HLC_SYNC) when the remote physical time leads the local clock by more than
   * epsilon; the message says by how much, the caller adds who sent it (DaosError.withContext).
   */
  merge(remote: bigint): bigint {
    if (remote < 0n || remote > MAX) throw new DaosError(-DER.INVAL, `hlc ${remote} is not an unsigned 64-bit value`);
    const { raw, pt } = this.pt();
    const ml = hlcPhysical(remote);
    if (this.epsilonNs !== null && ml - raw > this.epsilonNs) {
      const ahead = ml - raw;
      throw new DaosError(
        -DER.HLC_SYNC,
        `remote hlc ${hlcToString(remote)} is ${ahead} ns (${fmtSeconds(ahead)}) ahead of the local clock; at most ${this.epsilonNs} ns is allowed`,
      );
    }
    const h = this.last;
    const hp = hlcPhysical(h);
    if (hp < ml) return this.set(ml < pt ? pt : remote + 1n);
    if (hp < pt) return this.set(pt);
    if (pt <= ml) return this.set((h > remote ? h : remote) + 1n);
    return this.set(h + 1n);
  }
}

function fmtSeconds(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${s}${frac ? '.' + frac : ''} s`;
}
