/**
 * Sets of ranks (uint32 I/O server identities) and their compact text form, `1-3,5-6,8,10`, as
 * later DAOS's ranklist parses and prints them for `--ranks` flags and rank groups.
 */

/** Largest valid rank. */
export const MAX_RANK = 4294967294;
/** The "no rank assigned" value; never a member of a set. */
export const NIL_RANK = 4294967295;

/**
 * Most ranks beyond the first that one `lo-hi` element of a rank list may cover, the same bound as a
 * host list range: it stops a typo from expanding to billions of ranks.
 */
export const MAX_RANK_RANGE_SPAN = 16384;

export class RankListError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RankListError';
  }
}

export function isValidRank(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_RANK;
}

function checkRank(n: number): void {
  if (n === NIL_RANK) throw new RankListError(`invalid rank ${n} (nil rank)`);
  if (!isValidRank(n)) throw new RankListError(`invalid rank ${n} (must be an integer 0..${MAX_RANK})`);
}

/** A set of ranks, held as sorted, disjoint, non-adjacent spans. */
export class RankSet implements Iterable<number> {
  #spans: [number, number][] = [];

  get count(): number {
    let n = 0;
    for (const [lo, hi] of this.#spans) n += hi - lo + 1;
    return n;
  }

  get isEmpty(): boolean {
    return this.#spans.length === 0;
  }

  /** Adds ranks; each must be 0..MAX_RANK. Nothing is added when any is invalid. */
  add(...ranks: number[]): void {
    ranks.forEach(checkRank);
    for (const r of ranks) this.addSpan(r, r);
  }

  /** Adds ranks lo..hi inclusive; both must be 0..MAX_RANK. */
  addRange(lo: number, hi: number): void {
    checkRank(lo);
    checkRank(hi);
    if (hi < lo) throw new RankListError(`invalid rank range ${lo}-${hi} (${hi} < ${lo})`);
    this.addSpan(lo, hi);
  }

  /** Adds every rank of another set. */
  merge(other: RankSet): void {
    for (const [lo, hi] of other.#spans) this.addSpan(lo, hi);
  }

  /** Removes a rank; returns whether it was present. */
  delete(rank: number): boolean {
    const i = this.#spans.findIndex(([lo, hi]) => rank >= lo && rank <= hi);
    if (i < 0) return false;
    const [lo, hi] = this.#spans[i]!;
    const rest: [number, number][] = [];
    if (lo < rank) rest.push([lo, rank - 1]);
    if (rank < hi) rest.push([rank + 1, hi]);
    this.#spans.splice(i, 1, ...rest);
    return true;
  }

  has(rank: number): boolean {
    return this.#spans.some(([lo, hi]) => rank >= lo && rank <= hi);
  }

  /** Every rank, ascending. */
  ranks(): number[] {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<number> {
    for (const [lo, hi] of this.#spans) {
      for (let r = lo; r <= hi; r++) yield r;
    }
  }

  /** The compact form without brackets, e.g. `1-3,5-6,8,10`; empty for an empty set. */
  toString(): string {
    return this.#spans.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
  }

  /**
   * The form dmg prints rank groups in: bracketed when there is more than one rank (`[0-3]`,
   * `[1,5]`), a single rank bare (`2`), and empty for an empty set.
   */
  toBracketString(): string {
    return this.count > 1 ? `[${this.toString()}]` : this.toString();
  }

  clone(): RankSet {
    const out = new RankSet();
    out.#spans = this.#spans.map(([lo, hi]) => [lo, hi]);
    return out;
  }

  /** NB: callers validate lo..hi. Keeps the spans sorted and merges overlapping or adjacent ones. */
  private addSpan(lo: number, hi: number): void {
    const spans = this.#spans;
    let i = 0;
    while (i < spans.length && spans[i]![1] + 1 < lo) i++;
    let j = i;
    while (j < spans.length && spans[j]![0] <= hi + 1) {
      lo = Math.min(lo, spans[j]![0]);
      hi = Math.max(hi, spans[j]![1]);
      j++;
    }
    spans.splice(i, j - i, [lo, hi]);
  }
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function parseElement(e: string): [number, number] {
  const dash = e.indexOf('-');
  const loText = dash < 0 ? e : e.slice(0, dash);
  const hiText = dash < 0 ? e : e.slice(dash + 1);
  for (const x of [loText, hiText]) {
    if (!/^\d+$/.test(x)) throw new RankListError(`invalid range ${quote(e)} (${quote(x)} is not uint)`);
  }
  const lo = Number(loText);
  const hi = Number(hiText);
  for (const r of [lo, hi]) checkRank(r);
  if (hi < lo) throw new RankListError(`invalid range ${quote(e)} (${hi} < ${lo})`);
  if (hi - lo > MAX_RANK_RANGE_SPAN) {
    throw new RankListError(`invalid range ${quote(e)} (> ${MAX_RANK_RANGE_SPAN} ranks)`);
  }
  return [lo, hi];
}

/**
 * Parses `1-3,5,8`, optionally in one pair of brackets (`[0-10]`); `""` and `[]` give an empty set.
 * Duplicates and overlaps are merged. Whitespace and letters are refused outright.
 */
export function createRankSet(spec: string): RankSet {
  if (/\s/.test(spec)) throw new RankListError(`unexpected whitespace character(s) in ${quote(spec)}`);
  if (/[a-zA-Z]/.test(spec)) throw new RankListError(`unexpected alphabetic character(s) in ${quote(spec)}`);
  let body = spec;
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
  if (body.includes('[') || body.includes(']')) throw new RankListError(`invalid rank list ${quote(spec)}`);
  const out = new RankSet();
  if (body === '') return out;
  for (const e of body.split(',')) {
    const [lo, hi] = parseElement(e);
    out.addRange(lo, hi);
  }
  return out;
}

/** A set holding the given ranks. */
export function rankSetFromRanks(ranks: Iterable<number>): RankSet {
  const list = [...ranks];
  list.forEach(checkRank);
  const out = new RankSet();
  for (const r of list) out.addRange(r, r);
  return out;
}
