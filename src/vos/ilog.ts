/**
 * Incarnation logs: the versions of an object's or a key's existence.
 *
 * An ilog is a short list of entries {epoch, punch?} in ascending epoch order
 * (at one epoch a creation sorts before a punch). An update adds a creation
 * entry unless a creation already covers it (the latest entry at or below its
 * epoch is a creation that no ancestor punch hides); a punch always adds an
 * entry. Stored as 9 bytes per entry: epoch (u64 big-endian), kind (1 create,
 * 2 punch).
 *
 * Visibility at epoch E, given the punch bound B of the ancestors (the latest
 * punch at or below E of the object, and of the dkey for an akey):
 *  - the entity exists iff its latest entry at or below E is a creation at an
 *    epoch >= B;
 *  - what lies below it (children, values) is hidden when written at an epoch
 *    below max(B, own latest punch at or below E).
 */
import type { Epoch } from './types.js';

export interface IlogEntry {
  epoch: Epoch;
  punch: boolean;
}

export const ILOG_ENTRY_SIZE = 9;
const CREATE = 1;
const PUNCH = 2;

export function decodeIlog(buf: Buffer, off: number, end: number = buf.length): IlogEntry[] {
  const out: IlogEntry[] = [];
  for (let p = off; p + ILOG_ENTRY_SIZE <= end; p += ILOG_ENTRY_SIZE) {
    out.push({ epoch: buf.readBigUInt64BE(p), punch: buf[p + 8] === PUNCH });
  }
  return out;
}

export function writeIlog(entries: IlogEntry[], out: Buffer, off: number): number {
  for (const e of entries) {
    out.writeBigUInt64BE(e.epoch, off);
    out[off + 8] = e.punch ? PUNCH : CREATE;
    off += ILOG_ENTRY_SIZE;
  }
  return off;
}

export interface Visibility {
  exists: boolean;
  /** Everything below written at an epoch lower than this is hidden. */
  bound: Epoch;
}

export function visibility(entries: IlogEntry[], e: Epoch, ancestorBound: Epoch): Visibility {
  let latest: IlogEntry | undefined;
  let punch: Epoch | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const x = entries[i]!;
    if (x.epoch > e) continue;
    if (!latest) latest = x;
    if (x.punch) {
      punch = x.epoch;
      break;
    }
  }
  const bound = punch !== undefined && punch > ancestorBound ? punch : ancestorBound;
  return { exists: latest !== undefined && !latest.punch && latest.epoch >= ancestorBound, bound };
}

/** The latest punch at or below e, 0 when there is none. */
export function punchBound(entries: IlogEntry[], e: Epoch): Epoch {
  for (let i = entries.length - 1; i >= 0; i--) {
    const x = entries[i]!;
    if (x.punch && x.epoch <= e) return x.epoch;
  }
  return 0n;
}

export function hasAt(entries: IlogEntry[], e: Epoch, punch: boolean): boolean {
  for (const x of entries) if (x.epoch === e && x.punch === punch) return true;
  return false;
}

/** True when some entry lies in (lo, hi]. */
export function hasEntryIn(entries: IlogEntry[], lo: Epoch, hi: Epoch): boolean {
  for (const x of entries) if (x.epoch > lo && x.epoch <= hi) return true;
  return false;
}

/** True when an update at e needs no new creation entry. */
export function coveredCreate(entries: IlogEntry[], e: Epoch, ancestorBound: Epoch): boolean {
  for (let i = entries.length - 1; i >= 0; i--) {
    const x = entries[i]!;
    if (x.epoch > e) continue;
    return !x.punch && x.epoch >= ancestorBound;
  }
  return false;
}

/** A copy with {epoch, punch} inserted in order; unchanged (same array) when already present. */
export function insertEntry(entries: IlogEntry[], epoch: Epoch, punch: boolean): IlogEntry[] {
  let i = entries.length;
  while (i > 0) {
    const x = entries[i - 1]!;
    if (x.epoch < epoch || (x.epoch === epoch && (!x.punch || punch))) break;
    i--;
  }
  if (i > 0) {
    const x = entries[i - 1]!;
    if (x.epoch === epoch && x.punch === punch) return entries;
  }
  const out = entries.slice();
  out.splice(i, 0, { epoch, punch });
  return out;
}

/**
 * The entries aggregation keeps: every entry at or above upTo, and for each
 * read point r (snapshots below upTo, and upTo) the latest entry and the
 * latest punch at or below r. Reads at those points and at any epoch >= upTo
 * see the same existence and the same bounds as before.
 */
export function compactIlog(entries: IlogEntry[], upTo: Epoch, points: Epoch[]): IlogEntry[] {
  const keep = new Set<number>();
  entries.forEach((x, i) => {
    if (x.epoch >= upTo) keep.add(i);
  });
  for (const r of points) {
    let latest = -1;
    let punch = -1;
    for (let i = entries.length - 1; i >= 0; i--) {
      const x = entries[i]!;
      if (x.epoch > r) continue;
      if (latest < 0) latest = i;
      if (x.punch) {
        punch = i;
        break;
      }
    }
    if (latest >= 0) keep.add(latest);
    if (punch >= 0) keep.add(punch);
  }
  return entries.filter((_, i) => keep.has(i));
}

export function sameIlog(a: IlogEntry[], b: IlogEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.epoch !== b[i]!.epoch || a[i]!.punch !== b[i]!.punch) return false;
  return true;
}
