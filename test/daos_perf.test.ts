/**
 * daos_perf end to end on a one-node system (LocalSystem + daos_agent +
 * `dmg pool create`, as data_plane.test.ts): each layer, each test, arrays,
 * two client processes, -j, a pool of its own, and a rank killed in the
 * middle of a run. Small counts: each run takes a second or two. Every
 * process is stopped by PID.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { LocalSystem } from './harness/local.js';
import { BIN, Background, childrenOf, isAlive, run, waitFor, type RunResult } from './harness/proc.js';
import { DaosClient } from '../src/client/daos.js';

let sys: LocalSystem;
let agent: Background | undefined;
let agentDir: string;
const PERF = path.join(BIN, 'daos_perf');

function perf(args: string[], timeoutMs = 90_000): Promise<RunResult> {
  return run(PERF, args, { timeoutMs, env: { ...process.env, DAOS_AGENT_DRPC_DIR: agentDir } });
}

interface Report {
  test: string;
  class: string;
  status: number;
  error: string | null;
  parameters: { procs: number; pool: string; cont: string | null; pool_scm_bytes: number };
  results: { name: string; total_ios: number; bytes: number; rate_io_s: number; per_rank_duration_s: number[] }[];
  verify: { result: string; checked?: number }[];
}

async function containers(): Promise<string[]> {
  const d = await DaosClient.connect({ agentDir });
  try {
    const p = await d.poolConnect('tank', 'r');
    const list = await p.listContainers();
    await p.disconnect();
    return list.map((c) => c.label || c.uuid);
  } finally {
    d.close();
  }
}

before(async () => {
  sys = await LocalSystem.create({ server: { targets: 4, bdev_size: 8 } });
  agentDir = path.join(sys.dir, 'agentrun');
  fs.mkdirSync(agentDir);
  fs.writeFileSync(
    path.join(sys.dir, 'daos_agent.yml'),
    YAML.stringify({ name: 'daos_server', access_points: [sys.addr], port: sys.port, runtime_dir: agentDir, log_file: path.join(sys.dir, 'daos_agent.log'), transport_config: { allow_insecure: true } }),
  );
  fs.writeFileSync(sys.dmgConfig, YAML.stringify({ name: 'daos_server', hostlist: [sys.addr], port: sys.port, transport_config: { allow_insecure: true } }));
  await sys.start();
  await sys.format();
  agent = new Background(path.join(BIN, 'daos_agent'), ['-i', '-o', path.join(sys.dir, 'daos_agent.yml')]);
  await waitFor('daos_agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || !agent!.running, 30_000, 100);
  if (!agent.running) throw new Error(`daos_agent exited:\n${agent.output}`);
  const r = await sys.dmg(['pool', 'create', '-s', '1G', '-n', '4G', '--label', 'tank']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

after(async () => {
  await agent?.stop('SIGTERM', 10_000);
  await sys?.destroy();
});

test('-T vos: the storage alone, no servers involved', { timeout: 120_000 }, async () => {
  const dir = path.join(sys.dir, 'vosperf');
  const r = await perf(['-T', 'vos', '-f', dir, '-P', '128M', '-N', '128M', '-a', '10', '-r', '50', '-s', '4K', '-C', '16', '-U', '-F', '-v']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Test :\n\tVOS \(storage only\)\n/);
  assert.match(r.stdout, /\trecx_per_akey : 50\n\tvalue type    : single\n\tvalue size    : 4096\n/);
  assert.match(r.stdout, /^update successfully completed:$/m);
  assert.match(r.stdout, /^fetch successfully completed:$/m);
  assert.equal(r.stdout.match(/^Fetch verification: Success$/gm)?.length, 2);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('-T echo: the RPC path alone, to the targets placement picks', { timeout: 120_000 }, async () => {
  const r = await perf(['-T', 'echo', '--pool', 'tank', '-a', '10', '-r', '100', '-s', '4K', '-C', '16', '-U', '-F', '-j']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  assert.equal(doc.test, 'ECHO TINY (network only, non-replica)');
  assert.equal(doc.class, 'S1_ECHO');
  assert.deepEqual(doc.results.map((x) => [x.name, x.total_ios, x.bytes]), [
    ['update', 1000, 1000 * 4096],
    ['fetch', 1000, 1000 * 4096],
  ]);
  // An echo class spread over every target (SX layout): the text output this time.
  const sx = await perf(['-T', 'echo', '--pool', 'tank', '-c', 'SX', '-o', '4', '-a', '4', '-r', '25', '-C', '8', '-U']);
  assert.equal(sx.code, 0, sx.stdout + sx.stderr);
  assert.match(sx.stdout, /^\tECHO SX \(network only, non-replica\)$/m);
  assert.match(sx.stdout, /^\tpool size     : SCM: 1024 MB, NVMe: 40\d\d MB$/m);
});

test('-T daos -U: the full stack, the original header and result lines', { timeout: 120_000 }, async () => {
  const r = await perf(['-T', 'daos', '--pool', 'tank', '-a', '20', '-r', '50', '-C', '16', '-U']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Test :\n\tDAOS LARGE \(full stack, non-replica\)\nParameters :\n\tpool size {5}: SCM: 1024 MB, NVMe: 40\d\d MB\n\tcredits {7}: 16 \(sync I\/O for -ve\)\n\tobj_per_cont  : 1 x 1 \(procs\)\n/);
  assert.match(r.stdout, /\tVOS file      : <NULL>\nStarted\.\.\.\nupdate successfully completed:\n\tduration : [\d.]+ +sec\n\tbandwith : [\d.]+ +MB\/sec\n\trate     : [\d.]+ +IO\/sec\n\tlatency  : [\d.]+ +us \(nonsense if credits > 1\)\nDuration across processes:\n\tMAX duration : [\d.]+ +sec\n\tMIN duration : [\d.]+ +sec\n\tAverage duration : [\d.]+ +sec\n$/);
  assert.deepEqual(await containers(), [], 'the container it made is destroyed');
});

test('-T daos -F -v: fetches timed after untimed updates, then verified; synchronous and with credits', { timeout: 120_000 }, async () => {
  for (const credits of ['-1', '8']) {
    const r = await perf(['-T', 'daos', '--pool', 'tank', '-c', 'TINY', '-o', '2', '-d', '2', '-a', '5', '-r', '10', '-C', credits, '-F', '-v']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\tDAOS TINY \(full stack, non-replica\)$/m);
    assert.doesNotMatch(r.stdout, /^update successfully/m);
    assert.match(r.stdout, /^fetch successfully completed:$/m);
    assert.match(r.stdout, /^Fetch verification: Success$/m);
  }
});

test('-T daos -B: update and fetch timed together', { timeout: 120_000 }, async () => {
  const r = await perf(['-T', 'daos', '--pool', 'tank', '-a', '10', '-r', '20', '-C', '8', '-B', '-v', '-j']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  assert.deepEqual(doc.results.map((x) => [x.name, x.total_ios]), [['update and fetch', 200]]);
  assert.deepEqual(doc.verify.map((v) => v.result), ['success']);
});

test('-T daos -A: 64 KiB extents of 1-byte records, shuffled, verified', { timeout: 120_000 }, async () => {
  const r = await perf(['-T', 'daos', '--pool', 'tank', '-A', '-s', '64K', '-a', '4', '-r', '16', '-S', '-C', '8', '-U', '-F', '-v', '-j']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  assert.deepEqual(doc.results.map((x) => [x.name, x.bytes]), [
    ['update', 64 * 65536],
    ['fetch', 64 * 65536],
  ]);
  assert.deepEqual(doc.verify.map((v) => [v.result, v.checked]), [
    ['success', 64],
    ['success', 64],
  ]);
});

test('-n 2: two client processes, one result over both', { timeout: 120_000 }, async () => {
  const r = await perf(['-n', '2', '-T', 'daos', '--pool', 'tank', '-a', '10', '-r', '20', '-C', '8', '-U', '-F', '-v', '-j']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  assert.equal(doc.parameters.procs, 2);
  for (const x of doc.results) {
    assert.equal(x.total_ios, 400);
    assert.equal(x.per_rank_duration_s.length, 2);
  }
  assert.deepEqual(doc.verify.map((v) => [v.result, v.checked]), [
    ['success', 20],
    ['success', 20],
  ]);
  const text = await perf(['-n', '2', '-T', 'echo', '--pool', 'tank', '-a', '5', '-r', '10', '-U']);
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /^\tobj_per_cont  : 1 x 2 \(procs\)$/m);
  assert.equal(text.stdout.match(/^Test :$/gm)?.length, 1, 'only rank 0 prints');
  assert.deepEqual(await containers(), []);
});

test('without --pool it creates a pool of -P/-N through the control API and destroys it', { timeout: 120_000 }, async () => {
  const r = await perf(['-T', 'daos', '-i', '--dmg-config', sys.dmgConfig, '-P', '256M', '-N', '0', '-a', '5', '-r', '10', '-U', '-j']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as Report;
  assert.equal(doc.parameters.pool_scm_bytes, 256 << 20);
  assert.match(doc.parameters.pool, /^[0-9a-f-]{36}$/);
  const l = await sys.dmg(['pool', 'list'], { json: true });
  const pools = (JSON.parse(l.stdout) as { response: { pools: { label: string }[] } }).response.pools;
  assert.deepEqual(pools.map((p) => p.label), ['tank']);
});

test('refusals: a class the pool cannot hold, an unknown pool', { timeout: 120_000 }, async () => {
  const r3 = await perf(['-T', 'daos', '--pool', 'tank', '-c', 'R3S', '-a', '1', '-r', '1']);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /object class RP_3G1 needs 3 fault domains for its replicas, the pool map \(version \d+\) has 1/);
  assert.doesNotMatch(r3.stdout, /Started/);
  const nope = await perf(['-T', 'echo', '--pool', 'nope', '-a', '1', '-r', '1']);
  assert.equal(nope.code, 1);
  assert.match(nope.stderr, /DER_NONEXIST.*no pool with label "nope"/);
  assert.deepEqual(await containers(), []);
});

test('a rank killed in the middle: the other fails with its rank and pid, rank 0 still removes the container', { timeout: 120_000 }, async () => {
  const p = new Background(PERF, ['-n', '2', '-T', 'daos', '--pool', 'tank', '-a', '100', '-r', '100000', '-C', '4', '-U'], { env: { ...process.env, DAOS_AGENT_DRPC_DIR: agentDir } });
  try {
    await waitFor('the run to start', () => /Started\.\.\./.test(p.output) || !p.running, 60_000, 100);
    assert.ok(p.running, p.output);
    const ranks = childrenOf(p.pid).sort((a, b) => a - b);
    assert.equal(ranks.length, 2, `ranks ${ranks.join(',')}`);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(ranks[1], 'SIGKILL');
    const exit = await Promise.race([p.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]);
    assert.ok(exit, 'daos_perf ended');
    assert.notEqual(exit.code, 0);
    assert.match(p.output, new RegExp(`rank 1 \\(pid ${ranks[1]}\\) left the group unexpectedly`));
    assert.deepEqual(await containers(), []);
  } finally {
    await p.stop('SIGKILL', 1000);
  }
});

test('SIGINT to a run of two processes: the ranks stop, the container is removed, exit 130', { timeout: 120_000 }, async () => {
  const p = new Background(PERF, ['-n', '2', '-T', 'daos', '--pool', 'tank', '-a', '100', '-r', '100000', '-C', '4', '-U'], { env: { ...process.env, DAOS_AGENT_DRPC_DIR: agentDir } });
  try {
    await waitFor('the run to start', () => /Started\.\.\./.test(p.output) || !p.running, 60_000, 100);
    assert.ok(p.running, p.output);
    const ranks = childrenOf(p.pid);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(p.pid, 'SIGINT');
    const exit = await Promise.race([p.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000))]);
    assert.ok(exit, 'daos_perf ended');
    assert.equal(exit.code, 130, p.output);
    for (const pid of ranks) assert.equal(isAlive(pid), false, `rank pid ${pid} ended`);
    assert.deepEqual(await containers(), []);
  } finally {
    await p.stop('SIGKILL', 1000);
  }
});
