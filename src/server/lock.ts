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
 * same moment cannot both win). It is removed at shutdown. The lock file
 * itself is src/lib/pidlock, shared with daos_agent.
 */
import net from 'node:net';
import path from 'node:path';
import { PidLock, lockHolder as pidLockHolder, realProcesses, type ProcessSeams } from '../lib/pidlock/pidlock.js';
import { serverFaults } from './faults.js';

export { readLockPid, realProcesses, type ProcessSeams } from '../lib/pidlock/pidlock.js';

export const LOCK_FILE = 'daos_server.lock';

/** The pid of a live daos_server holding the lock of socketDir, if any (read-only). */
export function lockHolder(socketDir: string, procs: ProcessSeams = realProcesses): number | undefined {
  return pidLockHolder(path.join(socketDir, LOCK_FILE), 'daos_server', procs);
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

/** The lock of one socket directory, held by this process from acquire() to release() (src/lib/pidlock). */
export class ServerLock extends PidLock {
  constructor(
    readonly socketDir: string,
    procs: ProcessSeams = realProcesses,
  ) {
    super(path.join(socketDir, LOCK_FILE), {
      program: 'daos_server',
      procs,
      held: (pid) => serverFaults.alreadyRunning(pid, socketDir),
      failed: (file, reason) => serverFaults.lockFile(file, reason),
    });
  }
}
