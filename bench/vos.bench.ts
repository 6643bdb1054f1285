/**
 * VOS benchmark: update and fetch rates, and the CPU time each operation
 * costs, with the LMDB files and a FileDevice blob in /dev/shm (or the
 * directory given), bounded in count and time.
 *
 *   node dist/bench/vos.bench.js [--dir /dev/shm] [--seconds 5] [--depth 64] [--targets 1]
 *                                [--only su,sf,lu,lf] [--json] [--profile DIR] [--perf-ctl FIFO] [--profile-only sf,...]
 *
 * Workloads: 4 KiB single values (one dkey each, so on the blob: su, sf) and
 * 1 MiB array extents (one dkey each, record size 1: lu, lf), each first
 * updated then fetched with `depth` operations in flight, after a warm-up
 * that is not measured. With --targets N,
 * N VOS pools (as N targets of one I/O server, sharing one device) take the
 * operations in turn.
 *
 * NB: the figure to watch is `cpu µs/op`: process.cpuUsage() (user + system,
 * every thread of the process: the JS thread, libuv's pool, LMDB's sync
 * threads) over the operations. Wall-clock rates are printed too, but on a
 * shared machine they say more about the neighbours than about VOS.
 * --profile DIR writes a CPU profile of the JS thread per workload
 * (DIR/<workload>.cpuprofile), like `node --cpu-prof` but one per workload.
 * --perf-ctl FIFO writes `enable` / `disable` to a `perf record -D -1
 * --control fifo:FIFO` control pipe around each workload, so that native
 * profiles leave out the setup (filling the device) and the teardown.
 * --profile-only limits both to the workloads named.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { FileDevice, VosPool, type UnitOid } from '../src/vos/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    depth: { type: 'string', default: '64' },
    targets: { type: 'string', default: '1' },
    only: { type: 'string', default: 'su,sf,lu,lf' },
    json: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'perf-ctl': { type: 'string' },
    'profile-only': { type: 'string' },
  },
});
const base = values.dir ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const seconds = Number(values.seconds);
const depth = Number(values.depth);
const targets = Number(values.targets);
const only = new Set(values.only!.split(','));
const profiled = new Set((values['profile-only'] ?? values.only!).split(','));
for (const [name, v] of [['seconds', seconds], ['depth', depth], ['targets', targets]] as const) {
  if (!(v > 0) || (name !== 'seconds' && !Number.isInteger(v))) {
    console.error(`--${name} ${String(v)} is not valid: give a positive ${name === 'seconds' ? 'number' : 'integer'}`);
    process.exit(2);
  }
}
for (const w of only) {
  if (!['su', 'sf', 'lu', 'lf'].includes(w)) {
    console.error(`--only names workload '${w}': give a comma-separated list of su, sf, lu, lf`);
    process.exit(2);
  }
}
if ((only.has('sf') && !only.has('su')) || (only.has('lf') && !only.has('lu'))) {
  console.error('--only: a fetch workload needs its update workload (sf needs su, lf needs lu) to have data to read');
  process.exit(2);
}

const SMALL = 4096;
const LARGE = 1 << 20;
const SMALL_MAX = 200_000;
const LARGE_MAX = 2000;
/** Operations run before measuring each workload. */
const SMALL_WARM = 20_000;
const LARGE_WARM = 300;

interface Result {
  name: string;
  ops: number;
  secs: number;
  bytes: number;
  /** CPU microseconds (user + system, all threads) per operation. */
  cpuUs: number;
}

let session: Session | undefined;

/**
 * Run op(i) for i = 0.. with `depth` in flight: first `warm` operations
 * unmeasured (so that the JIT compiler and the first GCs are not counted),
 * then measured until max operations in all or the time is up. `done` is
 * every operation run, warm-up included.
 */
async function run(tag: string, name: string, max: number, warm: number, bytesPerOp: number, op: (i: number) => Promise<void>): Promise<Result & { done: number }> {
  const profiling = profiled.has(tag);
  let next = 0;
  const phase = async (limit: number, deadline: number): Promise<void> => {
    const worker = async (): Promise<void> => {
      while (next < limit && performance.now() < deadline) await op(next++);
    };
    await Promise.all(Array.from({ length: depth }, worker));
  };
  await phase(Math.min(warm, max), Infinity);
  const first = next;
  if (values.profile && profiling) {
    if (!session) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      fs.mkdirSync(values.profile, { recursive: true });
    }
    await session.post('Profiler.start');
  }
  const perfCtl = profiling ? values['perf-ctl'] : undefined;
  if (perfCtl) fs.writeFileSync(perfCtl, 'enable\n');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await phase(max, t0 + seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (perfCtl) fs.writeFileSync(perfCtl, 'disable\n');
  if (session && profiling) {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(values.profile!, `${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
  }
  const ops = next - first;
  return { name, ops, secs, bytes: ops * bytesPerOp, cpuUs: (c.user + c.system) / Math.max(1, ops), done: next };
}

function report(r: Result): void {
  if (values.json) return;
  const ops = r.ops / r.secs;
  const mbs = r.bytes / r.secs / 1e6;
  console.log(
    `${r.name.padEnd(28)} ${String(r.ops).padStart(7)} ops in ${r.secs.toFixed(2)} s  ${ops.toFixed(0).padStart(7)} ops/s  ${mbs.toFixed(1).padStart(8)} MB/s  ${r.cpuUs.toFixed(1).padStart(8)} cpu µs/op`,
  );
}

function dkeyOf(i: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(i));
  return b;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(base, 'vos-bench-'));
  // NB: room for the selected workloads only: the device is written whole before they run
  const need = (only.has('lu') ? (LARGE_MAX + 64) * LARGE : 0) + (only.has('su') ? SMALL_MAX * SMALL : 0);
  const perTarget = Math.ceil(need / targets / (1 << 20)) * (1 << 20) + (64 << 20);
  const blobBytes = perTarget * targets;
  const dev = await FileDevice.open(path.join(root, 'bdev'), { size: blobBytes, create: true });
  // NB: write the whole device once first: a sparse file on tmpfs pays for page allocation on
  // first write, which a real device does not; the measured writes then overwrite allocated pages
  const zeros = Buffer.alloc(16 << 20);
  for (let off = 0; off < blobBytes; off += zeros.length) await dev.write(off, zeros.subarray(0, Math.min(zeros.length, blobBytes - off)));
  await dev.flush();
  const pools: VosPool[] = [];
  for (let t = 0; t < targets; t++) {
    pools.push(await VosPool.create({ dir: path.join(root, 'pool'), target: t, scmBytes: 1 << 30, blob: { device: dev, offset: t * perTarget, size: perTarget } }));
  }
  const pool = (i: number): VosPool => pools[i % targets]!;
  if (!values.json) console.log(`vos bench: LMDB and blob in ${root}, ${targets} target(s), ${depth} operations in flight, at most ${seconds} s per workload`);
  const results: Result[] = [];
  try {
    const oid: UnitOid = { hi: 1n, lo: 1n, shard: 0 };
    const small = Buffer.alloc(SMALL, 0x5a);
    const large = Buffer.alloc(LARGE, 0xa5);
    const akey = Buffer.from('a');
    let epoch = 1n;

    if (only.has('su')) {
      const su = await run('su', 'update 4 KiB single value', SMALL_MAX, SMALL_WARM, SMALL, (i) =>
        pool(i).update('bench', oid, epoch++, dkeyOf(i), [{ akey, type: 'single', size: SMALL }], [small]),
      );
      report(su);
      results.push(su);
      if (only.has('sf')) {
        const sf = await run('sf', 'fetch 4 KiB single value', SMALL_MAX, SMALL_WARM, SMALL, async (i) => {
          const k = (i * 7919) % su.done;
          const [got] = await pool(k).fetch('bench', oid, epoch, dkeyOf(k), [{ akey, type: 'single', size: SMALL }]);
          if (got!.size !== SMALL) throw new Error(`dkey ${k}: ${got!.size} bytes`);
        });
        report(sf);
        results.push(sf);
      }
    }

    if (only.has('lu')) {
      const aoid: UnitOid = { hi: 2n, lo: 1n, shard: 0 };
      const lu = await run('lu', 'update 1 MiB array extent', LARGE_MAX, LARGE_WARM, LARGE, (i) =>
        pool(i).update('bench', aoid, epoch++, dkeyOf(i), [{ akey, type: 'array', size: 1, recxs: [{ idx: 0n, nr: BigInt(LARGE) }] }], [large]),
      );
      report(lu);
      results.push(lu);
      if (only.has('lf')) {
        const lf = await run('lf', 'fetch 1 MiB array extent', LARGE_MAX, LARGE_WARM, LARGE, async (i) => {
          const k = (i * 31) % lu.done;
          const [got] = await pool(k).fetch('bench', aoid, epoch, dkeyOf(k), [{ akey, type: 'array', size: 1, recxs: [{ idx: 0n, nr: BigInt(LARGE) }] }]);
          if (got!.data.length !== LARGE) throw new Error(`dkey ${k}: ${got!.data.length} bytes`);
        });
        report(lf);
        results.push(lf);
      }
    }
    let scmUsed = 0;
    let nvmeUsed = 0;
    for (const p of pools) {
      const sp = p.space();
      scmUsed += sp.scm.total - sp.scm.free;
      nvmeUsed += sp.nvme.total - sp.nvme.free;
    }
    if (values.json) console.log(JSON.stringify({ targets, depth, results, scmUsed, nvmeUsed }));
    else console.log(`space: scm ${scmUsed} bytes used, nvme ${nvmeUsed} bytes used`);
  } finally {
    for (const p of pools) await p.destroy();
    await dev.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
