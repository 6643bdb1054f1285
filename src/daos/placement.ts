/**
 * Jump-map placement (data-plane §3.4): where each shard of an object lives, computed from the OID,
 * its class and the pool map alone, so clients and servers agree without asking anyone.
 *
 * The algorithm is v0.8's, step for step, with this map's tree: root → fault domains (hosts) →
 * nodes (ranks) → targets. The node level is an inner level like the domain level; with one rank
 * per host it has one child and changes nothing, which makes the result v0.8's.
 */

import { DaosError, DER } from './errors.js';
import { Key64 } from './hash.js';
import { classById, type ObjectClass, type ObjectClassId, REPL_MAX, Resilience } from './oclass.js';
import { formatOid, oidClass, type Oid } from './oid.js';
import { CompStatus, isUnavailable, type PoolMap, type TargetComp } from './poolmap.js';

export interface LayoutShard {
  readonly shard: number;
  /** Target ID, or -1 when the shard has no target (degraded). */
  readonly target: number;
  /** Rank of the target, -1 with no target. */
  readonly rank: number;
  /** Index of the target within its rank, -1 with no target. */
  readonly targetIndex: number;
  readonly fseq: number;
  /** The target is a spare standing in for a DOWN one: updates go here, reads skip it. */
  readonly rebuilding: boolean;
}

export interface Layout {
  /** Pool map version the layout was computed from. */
  readonly ver: number;
  readonly grpNr: number;
  readonly grpSize: number;
  readonly shards: readonly LayoutShard[];
}

const M64 = 0xffffffffffffffffn;

interface RemapEntry {
  shard: number;
  fseq: number;
  status: number;
}

/** The per-object walk state: used marks over domain slots (root 0, domains, nodes) and targets. */
class Walker {
  private readonly D: number;
  private readonly domUsed: Uint8Array;
  private readonly tgtUsed: Uint8Array;
  private readonly key = new Key64();
  private readonly k = new Key64();
  /** The failure counter of the current descent. NB: one for the whole descent (the reference names a single `fail`). */
  private fail = 0;

  constructor(private readonly map: PoolMap) {
    this.D = map.domains.length;
    this.domUsed = new Uint8Array(1 + this.D + map.nodes.length);
    this.tgtUsed = new Uint8Array(map.targets.length);
  }

  /** Clear the used marks of the fault domains (the per-group reset). */
  resetDomains(): void {
    this.domUsed.fill(0, 1, 1 + this.D);
  }

  /**
   * Pick among `n` children whose used marks are domUsed[base .. base+n): clear them when all are
   * used, then JCH with k = key, then k = CRC(k, fail++) after each miss.
   */
  private pickChild(base: number, n: number): number {
    const used = this.domUsed;
    let all = true;
    for (let i = 0; i < n; i++) if (!used[base + i]) { all = false; break; }
    if (all) used.fill(0, base, base + n);
    const k = this.k.set(this.key);
    for (;;) {
      const i = k.jch(n);
      if (!used[base + i]) {
        used[base + i] = 1;
        return i;
      }
      k.crc(this.fail++);
    }
  }

  /** get_target of §3.4: one target for shard `shardNum` from the object key. */
  getTarget(key0: Key64, shardNum: number): TargetComp {
    const map = this.map;
    const key = this.key.set(key0).crc(shardNum);
    this.fail = 0;
    const di = this.pickChild(1, this.D);
    const dom = map.domains[di]!;
    key.crc(dom.id);
    const ni = this.pickChild(1 + this.D + dom.firstNode, dom.nr);
    const node = map.nodes[dom.firstNode + ni]!;
    key.crc(node.id);
    // Leaf: targets of the node, marked by target ID.
    const used = this.tgtUsed;
    const first = node.firstTarget;
    let all = true;
    for (let j = 0; j < node.nr; j++) if (!used[first + j]) { all = false; break; }
    if (all) used.fill(0, first, first + node.nr);
    for (;;) {
      key.crc(this.fail++);
      const j = key.jch(node.nr);
      if (!used[first + j]) {
        used[first + j] = 1;
        return map.targets[first + j]!;
      }
    }
  }
}

function resolveClass(oid: Oid, cls?: ObjectClass | ObjectClassId): ObjectClass {
  if (cls === undefined) return classById(oidClass(oid));
  return typeof cls === 'number' ? classById(cls) : cls;
}

/** Replicas per group of a class on this map: REPL_MAX means one per fault domain. */
export function groupSize(map: PoolMap, cls: ObjectClass): number {
  if (cls.resilience !== Resilience.REPL) {
    throw new DaosError(-DER.INVAL, `object class ${cls.name}: only replicated classes can be placed`);
  }
  return cls.replicas === REPL_MAX ? map.domains.length : cls.replicas;
}

function placed(t: TargetComp, shard: number, fseq: number, rebuilding: boolean): LayoutShard {
  return { shard, target: t.id, rank: t.rank, targetIndex: t.index, fseq, rebuilding };
}

function none(shard: number, fseq: number): LayoutShard {
  return { shard, target: -1, rank: -1, targetIndex: -1, fseq, rebuilding: false };
}

function insertByFseq(list: RemapEntry[], e: RemapEntry): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.fseq > e.fseq) i--;
  list.splice(i, 0, e);
}

/**
 * The layout of an object: `grpNr * grpSize` shards. `cls` defaults to the class in the OID.
 * DaosError(-DER_INVAL) for an unknown class or when a group needs more fault domains than the map has.
 */
export function objectLayout(map: PoolMap, oid: Oid, cls?: ObjectClass | ObjectClassId): Layout {
  const c = resolveClass(oid, cls);
  const D = map.domains.length;
  const grpSize = groupSize(map, c);
  if (grpSize > D) {
    throw new DaosError(
      -DER.INVAL,
      `object class ${c.name} needs ${grpSize} fault domains for its replicas, the pool map (version ${map.version}) has ${D}`,
      { hint: 'use a class with fewer replicas, or create the pool on more hosts' },
    );
  }
  const T = map.targets.length;
  // NB: DOWN targets still count here, as v0.8: the group count does not change with failures.
  const grpNr = Math.min(c.grpNr, Math.max(1, Math.floor(T / grpSize)));
  const ver = map.version;
  const walker = new Walker(map);
  const objKey = Key64.of(oid.lo & M64);
  const shards: LayoutShard[] = new Array(grpNr * grpSize);
  const remap: RemapEntry[] = [];

  let domsLeft = D;
  for (let g = 0; g < grpNr; g++) {
    // Members of one group never share a domain; different groups may once every domain is taken.
    if (domsLeft < grpSize) {
      domsLeft = D;
      walker.resetDomains();
    }
    for (let m = 0; m < grpSize; m++) {
      const k = g * grpSize + m;
      const t = walker.getTarget(objKey, k);
      shards[k] = placed(t, k, t.fseq, false);
      if (isUnavailable(t.status)) insertByFseq(remap, { shard: k, fseq: t.fseq, status: t.status });
      domsLeft--;
    }
  }

  // Remap the shards on unavailable targets, oldest failure first.
  const noSpare = grpSize === D && grpSize > 1;
  const maxTries = T + 1; // NB: ours: bounds "pick again" on maps where every candidate failed earlier
  while (remap.length > 0) {
    const e = remap.shift()!;
    if (noSpare) {
      shards[e.shard] = none(e.shard, e.fseq);
      continue;
    }
    // NB: the inner CRC's 64-bit result seeds the outer one as a u32 (its low 32 bits), see crcU64.
    const spareKey = objKey.copy().crc(objKey.copy().crc(e.shard).lo);
    let done = false;
    for (let tries = 0; !done; tries++) {
      if (tries === maxTries) {
        shards[e.shard] = none(e.shard, e.fseq);
        break;
      }
      const s = walker.getTarget(spareKey, e.shard);
      if (!isUnavailable(s.status)) {
        shards[e.shard] = placed(s, e.shard, e.fseq, e.status === CompStatus.DOWN);
        done = true;
      } else if (s.fseq > ver) {
        shards[e.shard] = none(e.shard, e.fseq); // (a) failed after this map: a later rebuild handles it
        done = true;
      } else if (s.fseq <= e.fseq) {
        // (b) the spare failed before the original: pick again. NB: equal fseqs cannot happen in a
        // map built by excludeTargets; counting them here keeps (c) strictly increasing, so it ends.
        continue;
      } else {
        // (c) the spare failed later: the shard's data follows it, so retry with the spare's failure.
        insertByFseq(remap, { shard: e.shard, fseq: s.fseq, status: s.status });
        done = true;
      }
    }
  }
  return { ver, grpNr, grpSize, shards };
}

/** The group a dkey hash selects: plain modulo over the group count (obj_dkey2grpidx). */
export function dkeyGroup(layout: Layout, dkeyHash: bigint): number {
  return Number((dkeyHash & M64) % BigInt(layout.grpNr));
}

function checkGroup(layout: Layout, group: number): void {
  if (!Number.isInteger(group) || group < 0 || group >= layout.grpNr) {
    throw new DaosError(-DER.INVAL, `group ${group} is outside 0..${layout.grpNr - 1}`);
  }
}

/** The shards of one redundancy group. */
export function replicasOf(layout: Layout, group: number): readonly LayoutShard[] {
  checkGroup(layout, group);
  return layout.shards.slice(group * layout.grpSize, (group + 1) * layout.grpSize);
}

/**
 * The leader of a replicated group (pl_select_leader): starting at the preferred member
 * (oid.lo + group) mod replicas and wrapping, the member with the lowest fseq among those with a
 * target that are not rebuilding; the preferred one wins ties. DaosError(-DER_NONEXIST) if none.
 * With one replica, that shard is the leader.
 */
export function groupLeader(layout: Layout, oid: Oid, group: number): LayoutShard {
  checkGroup(layout, group);
  const replicas = layout.grpSize;
  const start = group * replicas;
  if (replicas === 1) return layout.shards[start]!;
  // NB: the sum wraps at 2^64 as the original's u64 arithmetic does.
  const pref = Number(((oid.lo + BigInt(group)) & M64) % BigInt(replicas));
  let best: LayoutShard | undefined;
  for (let i = 0; i < replicas; i++) {
    const s = layout.shards[start + ((pref + i) % replicas)]!;
    if (s.target === -1 || s.rebuilding) continue;
    if (!best || s.fseq < best.fseq) best = s;
  }
  if (!best) {
    throw new DaosError(-DER.NONEXIST, `object ${formatOid(oid)} group ${group}: no healthy replica to lead`, {
      hint: 'every replica of this group is on a failed target; dmg pool query shows the disabled targets',
    });
  }
  return best;
}

/** `daos object query` output: `oid: <hi>.<lo> ver <v> grp_nr: <n>`, then `grp: <i>` and `replica <j> <rank>` lines. */
export function formatLayout(oid: Oid, layout: Layout): string {
  const lines = [`oid: ${formatOid(oid)} ver ${layout.ver} grp_nr: ${layout.grpNr}`];
  for (let g = 0; g < layout.grpNr; g++) {
    lines.push(`grp: ${g}`);
    replicasOf(layout, g).forEach((s, j) => lines.push(`replica ${j} ${s.rank}`));
  }
  return lines.join('\n') + '\n';
}
