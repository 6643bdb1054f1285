#!/usr/bin/env node
// CPU time per operation, split into user and system time, of one client
// process (this one, through the client library) and of one daos_io_server,
// for updates then fetches of one size with a number of operations in flight.
// Run it against a running system and an existing pool (bench/daos_perf.mjs
// --keep leaves one up, or follow the README's quick start):
//
//   node bench/cpu_per_op.mjs --agent-dir DIR --pool LABEL --server-pid PID \
//        [--size 4K|1M] [--ops N] [--credits C] [--runs R]
//
// 4K: single values, one dkey each, over 8 objects of class S1; 1M: array
// extents of 1 MiB (record size 1), one dkey each, on one object of class SX.
// The server's time comes from /proc/PID/stat (utime, stime: every thread of
// the process, libuv's pool included), the client's from process.cpuUsage().
// It makes a container and destroys it at the end; nothing else is started.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { DaosClient } = await import(path.join(repo, 'dist/src/client/daos.js'));
const { IodType } = await import(path.join(repo, 'dist/src/rpc/protocol.js'));

const { values: a } = parseArgs({
  options: {
    'agent-dir': { type: 'string' },
    pool: { type: 'string' },
    'server-pid': { type: 'string' },
    size: { type: 'string', default: '4K' },
    ops: { type: 'string' },
    credits: { type: 'string' },
    runs: { type: 'string', default: '1' },
  },
});
if (!a['agent-dir'] || !a.pool || !a['server-pid']) {
  console.error('usage: node bench/cpu_per_op.mjs --agent-dir DIR --pool LABEL --server-pid PID [--size 4K|1M] [--ops N] [--credits C] [--runs R]');
  process.exit(2);
}
const big = a.size === '1M';
if (!big && a.size !== '4K') {
  console.error(`--size must be 4K or 1M, not ${a.size}`);
  process.exit(2);
}
const spid = Number(a['server-pid']);
const size = big ? 1 << 20 : 4096;
const ops = Math.min(Number(a.ops ?? (big ? 1500 : 30000)), big ? 8000 : 500000);
const credits = Math.min(Number(a.credits ?? (big ? 8 : 16)), 256);
const runs = Math.min(Math.max(1, Number(a.runs)), 10);
const TICK_US = 10_000; // CLK_TCK = 100

/** [user, system] µs of a process, from /proc. */
function procTimes(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(f[11]) * TICK_US, Number(f[12]) * TICK_US];
}

const d = await DaosClient.connect({ agentDir: a['agent-dir'] });
const p = await d.poolConnect(a.pool, 'rw');
const label = `cpu_per_op_${process.pid}`;
await p.containerCreate({ label });
const c = await p.containerOpen(label, 'rw');
try {
  const objs = big ? [c.object(c.generateOid('SX', 1n))] : Array.from({ length: 8 }, (_, i) => c.object(c.generateOid('S1', BigInt(i + 1))));
  const akey = Buffer.from('a');
  const iod = big ? [{ akey, type: IodType.ARRAY, size: 1, recxs: [{ idx: 0n, nr: BigInt(size) }] }] : [{ akey, type: IodType.SINGLE, size, recxs: [] }];
  const bufs = Array.from({ length: credits }, () => Buffer.alloc(size, 7));
  const dkey = (i) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(i));
    return b;
  };
  async function measure(name, fn) {
    let next = 0;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const s0 = procTimes(spid);
    await Promise.all(
      Array.from({ length: credits }, async (_, k) => {
        while (next < ops) await fn(next++, k);
      }),
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0);
    const s1 = procTimes(spid);
    const per = (x) => (x / ops).toFixed(1);
    const rate = big ? `${((ops * size) / secs / 1e9).toFixed(3)} GB/s` : `${(ops / secs).toFixed(0)} IO/s`;
    console.log(`${name} ${a.size}: ${rate} | client user ${per(cu.user)} sys ${per(cu.system)} µs/op | server user ${per(s1[0] - s0[0])} sys ${per(s1[1] - s0[1])} µs/op`);
  }
  for (let r = 0; r < runs; r++) {
    const base = r * ops;
    await measure('update', (i, k) => objs[i % objs.length].update(dkey(base + i), iod, [bufs[k]]));
    await measure('fetch ', (i, k) => objs[i % objs.length].fetch(dkey(base + i), iod, { sinks: [bufs[k]] }));
  }
} finally {
  await c.close();
  await p.containerDestroy(label, true);
  await p.disconnect();
  d.close();
}
