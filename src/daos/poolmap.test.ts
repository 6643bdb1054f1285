import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaosError, DER } from './errors.js';
import { crc64EcmaRefl } from './hash.js';
import {
  addTargets, buildPoolMap, CompStatus, decodePoolMap, domainOfTarget, encodePoolMap, excludeOut, excludeTargets, findTargets,
  NO_RANK, nodeOfRank, type PoolMap, type PoolMapDesc, ranksOf, statusName, targetById, targetCounts, targetsOfRank,
} from './poolmap.js';

/** hosts × ranks per host × targets per rank; rank numbers run host by host. */
export function grid(hosts: number, ranksPerHost: number, targets: number): PoolMap {
  return buildPoolMap({
    domains: Array.from({ length: hosts }, (_, h) => ({
      name: `host${h}`,
      ranks: Array.from({ length: ranksPerHost }, (_, r) => ({ rank: h * ranksPerHost + r, targets })),
    })),
  });
}

const small: PoolMapDesc = { domains: [{ name: 'a', ranks: [{ rank: 0, targets: 2 }] }, { name: 'bb', ranks: [{ rank: 5, targets: 1 }] }] };

test('buildPoolMap numbers targets node by node, everything UPIN with ver = fseq = 1', () => {
  const m = buildPoolMap({ domains: [{ name: 'h0', ranks: [{ rank: 3, targets: 2 }, { rank: 1, targets: 3 }] }, { name: 'h1', ranks: [{ rank: 0, targets: 2 }] }] });
  assert.equal(m.version, 1);
  assert.deepEqual(m.root, { type: 1, status: 4, index: 0, id: 0, rank: NO_RANK, ver: 1, fseq: 1, nr: 2 });
  assert.deepEqual(m.domains.map((d) => [d.name, d.id, d.nr, d.firstNode]), [['h0', 0, 2, 0], ['h1', 1, 1, 2]]);
  assert.deepEqual(m.nodes.map((n) => [n.id, n.rank, n.nr, n.firstTarget, n.domain]), [[3, 3, 2, 0, 0], [1, 1, 3, 2, 0], [0, 0, 2, 5, 1]]);
  assert.deepEqual(m.targets.map((t) => [t.id, t.rank, t.index]), [[0, 3, 0], [1, 3, 1], [2, 1, 0], [3, 1, 1], [4, 1, 2], [5, 0, 0], [6, 0, 1]]);
  assert.ok(m.targets.every((t) => t.status === CompStatus.UPIN && t.ver === 1 && t.fseq === 1 && t.type === 50));
  assert.ok(Object.isFrozen(m) && Object.isFrozen(m.targets));
});

const badDescs: Record<string, { desc: PoolMapDesc; want: RegExp }> = {
  'no domains': { desc: { domains: [] }, want: /at least one fault domain/ },
  'domain without ranks': { desc: { domains: [{ name: 'h', ranks: [] }] }, want: /"h" has no ranks/ },
  'unnamed domain': { desc: { domains: [{ name: '', ranks: [{ rank: 0, targets: 1 }] }] }, want: /has no name/ },
  'duplicate domain name': {
    desc: { domains: [{ name: 'h', ranks: [{ rank: 0, targets: 1 }] }, { name: 'h', ranks: [{ rank: 1, targets: 1 }] }] },
    want: /"h" appears twice/,
  },
  'duplicate rank': {
    desc: { domains: [{ name: 'h', ranks: [{ rank: 0, targets: 1 }] }, { name: 'g', ranks: [{ rank: 0, targets: 1 }] }] },
    want: /rank 0 appears twice/,
  },
  'zero targets': { desc: { domains: [{ name: 'h', ranks: [{ rank: 0, targets: 0 }] }] }, want: /rank 0 has 0 targets/ },
  'negative rank': { desc: { domains: [{ name: 'h', ranks: [{ rank: -1, targets: 1 }] }] }, want: /rank -1/ },
  'version 0': { desc: { version: 0, domains: [{ name: 'h', ranks: [{ rank: 0, targets: 1 }] }] }, want: /version 0/ },
};
for (const [name, tc] of Object.entries(badDescs)) {
  test(`buildPoolMap refuses: ${name}`, () => {
    assert.throws(() => buildPoolMap(tc.desc), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && tc.want.test(e.message));
  });
}

test('queries: targets of a rank, target by id, domain of a target, counts', () => {
  const m = grid(2, 2, 3);
  assert.deepEqual(targetsOfRank(m, 2).map((t) => t.id), [6, 7, 8]);
  assert.deepEqual(targetsOfRank(m, 9), []);
  assert.equal(targetById(m, 4)?.rank, 1);
  assert.equal(targetById(m, 12), undefined);
  assert.equal(domainOfTarget(m, 7)?.name, 'host1');
  assert.equal(nodeOfRank(m, 3)?.firstTarget, 9);
  assert.deepEqual(ranksOf(m), [0, 1, 2, 3]);
  assert.deepEqual(targetCounts(m), { total: 12, disabled: 0 });
  const m2 = excludeOut(excludeTargets(m, [{ rank: 1, target: 0 }, { rank: 2, target: 2 }]), [{ rank: 1, target: 0 }]);
  assert.deepEqual(targetCounts(m2), { total: 12, disabled: 2 });
});

test('findTargets splits known and unknown refs, -1 meaning all targets of the rank', () => {
  const m = grid(2, 1, 2);
  const r = findTargets(m, [{ rank: 1 }, { rank: 0, target: 1 }, { rank: 0, target: 2 }, { rank: 7, target: -1 }, { rank: 1, target: 0 }]);
  assert.deepEqual(r.found.map((t) => t.id), [2, 3, 1]);
  assert.deepEqual(r.notFound, [{ rank: 0, target: 2 }, { rank: 7, target: -1 }]);
});

interface Want {
  version: number;
  targets: Record<number, [string, number]>; // id → [status, fseq]
  nodes?: Record<number, [string, number]>; // rank → [status, fseq]
  domains?: Record<string, string>;
}
const transitions: Record<string, { steps: (m: PoolMap) => PoolMap; want: Want }> = {
  'exclude one target: version + 1, fseq = new version': {
    steps: (m) => excludeTargets(m, [{ rank: 1, target: 1 }]),
    want: { version: 2, targets: { 3: ['DOWN', 2], 2: ['UP_IN', 1] }, nodes: { 1: ['UP_IN', 1] } },
  },
  'exclude a whole rank: one version per target, unique fseqs, the node follows': {
    steps: (m) => excludeTargets(m, [{ rank: 2 }]),
    want: { version: 3, targets: { 4: ['DOWN', 2], 5: ['DOWN', 3] }, nodes: { 2: ['DOWN', 3] }, domains: { host1: 'UP_IN' } },
  },
  'a host is DOWN once all its ranks are': {
    steps: (m) => excludeTargets(m, [{ rank: 2 }, { rank: 3 }]),
    want: { version: 5, targets: { 7: ['DOWN', 5] }, nodes: { 2: ['DOWN', 3], 3: ['DOWN', 5] }, domains: { host1: 'DOWN', host0: 'UP_IN' } },
  },
  'exclude again changes nothing': {
    steps: (m) => excludeTargets(excludeTargets(m, [{ rank: 0, target: 0 }]), [{ rank: 0, target: 0 }]),
    want: { version: 2, targets: { 0: ['DOWN', 2] } },
  },
  'exclude-out keeps the fseq and bumps the version': {
    steps: (m) => excludeOut(excludeTargets(m, [{ rank: 0, target: 0 }, { rank: 3, target: 1 }]), [{ rank: 0, target: 0 }]),
    want: { version: 4, targets: { 0: ['DOWN_OUT', 2], 7: ['DOWN', 3] }, nodes: { 0: ['UP_IN', 1] } },
  },
  'exclude-out of an UPIN target changes nothing': {
    steps: (m) => excludeOut(m, [{ rank: 0 }]),
    want: { version: 1, targets: { 0: ['UP_IN', 1] } },
  },
  'a node goes DOWN_OUT once all its targets are': {
    steps: (m) => excludeOut(excludeTargets(m, [{ rank: 3 }]), [{ rank: 3 }]),
    want: { version: 5, targets: { 6: ['DOWN_OUT', 2], 7: ['DOWN_OUT', 3] }, nodes: { 3: ['DOWN_OUT', 3], 2: ['UP_IN', 1] }, domains: { host1: 'UP_IN' } },
  },
  'add (reintegrate) brings a target back UPIN with fseq 1': {
    steps: (m) => addTargets(excludeOut(excludeTargets(m, [{ rank: 1 }]), [{ rank: 1 }]), [{ rank: 1, target: 0 }]),
    want: { version: 6, targets: { 2: ['UP_IN', 1], 3: ['DOWN_OUT', 3] }, nodes: { 1: ['UP_IN', 1] } },
  },
  'add of UPIN targets changes nothing': {
    steps: (m) => addTargets(m, [{ rank: 0 }]),
    want: { version: 1, targets: { 0: ['UP_IN', 1] } },
  },
};
for (const [name, tc] of Object.entries(transitions)) {
  test(`state change: ${name}`, () => {
    const m0 = grid(2, 2, 2);
    const m = tc.steps(m0);
    assert.equal(m.version, tc.want.version);
    for (const [id, [st, fseq]] of Object.entries(tc.want.targets)) {
      const t = m.targets[Number(id)]!;
      assert.deepEqual([statusName(t.status), t.fseq], [st, fseq], `target ${id}`);
    }
    for (const [rank, [st, fseq]] of Object.entries(tc.want.nodes ?? {})) {
      const n = nodeOfRank(m, Number(rank))!;
      assert.deepEqual([statusName(n.status), n.fseq], [st, fseq], `rank ${rank}`);
    }
    for (const [host, st] of Object.entries(tc.want.domains ?? {})) {
      assert.equal(statusName(m.domains.find((d) => d.name === host)!.status), st, host);
    }
    if (m.version === m0.version) assert.equal(m, m0, 'an unchanged map is the same map');
    assert.ok(m0.targets.every((t) => t.status === CompStatus.UPIN), 'the input map is untouched');
  });
}

test('a state change naming an unknown target refuses the whole request', () => {
  const m = grid(2, 1, 2);
  assert.throws(
    () => excludeTargets(m, [{ rank: 0, target: 0 }, { rank: 9 }]),
    (e: unknown) => e instanceof DaosError && e.rc === -DER.NONEXIST && /rank 9 \(all targets\): not in the pool map \(version 1\)/.test(e.message),
  );
  assert.throws(() => addTargets(m, [{ rank: 1, target: 2 }]), /rank 1 target 2/);
});

// ---------------------------------------------------------------------------------------------
// Binary form

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

test('encodePoolMap: byte-exact', () => {
  const body = hex(`
    0a 04 0000 00000000 ffffffff 01000000 01000000 01000000
    0a 04 0100 01000000 ffffffff 01000000 01000000 01000000
    28 04 0000 00000000 00000000 01000000 01000000 02000000
    28 04 0100 05000000 05000000 01000000 01000000 01000000
    32 04 0000 00000000 00000000 01000000 01000000 01000000
    32 04 0100 01000000 00000000 01000000 01000000 01000000
    32 04 0000 02000000 05000000 01000000 01000000 01000000
    0100 61
    0200 6262`);
  const sum = Buffer.alloc(8);
  sum.writeBigUInt64LE(crc64EcmaRefl(0n, body));
  const want = Buffer.concat([
    hex(`44504d4150 0000 01   d7000000 01000000   02000000 02000000 03000000 07000000`),
    sum,
    body,
  ]);
  const got = encodePoolMap(buildPoolMap(small));
  assert.equal(got.toString('hex'), want.toString('hex'));
  assert.equal(got.length, 215);
});

test('decodePoolMap inverts encodePoolMap, including states, fseqs and names', () => {
  let m = buildPoolMap({
    version: 3,
    domains: [{ name: 'höst-α', ranks: [{ rank: 0, targets: 4 }, { rank: 1, targets: 4 }] }, { name: 'b', ranks: [{ rank: 7, targets: 2 }] }],
  });
  m = excludeOut(excludeTargets(m, [{ rank: 1 }, { rank: 7, target: 0 }]), [{ rank: 1, target: 2 }]);
  const d = decodePoolMap(encodePoolMap(m));
  assert.deepEqual(d, m);
  assert.deepEqual(encodePoolMap(d), encodePoolMap(m));
  // A view into a larger buffer decodes the same.
  const big = Buffer.concat([Buffer.from('junk'), encodePoolMap(m)]);
  assert.deepEqual(decodePoolMap(big.subarray(4)), m);
});

function withSum(b: Buffer): Buffer {
  b.writeBigUInt64LE(crc64EcmaRefl(0n, b.subarray(40)), 32);
  return b;
}

const corrupt: Record<string, { edit: (b: Buffer) => Buffer; want: RegExp; rc?: number }> = {
  empty: { edit: () => Buffer.alloc(0), want: /shorter than the 40-byte header/ },
  'bad magic': { edit: (b) => (b.write('X', 0), b), want: /bad magic/ },
  'newer format': { edit: (b) => (b.writeUInt8(2, 7), b), want: /format 2 is not supported/, rc: -DER.DF_INCOMPT },
  truncated: { edit: (b) => b.subarray(0, b.length - 1), want: /header says 215 bytes/ },
  'flipped bit': { edit: (b) => (b[100]! ^= 0x10, b), want: /checksum mismatch/ },
  'counts do not add up': { edit: (b) => withSum((b.writeUInt32LE(4, 24), b)), want: /do not add up/ },
  'unknown status': { edit: (b) => withSum((b.writeUInt8(3, 40 + 24 * 4 + 1), b)), want: /target 0 has an unknown status 3/ },
  'fseq beyond the map version': { edit: (b) => withSum((b.writeUInt32LE(9, 40 + 24 * 4 + 16), b)), want: /failure sequence 9/ },
  'target of the wrong rank': { edit: (b) => withSum((b.writeUInt32LE(5, 40 + 24 * 4 + 8), b)), want: /target 0 has id 0, index 0, rank 5/ },
  'node count mismatch': { edit: (b) => withSum((b.writeUInt32LE(2, 20 + 40), b)), want: /domains hold 3 nodes/ },
  'name not UTF-8': { edit: (b) => withSum((b[b.length - 1] = 0xff, b)), want: /not UTF-8/ },
  'duplicate name': {
    edit: () => {
      const b = Buffer.from(encodePoolMap(buildPoolMap({ domains: [{ name: 'a', ranks: [{ rank: 0, targets: 1 }] }, { name: 'b', ranks: [{ rank: 1, targets: 1 }] }] })));
      return withSum((b.write('a', b.length - 1), b));
    },
    want: /domain name "a" appears twice/,
  },
  'bytes after the names': { edit: (b) => withSum((b.writeUInt16LE(1, b.length - 4), b)), want: /bytes left after the names/ },
};
for (const [name, tc] of Object.entries(corrupt)) {
  test(`decodePoolMap refuses: ${name}`, () => {
    const b = tc.edit(Buffer.from(encodePoolMap(buildPoolMap(small))));
    assert.throws(() => decodePoolMap(b), (e: unknown) => e instanceof DaosError && e.rc === (tc.rc ?? -DER.INVAL) && tc.want.test(e.message));
  });
}

/** xorshift32: deterministic bytes for the fuzz tests. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function decodesOrRefuses(b: Buffer, what: string): PoolMap | undefined {
  try {
    return decodePoolMap(b);
  } catch (e) {
    assert.ok(e instanceof DaosError, `${what}: threw ${String(e)}`);
    return undefined;
  }
}

test('fuzz: random bytes, mutated maps and mutated maps with a fixed checksum never crash the decoder', () => {
  const r = rng(0xdaa5);
  const valid = encodePoolMap(excludeTargets(grid(3, 2, 2), [{ rank: 4, target: 1 }]));
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    // Random garbage, sometimes with a valid header prefix.
    const g = Buffer.alloc(r() % 300);
    for (let j = 0; j < g.length; j++) g[j] = r() & 0xff;
    if (i % 2 && g.length >= 8) valid.copy(g, 0, 0, 8);
    decodesOrRefuses(g, `garbage ${i}`);
    // Mutations of a valid map: flip, overwrite, truncate or extend; half with the checksum fixed.
    let m = Buffer.from(valid);
    switch (i % 4) {
      case 0: m[r() % m.length]! ^= 1 << (r() % 8); break;
      case 1: for (let k = 0; k < 1 + (r() % 4); k++) m[8 + (r() % (m.length - 8))] = r() & 0xff; break;
      case 2: m = m.subarray(0, r() % m.length); break;
      default: m = Buffer.concat([m, Buffer.alloc(1 + (r() % 30), r() & 0xff)]);
    }
    if (i % 8 < 4 && m.length >= 40) withSum(m);
    const d = decodesOrRefuses(m, `mutation ${i}`);
    if (d) {
      decoded++;
      assert.deepEqual(encodePoolMap(d), m, `mutation ${i} decoded but does not re-encode to itself`);
    }
  }
  assert.ok(decoded > 0, 'some checksum-fixed mutations (a status or fseq changed) are still valid maps');
});
