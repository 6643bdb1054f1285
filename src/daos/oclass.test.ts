import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaosError, DER } from './errors.js';
import { classById, classByName, className, GRP_MAX, isClassId, objectClasses, REPL_MAX, Resilience } from './oclass.js';

// data-plane §2.3: the v0.8 IDs and attributes of every usable class.
const table: Record<string, { id: number; replicas: number; grpNr: number; echo?: boolean }> = {
  S1: { id: 200, replicas: 1, grpNr: 1 },
  S2: { id: 201, replicas: 1, grpNr: 2 },
  S4: { id: 202, replicas: 1, grpNr: 4 },
  SX: { id: 214, replicas: 1, grpNr: GRP_MAX },
  RP_2G1: { id: 220, replicas: 2, grpNr: 1 },
  RP_2G2: { id: 221, replicas: 2, grpNr: 2 },
  RP_2GX: { id: 234, replicas: 2, grpNr: GRP_MAX },
  RP_3G1: { id: 240, replicas: 3, grpNr: 1 },
  RP_3G2: { id: 241, replicas: 3, grpNr: 2 },
  RP_3GX: { id: 254, replicas: 3, grpNr: GRP_MAX },
  RP_4G1: { id: 1026, replicas: 4, grpNr: 1 },
  RP_4G2: { id: 1027, replicas: 4, grpNr: 2 },
  RP_4GX: { id: 1029, replicas: 4, grpNr: GRP_MAX },
  RP_XSF: { id: 80, replicas: REPL_MAX, grpNr: 1 },
  S1_ECHO: { id: 14, replicas: 1, grpNr: 1, echo: true },
  RP_2G1_ECHO: { id: 15, replicas: 2, grpNr: 1, echo: true },
  RP_3G1_ECHO: { id: 16, replicas: 3, grpNr: 1, echo: true },
  RP_4G1_ECHO: { id: 17, replicas: 4, grpNr: 1, echo: true },
};
for (const [name, tc] of Object.entries(table)) {
  test(`class ${name}`, () => {
    const c = classByName(name);
    assert.deepEqual([c.id, c.replicas, c.grpNr, c.echo, c.resilience], [tc.id, tc.replicas, tc.grpNr, tc.echo ?? false, Resilience.REPL]);
    assert.equal(classById(tc.id), c);
    assert.equal(className(tc.id), name);
    assert.ok(isClassId(tc.id));
  });
}

test('the class list is v0.8 table order', () => {
  assert.deepEqual(objectClasses().map((c) => c.name), Object.keys(table));
  assert.equal(GRP_MAX, 0xffffffff);
  assert.equal(REPL_MAX, 0xffffffff);
});

// v0.8's prefix rule (daos_oclass_name2id, daos --oclass), opt-in.
const prefixes: Record<string, string> = { S: 'S1', '': 'S1', RP_2G: 'RP_2G1', RP_3: 'RP_3G1', RP_: 'RP_2G1', RP_X: 'RP_XSF', S1_: 'S1_ECHO', RP_4G1_: 'RP_4G1_ECHO', SX: 'SX' };
for (const [given, want] of Object.entries(prefixes)) {
  test(`prefix mode: ${JSON.stringify(given)} → ${want}; exact mode refuses unless exact`, () => {
    assert.equal(classByName(given, { prefix: true }).name, want);
    if (given !== want) assert.throws(() => classByName(given), DaosError);
  });
}

const unknown: Record<string, RegExp> = {
  tiny: /object class "tiny" is unknown; valid classes: S1, S2, S4, SX, RP_2G1, .*RP_4G1_ECHO$/,
  rp_2g1: /is unknown; did you mean RP_2G1\? \(names are case-sensitive\)/,
  EC_2P1G1: /"EC_2P1G1" is not usable: erasure-coded classes are not supported/,
  S1_SR: /"S1_SR" is not usable: special-rank test classes are not supported/,
  S8: /"S8" is unknown/,
  '': /"" is unknown/,
};
for (const [name, want] of Object.entries(unknown)) {
  test(`unknown class ${JSON.stringify(name)} is -DER_INVAL listing the valid names`, () => {
    assert.throws(() => classByName(name), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && want.test(e.detail ?? ''));
  });
}

test('prefix mode still refuses text that starts no name', () => {
  assert.throws(() => classByName('Q', { prefix: true }), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL);
});

test('unregistered class IDs', () => {
  for (const id of [0, 203, 222, 280, 1024, 1028, 4095]) {
    assert.throws(() => classById(id), (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && /not registered; valid classes: S1/.test(e.message));
    assert.equal(className(id), undefined);
  }
});
