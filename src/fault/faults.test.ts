/**
 * Every fault of every domain has a description and a resolution, and no two
 * faults share a (domain, code) pair. The fault modules are found by walking
 * src/, so a new one is covered without editing this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fault, registeredFaults } from './fault.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '..');

function faultModules(d: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...faultModules(p));
    else if (e.name === 'faults.js') out.push(p);
  }
  return out;
}

test('every fault has a description and a resolution, and its code is unique', async () => {
  const mods = faultModules(src);
  assert.ok(mods.length >= 8, `found ${mods.length} fault modules`);
  for (const m of mods) await import(m);
  const faults = registeredFaults();
  assert.ok(faults.length > 50, `${faults.length} faults registered`);
  const seen = new Map<string, string>();
  for (const def of faults) {
    const f = def(...def.sample);
    assert.ok(f instanceof Fault);
    assert.ok(f.description.trim().length > 0, `${def.name}: empty description`);
    assert.ok(f.resolution.trim().length > 0, `${def.name}: no resolution`);
    assert.notEqual(f.resolution, 'no known resolution', `${def.name}: no resolution`);
    const key = `${def.domain}/${def.code}`;
    assert.ok(!seen.has(key), `${def.name} and ${seen.get(key)} share ${key}`);
    seen.set(key, def.name);
  }
});

test('a fault survives the wire', () => {
  const f = new Fault({ domain: 'storage', code: 103, description: 'd "q"', resolution: 'r' });
  const g = Fault.fromWire(f.toWire());
  assert.deepEqual(g?.toJSON(), f.toJSON());
  assert.equal(f.toString(), 'storage: code = 103 description = "d \\"q\\""');
  assert.equal(f.resolutionString(), 'storage: code = 103 resolution = "r"');
  assert.equal(Fault.fromWire('not json'), undefined);
});

test('import directions hold (scripts/check-imports.mjs)', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [path.resolve(src, '../../scripts/check-imports.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the control plane raises only registered faults (no hand-built codes that the uniqueness check cannot see)', () => {
  // Wire decoding rebuilds faults received from elsewhere; that is not raising one.
  const allowed = new Set([path.join('server', 'admin', 'protocol.ts')]);
  const root = path.resolve(src, '../../src');
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !allowed.has(path.relative(root, p))) {
        fs.readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/new Fault\(/.test(line)) offenders.push(`${path.relative(root, p)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  for (const dir of ['cmd', 'server']) walk(path.join(root, dir));
  assert.deepEqual(offenders, [], 'define these with defineFault in a faults.ts so their codes are checked');
});
