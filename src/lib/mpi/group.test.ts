/**
 * The process group with real processes: 3–4 ranks of test_child.js started
 * by our launcher, by hand (a missing rank) and under Open MPI's orterun when
 * it is installed. Every child is stopped by PID at the end of its test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './launch.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test_child.js');

interface Line {
  rank: number;
  error?: string;
  [k: string]: unknown;
}

function lines(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line)
    .sort((a, b) => a.rank - b.rank);
}

/** Launch n ranks of a scenario with our launcher; output of every rank collected. */
async function runLaunched(n: number, scenario: string, env: NodeJS.ProcessEnv = {}, killGraceMs = 20_000) {
  let stdout = '';
  let stderr = '';
  const pids: number[] = [];
  const watchdog = setTimeout(() => pids.forEach((p) => killPid(p)), 60_000);
  try {
    const r = await launch({
      n,
      command: process.execPath,
      args: [CHILD, scenario],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      killGraceMs,
      onSpawn: (_rank, c) => {
        pids.push(c.pid!);
        c.stdout!.on('data', (d) => (stdout += d));
        c.stderr!.on('data', (d) => (stderr += d));
      },
    });
    return { ...r, stdout, stderr, lines: lines(stdout) };
  } finally {
    clearTimeout(watchdog);
    pids.forEach((p) => killPid(p));
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function collect(c: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  c.stdout?.on('data', (d) => (stdout += d));
  c.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => c.on('close', (code) => resolve({ code, stdout, stderr })));
}

function checkCollectives(got: Line[], n: number, source: string): void {
  assert.equal(got.length, n, JSON.stringify(got));
  for (const l of got) {
    assert.equal(l.error, undefined, l.error);
    assert.equal(l.size, n);
    assert.equal(l.source, source);
    assert.equal(l.pids, n);
    assert.equal(l.bcast, 'from rank 1');
    assert.deepEqual(l.gather, l.rank === n - 1 ? Array.from({ length: n }, (_, i) => `r${i}`) : undefined);
    assert.deepEqual(l.allgather, Array.from({ length: n }, (_, i) => Buffer.alloc(i, i).toString('hex')));
    assert.equal(l.min, l.rank === 0 ? 10 : undefined);
    assert.equal(l.max, l.rank === 0 ? 10 + n - 1 : undefined);
    assert.equal(l.sum, (n * (n - 1)) / 2 + n * 0.5);
    assert.deepEqual(l.json, { pool: 'tank', n: 3 });
    assert.equal(l.big, true);
  }
}

test('four ranks from our launcher: every collective gives the expected result on every rank', { timeout: 90_000 }, async () => {
  const r = await runLaunched(4, 'collectives');
  assert.equal(r.code, 0, r.stderr);
  checkCollectives(r.lines, 4, 'launcher');
});

test('a rank that dies makes the others fail with its rank and pid, not hang', { timeout: 90_000 }, async () => {
  const t0 = Date.now();
  const r = await runLaunched(4, 'die');
  assert.equal(r.code, 3, 'the launcher returns the failed rank status');
  assert.deepEqual(r.ranks.map((x) => x.code), [0, 0, 3, 0]);
  const others = r.lines.filter((l) => l.rank !== 2);
  assert.equal(others.length, 3, r.stdout + r.stderr);
  for (const l of others) assert.match(l.error!, /rank 2 \(pid \d+\) left the group unexpectedly/);
  assert.ok(Date.now() - t0 < 30_000, 'failed promptly');
});

test('a rank that is too late names itself and the collective', { timeout: 90_000 }, async () => {
  const r = await runLaunched(3, 'late', { DAOS_PG_TIMEOUT: '2' });
  const early = r.lines.filter((l) => l.rank !== 2);
  assert.equal(early.length, 2, r.stdout + r.stderr);
  for (const l of early) assert.match(l.error!, /^rank 2 did not reach the barrier \(collective #2\) within 2 s$/);
});

test('abort(code) ends every rank with that code', { timeout: 90_000 }, async () => {
  const r = await runLaunched(3, 'abort');
  assert.deepEqual(r.ranks.map((x) => x.code), [7, 7, 7], r.stderr);
  assert.equal(r.code, 7);
  assert.match(r.stderr, /rank 1 called abort\(7\): boom/);
  assert.equal(r.lines.length, 0, 'nobody passed the barrier');
});

test('different collectives on different ranks are refused with both calls named', { timeout: 90_000 }, async () => {
  const r = await runLaunched(3, 'mismatch');
  for (const l of r.lines) assert.match(l.error!, /collective #1 differs between ranks: rank \d called (bcast with root 0|barrier), rank \d called (bcast with root 0|barrier)/);
  assert.equal(r.lines.length, 3);
});

test('a rank that never starts: rank 0 names it, the others are told', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-test-'));
  const kids: ChildProcess[] = [];
  try {
    const env = { ...process.env, DAOS_PG_SIZE: '3', DAOS_PG_DIR: dir, DAOS_PG_JOB: 'j', TEST_JOIN_MS: '4000' };
    for (const rank of [0, 1]) kids.push(spawn(process.execPath, [CHILD, 'collectives'], { env: { ...env, DAOS_PG_RANK: String(rank) }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const res = await Promise.all(kids.map(collect));
    const got = lines(res.map((x) => x.stdout).join(''));
    assert.equal(got.length, 2, JSON.stringify(res));
    assert.match(got[0].error!, /^rank 2 did not join the group within 4 s \(rank 0 listens on .*pg\.sock\)$/);
    assert.match(got[1].error!, /rank 2 did not join the group within 4 s/);
    assert.equal(fs.existsSync(path.join(dir, 'pg.sock')), false, 'rank 0 removed its socket');
  } finally {
    kids.forEach((k) => k.pid && killPid(k.pid));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

const orterun = which('orterun');
test('three ranks under Open MPI orterun', { timeout: 120_000, skip: orterun ? false : 'orterun is not installed (apt-get install openmpi-bin)' }, async () => {
  const args = ['--oversubscribe', '-n', '3', process.execPath, CHILD, 'collectives'];
  if (process.geteuid?.() === 0) args.unshift('--allow-run-as-root');
  const c = spawn(orterun!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMPI_MCA_btl: 'self', OMPI_MCA_plm_rsh_agent: '' } });
  const watchdog = setTimeout(() => c.pid && killPid(c.pid), 100_000);
  try {
    const r = await collect(c);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    checkCollectives(lines(r.stdout), 3, 'openmpi');
  } finally {
    clearTimeout(watchdog);
    if (c.pid) killPid(c.pid);
  }
});
