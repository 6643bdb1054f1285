/**
 * Argument handling of the daos tool, table-driven: v0.8 option spellings,
 * pool/container from flags or positions, object IDs, classes, sizes,
 * epochs and container-create properties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerCreateSpec, normalizeArgv, parseChunkSize, parseEpoch, parseEpochRange, parseOclass, parseOidArg, takeIds } from './args.js';
import { CmdError } from './ctx.js';
import { formatOid, oidClass, oidFeatures, OidFeature } from '../../daos/oid.js';
import { OC } from '../../daos/oclass.js';
import { ARRAY_FEATURES } from '../../client/array.js';

const LONG = ['sys-name', 'group', 'svc', 'pool', 'cont', 'attr', 'value', 'oclass', 'oid', 'chunk-size', 'epc', 'epcrange', 'file', 'force', 'json', 'help'];

function usageError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CmdError, `expected a CmdError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(e.resolution.length > 0, 'every usage error says how to fix it');
    assert.equal(e.exitCode, 2);
    return true;
  });
}

const normalizeCases: Record<string, { in: string[]; out?: string[]; err?: RegExp }> = {
  'exact names are kept': { in: ['pool', 'query', '--pool=x', '--svc', '0'], out: ['pool', 'query', '--pool=x', '--svc', '0'] },
  'v0.8 --chunk_size becomes --chunk-size': { in: ['--chunk_size=1m'], out: ['--chunk-size=1m'] },
  'getopt prefix --sys= is --sys-name=': { in: ['--sys=daos_server'], out: ['--sys-name=daos_server'] },
  'getopt prefix --chunk= is --chunk-size=': { in: ['--chunk=4k'], out: ['--chunk-size=4k'] },
  'getopt prefix --epcr is --epcrange': { in: ['--epcr', '1-2'], out: ['--epcrange', '1-2'] },
  '--epc is exact, not a prefix of --epcrange': { in: ['--epc=5'], out: ['--epc=5'] },
  'ambiguous prefix names the candidates': { in: ['--o=1'], err: /--o is ambiguous: it could be --oclass, --oid/ },
  'unknown options are left to the parser': { in: ['--bogus'], out: ['--bogus'] },
  'short options and values are untouched': { in: ['-j', 'x', '-'], out: ['-j', 'x', '-'] },
  'nothing after -- is rewritten': { in: ['--', '--sys'], out: ['--', '--sys'] },
};
for (const [name, tc] of Object.entries(normalizeCases)) {
  test(`normalizeArgv: ${name}`, () => {
    if (tc.err) usageError(() => normalizeArgv(tc.in, LONG), tc.err);
    else assert.deepEqual(normalizeArgv(tc.in, LONG), tc.out);
  });
}

const idCases: Record<string, { pos: (string | undefined)[]; o: { pool?: string; cont?: string }; needCont: boolean; want?: object; err?: RegExp }> = {
  'positional pool': { pos: ['tank'], o: {}, needCont: false, want: { pool: 'tank', rest: [] } },
  'v0.8 --pool': { pos: [undefined], o: { pool: 'u' }, needCont: false, want: { pool: 'u', rest: [] } },
  'positional pool and container': { pos: ['tank', 'c1'], o: {}, needCont: true, want: { pool: 'tank', cont: 'c1', rest: [] } },
  'v0.8 --pool and --cont': { pos: [undefined, undefined], o: { pool: 'p', cont: 'c' }, needCont: true, want: { pool: 'p', cont: 'c', rest: [] } },
  '--pool with the container positional': { pos: ['c1', undefined], o: { pool: 'p' }, needCont: true, want: { pool: 'p', cont: 'c1', rest: [] } },
  'extra arguments are left in rest': { pos: ['p', 'c', 'name', 'value'], o: {}, needCont: true, want: { pool: 'p', cont: 'c', rest: ['name', 'value'] } },
  'no pool': { pos: [], o: {}, needCont: false, err: /the pool is required/ },
  'no container': { pos: ['p'], o: {}, needCont: true, err: /the container is required/ },
};
for (const [name, tc] of Object.entries(idCases)) {
  test(`takeIds: ${name}`, () => {
    if (tc.err) usageError(() => takeIds(tc.pos, tc.o, tc.needCont), tc.err);
    else assert.deepEqual(takeIds(tc.pos, tc.o, tc.needCont), tc.want);
  });
}

test('parseOclass: exact names, v0.8 prefixes, and unknown names listing the valid ones', () => {
  assert.equal(parseOclass('SX').id, OC.SX);
  assert.equal(parseOclass('RP_2G1').id, OC.RP_2G1);
  assert.equal(parseOclass('RP_3').name, 'RP_3G1', "v0.8's prefix rule");
  assert.equal(parseOclass('S').name, 'S1');
  usageError(() => parseOclass('XX'), /unknown object class: object class "XX" is unknown; valid classes: S1, S2, S4, SX/);
  usageError(() => parseOclass('sx'), /did you mean SX/);
  usageError(() => parseOclass('EC_2P1G1'), /erasure-coded classes are not supported/);
  usageError(() => parseOclass(''), /empty/);
});

const SX_HI = (1n << 60n) | (BigInt(OC.SX) << 32n);

const oidCases: Record<string, { s?: string; oclass?: string; dflt?: string; features?: number; want?: string; err?: RegExp }> = {
  'a full ID is kept': { s: `${SX_HI}.7`, want: `${SX_HI}.7` },
  'user bits get the default class': { s: '0.7', dflt: 'SX', want: `${SX_HI}.7` },
  'user bits with --oclass': { s: '5.9', oclass: 'S1', want: `${(1n << 60n) | (BigInt(OC.S1) << 32n) | 5n}.9` },
  'user bits with array features': { s: '0.3', dflt: 'SX', features: ARRAY_FEATURES, want: `${SX_HI | (BigInt(ARRAY_FEATURES) << 44n)}.3` },
  'a full ID and the same --oclass': { s: `${SX_HI}.7`, oclass: 'SX', want: `${SX_HI}.7` },
  'a full ID and another --oclass': { s: `${SX_HI}.7`, oclass: 'S1', err: /is of class SX, not S1/ },
  'missing': { s: undefined, err: /the object ID is required/ },
  'three parts': { s: '1.2.3', err: /bad object ID: .*found 2 '\.'/ },
  'not decimal': { s: '0x1.2', err: /bad object ID/ },
  'over 64 bits': { s: '18446744073709551616.1', err: /does not fit 64 bits/ },
  'unregistered class in a full ID': { s: `${(1n << 60n) | (999n << 32n)}.1`, err: /class id 999 is not a registered object class/ },
};
for (const [name, tc] of Object.entries(oidCases)) {
  test(`parseOidArg: ${name}`, () => {
    const run = () => parseOidArg(tc.s, tc.oclass, tc.dflt ?? 'SX', tc.features ?? 0);
    if (tc.err) usageError(run, tc.err);
    else assert.equal(formatOid(run()), tc.want);
  });
}

test('parseOidArg: the generated ID decodes to its class and features', () => {
  const oid = parseOidArg('0.42', 'S2', 'SX', ARRAY_FEATURES);
  assert.equal(oidClass(oid), OC.S2);
  assert.equal(oidFeatures(oid) & OidFeature.ARRAY, OidFeature.ARRAY);
});

const chunkCases: Record<string, [string, number | RegExp]> = {
  'plain bytes': ['65536', 65536],
  'v0.8 suffix k': ['64k', 65536],
  'v0.8 suffix with b': ['1mb', 1 << 20],
  'v0.8 upper case': ['2M', 2 << 20],
  'v0.8 hex': ['0x1000', 4096],
  'v0.8 octal': ['010', 8],
  "today's IEC unit": ['1MiB', 1 << 20],
  "today's decimal": ['1.5M', 1.5 * (1 << 20)],
  zero: ['0', /failed to parse chunk size/],
  junk: ['lots', /failed to parse chunk size/],
  negative: ['-1', /failed to parse chunk size/],
};
for (const [name, [s, want]] of Object.entries(chunkCases)) {
  test(`parseChunkSize: ${name}`, () => {
    if (want instanceof RegExp) usageError(() => parseChunkSize(s), want);
    else assert.equal(parseChunkSize(s), want);
  });
}

test('parseEpoch and parseEpochRange', () => {
  assert.equal(parseEpoch('123'), 123n);
  assert.equal(parseEpoch('18446744073709551615'), 0xffffffffffffffffn);
  usageError(() => parseEpoch('0'), /failed to parse epc/);
  usageError(() => parseEpoch('1e3'), /failed to parse epc/);
  assert.deepEqual(parseEpochRange('5-9'), { lo: 5n, hi: 9n });
  usageError(() => parseEpochRange('5'), /must be in A-B form/);
  usageError(() => parseEpochRange('9-5'), /first epoch is above the second/);
});

const createCases: Record<string, { o: Parameters<typeof containerCreateSpec>[0]; label?: string; want?: object; err?: RegExp }> = {
  'nothing: a new UUID, no label': { o: {}, want: { props: {} } },
  'positional label': { o: {}, label: 'c1', want: { label: 'c1', props: {} } },
  'v0.8 --cont UUID': { o: { cont: 'B7A4C6F0-0000-4000-8000-000000000001' }, want: { uuid: 'b7a4c6f0-0000-4000-8000-000000000001', props: {} } },
  '--cont that is not a UUID is the label': { o: { cont: 'c2' }, want: { label: 'c2', props: {} } },
  'label in --properties': { o: { properties: 'label:c3,cksum:crc32,rf:0,srv_cksum:on' }, want: { label: 'c3', props: { cksum: 'crc32', rf: '0', srv_cksum: 'on' } } },
  '--type, --oclass, --chunk-size': { o: { type: 'posix', oclass: 'S2', chunkSize: '64k' }, want: { props: { layout_type: 'POSIX', oclass: 'S2', chunk_size: '65536' } } },
  'two labels': { o: { label: 'a' }, label: 'b', err: /label is given twice/ },
  'a UUID as the label': { o: {}, label: 'b7a4c6f0-0000-4000-8000-000000000001', err: /is a UUID/ },
  'unknown type': { o: { type: 'ZFS' }, err: /unknown container type ZFS/ },
  'property without a colon': { o: { properties: 'cksum' }, err: /wrong format for properties/ },
  'unknown property': { o: { properties: 'colour:red' }, err: /unknown container property "colour"/ },
  'sha1 refused': { o: { properties: 'cksum:sha1' }, err: /sha1 is not supported/ },
  'unknown class': { o: { oclass: 'XX' }, err: /unknown object class/ },
};
for (const [name, tc] of Object.entries(createCases)) {
  test(`containerCreateSpec: ${name}`, () => {
    if (tc.err) usageError(() => containerCreateSpec(tc.o, tc.label), tc.err);
    else assert.deepEqual(containerCreateSpec(tc.o, tc.label), tc.want);
  });
}
