/**
 * The command-runner seam: how the storage providers run external tools
 * (ipmctl, ndctl, mkfs.ext4, mount, umount). The real runner spawns the tool
 * (no shell) with a bounded timeout; ScriptedRunner replays expected commands in tests.
 *
 * NB: run() resolves with the exit code for a tool that ran (whatever its
 * status) and rejects only when it could not run or was killed on timeout, so
 * callers decide what a non-zero status means for each tool.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunOptions {
  /** Kill the command after this long (default 60 s). */
  timeoutMs?: number;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Absolute path of an executable, or undefined when it is not installed. */
  which(cmd: string): Promise<string | undefined>;
}

/** Raised by a runner when a command could not be started. */
export class CommandNotFoundError extends Error {
  constructor(readonly cmd: string) {
    super(`${cmd}: command not found`);
    this.name = 'CommandNotFoundError';
  }
}

/** Raised by a runner when a command was killed after its timeout. */
export class CommandTimeoutError extends Error {
  constructor(
    readonly cmdline: string,
    readonly timeoutMs: number,
  ) {
    super(`${cmdline}: killed after ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/**
 * sbin directories are searched after PATH: daos_server may run with a user's
 * PATH that lacks them, and mkfs.ext4 lives there.
 */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The real runner: no shell, stdin closed, output capped, the process group killed on timeout. */
export class ExecCommandRunner implements CommandRunner {
  constructor(private readonly pathEnv: string = process.env.PATH ?? '') {}

  async which(cmd: string): Promise<string | undefined> {
    if (cmd.includes('/')) return isExecutable(cmd) ? cmd : undefined;
    const dirs = [...this.pathEnv.split(':').filter(Boolean), ...EXTRA_DIRS];
    for (const d of dirs) {
      const p = path.join(d, cmd);
      if (isExecutable(p)) return p;
    }
    return undefined;
  }

  async run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const file = await this.which(cmd);
    if (!file) throw new CommandNotFoundError(cmd);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const cmdline = [cmd, ...args].join(' ');
    return new Promise<RunResult>((resolve, reject) => {
      // NB: its own process group, so a timeout kills whatever the tool started
      // too; a grandchild holding the pipes open would otherwise delay the answer.
      const child = spawn(file, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        // The C locale keeps tool output parseable; callers may override it.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...opts.env },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let settled = false;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
      };
      const timer = setTimeout(() => {
        killGroup();
        finish(() => reject(new CommandTimeoutError(cmdline, timeoutMs)));
      }, timeoutMs);
      const onAbort = (): void => {
        killGroup();
        finish(() => reject(new Error(`${cmdline}: aborted`)));
      };
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort);
      const collect = (into: Buffer[]) => (b: Buffer) => {
        size += b.length;
        if (size > MAX_OUTPUT_BYTES) {
          killGroup();
          finish(() => reject(new Error(`${cmdline}: more than ${MAX_OUTPUT_BYTES} bytes of output`)));
          return;
        }
        into.push(b);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(e.code === 'ENOENT' ? new CommandNotFoundError(cmd) : e)));
      child.on('close', (code, signal) =>
        finish(() =>
          resolve({
            code: code ?? 128 + (signal ? (signalNumber(signal) ?? 0) : 0),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          }),
        ),
      );
      // Tools that prompt (mkfs without -F) get EOF instead of waiting for input.
      child.stdin.on('error', () => {});
      child.stdin.end();
    });
  }
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return os.constants.signals[sig];
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ---- test double ------------------------------------------------------------------

/** One expected command of a ScriptedRunner. */
export interface ScriptStep {
  cmd: string;
  /** Exact argument list expected; omitted = any. */
  args?: string[];
  /** The result (code defaults to 0, outputs to ''), or a function computing it. */
  result?: Partial<RunResult> | ((args: string[]) => Partial<RunResult> | Promise<Partial<RunResult>>);
  /** Make run() reject with this error instead. */
  error?: Error;
}

/**
 * A runner that expects an exact sequence of commands and answers each with
 * a scripted result. Anything unexpected rejects with a message saying what
 * was expected, so a test fails where the sequence diverges.
 */
export class ScriptedRunner implements CommandRunner {
  /** Every command run, as `cmd arg1 arg2`. */
  readonly calls: string[] = [];
  private steps: ScriptStep[];
  private readonly installed: Map<string, string>;

  constructor(steps: ScriptStep[] = [], installed: string[] = ['ndctl', 'ipmctl', 'mkfs.ext4', 'mount', 'umount']) {
    this.steps = [...steps];
    this.installed = new Map(installed.map((c) => [c, `/usr/bin/${c}`]));
  }

  /** Append more expected steps. */
  expect(...steps: ScriptStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** Steps not consumed yet. */
  remaining(): ScriptStep[] {
    return [...this.steps];
  }

  async which(cmd: string): Promise<string | undefined> {
    return this.installed.get(cmd);
  }

  async run(cmd: string, args: string[]): Promise<RunResult> {
    const line = [cmd, ...args].join(' ');
    this.calls.push(line);
    if (!this.installed.has(cmd)) throw new CommandNotFoundError(cmd);
    const step = this.steps.shift();
    if (!step) throw new Error(`unexpected command ${JSON.stringify(line)}: script exhausted`);
    const want = [step.cmd, ...(step.args ?? [])].join(' ');
    if (step.cmd !== cmd || (step.args && step.args.join('\0') !== args.join('\0'))) {
      throw new Error(`unexpected command ${JSON.stringify(line)}, want ${JSON.stringify(want)}`);
    }
    if (step.error) throw step.error;
    const r = typeof step.result === 'function' ? await step.result(args) : (step.result ?? {});
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
}
