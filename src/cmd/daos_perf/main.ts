/**
 * daos_perf: the original's micro-benchmark of one DAOS layer (reference
 * pools-tools-tests.md §6.1), as an MPI-style program: every rank drives its
 * own objects, rank 0 prints.
 *
 *   daos_perf -T daos --pool tank -A -s 1M -C 8 -a 1 -r 256 -U -F
 *   daos_perf -n 4 -T echo --pool tank -s 4K -C 16 -U -F
 *   orterun -n 4 daos_perf -T vos -f /dev/shm/perf -s 4K -U
 *
 * Flow per rank: join the group (src/lib/mpi); set up the layer (the VOS of
 * this rank, or the pool and container through rank 0); print the header
 * (rank 0); then for each test: its untimed preparation, a barrier, the
 * timed passes, the figures of every rank gathered on rank 0, and, with -v,
 * an untimed verification; finally tear down what was created.
 *
 * Where we differ from the original on purpose:
 *  - a failed test exits 1 (the original printed `Failed: <rc>` and exited 0);
 *  - -C applies to -T vos too: our VOS calls are asynchronous (group commit),
 *    so a window of them in flight is meaningful; -C 0 is the original's
 *    one-at-a-time behaviour;
 *  - -B times an update pass followed by a fetch pass (the v0.8 code timed
 *    only the fetches after an untimed update, the same as -F);
 *  - -v verifies single values and -t too, accepting for a value any of the
 *    writes that may have been in flight together;
 *  - the header is printed once the pool is connected, so that with --pool it
 *    shows the pool's real size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import crypto from 'node:crypto';
import { ProcessGroup, PgError, groupEnv, launch } from '../../lib/mpi/index.js';
import { DaosError } from '../../daos/errors.js';
import { generateOid } from '../../daos/oid.js';
import { Fault } from '../../fault/fault.js';
import { parseArgs, PerfUsageError, USAGE, type PerfOptions, type TestName } from './options.js';
import { computeResult, formatHeader, formatResult, jsonParameters, jsonResult, type HeaderInfo, type JsonReport, type RankTiming } from './report.js';
import { InterruptedError, VerifyError, Workload, type PerfBackend } from './workload.js';
import { DaosBackend, EchoBackend, VosBackend } from './backends.js';
import { Cluster } from './setup.js';

export interface PerfIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** NB: a closed stdout (`daos_perf | head`) must not stop the run before it removes what it created. */
function quietWrite(stream: NodeJS.WriteStream, s: string): void {
  if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  if (!stream.destroyed) stream.write(s);
}

const realIO: PerfIO = {
  out: (s) => quietWrite(process.stdout, s),
  err: (s) => quietWrite(process.stderr, s),
};

/** Milliseconds on a clock every process of the host shares. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The DER code of an error, as the original's `rc` (-1 for anything else). */
function rcOf(e: unknown): number {
  if (e instanceof DaosError) return e.rc;
  if (e && typeof (e as { rc?: unknown }).rc === 'number' && (e as { rc: number }).rc < 0) return (e as { rc: number }).rc;
  return -1;
}

function messageOf(e: unknown): string {
  if (e instanceof DaosError) return e.toString() + (e.hint ? ` (${e.hint})` : '');
  if (e instanceof Fault) return `${e.description} (${e.resolution})`;
  if (e instanceof PgError) return e.message + (e.hint ? ` (${e.hint})` : '');
  return e instanceof Error ? e.message : String(e);
}

/** Bound of the collective after a timed phase: the other ranks run the same work, give them ten times as long. */
function afterPhase(ms: number): { timeoutMs: number } {
  return { timeoutMs: Math.max(60_000, 10 * ms + 60_000) };
}

async function waitForEnter(): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    await new Promise<void>((resolve) => {
      rl.once('line', () => resolve());
      rl.once('close', () => resolve());
    });
  } finally {
    rl.close();
  }
}

interface Layer {
  backend: PerfBackend;
  header: HeaderInfo;
  /** Tear down this rank's part (root: also what rank 0 created). */
  teardown(ok: boolean): Promise<void>;
  pool?: string;
  cont?: string;
}

/** Whether any rank failed a step (every rank calls it; each learns whether to go on). */
async function disagree(g: ProcessGroup, err: unknown): Promise<boolean> {
  return (await g.allreduce(err === undefined ? 0 : 1, 'max', { timeoutMs: 600_000 })) !== 0;
}

/** -T vos: each rank its own VOS, in -f or a temporary directory rank 0 makes. */
async function setupVos(o: PerfOptions, g: ProcessGroup): Promise<Layer> {
  let base = o.file;
  let temp = false;
  if (g.rank === 0 && !base) {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'daos_perf-'));
    temp = true;
  }
  base = await g.bcastJson(base, 0);
  const dir = g.size > 1 ? path.join(base!, `rank${g.rank}`) : base!;
  let backend: VosBackend | undefined;
  let err: unknown;
  try {
    backend = await VosBackend.open({ dir, scmBytes: o.scmBytes, nvmeBytes: o.nvmeBytes, objs: o.objs, value: o });
  } catch (e) {
    err = e;
  }
  if (await disagree(g, err)) {
    await backend?.close().catch(() => undefined);
    if (temp) fs.rmSync(base!, { recursive: true, force: true });
    throw err ?? new Error('another rank could not create its VOS (see its error)');
  }
  const vos = backend!;
  return {
    backend: vos,
    header: { procs: g.size, scmBytes: o.scmBytes, nvmeBytes: o.nvmeBytes, vosFile: base },
    teardown: async () => {
      try {
        await vos.close();
      } finally {
        fs.rmSync(path.join(dir, 'vos_perf'), { recursive: true, force: true });
        if (g.size > 1) fs.rmSync(dir, { recursive: true, force: true });
        if (temp) fs.rmSync(base!, { recursive: true, force: true });
      }
    },
  };
}

/** -T echo / -T daos: the pool (and container) through rank 0, then this rank's objects. */
async function setupCluster(o: PerfOptions, g: ProcessGroup): Promise<Layer> {
  let cluster: Cluster | undefined;
  let failure: unknown;
  if (g.rank === 0) {
    try {
      cluster = await Cluster.setupRoot(o);
    } catch (e) {
      failure = e;
    }
  }
  const shared = await g.bcastJson(
    g.rank === 0 ? (cluster ? { pool: cluster.pool.uuid, cont: cluster.cont?.uuid ?? null } : { error: messageOf(failure) }) : undefined,
    0,
    { timeoutMs: 600_000 },
  );
  if ('error' in shared) {
    if (g.rank === 0) throw failure;
    throw new Error(`rank 0 could not set up the pool: ${shared.error}`);
  }
  if (g.rank !== 0) {
    try {
      cluster = await Cluster.setupOther(o, shared.pool, shared.cont ?? undefined);
    } catch (e) {
      failure = e;
    }
  }
  // Everyone connected, or everyone stops (rank 0 then removes what it made).
  if (await disagree(g, cluster ? undefined : (failure ?? new Error('no pool')))) {
    if (cluster) await cluster.teardown(g.rank === 0).catch(() => undefined);
    throw failure ?? new Error('another rank could not connect to the pool (see its error)');
  }
  const c = cluster!;
  let scm = o.scmBytes;
  let nvme = o.nvmeBytes;
  if (g.rank === 0 && o.pool) {
    const info = await c.pool.query();
    scm = info.scm.total;
    nvme = info.nvme.total;
  }
  const cls = o.oclass!;
  let backend: PerfBackend | undefined;
  let err: unknown;
  try {
    if (o.mode === 'daos') {
      const lo = await c.cont!.allocOids(BigInt(o.objs));
      const objs = Array.from({ length: o.objs }, (_, i) => c.cont!.object(generateOid({ lo: lo + BigInt(i) }, cls.id)));
      // Placement now, so that a class the pool cannot hold is refused before the tests.
      for (const obj of objs) obj.layout();
      backend = new DaosBackend(objs, o);
    } else {
      const oids = Array.from({ length: o.objs }, (_, i) => generateOid({ hi32: g.rank, lo: BigInt(i) }, cls.id));
      backend = new EchoBackend(c.client, c.pool, oids, o);
    }
  } catch (e) {
    err = e;
  }
  if (await disagree(g, err)) {
    await c.teardown(g.rank === 0).catch(() => undefined);
    throw err ?? new Error('another rank could not set up its objects (see its error)');
  }
  return {
    backend: backend!,
    header: { procs: g.size, scmBytes: scm, nvmeBytes: nvme },
    pool: shared.pool,
    cont: shared.cont ?? undefined,
    teardown: async (ok: boolean) => {
      // The others close their handles before rank 0 destroys the container.
      await c.closeHandles().catch(() => undefined);
      if (ok && !g.failed) await g.barrier().catch(() => undefined);
      await c.teardown(g.rank === 0);
    },
  };
}

/** Run the tests; returns the exit status. */
async function runTests(o: PerfOptions, g: ProcessGroup, io: PerfIO, layer: Layer, w: Workload, report: JsonReport): Promise<number> {
  const root = g.rank === 0;
  const text = root && !o.json;
  let written = false;
  const pass = async (t: TestName) => {
    switch (t) {
      case 'update':
        await w.pass('update');
        written = true;
        return;
      case 'fetch':
        await w.pass('fetch');
        return;
      case 'iterate':
        await layer.backend.iterate!();
        return;
      case 'update and fetch':
        await w.pass('update');
        written = true;
        await w.pass('fetch');
        return;
      default:
        throw new Error(`test ${t} is not supported`);
    }
  };
  for (const t of o.tests) {
    let err: unknown;
    // Preparation (untimed): fetch and iterate need the values written first.
    if ((t === 'fetch' || t === 'iterate') && !written) {
      const t0 = now();
      try {
        await w.pass('update');
        written = true;
      } catch (e) {
        err = e;
      }
      if ((await g.allreduce(err ? 1 : 0, 'max', afterPhase(now() - t0))) !== 0) return failed(o, g, io, report, err, `preparing the ${t} test`);
    } else {
      await g.barrier();
    }
    const start = now();
    try {
      await pass(t);
    } catch (e) {
      err = e;
    }
    const end = now();
    const rc = await g.allreduce(err ? rcOf(err) : 0, 'min', afterPhase(end - start));
    if (rc !== 0) return failed(o, g, io, report, err, `the ${t} test`, rc);
    const times = new Float64Array([start, end]);
    const all = await g.gather(Buffer.from(times.buffer), 0);
    if (all) {
      const timings: RankTiming[] = all.map((b) => ({ start: b.readDoubleLE(0), end: b.readDoubleLE(8) }));
      const r = computeResult(t, timings, w.iosPerPass, o.vsize);
      report.results.push(jsonResult(r));
      if (text) io.out(formatResult(r));
    }
    if (o.verify && t !== 'iterate') {
      const status = await verify(o, g, io, layer, w, report);
      if (status !== 0) return status;
    }
  }
  return 0;
}

async function verify(o: PerfOptions, g: ProcessGroup, io: PerfIO, layer: Layer, w: Workload, report: JsonReport): Promise<number> {
  const text = g.rank === 0 && !o.json;
  if (!layer.backend.verifiable) {
    if (text) io.out('Fetch verification: skipped (the echo layer stores nothing)\n');
    report.verify.push({ result: 'skipped' });
    return 0;
  }
  let err: unknown;
  let checked = 0;
  const t0 = now();
  try {
    checked = (await w.verify()).checked;
  } catch (e) {
    err = e;
  }
  if (err && !(err instanceof VerifyError)) return failed(o, g, io, report, err, 'the verification');
  if (err) io.err(`ERROR: daos_perf: ${(err as Error).message}\n`);
  const bad = await g.allreduce(err ? 1 : 0, 'sum', afterPhase(now() - t0));
  const total = await g.allreduce(checked, 'sum');
  if (text) io.out(`Fetch verification: ${bad ? 'Failed' : 'Success'}\n`);
  report.verify.push(bad ? { result: 'failed', checked: total, message: `${bad} rank(s) fetched data that differs from what they wrote` } : { result: 'success', checked: total });
  if (bad) {
    report.status = 1;
    report.error = 'fetch verification failed';
    return 1;
  }
  return 0;
}

/** A test failed on some rank: each says why, rank 0 prints `Failed: <rc>`. */
function failed(o: PerfOptions, g: ProcessGroup, io: PerfIO, report: JsonReport, err: unknown, what: string, rc?: number): number {
  if (err) io.err(`ERROR: daos_perf: rank ${g.rank}: ${what} failed: ${messageOf(err)}\n`);
  const code = rc ?? (err ? rcOf(err) : -1);
  if (g.rank === 0) {
    if (!o.json) io.err(`Failed: ${code}\n`);
    report.status = code;
    report.error = err ? `${what} failed: ${messageOf(err)}` : `${what} failed on another rank`;
  }
  return err instanceof InterruptedError ? 130 : 1;
}

export async function main(argv: string[] = process.argv.slice(2), io: PerfIO = realIO): Promise<number> {
  process.title = 'daos_perf';
  let o: PerfOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof PerfUsageError)) throw e;
    (e.stream === 'stdout' ? io.out : io.err)(`${e.message}\n`);
    if (e.showUsage) io.out(USAGE);
    return e.code;
  }
  if (o.help) {
    io.out(USAGE);
    return 0;
  }

  let source: string;
  try {
    source = groupEnv().source;
  } catch (e) {
    io.err(`ERROR: daos_perf: ${messageOf(e)}\n`);
    return 255;
  }
  if (o.procs !== undefined) {
    if (source !== 'singleton') {
      io.err(`ERROR: daos_perf: -n cannot be used here: the ranks already come from ${source === 'openmpi' ? 'orterun/mpirun' : 'the launcher'}\n`);
      return 255;
    }
    if (o.procs > 1) {
      const script = process.argv[1];
      const r = await launch({ n: o.procs, command: process.execPath, args: [...process.execArgv, script, ...o.rankArgv] });
      return r.code;
    }
  }

  const report: JsonReport = { test: o.description, mode: o.mode, class: o.oclass?.name ?? null, parameters: {}, results: [], verify: [], status: 0, error: null };
  let g: ProcessGroup;
  let w: Workload | undefined;
  try {
    g = await ProcessGroup.init({
      onFailure: (e) => {
        if (w) w.stopped = true;
        io.err(`ERROR: daos_perf: ${messageOf(e)}\n`);
      },
    });
  } catch (e) {
    io.err(`ERROR: daos_perf: ${messageOf(e)}\n`);
    return 1;
  }
  const root = g.rank === 0;
  if (root) for (const warning of o.warnings) io.err(`${warning}\n`);

  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (w) w.stopped = true;
    if (interrupts > 1) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let layer: Layer | undefined;
  let status = 0;
  try {
    const seed: number = o.seed || (await g.bcastJson(root ? crypto.randomInt(1, 2 ** 31) : undefined, 0));
    layer = o.mode === 'vos' ? await setupVos(o, g) : await setupCluster(o, g);
    w = new Workload(
      {
        rank: g.rank,
        objs: o.objs,
        dkeys: o.dkeys,
        akeys: o.akeys,
        recxs: o.recxs,
        vsize: o.vsize,
        array: o.array,
        overwrite: o.overwrite,
        shuffle: o.shuffle,
        seed,
        credits: o.credits,
        epochs: o.mode === 'vos',
      },
      layer.backend,
    );
    if (interrupts) w.stopped = true;
    report.parameters = jsonParameters(o, { ...layer.header, pool: layer.pool, cont: layer.cont, seed });
    if (root && !o.json) io.out(formatHeader(o, layer.header));
    if (root && o.wait) {
      // NB: on stderr with -j, so that stdout stays one JSON document.
      (o.json ? io.err : io.out)('Ready to start...If you wish to attach a tool, do so now and then hit enter.\n');
      await waitForEnter();
    }
    if (root && !o.json) io.out('Started...\n');
    await g.barrier({ timeoutMs: o.wait ? 24 * 3600_000 : undefined });
    status = await runTests(o, g, io, layer, w, report);
  } catch (e) {
    if (!(e instanceof PgError && g.failed)) io.err(`ERROR: daos_perf: rank ${g.rank}: ${messageOf(e)}\n`);
    if (root) {
      report.status = rcOf(e);
      report.error = messageOf(e);
    }
    status = e instanceof InterruptedError || interrupts ? 130 : 1;
  }
  try {
    await layer?.teardown(status === 0);
  } catch (e) {
    io.err(`ERROR: daos_perf: rank ${g.rank}: cleaning up: ${messageOf(e)}\n`);
    if (status === 0) status = 1;
  }
  if (root && o.json) io.out(JSON.stringify(report, null, 2) + '\n');
  if (!g.failed) await g.finalize().catch(() => undefined);
  else await g.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return status;
}
