/**
 * Our launcher, for when no MPI is installed: start N copies of a program as
 * the ranks of one process group (DAOS_PG_RANK / DAOS_PG_SIZE / DAOS_PG_DIR),
 * wait for all of them, and return one exit status.
 *
 * Every child is tracked by its PID. Signals the launcher gets (SIGINT,
 * SIGTERM, SIGHUP) are passed to each child, once: the children run in a
 * process group of their own, so a Ctrl-C at the terminal reaches only us. When one rank fails, the others
 * normally fail on their own within moments (the group notices the lost
 * rank); any still running after `killGraceMs` are stopped by PID: SIGTERM,
 * then SIGKILL.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PgError } from './errors.js';
import { MAX_GROUP_SIZE } from './env.js';

export interface LaunchOptions {
  /** Number of ranks. */
  n: number;
  command: string;
  args: string[];
  /** Environment of the children (default process.env); the DAOS_PG_* variables are added. */
  env?: NodeJS.ProcessEnv;
  /** Default 'inherit': the ranks write straight to our stdout and stderr. */
  stdio?: StdioOptions;
  /** Parent of the rendezvous directory (default $TMPDIR). */
  tmpDir?: string;
  /** After a rank failed, how long the others may take to stop on their own (default 30 s). */
  killGraceMs?: number;
  /** Called with each child once spawned (tests use it to read output). */
  onSpawn?: (rank: number, child: ChildProcess) => void;
}

export interface RankExit {
  rank: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchResult {
  /** 0 when every rank exited 0; else the status of the first rank that failed (128 + signal number for a signal). */
  code: number;
  ranks: RankExit[];
}

function statusOf(e: RankExit): number {
  if (e.code !== null) return e.code;
  const n = e.signal ? os.constants.signals[e.signal] : undefined;
  return 128 + (n ?? 1);
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  if (!Number.isInteger(o.n) || o.n < 1 || o.n > MAX_GROUP_SIZE) throw new PgError(`the number of processes must be from 1 to ${MAX_GROUP_SIZE}, not ${o.n}`, 'give -n a smaller whole number');
  const dir = fs.mkdtempSync(path.join(o.tmpDir ?? os.tmpdir(), 'daos-pg-'));
  const job = `${path.basename(dir)}-${crypto.randomBytes(4).toString('hex')}`;
  const grace = o.killGraceMs ?? 30_000;
  const children: ChildProcess[] = [];
  const exits: RankExit[] = [];
  let firstFailure: RankExit | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const running = () => children.filter((c, i) => !exits.some((e) => e.rank === i) && c.pid !== undefined);

  const stopOthers = () => {
    for (const c of running()) kill(c.pid!, 'SIGTERM');
    killTimer = setTimeout(() => {
      for (const c of running()) kill(c.pid!, 'SIGKILL');
    }, 5000);
  };

  const forward = (sig: NodeJS.Signals) => () => {
    for (const c of running()) kill(c.pid!, sig);
  };
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]).map((s) => [s, forward(s)]);
  for (const [s, h] of handlers) process.on(s, h);

  try {
    const done = await new Promise<RankExit[]>((resolve) => {
      for (let rank = 0; rank < o.n; rank++) {
        const child = spawn(o.command, o.args, {
          // NB: a process group of their own, so that a Ctrl-C at the terminal reaches the
          // ranks once (through us), not twice (from the terminal and from us).
          detached: true,
          stdio: o.stdio ?? 'inherit',
          env: { ...(o.env ?? process.env), DAOS_PG_RANK: String(rank), DAOS_PG_SIZE: String(o.n), DAOS_PG_DIR: dir, DAOS_PG_JOB: job },
        });
        children.push(child);
        o.onSpawn?.(rank, child);
        let recorded = false;
        const record = (code: number | null, signal: NodeJS.Signals | null) => {
          if (recorded) return;
          recorded = true;
          const e: RankExit = { rank, pid: child.pid ?? -1, code, signal };
          exits.push(e);
          if (statusOf(e) !== 0 && !firstFailure) {
            firstFailure = e;
            graceTimer = setTimeout(stopOthers, grace);
          }
          if (exits.length === o.n) resolve(exits);
        };
        child.on('error', () => record(127, null));
        child.on('exit', record);
      }
    });
    done.sort((a, b) => a.rank - b.rank);
    return { code: firstFailure ? statusOf(firstFailure) : 0, ranks: done };
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    if (killTimer) clearTimeout(killTimer);
    for (const [s, h] of handlers) process.off(s, h);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
