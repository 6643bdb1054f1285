import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registeredFaults } from '../../fault/fault.js';
import { CodeBlock } from '../../fault/codes.js';
import * as faults from './faults.js';

const ours = Object.values(faults).filter((f): f is (typeof faults)[keyof typeof faults] => typeof f === 'function');

test('every storage fault renders a description and a resolution', () => {
  for (const f of ours) {
    const e = (f as (...a: unknown[]) => ReturnType<typeof f>)(...(f.sample as unknown[]));
    assert.ok(e.description.length > 0, f.name);
    assert.ok(e.resolution.length > 0, f.name);
    assert.equal(e.description, e.description.trim(), f.name);
  }
});

test('storage fault codes are in their domain block and unique', () => {
  const seen = new Map<string, string>();
  for (const f of ours) {
    const block = CodeBlock[f.domain as keyof typeof CodeBlock];
    assert.ok(block !== undefined && f.code >= block && f.code < block + 100, `${f.name}: ${f.domain} ${f.code}`);
    const key = `${f.domain}/${f.code}`;
    assert.ok(!seen.has(key), `${f.name} reuses ${key} of ${seen.get(key)}`);
    seen.set(key, f.name);
  }
  for (const f of registeredFaults()) {
    if (ours.includes(f as never)) continue;
    assert.ok(!seen.has(`${f.domain}/${f.code}`), `${f.name} collides with ${seen.get(`${f.domain}/${f.code}`)}`);
  }
});

test("the original's codes and words are kept", () => {
  const cases: [string, number, number][] = [
    ['MissingSoftwareDependency', faults.MissingSoftwareDependency.code, 1],
    ['StorageUnknown', faults.StorageUnknown.code, 102],
    ['StorageAlreadyFormatted', faults.StorageAlreadyFormatted.code, 103],
    ['StorageFilesystemAlreadyMounted', faults.StorageFilesystemAlreadyMounted.code, 104],
    ['StorageDeviceAlreadyMounted', faults.StorageDeviceAlreadyMounted.code, 105],
    ['ScmUnknown', faults.ScmUnknown.code, 206],
    ['ScmFormatBadParam', faults.ScmFormatBadParam.code, 207],
    ['BdevUnknown', faults.BdevUnknown.code, 308],
    ['BdevFormatBadParam', faults.BdevFormatBadParam.code, 309],
  ];
  for (const [name, got, want] of cases) assert.equal(got, want, name);
  const f = faults.StorageAlreadyFormatted();
  assert.equal(f.description, 'format request for already-formatted storage and reformat not specified');
  assert.equal(f.resolution, 'retry the operation with reformat option to overwrite existing format');
  assert.equal(faults.MissingSoftwareDependency('ndctl').toString(), 'general: code = 1 description = "ndctl utility not found"');
  assert.equal(faults.MissingSoftwareDependency('ndctl').resolution, 'install the ndctl software for your OS');
});
