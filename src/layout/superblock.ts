/**
 * The superblock: a small YAML file at `<scm_mount>/superblock` that marks the
 * SCM as formatted for DAOS and carries the instance's identity. Field names
 * are the original's (yaml.v2 lower-cased), so a v0.8 superblock reads back.
 *
 * NB: written atomically (staging file, rename, fsync of the directory) so a
 * crash never leaves a half-written superblock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { NIL_RANK } from '../system/membership.js';
import { layoutFaults } from './faults.js';

export const SUPERBLOCK_NAME = 'superblock';
export const SUPERBLOCK_VERSION = 0;

export interface Superblock {
  version: number;
  uuid: string;
  system: string;
  /** Undefined until the management service assigned one (or the config fixed it). */
  rank?: number;
  validRank: boolean;
  /** This instance hosts the management service database. */
  ms: boolean;
  /** The MS database must be created on the next start. */
  createMs: boolean;
  bootstrapMs: boolean;
  /**
   * Written by `daos_server start --recreate-superblocks`: until the first
   * join, the instance asks the MS for the rank its host and instance index
   * held (ours; absent in v0.8 superblocks).
   */
  recreated?: boolean;
}

export function superblockPath(scmMount: string): string {
  return path.join(scmMount, SUPERBLOCK_NAME);
}

export function newSuperblock(opts: { system: string; rank?: number; ms: boolean }): Superblock {
  return {
    version: SUPERBLOCK_VERSION,
    uuid: randomUUID(),
    system: opts.system || 'daos_io_server',
    rank: opts.rank,
    validRank: opts.rank !== undefined,
    ms: opts.ms,
    createMs: opts.ms,
    bootstrapMs: opts.ms,
  };
}

export function superblockExists(scmMount: string): boolean {
  return fs.existsSync(superblockPath(scmMount));
}

export function readSuperblock(scmMount: string): Superblock {
  const p = superblockPath(scmMount);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw layoutFaults.superblockRead(p, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  let o: Record<string, unknown>;
  try {
    o = YAML.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw layoutFaults.superblockRead(p, `not valid YAML: ${(e as Error).message}`);
  }
  if (!o || typeof o !== 'object' || typeof o.uuid !== 'string' || !/^[0-9a-f-]{36}$/i.test(o.uuid)) {
    throw layoutFaults.superblockRead(p, 'missing or invalid uuid');
  }
  const rank = typeof o.rank === 'number' && o.rank !== NIL_RANK ? o.rank : undefined;
  return {
    version: typeof o.version === 'number' ? o.version : 0,
    uuid: o.uuid,
    system: typeof o.system === 'string' ? o.system : '',
    rank,
    validRank: o.validrank === true && rank !== undefined,
    ms: o.ms === true,
    createMs: o.createms === true,
    bootstrapMs: o.bootstrapms === true,
    recreated: o.recreated === true,
  };
}

/** Write the superblock atomically; `owner` (uid/gid) when the I/O server runs as another user (user_name). */
export function writeSuperblock(scmMount: string, sb: Superblock, owner?: { uid: number; gid: number }): void {
  const p = superblockPath(scmMount);
  const staging = p + '.staging';
  const text = YAML.stringify({
    version: sb.version,
    uuid: sb.uuid,
    system: sb.system,
    rank: sb.rank ?? null,
    validrank: sb.validRank,
    ms: sb.ms,
    createms: sb.createMs,
    bootstrapms: sb.bootstrapMs,
    ...(sb.recreated ? { recreated: true } : {}),
  });
  try {
    const fd = fs.openSync(staging, 'w', 0o600);
    try {
      if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(staging, p);
    const dfd = fs.openSync(scmMount, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch (e) {
    throw layoutFaults.superblockWrite(p, (e as NodeJS.ErrnoException).code ?? String(e));
  }
}
