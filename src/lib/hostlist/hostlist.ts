/**
 * Host lists in the Slurm-like syntax dmg `-l` and the control plane use: `node[1-4,7]`,
 * `10.5.1.[2-32]:10001`, `wolf-71,wolf-72`.
 *
 * A `HostList` keeps the ranges in insertion order (the original's "raw" form); a `HostSet` keeps them
 * unique, sorted and merged (the "uniq" form). Both print in the compressed, bracketed form and expand
 * to one name per host.
 *
 * A host is held as prefix + number + suffix, the number zero-padded to a width (the digit count of
 * the range's low end as written). Names without a number are literals and never merge with ranges.
 *
 * NB: identity is by parsed form, as in the original. One name reached through two spellings with
 * different prefixes (`wolf-7[1-2]` and `wolf-71`) is counted twice in a set; `has()` and `expand()`
 * are string-exact either way.
 */
import { compareBytes } from './compare.js';

/** Any error raised while parsing or operating on a host list. */
export class HostListError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HostListError';
  }
}

/**
 * Largest `hi - lo` one bracket range may have: `[0-16384]` (16385 hosts) is accepted, one more is
 * refused. Kept from the original: it bounds what a typo can make us expand.
 */
export const MAX_RANGE_SPAN = 16384;

/** One or more host list specs; array elements are joined as separate entries. */
export type HostSpec = string | readonly string[];

/** A run of hosts `prefix + pad(n, width) + suffix` for n in lo..hi, or a literal name. */
interface HostRange {
  /** For a literal, the whole name. */
  readonly prefix: string;
  readonly suffix: string;
  readonly lo: number;
  readonly hi: number;
  readonly width: number;
  readonly numeric: boolean;
}

// Outside brackets; the reference lists `,`, space and TAB. NB: CR and LF are accepted too, so a
// host file's contents can be passed as a list.
const SEPARATORS = new Set([',', ' ', '\t', '\n', '\r']);

// Plain host patterns, tried in order. A name with a hyphen takes its leading letters, digits and
// hyphens up to the last hyphen as the prefix (HEAD's pattern, so `a-b-1,a-b-2` compresses); the letters-then-digits
// pattern also serves hyphenated names the first one misses (`node1.my-domain.com`). An IPv4 address
// uses its first three octets as the prefix and may only carry a numeric `:port` (HEAD).
const DASHED_HOST = /^([a-zA-Z0-9-]+-)(\d+)?(.*)$/s;
const PLAIN_HOST = /^([a-zA-Z]+)(\d+)?(.*)$/s;
const IPV4_HOST = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)(\d{1,3})((?::\d+)?)$/;
// A hyphenated name with a suffix after its number (`node1-ib`, `wolf-71-ib:10001`): the last digits
// that follow a letter or hyphen and precede a hyphen-led suffix without digits (ports aside).
const LAST_NUMBER_HOST = /^([a-zA-Z][a-zA-Z0-9-]*?[a-zA-Z-])(\d+)(-[^\d:]*(?::\d+)?)$/s;

const RANGES = Symbol('ranges');

function quote(s: string): string {
  return JSON.stringify(s);
}

function digitsOf(n: number): number {
  return String(n).length;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isUint(s: string): boolean {
  return /^\d+$/.test(s) && Number(s) <= Number.MAX_SAFE_INTEGER;
}

function size(r: HostRange): number {
  return r.numeric ? r.hi - r.lo + 1 : 1;
}

function hostAt(r: HostRange, offset: number): string {
  return r.numeric ? r.prefix + pad(r.lo + offset, r.width) + r.suffix : r.prefix;
}

function sameAffixes(a: HostRange, b: HostRange): boolean {
  return a.numeric && b.numeric && a.prefix === b.prefix && a.suffix === b.suffix;
}

/** A range is padded when its low end prints with leading zeros; then only its own width matches it. */
function isPadded(r: HostRange): boolean {
  return r.width > digitsOf(r.lo);
}

/**
 * The width two ranges can share so that both print unchanged, or undefined when none exists:
 * `001-009` and `010-020` share 3; `001-009` and `10-20` share none; `9` and `10-11` share 1.
 */
function commonWidth(a: HostRange, b: HostRange): number | undefined {
  if (isPadded(a) && isPadded(b)) return a.width === b.width ? a.width : undefined;
  if (isPadded(a)) return a.width <= digitsOf(b.lo) ? a.width : undefined;
  if (isPadded(b)) return b.width <= digitsOf(a.lo) ? b.width : undefined;
  return Math.min(a.width, b.width);
}

/** Splits a spec at separators that are not inside brackets; empty entries are dropped. */
function tokenize(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= spec.length; i++) {
    if (i === spec.length || (depth === 0 && SEPARATORS.has(spec.charAt(i)))) {
      if (i > start) out.push(spec.slice(start, i));
      start = i + 1;
      continue;
    }
    const ch = spec.charAt(i);
    if (ch === '[') depth++;
    else if (ch === ']' && depth > 0) depth--;
  }
  return out;
}

/** Parses one bracket element, `7` or `1-16`; the width is the digit count of the low end. */
function parseBracketRange(r: string): { lo: number; hi: number; width: number } {
  const dash = r.indexOf('-');
  const loText = dash < 0 ? r : r.slice(0, dash);
  const hiText = dash < 0 ? r : r.slice(dash + 1);
  for (const x of [loText, hiText]) {
    if (!isUint(x)) throw new HostListError(`invalid range ${quote(r)} (${quote(x)} is not uint)`);
  }
  const lo = Number(loText);
  const hi = Number(hiText);
  if (hi < lo) throw new HostListError(`invalid range ${quote(r)} (${hi} < ${lo})`);
  if (hi - lo > MAX_RANGE_SPAN) throw new HostListError(`invalid range ${quote(r)} (> ${MAX_RANGE_SPAN} hosts)`);
  return { lo, hi, width: loText.length };
}

/**
 * Parses a name without brackets into a one-host range, or a literal when it has no number.
 * NB: when the hyphenated pattern finds no number (`node1-ib`, `wolf-71-ib`), the last run of digits
 * that follows a letter or hyphen is the number, so `node[1-3]-ib` expanded compresses back.
 */
function parseHost(tok: string): HostRange {
  let m = (tok.includes('-') ? DASHED_HOST.exec(tok) : null) ?? PLAIN_HOST.exec(tok) ?? IPV4_HOST.exec(tok);
  if (m !== null && m[2] === undefined && tok.includes('-')) m = LAST_NUMBER_HOST.exec(tok) ?? m;
  if (m === null) throw new HostListError(`invalid hostname ${quote(tok)}`);
  const [, prefix = '', digits, suffix = ''] = m;
  if (digits === undefined) return { prefix: tok, suffix: '', lo: 0, hi: 0, width: 0, numeric: false };
  if (!isUint(digits)) throw new HostListError(`invalid hostname ${quote(tok)}`);
  const n = Number(digits);
  return { prefix, suffix, lo: n, hi: n, width: digits.length, numeric: true };
}

/**
 * Parses one entry: `prefix[ranges]suffix` or a plain name. Several bracket pairs expand as their
 * cartesian product, as Slurm does: `rack[1-2]node[1-2]` → `rack1node[1-2]`, `rack2node[1-2]`.
 * NB: the original took only the first pair and sent `rack1node[1-2]` to the name resolver as it
 * was; the product is bounded like one range (at most MAX_RANGE_SPAN + 1 hosts in all).
 */
function parseToken(tok: string): HostRange[] {
  const open = tok.indexOf('[');
  if (open < 0) return [parseHost(tok)];
  const close = tok.indexOf(']');
  if (close < open) throw new HostListError(`invalid range ${quote(tok)}`);
  // NB: the colon is the original's wording for this one case.
  if (open === 0) throw new HostListError(`invalid range: ${quote(tok)}`);
  const prefix = tok.slice(0, open);
  const suffix = tok.slice(close + 1);
  const ranges = tok
    .slice(open + 1, close)
    .split(',')
    .map((r) => ({ prefix, suffix, ...parseBracketRange(r), numeric: true }));
  if (!suffix.includes('[')) return ranges;
  // More brackets: fix this pair's numbers one by one and parse the rest of the name.
  let outer = 0;
  for (const r of ranges) outer += size(r);
  let inner = 0;
  for (const r of parseToken(hostAt(ranges[0]!, 0))) inner += size(r);
  if (outer * inner > MAX_RANGE_SPAN + 1) throw new HostListError(`invalid range ${quote(tok)} (> ${MAX_RANGE_SPAN} hosts)`);
  const out: HostRange[] = [];
  for (const r of ranges) {
    for (let i = 0; i < size(r); i++) out.push(...parseToken(hostAt(r, i)));
  }
  return out;
}

function parseSpec(spec: HostSpec): HostRange[] {
  const specs: readonly string[] = typeof spec === 'string' ? [spec] : spec;
  return specs.flatMap((s) => tokenize(s).flatMap(parseToken));
}

/** Renders ranges in the compressed form: runs with equal prefix and suffix share one bracket. */
function rangedString(ranges: readonly HostRange[]): string {
  const out: string[] = [];
  for (let i = 0; i < ranges.length; ) {
    const r = ranges[i]!;
    if (!r.numeric) {
      out.push(r.prefix);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < ranges.length && sameAffixes(r, ranges[j]!)) j++;
    if (j === i + 1 && r.lo === r.hi) {
      out.push(hostAt(r, 0));
    } else {
      const inner = ranges
        .slice(i, j)
        .map((x) => (x.lo === x.hi ? pad(x.lo, x.width) : `${pad(x.lo, x.width)}-${pad(x.hi, x.width)}`));
      out.push(`${r.prefix}[${inner.join(',')}]${r.suffix}`);
    }
    i = j;
  }
  return out.join(',');
}

// ---- set algebra -------------------------------------------------------------------------------
//
// For sets, every numeric range is cut into pieces of one "class": the numbers that print with
// leading zeros at width w (class w), and the numbers that print without (class 1). Within a class,
// equal numbers are equal names, so pieces merge and intersect as plain integer intervals.

interface PieceGroup {
  readonly prefix: string;
  readonly suffix: string;
  readonly width: number;
  spans: [number, number][];
}

interface Pieces {
  literals: Set<string>;
  groups: Map<string, PieceGroup>;
}

function collectPieces(ranges: readonly HostRange[]): Pieces {
  const literals = new Set<string>();
  const groups = new Map<string, PieceGroup>();
  const add = (r: HostRange, width: number, lo: number, hi: number): void => {
    const key = JSON.stringify([r.prefix, r.suffix, width]);
    let g = groups.get(key);
    if (g === undefined) {
      g = { prefix: r.prefix, suffix: r.suffix, width, spans: [] };
      groups.set(key, g);
    }
    g.spans.push([lo, hi]);
  };
  for (const r of ranges) {
    if (!r.numeric) {
      literals.add(r.prefix);
    } else if (!isPadded(r)) {
      add(r, 1, r.lo, r.hi);
    } else {
      const unpaddedFrom = 10 ** (r.width - 1);
      add(r, r.width, r.lo, Math.min(r.hi, unpaddedFrom - 1));
      if (r.hi >= unpaddedFrom) add(r, 1, unpaddedFrom, r.hi);
    }
  }
  for (const g of groups.values()) g.spans = mergeSpans(g.spans);
  return { literals, groups };
}

function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * The set order: prefix, then suffix (both by byte order), literals before ranges, then by the low
 * end's printed width and value, so `node[1-2,01]` and `node[10-20,001-009]`.
 */
function compareRanges(a: HostRange, b: HostRange): number {
  return (
    compareBytes(a.prefix, b.prefix) ||
    compareBytes(a.suffix, b.suffix) ||
    (a.numeric === b.numeric ? 0 : a.numeric ? 1 : -1) ||
    Math.max(a.width, digitsOf(a.lo)) - Math.max(b.width, digitsOf(b.lo)) ||
    a.lo - b.lo ||
    a.hi - b.hi
  );
}

function rangesFromPieces(p: Pieces): HostRange[] {
  const out: HostRange[] = [...p.literals].map((name) => ({
    prefix: name,
    suffix: '',
    lo: 0,
    hi: 0,
    width: 0,
    numeric: false,
  }));
  for (const g of p.groups.values()) {
    for (const [lo, hi] of g.spans) out.push({ prefix: g.prefix, suffix: g.suffix, lo, hi, width: g.width, numeric: true });
  }
  out.sort(compareRanges);
  // Re-join a padded piece that ends just below its width's first unpadded number with the unpadded
  // piece that starts there (`001-099` + `100-150` → `001-150`); in set order they are neighbours.
  const joined: HostRange[] = [];
  for (const r of out) {
    const last = joined[joined.length - 1];
    if (
      last !== undefined &&
      sameAffixes(last, r) &&
      isPadded(last) &&
      !isPadded(r) &&
      last.hi + 1 === 10 ** (last.width - 1) &&
      r.lo === last.hi + 1
    ) {
      joined[joined.length - 1] = { ...last, hi: r.hi };
    } else {
      joined.push(r);
    }
  }
  return joined;
}

function normalize(ranges: readonly HostRange[]): HostRange[] {
  return rangesFromPieces(collectPieces(ranges));
}

// ---- lists and sets ----------------------------------------------------------------------------

/** An ordered list of hosts; duplicates are kept. */
export class HostList implements Iterable<string> {
  /** NB: keyed by a module-private symbol so lists and sets can read each other's ranges. */
  [RANGES]: HostRange[] = [];

  /** Number of entries (a list keeps duplicates; a set counts unique hosts). */
  get count(): number {
    let n = 0;
    for (const r of this[RANGES]) n += size(r);
    return n;
  }

  get isEmpty(): boolean {
    return this[RANGES].length === 0;
  }

  /**
   * Appends hosts; a range contiguous with the tail (same prefix, suffix and a compatible width)
   * extends it. Returns how many hosts were added. Nothing is added when any entry is invalid.
   */
  push(spec: HostSpec): number {
    const before = this.count;
    for (const r of parseSpec(spec)) this.append(r);
    return this.count - before;
  }

  /** Same as push. */
  insert(spec: HostSpec): number {
    return this.push(spec);
  }

  protected append(r: HostRange): void {
    const tail = this[RANGES][this[RANGES].length - 1];
    if (tail !== undefined && sameAffixes(tail, r) && tail.hi + 1 === r.lo) {
      const width = commonWidth(tail, r);
      if (width !== undefined) {
        this[RANGES][this[RANGES].length - 1] = { ...tail, hi: r.hi, width };
        return;
      }
    }
    this[RANGES].push(r);
  }

  /** The compressed form, e.g. `node[1-5,7],quack`. */
  toString(): string {
    return rangedString(this[RANGES]);
  }

  toJSON(): string {
    return this.toString();
  }

  /** One name per host, in list order. */
  expand(): string[] {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const r of this[RANGES]) {
      for (let i = 0; i < size(r); i++) yield hostAt(r, i);
    }
  }

  /** Whether `host` (one name, no brackets) is in the list, compared as the expanded name. */
  has(host: string): boolean {
    return this[RANGES].some((r) => rangeHas(r, host));
  }

  /** The host at position `index` of the expanded list. */
  nth(index: number): string {
    const [ri, off] = this.locate(index);
    return hostAt(this[RANGES][ri]!, off);
  }

  /** Removes and returns the host at position `index`. */
  deleteNth(index: number): string {
    const [ri, off] = this.locate(index);
    return this.removeAt(ri, off);
  }

  /** Removes and returns the last host. */
  pop(): string {
    const last = this[RANGES].length - 1;
    if (last < 0) throw new HostListError('hostlist is empty');
    return this.removeAt(last, size(this[RANGES][last]!) - 1);
  }

  /** Removes and returns the first host. */
  shift(): string {
    if (this[RANGES].length === 0) throw new HostListError('hostlist is empty');
    return this.removeAt(0, 0);
  }

  /** Removes and returns the last range (one bracket element or literal). */
  popRange(): this {
    const r = this[RANGES].pop();
    if (r === undefined) throw new HostListError('hostlist is empty');
    return this.withRanges([r]);
  }

  /** Removes and returns the first range. */
  shiftRange(): this {
    const r = this[RANGES].shift();
    if (r === undefined) throw new HostListError('hostlist is empty');
    return this.withRanges([r]);
  }

  /** The hosts present in both, as a set. */
  intersects(other: HostList): HostSet {
    const a = collectPieces(this[RANGES]);
    const b = collectPieces(other[RANGES]);
    const literals = new Set([...a.literals].filter((x) => b.literals.has(x)));
    const groups = new Map<string, PieceGroup>();
    for (const [key, ga] of a.groups) {
      const gb = b.groups.get(key);
      if (gb === undefined) continue;
      const spans = intersectSpans(ga.spans, gb.spans);
      if (spans.length > 0) groups.set(key, { ...ga, spans });
    }
    const out = new HostSet();
    out[RANGES] = rangesFromPieces({ literals, groups });
    return out;
  }

  clone(): this {
    return this.withRanges(this[RANGES]);
  }

  /** An object of the same class holding `ranges`. */
  protected withRanges(ranges: readonly HostRange[]): this {
    const out = new (this.constructor as new () => this)();
    out[RANGES] = [...ranges];
    return out;
  }

  private locate(index: number): [number, number] {
    if (!Number.isInteger(index)) throw new HostListError(`index ${index} is not an integer`);
    if (index < 0) throw new HostListError("index can't be < 0");
    let rest = index;
    for (let i = 0; i < this[RANGES].length; i++) {
      const n = size(this[RANGES][i]!);
      if (rest < n) return [i, rest];
      rest -= n;
    }
    throw new HostListError('index must be < hostCount');
  }

  private removeAt(ri: number, off: number): string {
    const r = this[RANGES][ri]!;
    const host = hostAt(r, off);
    const n = r.lo + off;
    if (size(r) === 1) this[RANGES].splice(ri, 1);
    else if (n === r.lo) this[RANGES][ri] = { ...r, lo: n + 1 };
    else if (n === r.hi) this[RANGES][ri] = { ...r, hi: n - 1 };
    else this[RANGES].splice(ri, 1, { ...r, hi: n - 1 }, { ...r, lo: n + 1 });
    return host;
  }
}

/** Hosts kept unique, sorted by prefix and suffix and merged into the fewest ranges. */
export class HostSet extends HostList {
  /** Adds hosts; returns how many were not already present. Nothing is added when any entry is invalid. */
  override push(spec: HostSpec): number {
    const before = this.count;
    this[RANGES] = normalize([...this[RANGES], ...parseSpec(spec)]);
    return this.count - before;
  }

  /** Adds every host of another list or set; returns how many were new. */
  merge(other: HostList): number {
    const before = this.count;
    this[RANGES] = normalize([...this[RANGES], ...other[RANGES]]);
    return this.count - before;
  }
}

function rangeHas(r: HostRange, host: string): boolean {
  if (!r.numeric) return r.prefix === host;
  if (host.length <= r.prefix.length + r.suffix.length) return false;
  if (!host.startsWith(r.prefix) || !host.endsWith(r.suffix)) return false;
  const mid = host.slice(r.prefix.length, host.length - r.suffix.length);
  if (!isUint(mid)) return false;
  const n = Number(mid);
  return n >= r.lo && n <= r.hi && pad(n, r.width) === mid;
}

function intersectSpans(a: [number, number][], b: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

/** Parses a spec into a list that keeps insertion order and duplicates. */
export function createHostList(spec: HostSpec): HostList {
  const hl = new HostList();
  hl.push(spec);
  return hl;
}

/** Parses a spec into a unique, sorted, merged set. */
export function createHostSet(spec: HostSpec): HostSet {
  const hs = new HostSet();
  hs.push(spec);
  return hs;
}

/** One name per unique host, in set order. */
export function expandHosts(spec: HostSpec): string[] {
  return createHostSet(spec).expand();
}

/** The compressed set form of some hosts, e.g. `['node1', 'node2']` → `node[1-2]`. */
export function compressHosts(hosts: HostSpec): string {
  return createHostSet(hosts).toString();
}

/** Number of unique hosts in a spec. */
export function countHosts(spec: HostSpec): number {
  return createHostSet(spec).count;
}
