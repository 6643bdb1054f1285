/**
 * The pool map (data-plane §3.1, §3.2): root → fault domains → nodes (one per rank) → targets.
 *
 * DESIGN: a fault domain is a host, holding one node per I/O server rank on it, so replicas go to
 * distinct hosts. (v0.8 made one domain per rank, which puts two replicas on one host when a host
 * runs two I/O servers.) With one rank per host this is exactly v0.8's map.
 *
 * A PoolMap is immutable: state changes return a new map with a higher version, so a map version
 * names one map and cached layouts can be checked against it.
 *
 * Target states: NEW (being added) · UP (healthy, not integrated) · UPIN (in use) · DOWN (failed,
 * data may need rebuilding) · DOWNOUT (failed, rebuild done). Legal changes, per target:
 *   exclude     UP | UPIN → DOWN       version += 1 per target; fseq = new version
 *   excludeOut  DOWN → DOWNOUT         version += 1 per target; fseq unchanged
 *   add         NEW | DOWN | DOWNOUT → UPIN   version += 1 per target; fseq = 1
 * A target already in the goal state (or not in a source state) is left alone and costs no version.
 */

import { DaosError, DER } from './errors.js';
import { crc64EcmaRefl } from './hash.js';

export const CompType = { UNKNOWN: 0, ROOT: 1, RACK: 10, BLADE: 20, BOARD: 30, NODE: 40, TARGET: 50 } as const;
export type CompType = (typeof CompType)[keyof typeof CompType];

export const CompStatus = { UNKNOWN: 0, NEW: 1, UP: 2, UPIN: 4, DOWN: 8, DOWNOUT: 16 } as const;
export type CompStatus = (typeof CompStatus)[keyof typeof CompStatus];

const STATUS_NAMES: Record<number, string> = { 0: 'UNKNOWN', 1: 'NEW', 2: 'UP', 4: 'UP_IN', 8: 'DOWN', 16: 'DOWN_OUT' };
const TYPE_NAMES: Record<number, string> = { 0: 'unknown', 1: 'root', 10: 'rack', 20: 'blade', 30: 'board', 40: 'node', 50: 'target' };

/** 'UP_IN', 'DOWN_OUT', ... as the original prints states. */
export function statusName(s: number): string {
  return STATUS_NAMES[s] ?? 'UNKNOWN';
}

export function compTypeName(t: number): string {
  return TYPE_NAMES[t] ?? 'unknown';
}

/** A rank of no one (CaRT's CRT_NO_RANK): the rank field of the root and of domains. */
export const NO_RANK = 0xffffffff;

export interface Component {
  readonly type: CompType;
  readonly status: CompStatus;
  /** For a target, its index inside its node (rank). */
  readonly index: number;
  /** Unique within its type; targets are numbered node by node. */
  readonly id: number;
  readonly rank: number;
  /** Map version in which the component was added. */
  readonly ver: number;
  /** Failure sequence: the map version at which it went DOWN (1 initially). */
  readonly fseq: number;
  /** Children: nodes of a domain, targets of a node, 1 for a target. */
  readonly nr: number;
}

export interface DomainComp extends Component {
  /** The host name. */
  readonly name: string;
  /** Position of its first node in `nodes`; its nodes are contiguous. */
  readonly firstNode: number;
}

export interface NodeComp extends Component {
  /** Position of the owning domain in `domains`. */
  readonly domain: number;
  /** ID of its first target; its targets are contiguous. */
  readonly firstTarget: number;
}

export interface TargetComp extends Component {
  /** Position of the owning node in `nodes`. */
  readonly node: number;
}

export interface PoolMap {
  readonly version: number;
  readonly root: Component;
  readonly domains: readonly DomainComp[];
  readonly nodes: readonly NodeComp[];
  /** Indexed by target ID. */
  readonly targets: readonly TargetComp[];
}

export interface PoolMapDesc {
  version?: number;
  domains: { name: string; ranks: { rank: number; targets: number }[] }[];
}

/** A target named as in an exclude request: `target` undefined or -1 means every target of the rank. */
export interface TargetRef {
  rank: number;
  target?: number;
}

const MAX_TARGETS_PER_RANK = 0xffff;
const MAX_INDEX = 0xffff;
const MAX_NAME_BYTES = 0xffff;

function inval(detail: string, hint?: string): DaosError {
  return new DaosError(-DER.INVAL, detail, hint ? { hint } : undefined);
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function freeze(m: PoolMap): PoolMap {
  Object.freeze(m.domains);
  Object.freeze(m.nodes);
  Object.freeze(m.targets);
  return Object.freeze(m);
}

/**
 * The map at pool creation: everything UPIN with ver = fseq = 1 (or the given version). Domain i has
 * id i, a node has the id of its rank, targets are numbered node by node in description order.
 */
export function buildPoolMap(desc: PoolMapDesc): PoolMap {
  const version = desc.version ?? 1;
  if (!isU32(version) || version < 1) throw inval(`pool map version ${version} must be 1..2^32-1`);
  if (!Array.isArray(desc.domains) || desc.domains.length === 0) {
    throw inval('a pool map needs at least one fault domain', 'create the pool on at least one rank');
  }
  const rankCount = desc.domains.reduce((s, d) => s + (Array.isArray(d.ranks) ? d.ranks.length : 0), 0);
  if (desc.domains.length > MAX_INDEX || rankCount > MAX_INDEX) throw inval(`a pool map holds at most ${MAX_INDEX} fault domains and ranks`);
  const domains: DomainComp[] = [];
  const nodes: NodeComp[] = [];
  const targets: TargetComp[] = [];
  const names = new Set<string>();
  const ranks = new Set<number>();
  for (const [di, d] of desc.domains.entries()) {
    if (typeof d.name !== 'string' || d.name.length === 0) throw inval(`fault domain ${di} has no name`);
    if (Buffer.byteLength(d.name) > MAX_NAME_BYTES) throw inval(`fault domain name ${JSON.stringify(d.name.slice(0, 40))}… is too long`);
    if (names.has(d.name)) throw inval(`fault domain ${JSON.stringify(d.name)} appears twice`);
    names.add(d.name);
    if (!Array.isArray(d.ranks) || d.ranks.length === 0) throw inval(`fault domain ${JSON.stringify(d.name)} has no ranks`);
    domains.push({
      type: CompType.RACK, status: CompStatus.UPIN, index: di, id: di, rank: NO_RANK,
      ver: version, fseq: 1, nr: d.ranks.length, name: d.name, firstNode: nodes.length,
    });
    for (const r of d.ranks) {
      if (!isU32(r.rank) || r.rank === NO_RANK) throw inval(`rank ${r.rank} of ${JSON.stringify(d.name)} is not a valid rank`);
      if (ranks.has(r.rank)) throw inval(`rank ${r.rank} appears twice in the pool map`);
      ranks.add(r.rank);
      if (!Number.isInteger(r.targets) || r.targets < 1 || r.targets > MAX_TARGETS_PER_RANK) {
        throw inval(`rank ${r.rank} has ${r.targets} targets; it needs 1..${MAX_TARGETS_PER_RANK}`, "set 'targets' of the I/O server in daos_server.yml");
      }
      const node = nodes.length;
      nodes.push({
        type: CompType.NODE, status: CompStatus.UPIN, index: node, id: r.rank, rank: r.rank,
        ver: version, fseq: 1, nr: r.targets, domain: di, firstTarget: targets.length,
      });
      for (let j = 0; j < r.targets; j++) {
        targets.push({ type: CompType.TARGET, status: CompStatus.UPIN, index: j, id: targets.length, rank: r.rank, ver: version, fseq: 1, nr: 1, node });
      }
    }
  }
  const root: Component = { type: CompType.ROOT, status: CompStatus.UPIN, index: 0, id: 0, rank: NO_RANK, ver: version, fseq: 1, nr: domains.length };
  return freeze({ version, root, domains, nodes, targets });
}

// ---------------------------------------------------------------------------------------------
// Queries

/** DOWN or DOWNOUT. */
export function isUnavailable(status: number): boolean {
  return status === CompStatus.DOWN || status === CompStatus.DOWNOUT;
}

export function targetById(map: PoolMap, id: number): TargetComp | undefined {
  return map.targets[id];
}

export function nodeOfRank(map: PoolMap, rank: number): NodeComp | undefined {
  return map.nodes.find((n) => n.rank === rank);
}

export function targetsOfRank(map: PoolMap, rank: number): readonly TargetComp[] {
  const n = nodeOfRank(map, rank);
  return n ? map.targets.slice(n.firstTarget, n.firstTarget + n.nr) : [];
}

/** The fault domain holding a target. */
export function domainOfTarget(map: PoolMap, id: number): DomainComp | undefined {
  const t = map.targets[id];
  return t ? map.domains[map.nodes[t.node]!.domain] : undefined;
}

export function ranksOf(map: PoolMap): number[] {
  return map.nodes.map((n) => n.rank);
}

export interface TargetCounts {
  total: number;
  /** DOWN or DOWNOUT. */
  disabled: number;
}

export function targetCounts(map: PoolMap): TargetCounts {
  let disabled = 0;
  for (const t of map.targets) if (isUnavailable(t.status)) disabled++;
  return { total: map.targets.length, disabled };
}

/** Split refs into the targets they name and the refs naming nothing (v0.8's pto_addr_list). */
export function findTargets(map: PoolMap, refs: readonly TargetRef[]): { found: TargetComp[]; notFound: TargetRef[] } {
  const found: TargetComp[] = [];
  const seen = new Set<number>();
  const notFound: TargetRef[] = [];
  for (const ref of refs) {
    const node = nodeOfRank(map, ref.rank);
    const all = ref.target === undefined || ref.target === -1;
    if (!node || (!all && (!Number.isInteger(ref.target) || ref.target! < 0 || ref.target! >= node.nr))) {
      notFound.push(ref);
      continue;
    }
    const idx = all ? [...Array(node.nr).keys()] : [ref.target!];
    for (const j of idx) {
      const t = map.targets[node.firstTarget + j]!;
      if (!seen.has(t.id)) {
        seen.add(t.id);
        found.push(t);
      }
    }
  }
  return { found, notFound };
}

// ---------------------------------------------------------------------------------------------
// State changes

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function refName(r: TargetRef): string {
  return r.target === undefined || r.target === -1 ? `rank ${r.rank} (all targets)` : `rank ${r.rank} target ${r.target}`;
}

/**
 * Apply `step` to each named target in order; each target it changes bumps the version once.
 * NB: all or nothing: a ref naming no target refuses the whole request (-DER_NONEXIST), where v0.8
 * changed the others and listed the unknown ones; use findTargets first to get v0.8's behaviour.
 */
function update(map: PoolMap, refs: readonly TargetRef[], step: (t: Mutable<TargetComp>, ver: number) => boolean): PoolMap {
  const { found, notFound } = findTargets(map, refs);
  if (notFound.length) {
    throw new DaosError(-DER.NONEXIST, `${notFound.map(refName).join(', ')}: not in the pool map (version ${map.version})`, {
      hint: 'check the rank and target index against dmg pool query / dmg system query',
    });
  }
  let version = map.version;
  let targets: Mutable<TargetComp>[] | undefined;
  for (const t0 of found) {
    targets ??= map.targets.map((t) => ({ ...t }));
    const t = targets[t0.id]!;
    if (step(t, version + 1)) version++;
  }
  if (!targets || version === map.version) return map;
  if (version > 0xffffffff) throw inval(`pool map version would pass 2^32-1`);
  // A node (and a domain) follows its targets: DOWN/DOWNOUT when all are, UPIN again when one is back.
  const nodes = map.nodes.map((n) => ({ ...n }) as Mutable<NodeComp>);
  for (const n of nodes) rollUp(n, targets.slice(n.firstTarget, n.firstTarget + n.nr));
  const domains = map.domains.map((d) => ({ ...d }) as Mutable<DomainComp>);
  for (const d of domains) rollUp(d, nodes.slice(d.firstNode, d.firstNode + d.nr));
  return freeze({ version, root: map.root, domains, nodes, targets });
}

function rollUp(parent: Mutable<Component>, children: readonly Component[]): void {
  const unavailable = children.filter((c) => isUnavailable(c.status));
  if (unavailable.length === children.length) {
    const status = children.every((c) => c.status === CompStatus.DOWNOUT) ? CompStatus.DOWNOUT : CompStatus.DOWN;
    if (!isUnavailable(parent.status)) parent.fseq = children.reduce((m, c) => Math.max(m, c.fseq), 1);
    parent.status = status;
  } else if (isUnavailable(parent.status)) {
    parent.status = CompStatus.UPIN;
    parent.fseq = 1;
  }
}

/** Exclude (POOL_EXCLUDE): UP/UPIN → DOWN; each excluded target gets its own version as fseq. */
export function excludeTargets(map: PoolMap, refs: readonly TargetRef[]): PoolMap {
  return update(map, refs, (t, ver) => {
    if (t.status !== CompStatus.UP && t.status !== CompStatus.UPIN) return false;
    t.status = CompStatus.DOWN;
    t.fseq = ver;
    return true;
  });
}

/** Exclude-out (POOL_EXCLUDE_OUT, when rebuild finishes): DOWN → DOWNOUT, fseq kept. */
export function excludeOut(map: PoolMap, refs: readonly TargetRef[]): PoolMap {
  return update(map, refs, (t) => {
    if (t.status !== CompStatus.DOWN) return false;
    t.status = CompStatus.DOWNOUT;
    return true;
  });
}

/**
 * Add / reintegrate (POOL_ADD): anything but UP/UPIN → UPIN with fseq reset to 1.
 * NB: as v0.8 no data moves here; reintegration rebuild is the caller's business.
 */
export function addTargets(map: PoolMap, refs: readonly TargetRef[]): PoolMap {
  return update(map, refs, (t) => {
    if (t.status === CompStatus.UP || t.status === CompStatus.UPIN) return false;
    t.status = CompStatus.UPIN;
    t.fseq = 1;
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Binary form
//
// Ours, not v0.8's pool_buf (which had no names and an unused checksum). Little-endian:
//   0  magic "DPMAP\0\0\1" (8 bytes; the last byte is the format version)
//   8  total length u32 (whole buffer)      12 map version u32
//  16  domain count u32  20 node count u32  24 target count u32  28 names length u32
//  32  CRC-64 (crc64_ecma_refl, seed 0) of bytes [40, end) u64
//  40  components, 24 bytes each: domains, then nodes, then targets:
//        type u8, status u8, index u16, id u32, rank u32, ver u32, fseq u32, nr u32
//      then the domain names, each u16 length + UTF-8 bytes.
// The root is implicit. Positions (firstNode, firstTarget, ...) follow from the counts.

const MAGIC = Buffer.from('DPMAP\0\0', 'latin1');
export const POOL_MAP_FORMAT = 1;
const HDR = 40;
const COMP = 24;

export function encodePoolMap(map: PoolMap): Buffer {
  const names = map.domains.map((d) => Buffer.from(d.name, 'utf8'));
  const namesLen = names.reduce((s, n) => s + 2 + n.length, 0);
  const comps = map.domains.length + map.nodes.length + map.targets.length;
  const total = HDR + comps * COMP + namesLen;
  const b = Buffer.alloc(total);
  MAGIC.copy(b, 0);
  b.writeUInt8(POOL_MAP_FORMAT, 7);
  b.writeUInt32LE(total, 8);
  b.writeUInt32LE(map.version, 12);
  b.writeUInt32LE(map.domains.length, 16);
  b.writeUInt32LE(map.nodes.length, 20);
  b.writeUInt32LE(map.targets.length, 24);
  b.writeUInt32LE(namesLen, 28);
  let off = HDR;
  for (const c of [...map.domains, ...map.nodes, ...map.targets] as Component[]) {
    b.writeUInt8(c.type, off);
    b.writeUInt8(c.status, off + 1);
    b.writeUInt16LE(c.index, off + 2);
    b.writeUInt32LE(c.id, off + 4);
    b.writeUInt32LE(c.rank, off + 8);
    b.writeUInt32LE(c.ver, off + 12);
    b.writeUInt32LE(c.fseq, off + 16);
    b.writeUInt32LE(c.nr, off + 20);
    off += COMP;
  }
  for (const n of names) {
    b.writeUInt16LE(n.length, off);
    n.copy(b, off + 2);
    off += 2 + n.length;
  }
  b.writeBigUInt64LE(crc64EcmaRefl(0n, b.subarray(HDR)), 32);
  return b;
}

const VALID_STATUS = new Set<number>([CompStatus.NEW, CompStatus.UP, CompStatus.UPIN, CompStatus.DOWN, CompStatus.DOWNOUT]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode and check a buffer from encodePoolMap; anything malformed is a DaosError, never a crash. */
export function decodePoolMap(buf: Uint8Array): PoolMap {
  const bad = (why: string): never => {
    throw new DaosError(-DER.INVAL, `pool map buffer of ${buf.length} bytes: ${why}`, {
      hint: 'the map was corrupted in storage or in flight; fetch it again from the pool service',
    });
  };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HDR) bad(`shorter than the ${HDR}-byte header`);
  if (!b.subarray(0, 7).equals(MAGIC)) bad('bad magic (not a pool map)');
  if (b[7] !== POOL_MAP_FORMAT) {
    throw new DaosError(-DER.DF_INCOMPT, `pool map format ${b[7]} is not supported (this build reads format ${POOL_MAP_FORMAT})`);
  }
  const total = b.readUInt32LE(8);
  if (total !== b.length) bad(`header says ${total} bytes`);
  const version = b.readUInt32LE(12);
  const nd = b.readUInt32LE(16);
  const nn = b.readUInt32LE(20);
  const nt = b.readUInt32LE(24);
  const namesLen = b.readUInt32LE(28);
  if (HDR + (nd + nn + nt) * COMP + namesLen !== total) bad(`counts (${nd} domains, ${nn} nodes, ${nt} targets, ${namesLen} name bytes) do not add up to the length`);
  if (b.readBigUInt64LE(32) !== crc64EcmaRefl(0n, b.subarray(HDR))) bad('checksum mismatch');
  if (version < 1) bad('map version 0');
  if (nd < 1) bad('no fault domains');

  const comp = (i: number, type: CompType, what: string): Mutable<Component> => {
    const off = HDR + i * COMP;
    const c = {
      type: b[off] as CompType, status: b[off + 1] as CompStatus, index: b.readUInt16LE(off + 2), id: b.readUInt32LE(off + 4),
      rank: b.readUInt32LE(off + 8), ver: b.readUInt32LE(off + 12), fseq: b.readUInt32LE(off + 16), nr: b.readUInt32LE(off + 20),
    };
    if (c.type !== type) bad(`${what} has type ${c.type}, expected ${type} (${compTypeName(type)})`);
    if (!VALID_STATUS.has(c.status)) bad(`${what} has an unknown status ${c.status}`);
    if (c.ver < 1 || c.ver > version) bad(`${what} was added in version ${c.ver}, outside 1..${version}`);
    if (c.fseq < 1 || c.fseq > version) bad(`${what} has failure sequence ${c.fseq}, outside 1..${version}`);
    return c;
  };

  const domains: DomainComp[] = [];
  let off = HDR + (nd + nn + nt) * COMP;
  const names = new Set<string>();
  let nodeSum = 0;
  for (let i = 0; i < nd; i++) {
    const c = comp(i, CompType.RACK, `domain ${i}`);
    if (c.id !== i || c.index !== i) bad(`domain ${i} has id ${c.id} / index ${c.index}`);
    if (c.nr < 1) bad(`domain ${i} has no nodes`);
    if (off + 2 > b.length) bad(`name of domain ${i} runs past the end`);
    const len = b.readUInt16LE(off);
    if (len === 0 || off + 2 + len > b.length) bad(`name of domain ${i} has a bad length ${len}`);
    let name = '';
    try {
      name = utf8.decode(b.subarray(off + 2, off + 2 + len));
    } catch {
      bad(`name of domain ${i} is not UTF-8`);
    }
    if (names.has(name)) bad(`domain name ${JSON.stringify(name)} appears twice`);
    names.add(name);
    off += 2 + len;
    domains.push({ ...c, name, firstNode: nodeSum });
    nodeSum += c.nr;
  }
  if (off !== b.length) bad('bytes left after the names');
  if (nodeSum !== nn) bad(`domains hold ${nodeSum} nodes, the header says ${nn}`);

  const nodes: NodeComp[] = [];
  const ranks = new Set<number>();
  let targetSum = 0;
  for (let i = 0, d = 0; i < nn; i++) {
    while (i >= domains[d]!.firstNode + domains[d]!.nr) d++;
    const c = comp(nd + i, CompType.NODE, `node ${i}`);
    if (c.id !== c.rank || c.index !== i || c.rank === NO_RANK) bad(`node ${i} has id ${c.id}, rank ${c.rank}, index ${c.index}`);
    if (ranks.has(c.rank)) bad(`rank ${c.rank} appears twice`);
    ranks.add(c.rank);
    if (c.nr < 1 || c.nr > MAX_TARGETS_PER_RANK) bad(`node ${i} has ${c.nr} targets`);
    nodes.push({ ...c, domain: d, firstTarget: targetSum });
    targetSum += c.nr;
  }
  if (targetSum !== nt) bad(`nodes hold ${targetSum} targets, the header says ${nt}`);

  const targets: TargetComp[] = [];
  for (let i = 0, n = 0; i < nt; i++) {
    while (i >= nodes[n]!.firstTarget + nodes[n]!.nr) n++;
    const node = nodes[n]!;
    const c = comp(nd + nn + i, CompType.TARGET, `target ${i}`);
    if (c.id !== i || c.index !== i - node.firstTarget || c.rank !== node.rank || c.nr !== 1) {
      bad(`target ${i} has id ${c.id}, index ${c.index}, rank ${c.rank}; expected index ${i - node.firstTarget} of rank ${node.rank}`);
    }
    targets.push({ ...c, node: n });
  }
  const ver = domains.reduce((m, d) => Math.min(m, d.ver), version);
  const root: Component = { type: CompType.ROOT, status: CompStatus.UPIN, index: 0, id: 0, rank: NO_RANK, ver, fseq: 1, nr: nd };
  return freeze({ version, root, domains, nodes, targets });
}
