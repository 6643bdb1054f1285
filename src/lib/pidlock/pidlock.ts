/**
 * A pid lock file: one running instance of a program per directory
 * (daos_server per socket_dir, daos_agent per runtime_dir).
 *
 * The file holds the pid of the process that owns the directory. A live
 * process of that program with that pid holds the lock; a dead one, or a
 * recycled pid now used by another program, left a stale lock that the next
 * start replaces. The file is created with O_EXCL, so two instances starting
 * at the same moment cannot both win, and removed at exit only by its holder.
 * Checking is read-only: a refused start writes nothing.
 */
import fs from 'node:fs';

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

export interface PidLockOptions {
  /** The program that takes the lock, as its process name (`process.title`) reads. */
  program: string;
  procs?: ProcessSeams;
  /** The error refusing the lock to us: a live `program` with this pid holds it. */
  held: (pid: number) => Error;
  /** The error when the lock file cannot be written or replaced. */
  failed: (file: string, reason: string) => Error;
}

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

/** The pid of a live `program` holding the lock file, if any (read-only). */
export function lockHolder(file: string, program: string, procs: ProcessSeams = realProcesses): number | undefined {
  const pid = readLockPid(file);
  if (pid === undefined || pid === procs.self || !procs.alive(pid)) return undefined;
  // NB: a recycled pid that now belongs to another program does not hold the lock.
  const name = procs.name(pid);
  return name === '' || name === program ? pid : undefined;
}

/** The lock file of one directory, held by this process from acquire() to release(). */
export class PidLock {
  private held = false;
  private readonly procs: ProcessSeams;

  constructor(
    readonly file: string,
    private readonly opts: PidLockOptions,
  ) {
    this.procs = opts.procs ?? realProcesses;
  }

  /** The pid of the live holder, if another process holds the lock (read-only). */
  holder(): number | undefined {
    return lockHolder(this.file, this.opts.program, this.procs);
  }

  /** Refuse (opts.held) when another live process holds the lock. Writes nothing. */
  check(): void {
    const pid = this.holder();
    if (pid !== undefined) throw this.opts.held(pid);
  }

  /**
   * Take the lock: refuses when a live holder has it, replaces a stale one.
   * Returns the pid of the stale holder it replaced, if any.
   */
  acquire(): number | undefined {
    let stale: number | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(this.file, 'wx', 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw this.opts.failed(this.file, errnoText(e));
        this.check();
        stale = readLockPid(this.file);
        try {
          fs.unlinkSync(this.file);
        } catch (u) {
          if ((u as NodeJS.ErrnoException).code !== 'ENOENT') throw this.opts.failed(this.file, errnoText(u));
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
    throw this.opts.failed(this.file, `another ${this.opts.program} took it at the same moment`);
  }

  /** Whether this process holds the lock now (it took it and nobody replaced it). */
  get owned(): boolean {
    return this.held && readLockPid(this.file) === this.procs.self;
  }

  /** Remove the lock file if this process still holds it. */
  release(): void {
    if (!this.held) return;
    const mine = this.owned;
    this.held = false;
    if (mine) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}
