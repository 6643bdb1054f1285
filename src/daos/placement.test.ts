import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaosError, DER } from './errors.js';
import { crcU64, dkeyHash, jumpConsistentHash } from './hash.js';
import { classByName, OC } from './oclass.js';
import { generateOid, type Oid } from './oid.js';
import { dkeyGroup, formatLayout, groupLeader, type Layout, type LayoutShard, objectLayout, replicasOf } from './placement.js';
import { buildPoolMap, decodePoolMap, domainOfTarget, encodePoolMap, excludeOut, excludeTargets, type PoolMap } from './poolmap.js';

function grid(hosts: number, ranksPerHost: number, targets: number): PoolMap {
  return buildPoolMap({
    domains: Array.from({ length: hosts }, (_, h) => ({
      name: `host${h}`,
      ranks: Array.from({ length: ranksPerHost }, (_, r) => ({ rank: h * ranksPerHost + r, targets })),
    })),
  });
}

/** The i-th test OID: user bits spread over the whole of lo. */
function oidOf(i: number, cls: number): Oid {
  return generateOid({ hi32: i, lo: (BigInt(i) * 0x9e3779b97f4a7c15n + 12345n) & 0xffffffffffffffffn }, cls);
}

function domainsOf(map: PoolMap, shards: readonly LayoutShard[]): number[] {
  return shards.map((s) => domainOfTarget(map, s.target)!.id);
}

/**
 * A second, plain bigint implementation of §3.4 for healthy maps with one rank per domain (v0.8's
 * shape), written from the reference text without the half-word code, to check objectLayout.
 */
function refTargets(map: PoolMap, oid: Oid, grpSize: number, grpNr: number): number[] {
  const D = map.domains.length;
  const domUsed = new Array<boolean>(D).fill(false);
  const tgtUsed = new Array<boolean>(map.targets.length).fill(false);
  const getTarget = (objKey: bigint, shard: number): number => {
    let key = crcU64(objKey, shard);
    let fail = 0;
    if (domUsed.every(Boolean)) domUsed.fill(false);
    let k = key;
    let d = jumpConsistentHash(k, D);
    while (domUsed[d]) {
      k = crcU64(k, fail++);
      d = jumpConsistentHash(k, D);
    }
    domUsed[d] = true;
    key = crcU64(key, map.domains[d]!.id);
    const node = map.nodes[map.domains[d]!.firstNode]!;
    key = crcU64(key, node.id); // the single node: JCH(k, 1) = 0, no retries
    const ids = Array.from({ length: node.nr }, (_, j) => node.firstTarget + j);
    if (ids.every((id) => tgtUsed[id])) for (const id of ids) tgtUsed[id] = false;
    let id: number;
    do {
      key = crcU64(key, fail++);
      id = node.firstTarget + jumpConsistentHash(key, node.nr);
    } while (tgtUsed[id]);
    tgtUsed[id] = true;
    return id;
  };
  const out: number[] = [];
  let left = D;
  for (let g = 0; g < grpNr; g++) {
    if (left < grpSize) {
      left = D;
      domUsed.fill(false);
    }
    for (let m = 0; m < grpSize; m++, left--) out.push(getTarget(oid.lo, g * grpSize + m));
  }
  return out;
}

const refCases: Record<string, { map: PoolMap; cls: string }> = {
  'S1 on 4×8': { map: grid(4, 1, 8), cls: 'S1' },
  'RP_2G2 on 5×4': { map: grid(5, 1, 4), cls: 'RP_2G2' },
  'RP_3G1 on 3×2': { map: grid(3, 1, 2), cls: 'RP_3G1' },
  'RP_2GX on 6×3': { map: grid(6, 1, 3), cls: 'RP_2GX' },
  'SX on 3×5': { map: grid(3, 1, 5), cls: 'SX' },
  'RP_XSF on 7×2': { map: grid(7, 1, 2), cls: 'RP_XSF' },
};
for (const [name, tc] of Object.entries(refCases)) {
  test(`layout agrees with a plain bigint reading of §3.4: ${name}`, () => {
    const cls = classByName(tc.cls);
    for (let i = 0; i < 200; i++) {
      const oid = oidOf(i, cls.id);
      const l = objectLayout(tc.map, oid);
      assert.deepEqual(l.shards.map((s) => s.target), refTargets(tc.map, oid, l.grpSize, l.grpNr), `oid ${i}`);
    }
  });
}

test('a layout is a pure function of (OID, class, map)', () => {
  const map = grid(4, 2, 4);
  for (let i = 0; i < 100; i++) {
    const oid = oidOf(i, OC.RP_3G2);
    const a = objectLayout(map, oid);
    assert.deepEqual(objectLayout(map, oid), a);
    assert.deepEqual(objectLayout(decodePoolMap(encodePoolMap(map)), oid), a);
    assert.deepEqual(objectLayout(map, oid, OC.RP_3G2), a);
    assert.deepEqual(objectLayout(map, oid, classByName('RP_3G2')), a);
  }
});

test('pinned layout (regression): RP_2G1 oid 0.12345 on 4 hosts × 1 rank × 2 targets', () => {
  const oid = generateOid({ lo: 12345n }, OC.RP_2G1);
  assert.deepEqual(objectLayout(grid(4, 1, 2), oid), {
    ver: 1,
    grpNr: 1,
    grpSize: 2,
    shards: [
      { shard: 0, target: 6, rank: 3, targetIndex: 0, fseq: 1, rebuilding: false },
      { shard: 1, target: 1, rank: 0, targetIndex: 1, fseq: 1, rebuilding: false },
    ],
  });
});

test('replicas of one group never share a fault domain (10,000 OIDs, RP_2G1/RP_3G1/RP_2GX, 3–8 hosts)', () => {
  for (let hosts = 3; hosts <= 8; hosts++) {
    const map = grid(hosts, 1 + (hosts % 2), 2);
    for (const name of ['RP_2G1', 'RP_3G1', 'RP_2GX']) {
      const cls = classByName(name);
      for (let i = 0; i < 10000; i++) {
        const l = objectLayout(map, oidOf(i, cls.id));
        for (let g = 0; g < l.grpNr; g++) {
          const doms = domainsOf(map, replicasOf(l, g));
          if (new Set(doms).size !== doms.length) assert.fail(`${name} on ${hosts} hosts, oid ${i}, group ${g}: domains ${doms}`);
        }
      }
    }
  }
});

function assertBalanced(counts: number[], what: string): void {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  for (const [i, c] of counts.entries()) {
    assert.ok(Math.abs(c - mean) <= 0.1 * mean, `${what} ${i}: ${c} objects, mean ${mean}; all: ${counts}`);
  }
}

test('balance: S1 shard 0 over 10,000 objects is within 10% per target and per host', () => {
  const map = grid(4, 2, 1);
  const perTarget = new Array<number>(map.targets.length).fill(0);
  const perHost = new Array<number>(map.domains.length).fill(0);
  for (let i = 0; i < 10000; i++) {
    const t = objectLayout(map, oidOf(i, OC.S1)).shards[0]!.target;
    perTarget[t]!++;
    perHost[domainOfTarget(map, t)!.id]!++;
  }
  assertBalanced(perTarget, 'target');
  assertBalanced(perHost, 'host');
});

test('balance: RP_3G1 replicas over 10,000 objects are within 10% per host', () => {
  const map = grid(6, 1, 4);
  const perHost = new Array<number>(6).fill(0);
  for (let i = 0; i < 10000; i++) for (const d of domainsOf(map, objectLayout(map, oidOf(i, OC.RP_3G1)).shards)) perHost[d]!++;
  assertBalanced(perHost, 'host');
});

const xCases: Record<string, { map: () => PoolMap; cls: string; grpNr: number; grpSize: number }> = {
  'SX: one group per target': { map: () => grid(4, 2, 4), cls: 'SX', grpNr: 32, grpSize: 1 },
  'RP_2GX: targets / 2 groups': { map: () => grid(4, 2, 4), cls: 'RP_2GX', grpNr: 16, grpSize: 2 },
  'RP_3GX: floor(targets / 3) groups': { map: () => grid(4, 2, 4), cls: 'RP_3GX', grpNr: 10, grpSize: 3 },
  'RP_4GX on 4 hosts': { map: () => grid(4, 1, 3), cls: 'RP_4GX', grpNr: 3, grpSize: 4 },
  'RP_XSF: one group, a replica per host': { map: () => grid(5, 2, 2), cls: 'RP_XSF', grpNr: 1, grpSize: 5 },
  'S4 capped by the targets': { map: () => grid(3, 1, 1), cls: 'S4', grpNr: 3, grpSize: 1 },
  'RP_2G2 capped at one group': { map: () => grid(3, 1, 1), cls: 'RP_2G2', grpNr: 1, grpSize: 2 },
  'down targets still count': { map: () => excludeTargets(grid(4, 1, 2), [{ rank: 0 }, { rank: 1 }]), cls: 'SX', grpNr: 8, grpSize: 1 },
};
for (const [name, tc] of Object.entries(xCases)) {
  test(`group count: ${name}`, () => {
    const l = objectLayout(tc.map(), oidOf(7, classByName(tc.cls).id));
    assert.deepEqual([l.grpNr, l.grpSize, l.shards.length], [tc.grpNr, tc.grpSize, tc.grpNr * tc.grpSize]);
    assert.deepEqual(l.shards.map((s) => s.shard), [...l.shards.keys()]);
  });
}

test('SX on a healthy map puts exactly one shard on every target', () => {
  const map = grid(3, 2, 3);
  const l = objectLayout(map, oidOf(1, OC.SX));
  assert.deepEqual(l.shards.map((s) => s.target).sort((a, b) => a - b), [...map.targets.keys()]);
});

const tooFew: Record<string, { map: PoolMap; cls: string; want: string }> = {
  'RP_3G1 on 2 hosts': { map: grid(2, 1, 8), cls: 'RP_3G1', want: 'object class RP_3G1 needs 3 fault domains for its replicas, the pool map (version 1) has 2' },
  'RP_2G1 on 1 host with 2 ranks': { map: grid(1, 2, 8), cls: 'RP_2G1', want: 'object class RP_2G1 needs 2 fault domains for its replicas, the pool map (version 1) has 1' },
  'RP_4GX on 3 hosts': { map: grid(3, 1, 8), cls: 'RP_4GX', want: 'object class RP_4GX needs 4 fault domains for its replicas, the pool map (version 1) has 3' },
};
for (const [name, tc] of Object.entries(tooFew)) {
  test(`more replicas than fault domains is -DER_INVAL: ${name}`, () => {
    assert.throws(
      () => objectLayout(tc.map, oidOf(1, classByName(tc.cls).id)),
      (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && e.detail === tc.want,
    );
  });
}

test('an OID of an unregistered class is -DER_INVAL', () => {
  assert.throws(() => objectLayout(grid(2, 1, 1), generateOid({ lo: 1n }, 203)), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL);
});

/** First OID whose layout puts shard `which` of class `cls` on a target of `rank` (to fail that target). */
function findOid(map: PoolMap, cls: number, pred: (l: Layout) => boolean): Oid {
  for (let i = 0; i < 10000; i++) {
    const oid = oidOf(i, cls);
    if (pred(objectLayout(map, oid))) return oid;
  }
  throw new Error('no OID found');
}

test('a DOWN target gets a spare, marked rebuilding with the failed fseq; other shards do not move', () => {
  const map = grid(5, 1, 4);
  for (let i = 0; i < 300; i++) {
    const oid = oidOf(i, OC.RP_3G2);
    const before = objectLayout(map, oid);
    const victim = before.shards[i % before.shards.length]!;
    const down = excludeTargets(map, [{ rank: victim.rank, target: victim.targetIndex }]);
    const after = objectLayout(down, oid);
    assert.equal(after.ver, 2);
    for (const s of after.shards) {
      if (s.shard !== victim.shard) {
        assert.deepEqual(s, before.shards[s.shard], `oid ${i}: shard ${s.shard} moved`);
        continue;
      }
      assert.notEqual(s.target, -1, `oid ${i}: no spare`);
      assert.notEqual(s.target, victim.target);
      assert.ok(!after.shards.some((o) => o.shard !== s.shard && o.target === s.target), `oid ${i}: spare already in the layout`);
      assert.equal(s.fseq, 2);
      assert.equal(s.rebuilding, true);
    }
    // Once rebuild is done (DOWNOUT) the spare serves the shard and is no longer rebuilding.
    const out = objectLayout(excludeOut(down, [{ rank: victim.rank, target: victim.targetIndex }]), oid);
    assert.equal(out.shards[victim.shard]!.target, after.shards[victim.shard]!.target);
    assert.equal(out.shards[victim.shard]!.rebuilding, false);
  }
});

test('after a failure, single-group classes keep replicas on distinct hosts; multi-group spares may share one (v0.8)', () => {
  // NB: the spare reuses the used marks, which were reset per group; with several groups the reset
  // can free a host that holds another member of the spare's group. Kept as v0.8; pinned here so a
  // change is a decision.
  const sharedAfterFailure = (cls: number, hosts: number): number => {
    const map = grid(hosts, 1, 4);
    let shared = 0;
    for (let i = 0; i < 500; i++) {
      const oid = oidOf(i, cls);
      const l = objectLayout(map, oid);
      const v = l.shards[i % l.shards.length]!;
      const after = objectLayout(excludeTargets(map, [{ rank: v.rank, target: v.targetIndex }]), oid);
      const doms = domainsOf(map, replicasOf(after, Math.floor(v.shard / l.grpSize)));
      if (new Set(doms).size !== doms.length) shared++;
    }
    return shared;
  };
  assert.equal(sharedAfterFailure(OC.RP_2G1, 4), 0);
  assert.equal(sharedAfterFailure(OC.RP_3G1, 4), 0);
  assert.ok(sharedAfterFailure(OC.RP_3G2, 4) > 0);
});

test('a spare that failed later passes the shard on, keeping the later failure', () => {
  // Fail the first spare of a shard after its original target: the shard follows to a third target.
  const map = grid(6, 1, 2);
  const oid = oidOf(3, OC.RP_2G1);
  const l0 = objectLayout(map, oid);
  const orig = l0.shards[0]!;
  const m1 = excludeTargets(map, [{ rank: orig.rank, target: orig.targetIndex }]);
  const spare1 = objectLayout(m1, oid).shards[0]!;
  const m2 = excludeTargets(m1, [{ rank: spare1.rank, target: spare1.targetIndex }]);
  const s = objectLayout(m2, oid).shards[0]!;
  assert.ok(![orig.target, spare1.target, -1].includes(s.target), `third target, got ${s.target}`);
  assert.deepEqual([s.fseq, s.rebuilding], [3, true]);
  assert.deepEqual(objectLayout(m2, oid).shards[1], l0.shards[1]);
});

test('a group spanning every fault domain has no spare: the failed member gets target -1', () => {
  const map = grid(3, 1, 2);
  const oid = oidOf(5, OC.RP_XSF);
  const l = objectLayout(map, oid);
  const v = l.shards[1]!;
  const after = objectLayout(excludeTargets(map, [{ rank: v.rank, target: v.targetIndex }]), oid);
  assert.deepEqual(after.shards[1], { shard: 1, target: -1, rank: -1, targetIndex: -1, fseq: 2, rebuilding: false });
  assert.deepEqual(after.shards[0], l.shards[0]);
});

test('a single-replica shard on a DOWN target is remapped and flagged rebuilding', () => {
  const map = grid(3, 1, 2);
  const oid = findOid(map, OC.S1, (l) => l.shards[0]!.rank === 1);
  const after = objectLayout(excludeTargets(map, [{ rank: 1 }]), oid);
  assert.notEqual(after.shards[0]!.rank, 1);
  assert.equal(after.shards[0]!.rebuilding, true);
});

test('dkeyGroup is the dkey hash modulo the group count; replicasOf slices one group', () => {
  const l = objectLayout(grid(4, 1, 4), oidOf(9, OC.RP_2GX));
  assert.equal(l.grpNr, 8);
  const h = dkeyHash('dkey');
  assert.equal(dkeyGroup(l, h), Number(h % 8n));
  assert.equal(dkeyGroup(l, 0n), 0);
  assert.equal(dkeyGroup(l, 13n), 5);
  assert.deepEqual(replicasOf(l, 3).map((s) => s.shard), [6, 7]);
  assert.throws(() => replicasOf(l, 8), DaosError);
});

function shard(i: number, fseq: number, extra: Partial<LayoutShard> = {}): LayoutShard {
  return { shard: i, target: 10 + i, rank: i, targetIndex: 0, fseq, rebuilding: false, ...extra };
}
function lay(grpSize: number, shards: LayoutShard[]): Layout {
  return { ver: 9, grpNr: shards.length / grpSize, grpSize, shards };
}

const leaderCases: Record<string, { layout: Layout; lo: bigint; group: number; want: number | 'NONEXIST' }> = {
  'preferred member (lo + group) mod replicas among equals': { layout: lay(3, [shard(0, 1), shard(1, 1), shard(2, 1)]), lo: 4n, group: 0, want: 1 },
  'group index shifts the preference': {
    layout: lay(3, [shard(0, 1), shard(1, 1), shard(2, 1), shard(3, 1), shard(4, 1), shard(5, 1)]), lo: 4n, group: 1, want: 5,
  },
  'lowest fseq wins over the preferred member': { layout: lay(3, [shard(0, 1), shard(1, 5), shard(2, 3)]), lo: 1n, group: 0, want: 0 },
  'ties keep the first found from the preferred member, wrapping': { layout: lay(3, [shard(0, 1), shard(1, 5), shard(2, 1)]), lo: 1n, group: 0, want: 2 },
  'skips target -1': { layout: lay(2, [shard(0, 1, { target: -1 }), shard(1, 4)]), lo: 0n, group: 0, want: 1 },
  'skips rebuilding': { layout: lay(2, [shard(0, 1), shard(1, 1, { rebuilding: true })]), lo: 1n, group: 0, want: 0 },
  'none qualifies': { layout: lay(2, [shard(0, 1, { target: -1 }), shard(1, 1, { rebuilding: true })]), lo: 0n, group: 0, want: 'NONEXIST' },
  'a single replica leads itself': { layout: lay(1, [shard(0, 1, { rebuilding: true })]), lo: 5n, group: 0, want: 0 },
  'the preference sum wraps at 2^64 (0 mod 3, not 2^64 mod 3 = 1)': {
    layout: lay(3, [shard(0, 1), shard(1, 1), shard(2, 1), shard(3, 1), shard(4, 1), shard(5, 1)]), lo: 0xffffffffffffffffn, group: 1, want: 3,
  },
};
for (const [name, tc] of Object.entries(leaderCases)) {
  test(`groupLeader: ${name}`, () => {
    const oid = { hi: 0n, lo: tc.lo };
    if (tc.want === 'NONEXIST') {
      assert.throws(() => groupLeader(tc.layout, oid, tc.group), (e: unknown) => e instanceof DaosError && e.rc === -DER.NONEXIST);
    } else {
      assert.equal(groupLeader(tc.layout, oid, tc.group).shard, tc.want);
    }
  });
}

test('formatLayout prints the daos object query form', () => {
  const oid = { hi: 5n, lo: 7n };
  assert.equal(formatLayout(oid, lay(2, [shard(0, 1), shard(1, 1), shard(2, 1), shard(3, 1)])), 'oid: 5.7 ver 9 grp_nr: 2\ngrp: 0\nreplica 0 0\nreplica 1 1\ngrp: 1\nreplica 0 2\nreplica 1 3\n');
});
