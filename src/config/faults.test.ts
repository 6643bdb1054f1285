import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Domain } from '../fault/codes.js';
import { Fault, registeredFaults } from '../fault/fault.js';
import { configInvalid, EXAMPLES_DIR, problemsOf, throwProblems } from './faults.js';
import './server.js';
import './client.js';

const configFaults = registeredFaults().filter((f) => f.domain === Domain.config);

test('config faults use codes 400-499, each once', () => {
  assert.ok(configFaults.length > 30);
  const codes = configFaults.map((f) => f.code);
  assert.deepEqual(codes.filter((c) => c < 400 || c > 499), []);
  assert.deepEqual(codes.filter((c, i) => codes.indexOf(c) !== i), []);
});

for (const def of configFaults) {
  test(`fault ${def.code} ${def.name} renders a description and a resolution`, () => {
    const f = def(...def.sample);
    assert.ok(f instanceof Fault);
    assert.equal(f.code, def.code);
    assert.ok(f.description.length > 0 && f.description === f.description.trim());
    assert.ok(f.resolution.length > 0);
    assert.notEqual(f.resolution, f.description);
  });
}

test('key errors point at the shipped examples', () => {
  const fileFaults = new Set(['ConfigFileNotFound', 'ConfigFileUnreadable']);
  const missing = configFaults
    .filter((d) => !fileFaults.has(d.name))
    .filter((d) => !d(...d.sample).resolution.includes(EXAMPLES_DIR))
    .map((d) => d.name);
  assert.deepEqual(missing, []);
});

test('throwProblems: none, one as itself, several as ConfigInvalid', () => {
  const a = new Fault({ domain: 'config', code: 413, description: 'a', resolution: 'fix a' });
  const b = new Fault({ domain: 'config', code: 414, description: 'b', resolution: 'fix b' });
  throwProblems('/f', []);
  assert.throws(() => throwProblems('/f', [a]), (e) => e === a);
  assert.throws(
    () => throwProblems('/f', [a, b]),
    (e: unknown) => e instanceof Fault && e.code === 400 && problemsOf(e).length === 2 && e.description === '2 problems in /f:\n  - a\n  - b',
  );
  assert.deepEqual(problemsOf(configInvalid('/f', [a, b])), [a, b]);
  assert.deepEqual(problemsOf(new Error('x')), []);
});

test('the aggregate survives the wire as one fault with every problem in its text', () => {
  const a = new Fault({ domain: 'config', code: 413, description: "'port' 0 is not valid", resolution: 'set port' });
  const back = Fault.fromWire(configInvalid('/f', [a, a]).toWire());
  assert.ok(back);
  assert.equal(back.code, 400);
  assert.match(back.description, /'port' 0 is not valid\n {2}- 'port' 0/);
});
