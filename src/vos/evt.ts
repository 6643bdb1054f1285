/**
 * Extent resolution: which stored extent provides each record index of a
 * range, at a read epoch. Extents are never split when written; reads split
 * them: for every index the newest extent (highest epoch, then the latest
 * write at that epoch) that covers it wins. Holes (punched extents) win like
 * data but provide no records.
 */

export interface Extent {
  /** First record index. */
  start: bigint;
  /** One past the last record index. */
  end: bigint;
  epoch: bigint;
  /** Write order within the pool: breaks ties between writes at one epoch. */
  seq: number;
  hole: boolean;
  /** Record size in bytes (0 for holes). */
  rsize: number;
}

export interface Fragment<E extends Extent = Extent> {
  lo: bigint;
  hi: bigint;
  ext: E;
}

function newerFirst(a: Extent, b: Extent): number {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? -1 : 1;
  return b.seq - a.seq;
}

/**
 * The fragments of [lo, hi) and the extent each comes from, in index order.
 * Indices no extent covers are absent. The extents must already be filtered
 * for visibility (epoch and punches).
 */
export function resolve<E extends Extent>(exts: E[], lo: bigint, hi: bigint): Fragment<E>[] {
  if (lo >= hi || exts.length === 0) return [];
  const sorted = exts.length === 1 ? exts : exts.slice().sort(newerFirst);
  // uncovered pieces, as a flat list [lo0, hi0, lo1, hi1, ...] in index order
  let open: bigint[] = [lo, hi];
  const out: Fragment<E>[] = [];
  for (const x of sorted) {
    if (open.length === 0) break;
    if (x.end <= open[0]! || x.start >= open[open.length - 1]!) continue;
    const next: bigint[] = [];
    for (let i = 0; i < open.length; i += 2) {
      const a = open[i]!;
      const b = open[i + 1]!;
      if (x.end <= a || x.start >= b) {
        next.push(a, b);
        continue;
      }
      const fa = x.start > a ? x.start : a;
      const fb = x.end < b ? x.end : b;
      out.push({ lo: fa, hi: fb, ext: x });
      if (a < fa) next.push(a, fa);
      if (fb < b) next.push(fb, b);
    }
    open = next;
  }
  out.sort((p, q) => (p.lo < q.lo ? -1 : p.lo > q.lo ? 1 : 0));
  return out;
}
