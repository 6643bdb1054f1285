#!/usr/bin/env node
// Runs the compiled tests with Node's built-in test runner.
//   node scripts/run-tests.mjs            all tests (unit, then integration)
//   node scripts/run-tests.mjs --unit     unit tests only (dist/src)
//   node scripts/run-tests.mjs <filter>   test files whose path contains <filter>
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...find(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const unit = find(path.join(root, 'dist/src'));
const integration = unitOnly ? [] : find(path.join(root, 'dist/test'));
let files = [...unit, ...integration];
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found; run `npm run build` first');
  process.exit(1);
}
// Integration tests start clusters of real processes; run files one at a time
// so that they do not compete for the two cores and the network namespaces.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
