/**
 * daos_admin: the privileged helper daos_server starts for mounts, mkfs and
 * device preparation. One JSON request on stdin, one JSON reply on stdout
 * (see server/admin/protocol.ts); errors are logged on stderr, and with
 * DAOS_ADMIN_LOG_FILE set a debug log is appended to that file.
 *
 * It refuses to run unless started by daos_server (the parent's comm or
 * command line names daos_server) and as root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DAOS_VERSION } from '../../version.js';
import { FileSink, Logger, TerminalSink } from '../../logging/logger.js';
import { errorMessage } from '../../fault/fault.js';
import { AdminBadParent, AdminBadRequest, AdminNotRoot } from '../../server/storage/faults.js';
import { ExecCommandRunner } from '../../server/storage/runner.js';
import { LocalScmProvider } from '../../server/storage/scm.js';
import { LocalBdevProvider } from '../../server/storage/bdev.js';
import { errorReply, type AdminReply } from '../../server/admin/protocol.js';
import { handleRequestText, type AdminHandlerDeps } from '../../server/admin/handlers.js';

export const PROGRAM = 'daos_admin';
const PARENT = 'daos_server';
const MAX_REQUEST_BYTES = 1 << 20;
const REQUEST_TIMEOUT_MS = 60_000;

/** The process-level seams of daos_admin, replaced in tests. */
export interface AdminIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  euid: () => number;
  ppid: number;
  /** procfs mount point (default /proc). */
  procRoot: string;
  /** The storage providers to run requests with (default: the real ones). */
  deps: (log: Logger) => AdminHandlerDeps;
}

function realDeps(log: Logger): AdminHandlerDeps {
  return { scm: new LocalScmProvider({ runner: new ExecCommandRunner(), log }), bdev: new LocalBdevProvider({ log }), log };
}

/** Whether a process is daos_server: its comm, or the program named by argv[0] or argv[1] (node <script>). */
export function isDaosServer(pid: number, procRoot = '/proc'): boolean {
  try {
    if (fs.readFileSync(path.join(procRoot, String(pid), 'comm'), 'utf8').trim() === PARENT) return true;
  } catch {
    // fall through to the command line
  }
  try {
    const argv = fs.readFileSync(path.join(procRoot, String(pid), 'cmdline'), 'utf8').split('\0');
    return argv.slice(0, 2).some((a) => path.basename(a) === PARENT);
  } catch {
    return false;
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let len = 0;
    const timer = setTimeout(() => done(AdminBadRequest(`no complete request on stdin within ${REQUEST_TIMEOUT_MS / 1000}s`)), REQUEST_TIMEOUT_MS);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (b: Buffer | string): void => {
      const buf = typeof b === 'string' ? Buffer.from(b) : b;
      len += buf.length;
      if (len > MAX_REQUEST_BYTES) return done(AdminBadRequest(`request larger than ${MAX_REQUEST_BYTES} bytes`));
      chunks.push(buf);
    };
    const onEnd = (): void => done();
    const onError = (e: Error): void => done(e);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

/** daos_admin with injected seams; resolves to the exit status. */
export async function runAdmin(argv: string[], io: AdminIO): Promise<number> {
  if (argv.includes('--version') || argv[0] === 'version') {
    await write(io.stdout, `${PROGRAM} version ${DAOS_VERSION}\n`);
    return 0;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    await write(
      io.stdout,
      `Usage: ${PROGRAM} [--version]\n\nPrivileged storage helper of daos_server: reads one JSON request on stdin and\nwrites one JSON reply on stdout. Only daos_server may run it, as root.\n`,
    );
    return 0;
  }
  if (argv.length > 0) {
    await write(io.stderr, `ERROR: ${PROGRAM}: unknown argument ${JSON.stringify(argv[0])} (try --help)\n`);
    return 1;
  }

  const log = new Logger([{ sink: new TerminalSink(io.stderr, io.stderr), level: 'error' }]);
  const logFile = io.env.DAOS_ADMIN_LOG_FILE;
  if (logFile) {
    try {
      log.addSink(new FileSink(logFile), 'debug');
    } catch (e) {
      log.error(`${PROGRAM}: cannot open DAOS_ADMIN_LOG_FILE ${JSON.stringify(logFile)}: ${errorMessage(e)}`);
    }
  }
  const refuse = (e: unknown): AdminReply => {
    log.error(errorMessage(e));
    return errorReply(e);
  };
  try {
    let reply: AdminReply;
    if (!isDaosServer(io.ppid, io.procRoot)) {
      reply = refuse(AdminBadParent(DAOS_VERSION));
    } else if (io.euid() !== 0) {
      reply = refuse(AdminNotRoot(io.euid()));
    } else {
      try {
        // NB: handleRequestText never throws; this catches a bad stdin and provider setup.
        reply = await handleRequestText(await readAll(io.stdin), io.deps(log));
      } catch (e) {
        reply = refuse(e);
      }
    }
    await write(io.stdout, JSON.stringify(reply) + '\n');
    return reply.Error ? 1 : 0;
  } finally {
    log.close();
  }
}

/** Entry point of bin/daos_admin. */
export async function main(): Promise<number> {
  process.title = PROGRAM;
  // Tools such as ipmctl look at the real uid: a setuid-root start must become root fully.
  if (process.geteuid?.() === 0 && process.getuid?.() !== 0) {
    try {
      process.setuid?.(0);
    } catch {
      // the checks below report what matters
    }
  }
  return runAdmin(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    euid: () => process.geteuid?.() ?? -1,
    ppid: process.ppid,
    procRoot: '/proc',
    deps: realDeps,
  });
}
