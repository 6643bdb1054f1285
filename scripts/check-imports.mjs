#!/usr/bin/env node
// Import direction: cmd → libraries → fault/logging, never back; the I/O
// server (engine) and the control server (server) are separate processes that
// talk only over dRPC, so neither imports the other. Run by the tests.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');

/** [from-folder, forbidden-folder, why] */
const rules = [
  ['engine', 'server', 'the I/O server is a separate process from daos_server; they talk only over dRPC'],
  ['server', 'engine', 'daos_server starts daos_io_server as a process; it must not link the engine'],
  ['lib', 'cmd', 'libraries must not depend on command entry points'],
  ['lib', 'server', 'libraries are shared by clients; server code belongs to daos_server'],
  ['lib', 'engine', 'libraries are shared by clients; engine code belongs to daos_io_server'],
  ['system', 'server', 'the management service logic is independent of the daos_server wiring'],
  ['config', 'server', 'config is loaded by every program and must not pull in the control server'],
  ['fault', 'lib', 'faults are the bottom layer'],
  ['logging', 'lib', 'logging is the bottom layer'],
  ['layout', 'server', 'the on-disk layout is shared by daos_server and daos_io_server'],
  ['layout', 'engine', 'the on-disk layout is shared by daos_server and daos_io_server'],
  ...['server', 'client', 'system', 'lib', 'agent', 'security', 'config', 'rpc', 'daos'].map((from) => [from, 'vos', 'the versioned object store belongs to the I/O server: only engine/ and the programs in cmd/ (daos_perf -T vos) use it']),
  ...['engine', 'server', 'client', 'system', 'rpc', 'daos', 'lib', 'cmd', 'agent', 'security', 'config', 'drpc', 'proto', 'layout'].map((to) => ['vos', to, 'VOS depends only on node built-ins, lmdb and fault/']),
];

function walk(d) {
  const out = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const problems = [];
for (const file of walk(src)) {
  const rel = path.relative(src, file);
  const top = rel.split(path.sep)[0];
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
    const spec = m[1];
    if (!spec.startsWith('.')) continue;
    const target = path.relative(src, path.resolve(path.dirname(file), spec));
    const ttop = target.split(path.sep)[0];
    for (const [from, forbidden, why] of rules) {
      if (top === from && ttop === forbidden) problems.push(`${rel} imports ${spec}: ${from}/ must not import ${forbidden}/ (${why})`);
    }
  }
}
if (problems.length) {
  for (const p of problems) console.error(`ERROR: ${p}`);
  process.exit(1);
}
console.log('import directions ok');
