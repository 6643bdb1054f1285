/**
 * daos_io_server entry point: parse the original's flags, run one I/O server
 * instance until told to stop. Started by daos_server, not by hand.
 */
import { IoServer, fabricFromEnv, parseIoServerArgs } from '../../engine/io_server.js';
import { createVosStorage } from '../../engine/storage.js';
import { FileSink, Logger, TerminalSink, type LogLevel } from '../../logging/logger.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import { DAOS_VERSION } from '../../version.js';

/** The engine's D_LOG_MASK (ERR, WARN, INFO, DEBUG, DBUG) as a log level. */
function levelFromMask(mask: string | undefined): LogLevel {
  const m = (mask ?? 'ERR').toUpperCase().split(',')[0];
  if (m.startsWith('DEBUG') || m.startsWith('DBUG')) return 'debug';
  if (m.startsWith('INFO') || m.startsWith('NOTE')) return 'info';
  if (m.startsWith('WARN')) return 'notice';
  return 'error';
}

/**
 * DAOS_CPU_PROFILE=<dir> (in the instance's env_vars) records a V8 CPU profile
 * of the I/O server, written to <dir>/daos_io_server.<pid>.cpuprofile when it
 * stops cleanly (open it in Chrome DevTools). Node refuses --cpu-prof in
 * NODE_OPTIONS, hence the inspector session.
 */
async function startProfile(dir: string, log: Logger): Promise<() => Promise<void>> {
  const inspector = await import('node:inspector/promises');
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  log.info(`CPU profile: recording to ${dir}`);
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const fsm = await import('node:fs');
    fsm.mkdirSync(dir, { recursive: true });
    fsm.writeFileSync(`${dir}/daos_io_server.${process.pid}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * libuv's thread pool carries the block-device writes, reads and flushes of
 * every target; its default of 4 threads would queue the targets behind each
 * other. Size it from -t before anything uses it (the pool starts on first use).
 */
function sizeThreadPool(argv: string[], env: NodeJS.ProcessEnv): void {
  if (env.UV_THREADPOOL_SIZE) return;
  const i = argv.findIndex((a) => a === '-t' || a === '--targets');
  const t = i >= 0 ? Number(argv[i + 1]) : Number(/^--targets=(\d+)$/.exec(argv.find((a) => a.startsWith('--targets=')) ?? '')?.[1]);
  env.UV_THREADPOOL_SIZE = String(Math.min(64, Math.max(8, 2 * (Number.isInteger(t) && t > 0 ? t : 4) + 4)));
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  process.title = 'daos_io_server';
  sizeThreadPool(argv, env);
  if (argv[0] === 'version' || argv[0] === '--version') {
    process.stdout.write(`daos_io_server version ${DAOS_VERSION}\n`);
    return 0;
  }
  const level = levelFromMask(env.D_LOG_MASK);
  const log = new Logger([{ sink: new TerminalSink(process.stderr, process.stderr), level: 'error' }]);
  if (env.D_LOG_FILE) {
    try {
      log.addSink(new FileSink(env.D_LOG_FILE), level);
    } catch (e) {
      log.error(`unable to open log file ${env.D_LOG_FILE}: ${errorMessage(e)}`);
    }
  }
  let srv: IoServer;
  try {
    const opts = parseIoServerArgs(argv);
    srv = new IoServer(opts, fabricFromEnv(env), log, createVosStorage);
  } catch (e) {
    report(log, e);
    return 1;
  }
  const stop = (sig: string) => {
    log.info(`received ${sig}, shutting down`);
    void srv.shutdown(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Lifeline: daos_server holds our stdin; when it goes away, so do we.
  process.stdin.on('end', () => stop('end of lifeline (daos_server exited)'));
  process.stdin.on('error', () => stop('lifeline error'));
  process.stdin.resume();
  const stopProfile = env.DAOS_CPU_PROFILE ? await startProfile(env.DAOS_CPU_PROFILE, log) : undefined;
  try {
    await srv.start();
  } catch (e) {
    report(log, e);
    await srv.shutdown(1);
    return 1;
  }
  const code = await srv.exited;
  await stopProfile?.().catch((e) => log.error(`CPU profile: ${errorMessage(e)}`));
  log.close();
  return code;
}

function report(log: Logger, e: unknown): void {
  log.error(errorMessage(e));
  if (e instanceof Fault && e.resolution) log.error(e.resolution);
}
