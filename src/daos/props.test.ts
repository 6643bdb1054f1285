import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAcl, parseAcl } from './acl.js';
import { DaosError, DER } from './errors.js';
import {
  CONT_PROP_NAMES, ContProp, type ContProps, contPropsFromEntries, contPropsToEntries, contPropsWith, Csum, defaultContProps, defaultPoolProps,
  formatContProps, formatPoolProps, labelProblem, LayoutType, parseContProps, parsePoolProps, PoolProp, poolPropsFromEntries, poolPropsToEntries,
  poolPropsWith, Reclaim, RedunLvl,
} from './props.js';

function isInval(re: RegExp) {
  return (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && re.test(e.message);
}

test('v0.8 property numbering', () => {
  assert.deepEqual(Object.values(PoolProp), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(ContProp.LABEL, 0x1001);
  assert.equal(ContProp.ACL, 0x100a);
  assert.equal(ContProp.MAX, 0x100d);
});

test('defaults (pools-tools-tests POOL10 / CONT6)', () => {
  const p = defaultPoolProps();
  assert.deepEqual({ ...p, acl: formatAcl(p.acl) }, {
    acl: ['A::OWNER@:rw', 'A:G:GROUP@:rw'], spaceRb: 0, selfHeal: 3, reclaim: Reclaim.SNAPSHOT, owner: 'nobody@', ownerGroup: 'nobody@',
  });
  const c = defaultContProps();
  assert.deepEqual({ ...c, acl: formatAcl(c.acl) }, {
    layoutType: LayoutType.UNKNOWN, layoutVer: 1, csum: Csum.OFF, csumChunkSize: 32768, csumServerVerify: 0, redunFac: 1,
    redunLvl: RedunLvl.RACK, snapshotMax: 0, acl: ['A::OWNER@:rwdtTaAo', 'A:G:GROUP@:rwtT'], compress: 0, encrypt: 0,
  });
});

const labels: Record<string, { label: string; problem?: RegExp }> = {
  simple: { label: 'mypool' },
  'all allowed characters': { label: 'a-Z_0.9:x' },
  '127 characters': { label: 'x'.repeat(127) },
  '128 characters': { label: 'x'.repeat(128), problem: /128 characters long, the limit is 127/ },
  empty: { label: '', problem: /empty/ },
  space: { label: 'my pool', problem: /contains " "/ },
  slash: { label: 'a/b', problem: /contains "\/"/ },
  'non-ASCII': { label: 'pööl', problem: /contains "ö"/ },
  'a UUID': { label: '0bd4d4b5-1e3c-4c5b-8a34-6dd1f9b0f5a2', problem: /is a UUID/ },
  'a UUID in capitals': { label: '0BD4D4B5-1E3C-4C5B-8A34-6DD1F9B0F5A2', problem: /is a UUID/ },
  'almost a UUID': { label: '0bd4d4b5-1e3c-4c5b-8a34-6dd1f9b0f5a' },
};
for (const [name, tc] of Object.entries(labels)) {
  test(`label: ${name}`, () => {
    const p = labelProblem(tc.label);
    if (tc.problem) assert.match(p ?? '', tc.problem);
    else assert.equal(p, undefined);
  });
}

const contSpecs: Record<string, { spec: string; want?: Partial<ContProps>; err?: RegExp }> = {
  'label and checksum': { spec: 'label:mycont,cksum:crc32', want: { label: 'mycont', csum: Csum.CRC32 } },
  'label with colons': { spec: 'label:a:b:c', want: { label: 'a:b:c' } },
  'checksum size, decimal / hex / octal': { spec: 'cksum_size:0x1000', want: { csumChunkSize: 4096 } },
  'octal size': { spec: 'cksum_size:010', want: { csumChunkSize: 8 } },
  'server verify, rf, level': { spec: 'srv_cksum:on,rf:2,rf_lvl:node', want: { csumServerVerify: 1, redunFac: 2, redunLvl: RedunLvl.NODE } },
  'layout type case-insensitive': { spec: 'layout_type:POSIX,layout_version:3', want: { layoutType: LayoutType.POSIX, layoutVer: 3 } },
  'max snapshots, compression, encryption': { spec: 'max_snapshot:10,compression:off,encryption:off', want: { snapshotMax: 10, compress: 0, encrypt: 0 } },
  'spaces around names and values': { spec: ' cksum : crc64 ', want: { csum: Csum.CRC64 } },
  'no colon': { spec: 'label', err: /wrong format for properties: "label" has no ':'/ },
  'unknown name': { spec: 'colour:red', err: /unknown container property "colour"/ },
  'sha1 is unsupported': { spec: 'cksum:sha1', err: /property cksum: checksum type sha1 is not supported/ },
  'unknown checksum': { spec: 'cksum:md5', err: /cksum value "md5" is not one of off, crc16, crc32, crc64/ },
  'rf out of range': { spec: 'rf:5', err: /property rf: rf 5 is outside 0..4/ },
  'bad size': { spec: 'cksum_size:12k', err: /cksum_size value "12k" is not an integer/ },
  'bad label': { spec: 'label:my cont', err: /property label: label "my cont" contains " "/ },
  'given twice': { spec: 'rf:1,rf:2', err: /container property rf is given twice/ },
  'prototype names are unknown': { spec: 'constructor:1', err: /unknown container property "constructor"/ },
  'prototype values are unknown': { spec: 'cksum:constructor', err: /not one of/ },
};
for (const [name, tc] of Object.entries(contSpecs)) {
  test(`parseContProps: ${name}`, () => {
    if (tc.err) assert.throws(() => parseContProps(tc.spec), isInval(tc.err));
    else assert.deepEqual(parseContProps(tc.spec), tc.want);
  });
}

test('an unknown property name lists the valid ones', () => {
  try {
    parseContProps('x:1');
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof DaosError);
    assert.equal(e.hint, `valid container properties: ${CONT_PROP_NAMES.join(', ')}`);
  }
});

const poolSpecs: Record<string, { spec: string; want?: object; err?: RegExp }> = {
  'label, space, reclaim': { spec: 'label:tank,space_rb:36,reclaim:batch', want: { label: 'tank', spaceRb: 36, reclaim: Reclaim.BATCH } },
  'self-heal by names': { spec: 'self_heal:exclude;rebuild', want: { selfHeal: 3 } },
  'self-heal by number': { spec: 'self_heal:1', want: { selfHeal: 1 } },
  'self-heal none': { spec: 'self_heal:none', want: { selfHeal: 0 } },
  owners: { spec: 'owner:alice@,owner_group:proj@lab', want: { owner: 'alice@', ownerGroup: 'proj@lab' } },
  'space over 100': { spec: 'space_rb:101', err: /space_rb 101 is outside 0..100/ },
  'owner without @': { spec: 'owner:alice', err: /owner: principal "alice" has no '@'/ },
  'bad self-heal': { spec: 'self_heal:sometimes', err: /self_heal value "sometimes"/ },
};
for (const [name, tc] of Object.entries(poolSpecs)) {
  test(`parsePoolProps: ${name}`, () => {
    if (tc.err) assert.throws(() => parsePoolProps(tc.spec), isInval(tc.err));
    else assert.deepEqual(parsePoolProps(tc.spec), tc.want);
  });
}

test('get-prop rendering: pool', () => {
  const p = poolPropsWith({ ...parsePoolProps('space_rb:36,owner:alice@,owner_group:proj@'), acl: parseAcl(['A::OWNER@:rw', 'A::EVERYONE@:r']) });
  assert.equal(formatPoolProps(p), [
    'Pool properties :',
    'label -> pool label not set',
    'rebuild space ratio -> 36',
    'self-heal -> 3',
    'reclaim -> 0',
    'acl ->',
    '# Entries:',
    'A::OWNER@:rw',
    'A::EVERYONE@:r',
    'owner -> alice@',
    'owner-group -> proj@',
    '',
  ].join('\n'));
});

test('get-prop rendering: container', () => {
  const c = contPropsWith(parseContProps('label:c1,layout_type:posix,cksum:crc64,srv_cksum:on'));
  assert.equal(formatContProps({ ...c, acl: [] }), [
    'Container properties :',
    'label -> c1',
    'layout type -> 1/POSIX',
    'layout version -> 1',
    'checksum type -> 3',
    'checksum chunk-size -> 32768',
    'checksum verification on server -> 1',
    'redundancy factor -> 1',
    'redundancy level -> 0',
    'max snapshots -> 0',
    'acl ->',
    '# Entries:',
    '#   None',
    'compression type -> 0',
    'encryption type -> 0',
    '',
  ].join('\n'));
  assert.match(formatContProps(defaultContProps()), /label -> container label not set\nlayout type -> 0\/unknown\n/);
});

test('entry lists round-trip with the v0.8 type numbers', () => {
  const c = contPropsWith({ label: 'x', csum: Csum.CRC16, snapshotMax: 5 });
  const entries = contPropsToEntries(c);
  assert.deepEqual(entries.slice(0, 4).map((e) => [e.type, e.value]), [[0x1001, 'x'], [0x1002, 0n], [0x1003, 1n], [0x1004, 1n]]);
  assert.deepEqual(contPropsFromEntries(entries), c);
  const p = defaultPoolProps();
  assert.deepEqual(poolPropsFromEntries(poolPropsToEntries(p)), p);
  assert.deepEqual(poolPropsToEntries({ spaceRb: 7 }), [{ type: PoolProp.SPACE_RB, value: 7n }]);
});

const badEntries: Record<string, { pool: boolean; entries: { type: number; value: unknown }[]; err: RegExp }> = {
  'pool sentinel MIN': { pool: true, entries: [{ type: 0, value: 1n }], err: /type 0x0 is not a pool property/ },
  'pool sentinel MAX': { pool: true, entries: [{ type: 8, value: 1n }], err: /type 0x8 is not a pool property/ },
  'container type on a pool': { pool: true, entries: [{ type: 0x1001, value: 'x' }], err: /not a pool property/ },
  'pool type on a container': { pool: false, entries: [{ type: 1, value: 'x' }], err: /type 0x1 is not a container property/ },
  duplicate: { pool: false, entries: [{ type: 0x1004, value: 1n }, { type: 0x1004, value: 2n }], err: /appears twice/ },
  'string for a number': { pool: false, entries: [{ type: 0x1004, value: '1' }], err: /csum has a value of the wrong kind/ },
  'empty label': { pool: true, entries: [{ type: 1, value: '' }], err: /label has a value of the wrong kind/ },
  'invalid ACL': { pool: true, entries: [{ type: 2, value: [...parseAcl(['A::bob@:r']), ...parseAcl(['A::bob@:rw'])] }], err: /appears more than once/ },
  'too many': { pool: true, entries: Array.from({ length: 129 }, () => ({ type: 3, value: 0n })), err: /129 pool properties, at most 128/ },
};
for (const [name, tc] of Object.entries(badEntries)) {
  test(`entry list refused: ${name}`, () => {
    const f = tc.pool ? poolPropsFromEntries : contPropsFromEntries;
    assert.throws(() => f(tc.entries as never), isInval(tc.err));
  });
}

test('validation of whole property sets', () => {
  assert.throws(() => contPropsWith({ csum: Csum.SHA1 }), isInval(/sha1 is not supported/));
  assert.throws(() => contPropsWith({ layoutType: 7 }), isInval(/layout_type 7 is not one of 0 \(UNKNOWN\), 1 \(POSIX\), 2 \(HDF5\)/));
  assert.throws(() => poolPropsWith({ reclaim: 9 }), isInval(/reclaim 9/));
  assert.throws(() => poolPropsWith({ label: '0bd4d4b5-1e3c-4c5b-8a34-6dd1f9b0f5a2' }), isInval(/is a UUID/));
});
