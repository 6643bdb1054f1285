/**
 * One daos_server per socket directory and control port.
 *
 * A second daos_server started with the same config must be refused before
 * it touches anything of the running one (its sockets in socket_dir, the
 * active config copy, the control log). Two checks, both read-only until
 * they pass:
 *  - the lock file `<socket_dir>/daos_server.lock` holds the pid of the
 *    server that owns the directory; a live daos_server with that pid
 *    refuses the start (naming the pid), a dead or foreign one is stale;
 *  - the control port is bound and released at once: in use means another
 *    program (or a daos_server with another socket_dir) holds it.
 * Only then is the lock file written (O_EXCL, so two servers starting at the
 * same moment cannot both win). It is removed at shutdown.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { serverFaults } from './faults.js';

export const LOCK_FILE = 'daos_server.lock';

/** How the lock sees the processes of the host (tests replace it). */
export interface ProcessSeams {
  alive(pid: number): boolean;
  /** The process name (`/proc/<pid>/comm`), '' when unknown. */
  name(pid: number): string;
  self: number;
}

export const realProcesses: ProcessSeams = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  name(pid) {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  },
  self: process.pid,
};

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(e);
}

/** The pid recorded in a lock file, or undefined when it holds none. */
export function readLockPid(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid of a live daos_server holding the lock of socketDir, if any (read-only). */
export function lockHolder(socketDir: string, procs: ProcessSeams = realProcesses): number | undefined {
  const pid = readLockPid(path.join(socketDir, LOCK_FILE));
  if (pid === undefined || pid === procs.self || !procs.alive(pid)) return undefined;
  // NB: a recycled pid that now belongs to another program does not hold the lock.
  const name = procs.name(pid);
  return name === '' || name === 'daos_server' ? pid : undefined;
}

/** Refuse when a daos_server holds socketDir's lock. Writes nothing. */
export function checkNotRunning(socketDir: string, procs: ProcessSeams = realProcesses): void {
  const pid = lockHolder(socketDir, procs);
  if (pid !== undefined) throw serverFaults.alreadyRunning(pid, socketDir);
}

/** Bind the control port and release it: refuses with ServerListen when it is taken. */
export function checkPortFree(port: number, addr = '0.0.0.0'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : (e.code ?? e.message);
      reject(serverFaults.listen(`${addr}:${port}`, why));
    });
    s.listen({ port, host: addr, exclusive: true }, () => s.close(() => resolve()));
  });
}

/** The lock of one socket directory, held by this process from acquire() to release(). */
export class ServerLock {
  readonly file: string;
  private held = false;

  constructor(
    readonly socketDir: string,
    private readonly procs: ProcessSeams = realProcesses,
  ) {
    this.file = path.join(socketDir, LOCK_FILE);
  }

  /**
   * Take the lock: refuses when a live daos_server holds it, replaces a stale
   * one. Returns the pid of the stale holder it replaced, if any.
   */
  acquire(): number | undefined {
    let stale: number | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(this.file, 'wx', 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw serverFaults.lockFile(this.file, errnoText(e));
        checkNotRunning(this.socketDir, this.procs);
        stale = readLockPid(this.file);
        try {
          fs.unlinkSync(this.file);
        } catch (u) {
          if ((u as NodeJS.ErrnoException).code !== 'ENOENT') throw serverFaults.lockFile(this.file, errnoText(u));
        }
        continue;
      }
      try {
        fs.writeSync(fd, `${this.procs.self}\n`);
      } finally {
        fs.closeSync(fd);
      }
      this.held = true;
      return stale;
    }
    throw serverFaults.lockFile(this.file, 'another daos_server took it at the same moment');
  }

  /** Remove the lock file if this process still holds it. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readLockPid(this.file) === this.procs.self) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}
