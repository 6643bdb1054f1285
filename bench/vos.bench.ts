/**
 * VOS benchmark: update and fetch rates on one target, with the LMDB file and
 * a FileDevice blob in /dev/shm (or the directory given), bounded in count
 * and time.
 *
 *   node dist/bench/vos.bench.js [--dir /dev/shm] [--seconds 5] [--depth 64] [--targets 1]
 *
 * Workloads: 4 KiB single values (one dkey each, so on the blob) and 1 MiB
 * array extents (one dkey each, record size 1), each first updated then
 * fetched with `depth` operations in flight. With --targets N, N VOS pools
 * (as N targets of one I/O server, sharing one device) take the operations
 * in turn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileDevice, VosPool, type UnitOid } from '../src/vos/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    depth: { type: 'string', default: '64' },
    targets: { type: 'string', default: '1' },
  },
});
const base = values.dir ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const seconds = Number(values.seconds);
const depth = Number(values.depth);
const targets = Number(values.targets);

const SMALL = 4096;
const LARGE = 1 << 20;
const SMALL_MAX = 200_000;
const LARGE_MAX = 1500;

interface Result {
  name: string;
  ops: number;
  secs: number;
  bytes: number;
}

/** Run op(i) for i = 0.. with `depth` in flight until max ops or the time is up. */
async function run(name: string, max: number, bytesPerOp: number, op: (i: number) => Promise<void>): Promise<Result> {
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < max && performance.now() < deadline) await op(next++);
  };
  await Promise.all(Array.from({ length: depth }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { name, ops: next, secs, bytes: next * bytesPerOp };
}

function report(r: Result): void {
  const ops = r.ops / r.secs;
  const mbs = r.bytes / r.secs / 1e6;
  console.log(`${r.name.padEnd(28)} ${String(r.ops).padStart(7)} ops in ${r.secs.toFixed(2)} s  ${ops.toFixed(0).padStart(7)} ops/s  ${mbs.toFixed(1).padStart(8)} MB/s`);
}

function dkeyOf(i: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(i));
  return b;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(base, 'vos-bench-'));
  const perTarget = Math.ceil(((LARGE_MAX + 64) * LARGE + SMALL_MAX * SMALL) / targets / (1 << 20)) * (1 << 20) + (64 << 20);
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
  console.log(`vos bench: LMDB and blob in ${root}, ${targets} target(s), ${depth} operations in flight, at most ${seconds} s per workload`);
  try {
    const oid: UnitOid = { hi: 1n, lo: 1n, shard: 0 };
    const small = Buffer.alloc(SMALL, 0x5a);
    const large = Buffer.alloc(LARGE, 0xa5);
    const akey = Buffer.from('a');
    let epoch = 1n;

    const su = await run('update 4 KiB single value', SMALL_MAX, SMALL, (i) =>
      pool(i).update('bench', oid, epoch++, dkeyOf(i), [{ akey, type: 'single', size: SMALL }], [small]),
    );
    report(su);
    const sf = await run('fetch 4 KiB single value', SMALL_MAX, SMALL, async (i) => {
      const k = (i * 7919) % su.ops;
      const [got] = await pool(k).fetch('bench', oid, epoch, dkeyOf(k), [{ akey, type: 'single', size: SMALL }]);
      if (got!.size !== SMALL) throw new Error(`dkey ${k}: ${got!.size} bytes`);
    });
    report(sf);

    const aoid: UnitOid = { hi: 2n, lo: 1n, shard: 0 };
    const lu = await run('update 1 MiB array extent', LARGE_MAX, LARGE, (i) =>
      pool(i).update('bench', aoid, epoch++, dkeyOf(i), [{ akey, type: 'array', size: 1, recxs: [{ idx: 0n, nr: BigInt(LARGE) }] }], [large]),
    );
    report(lu);
    const lf = await run('fetch 1 MiB array extent', LARGE_MAX, LARGE, async (i) => {
      const k = (i * 31) % lu.ops;
      const [got] = await pool(k).fetch('bench', aoid, epoch, dkeyOf(k), [{ akey, type: 'array', size: 1, recxs: [{ idx: 0n, nr: BigInt(LARGE) }] }]);
      if (got!.data.length !== LARGE) throw new Error(`dkey ${k}: ${got!.data.length} bytes`);
    });
    report(lf);
    let scmUsed = 0;
    let nvmeUsed = 0;
    for (const p of pools) {
      const sp = p.space();
      scmUsed += sp.scm.total - sp.scm.free;
      nvmeUsed += sp.nvme.total - sp.nvme.free;
    }
    console.log(`space: scm ${scmUsed} bytes used, nvme ${nvmeUsed} bytes used`);
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
