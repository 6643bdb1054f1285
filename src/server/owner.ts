/**
 * `user_name` / `group_name`: the user and group the I/O servers run as and
 * that own what they use (the formatted SCM mount, the socket directory, the
 * daos_server socket, `file` block devices, the superblock, the I/O server
 * log file). Resolved once at start, before anything is written, so a
 * name that does not exist refuses the start.
 *
 * NB: like the original, switching users needs root. A non-root daos_server
 * may name itself (nothing to do); any other user or group is refused.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { ServerConfig } from '../config/types.js';
import { ownerNeedsRoot, unknownUser, type Src } from '../config/faults.js';

export interface Owner {
  uid: number;
  gid: number;
  /** `user:group` as the admin wrote it, for messages. */
  label: string;
}

/** Name-service lookups (tests replace them). */
export interface OwnerSeams {
  /** `getent passwd <name>` fields: uid and primary gid; undefined when unknown. */
  user(name: string): { uid: number; gid: number } | undefined;
  /** `getent group <name>`: the gid; undefined when unknown. */
  group(name: string): number | undefined;
  euid: number;
  egid: number;
}

/** One `getent` database entry, or the matching line of the local file when getent is missing. */
function getent(db: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    const out = execFileSync('getent', [db, name], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n')[0];
    return line ? line.split(':') : undefined;
  } catch (e) {
    // getent exits 2 for an unknown key; fall back to the file only when getent itself is absent.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  try {
    const line = fs
      .readFileSync(`/etc/${db}`, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === name);
    return line ? line.split(':') : undefined;
  } catch {
    return undefined;
  }
}

export const realOwnerSeams: OwnerSeams = {
  user(name) {
    const f = getent('passwd', name);
    if (!f || f.length < 4) return undefined;
    return { uid: Number(f[2]), gid: Number(f[3]) };
  },
  group(name) {
    const f = getent('group', name);
    return f && f.length >= 3 ? Number(f[2]) : undefined;
  },
  get euid() {
    return process.geteuid?.() ?? 0;
  },
  get egid() {
    return process.getegid?.() ?? 0;
  },
};

/**
 * The owner asked for by `user_name` / `group_name`, or undefined when
 * neither is set or they name the running user and group (nothing to do).
 * `user_name` alone takes the user's primary group; `group_name` alone keeps
 * the running user. Throws a config fault naming the key and the fix.
 */
export function resolveOwner(cfg: Pick<ServerConfig, 'userName' | 'groupName' | 'path'>, seams: OwnerSeams = realOwnerSeams): Owner | undefined {
  if (!cfg.userName && !cfg.groupName) return undefined;
  const src: Src = { file: cfg.path || '/etc/daos/daos_server.yml', prog: 'daos_server' };
  let uid = seams.euid;
  let gid = seams.egid;
  if (cfg.userName) {
    const u = seams.user(cfg.userName);
    if (!u) throw unknownUser(src, 'user_name', cfg.userName);
    uid = u.uid;
    gid = u.gid;
  }
  if (cfg.groupName) {
    const g = seams.group(cfg.groupName);
    if (g === undefined) throw unknownUser(src, 'group_name', cfg.groupName);
    gid = g;
  }
  const label = `${cfg.userName || `uid ${uid}`}:${cfg.groupName || `gid ${gid}`}`;
  if (uid === seams.euid && gid === seams.egid) return undefined;
  if (seams.euid !== 0) throw ownerNeedsRoot(src, label, `uid ${seams.euid} gid ${seams.egid}`);
  return { uid, gid, label };
}
