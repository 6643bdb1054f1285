#!/usr/bin/env node
/**
 * A client process for the multi-node data tests: writes objects whose
 * content is derived from (seed, index), logs each acknowledged write, and
 * verifies them later (after kills and restarts) against the same derivation.
 *
 *   data-worker.mjs write  <agentDir> <pool> <cont> <seed> <count> <classes> <ackLog> [pauseMs]
 *   data-worker.mjs verify <agentDir> <pool> <cont> <ackLog>...
 *   data-worker.mjs mkcont <agentDir> <pool> <label>
 *
 * Object i of seed s: class classes[i % n], OID lo = s * 1_000_000 + i; it
 * holds a KV entry `key-<i>` (a 3000-byte value: inline in SCM) and an array
 * of 200 KiB + i bytes (on the block devices) in 64 KiB chunks. The ack log
 * gets `<class> <index>` once both are acknowledged.
 *
 * Output: one JSON line {mode, written|checked, failures: [{class, index, error}]}.
 * Exit status 0 unless a write failed for good or a verified object differs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { DaosClient } = await import(path.join(REPO, 'dist/src/client/daos.js'));
const { arrayOid } = await import(path.join(REPO, 'dist/src/client/array.js'));

/** Deterministic bytes: SHA-256 in counter mode over (tag, seed, index). */
function bytes(tag, seed, index, n) {
  const out = Buffer.allocUnsafe(n);
  for (let off = 0, ctr = 0; off < n; ctr++) {
    const h = crypto.createHash('sha256').update(`${tag}:${seed}:${index}:${ctr}`).digest();
    off += h.copy(out, off);
  }
  return out;
}

const kvValue = (seed, i) => bytes('kv', seed, i, 3000);
const arrData = (seed, i) => bytes('arr', seed, i, 200 * 1024 + i);

async function write(daos, [pool, cont, seedS, countS, classesS, ackLog, pauseS]) {
  const seed = Number(seedS);
  const count = Number(countS);
  const classes = classesS.split(',');
  const pause = Number(pauseS ?? 0);
  const p = await daos.poolConnect(pool, 'rw');
  const c = await p.containerOpen(cont, 'rw');
  const failures = [];
  let written = 0;
  for (let i = 0; i < count; i++) {
    const cls = classes[i % classes.length];
    const lo = BigInt(seed) * 1_000_000n + BigInt(i);
    try {
      await c.kv(c.generateOid(cls, lo)).put(`key-${i}`, kvValue(seed, i));
      const a = await c.arrayCreate(arrayOid(cls, lo, 1n), 1, 64 * 1024);
      await a.write(arrData(seed, i), 0n);
      fs.appendFileSync(ackLog, `${seed} ${cls} ${i}\n`);
      written++;
    } catch (e) {
      failures.push({ class: cls, index: i, error: String(e) });
    }
    if (pause) await new Promise((r) => setTimeout(r, pause));
  }
  await c.close();
  await p.disconnect();
  return { mode: 'write', written, failures };
}

async function verify(daos, [pool, cont, ...ackLogs]) {
  const p = await daos.poolConnect(pool, 'r');
  const c = await p.containerOpen(cont, 'r');
  const failures = [];
  let checked = 0;
  const entries = ackLogs.flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []));
  for (const line of entries) {
    const [seedS, cls, iS] = line.split(' ');
    const seed = Number(seedS);
    const i = Number(iS);
    const lo = BigInt(seed) * 1_000_000n + BigInt(i);
    try {
      const v = await c.kv(c.generateOid(cls, lo)).get(`key-${i}`);
      if (!v || !v.equals(kvValue(seed, i))) throw new Error(`kv value differs (${v ? v.length : 'no'} bytes)`);
      const a = await c.arrayOpen(arrayOid(cls, lo, 1n));
      const want = arrData(seed, i);
      const got = Buffer.alloc(want.length);
      await a.read(got, 0n);
      if (!got.equals(want)) throw new Error('array data differs');
      checked++;
    } catch (e) {
      failures.push({ class: cls, index: i, seed, error: String(e) });
    }
  }
  await c.close();
  await p.disconnect();
  return { mode: 'verify', checked, failures };
}

const [mode, agentDir, ...rest] = process.argv.slice(2);
const daos = await DaosClient.connect({ agentDir });
let result;
try {
  if (mode === 'mkcont') {
    const p = await daos.poolConnect(rest[0], 'rw');
    const c = await p.containerCreate({ label: rest[1] });
    await p.disconnect();
    result = { mode, uuid: c.uuid, failures: [] };
  } else result = mode === 'write' ? await write(daos, rest) : await verify(daos, rest);
} finally {
  daos.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(mode === 'verify' ? (result.failures.length ? 1 : 0) : 0);
