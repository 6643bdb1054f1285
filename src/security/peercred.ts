/**
 * Who is at the other end of a Unix socket: SO_PEERCRED (pid, uid, gid as
 * the kernel recorded them at connect), the supplementary groups of that
 * process from /proc, and user and group names through the C library (so
 * NSS sources such as LDAP work), called with koffi (prebuilt, no compiler).
 *
 * Node exposes neither SO_PEERCRED nor getpwuid; this is the one place that
 * reaches into libc.
 */
import fs from 'node:fs';
import type net from 'node:net';
import koffi, { type TypeObject } from 'koffi';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

interface Libc {
  getsockopt: (fd: number, level: number, name: number, out: Record<string, number>, len: number[]) => number;
  getpwuid: (uid: number) => unknown;
  getgrgid: (gid: number) => unknown;
  passwd: TypeObject;
  group: TypeObject;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  const ucred = koffi.struct('daos_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
  const passwd = koffi.struct('daos_passwd', {
    pw_name: 'const char *',
    pw_passwd: 'const char *',
    pw_uid: 'uint32',
    pw_gid: 'uint32',
    pw_gecos: 'const char *',
    pw_dir: 'const char *',
    pw_shell: 'const char *',
  });
  const group = koffi.struct('daos_group', { gr_name: 'const char *', gr_passwd: 'const char *', gr_gid: 'uint32', gr_mem: 'void *' });
  libc = {
    getsockopt: lib.func('int getsockopt(int, int, int, _Out_ daos_ucred *, _Inout_ uint32 *)') as Libc['getsockopt'],
    getpwuid: lib.func('void *getpwuid(uint32)') as Libc['getpwuid'],
    getgrgid: lib.func('void *getgrgid(uint32)') as Libc['getgrgid'],
    passwd,
    group,
  };
  void ucred;
  return libc;
}

/** The kernel's credentials of the peer of a connected Unix socket. */
export function peerCred(sock: net.Socket): PeerCred {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('connection is not a unix socket');
  const out: Record<string, number> = {};
  const len = [12];
  const r = load().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, out, len);
  if (r !== 0) throw new Error('unable to get credentials for client socket');
  return { pid: out.pid, uid: out.uid, gid: out.gid };
}

/** User name of uid, or the number when it has none. */
export function userName(uid: number): string {
  const l = load();
  const p = l.getpwuid(uid);
  if (!p) return String(uid);
  return (koffi.decode(p, l.passwd) as { pw_name: string }).pw_name;
}

/** Group name of gid, or undefined when it cannot be resolved. */
export function groupName(gid: number): string | undefined {
  const l = load();
  const g = l.getgrgid(gid);
  if (!g) return undefined;
  return (koffi.decode(g, l.group) as { gr_name: string }).gr_name;
}

/** Supplementary groups of a process (from /proc/<pid>/status). */
export function processGroups(pid: number): number[] {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^Groups:[ \t]*([^\n]*)$/m.exec(status);
    return m ? m[1].split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}
