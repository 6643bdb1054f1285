/**
 * Where a process's rank, the group size and the rendezvous directory come
 * from, in this order:
 *
 *  1. our launcher (`launch()`, e.g. `daos_perf -n 4`): DAOS_PG_RANK,
 *     DAOS_PG_SIZE and DAOS_PG_DIR;
 *  2. Open MPI's orterun/mpirun: OMPI_COMM_WORLD_RANK and
 *     OMPI_COMM_WORLD_SIZE; the directory is DAOS_PG_DIR when set, else
 *     $TMPDIR/daos-pg-<job>, where <job> is the Open MPI job id
 *     (OMPI_MCA_orte_ess_jobid, or OMPI_MCA_ess_base_jobid in Open MPI 4),
 *     else a hash of the parent pid and the host name (every rank of one
 *     orterun has the same parent);
 *  3. otherwise a group of one.
 *
 * NB: ranks meet on a Unix socket, so every rank must run on one host; a job
 * spread over hosts is refused with the reason rather than left hanging.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { PgError } from './errors.js';

export type GroupSource = 'launcher' | 'openmpi' | 'singleton';

export interface GroupEnv {
  source: GroupSource;
  rank: number;
  size: number;
  /** Rendezvous directory (rank 0 listens on <dir>/pg.sock); empty for a singleton. */
  dir: string;
  /** What identifies this job (the directory name's suffix, checked at join). */
  job: string;
}

/** The limit of the group size: far above what one host runs. */
export const MAX_GROUP_SIZE = 4096;

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new PgError(`${name} is not set`, `the launcher sets ${name}; run the program through it, or unset the other DAOS_PG_* variables`);
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new PgError(`${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`, `unset ${name} or give a valid value`);
  return v;
}

function checkRank(rank: number, size: number, rankVar: string, sizeVar: string): void {
  if (rank >= size) throw new PgError(`${rankVar}=${rank} is not below ${sizeVar}=${size}`, 'ranks are numbered from 0 to size - 1');
}

/** A short, file-name-safe job key from the parent pid and the host. */
export function parentJobKey(ppid: number, host: string): string {
  return crypto.createHash('sha256').update(`${host}/${ppid}`).digest('hex').slice(0, 16);
}

function safeKey(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

export function groupEnv(env: NodeJS.ProcessEnv = process.env, proc: { ppid: number; host: string } = { ppid: process.ppid, host: os.hostname() }): GroupEnv {
  if (env.DAOS_PG_RANK !== undefined) {
    const size = intVar(env, 'DAOS_PG_SIZE', 1, MAX_GROUP_SIZE);
    const rank = intVar(env, 'DAOS_PG_RANK', 0, MAX_GROUP_SIZE - 1);
    checkRank(rank, size, 'DAOS_PG_RANK', 'DAOS_PG_SIZE');
    const dir = env.DAOS_PG_DIR;
    if (!dir) throw new PgError('DAOS_PG_DIR is not set', 'the launcher sets DAOS_PG_DIR to the rendezvous directory; run the program through it');
    return { source: 'launcher', rank, size, dir, job: env.DAOS_PG_JOB ?? path.basename(dir) };
  }
  if (env.OMPI_COMM_WORLD_RANK !== undefined) {
    const size = intVar(env, 'OMPI_COMM_WORLD_SIZE', 1, MAX_GROUP_SIZE);
    const rank = intVar(env, 'OMPI_COMM_WORLD_RANK', 0, MAX_GROUP_SIZE - 1);
    checkRank(rank, size, 'OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE');
    const local = env.OMPI_COMM_WORLD_LOCAL_SIZE;
    if (local !== undefined && Number(local) !== size) {
      throw new PgError(
        `the job has ${size} ranks but only ${local} on this host; ranks meet on a Unix socket, so all must run on one host`,
        'run every rank on one host (e.g. orterun -n N --host localhost:N), or use one process per host',
      );
    }
    const job = safeKey(env.OMPI_MCA_orte_ess_jobid || env.OMPI_MCA_ess_base_jobid || parentJobKey(proc.ppid, proc.host));
    const dir = env.DAOS_PG_DIR || path.join(env.TMPDIR || os.tmpdir(), `daos-pg-${job}`);
    return { source: 'openmpi', rank, size, dir, job };
  }
  return { source: 'singleton', rank: 0, size: 1, dir: '', job: '' };
}
