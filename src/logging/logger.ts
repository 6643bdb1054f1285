/**
 * Logging for every program, in the original's formats:
 *  - terminal: info on stdout without prefix, errors on stderr prefixed
 *    `ERROR: `, debug on stdout prefixed `DEBUG <time> `;
 *  - file (e.g. control_log_file): `<hostname> INFO <yyyy/mm/dd hh:mm:ss> msg`;
 *  - JSON (-j): one object per line with level, time and message.
 * Written by hand: the formats are the feature, and no logging library
 * produces them without as much glue as this file.
 */
import fs from 'node:fs';
import os from 'node:os';

export type LogLevel = 'disabled' | 'error' | 'notice' | 'info' | 'debug';
const rank: Record<LogLevel, number> = { disabled: 0, error: 1, notice: 2, info: 3, debug: 4 };

export function parseLogLevel(s: string): LogLevel {
  const l = s.trim().toLowerCase();
  if (l === 'err') return 'error';
  if (l in rank) return l as LogLevel;
  throw new Error(`${JSON.stringify(s)} is not a valid log level (use one of DISABLED, ERROR, NOTICE, INFO, DEBUG)`);
}

export interface LogSink {
  write(level: Exclude<LogLevel, 'disabled'>, msg: string, time: Date): void;
  close?(): void;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function fileTimestamp(t: Date): string {
  return `${t.getFullYear()}/${pad(t.getMonth() + 1)}/${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

function debugTimestamp(t: Date): string {
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}000`;
}

function withNewline(msg: string): string {
  return msg.endsWith('\n') ? msg : msg + '\n';
}

/** Terminal sink: info to stdout, errors to stderr. */
export class TerminalSink implements LogSink {
  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}
  write(level: Exclude<LogLevel, 'disabled'>, msg: string, time: Date): void {
    switch (level) {
      case 'error':
        this.err.write(withNewline(`ERROR: ${msg}`));
        break;
      case 'debug':
        this.out.write(withNewline(`DEBUG ${debugTimestamp(time)} ${msg}`));
        break;
      default:
        this.out.write(withNewline(msg));
    }
  }
}

/**
 * File sink in the original's control-log format; appends, synchronously.
 * With `json` (control_log_json) each message is one JSON object per line:
 * `{"host", "level", "time", "message"}`.
 */
export class FileSink implements LogSink {
  private fd: number;
  private readonly host = os.hostname();
  private readonly json: boolean;
  constructor(
    readonly path: string,
    opts: { json?: boolean } = {},
  ) {
    this.fd = fs.openSync(path, 'a', 0o644);
    this.json = opts.json === true;
  }
  write(level: Exclude<LogLevel, 'disabled'>, msg: string, time: Date): void {
    if (this.json) {
      fs.writeSync(this.fd, JSON.stringify({ host: this.host, level, time: time.toISOString(), message: msg.replace(/\n$/, '') }) + '\n');
      return;
    }
    const tag = level.toUpperCase();
    const lines = msg.replace(/\n$/, '').split('\n');
    const text = lines.map((l) => `${this.host} ${tag} ${fileTimestamp(time)} ${l}\n`).join('');
    fs.writeSync(this.fd, text);
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** JSON lines sink (-j / --json). */
export class JsonSink implements LogSink {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}
  write(level: Exclude<LogLevel, 'disabled'>, msg: string, time: Date): void {
    this.out.write(JSON.stringify({ level, time: time.toISOString(), message: msg.replace(/\n$/, '') }) + '\n');
  }
}

export class Logger {
  private sinks: { sink: LogSink; level: LogLevel }[] = [];
  private prefixText = '';

  constructor(sinks: { sink: LogSink; level: LogLevel }[] = []) {
    this.sinks = sinks;
  }

  addSink(sink: LogSink, level: LogLevel): void {
    this.sinks.push({ sink, level });
  }

  setLevel(level: LogLevel): void {
    for (const s of this.sinks) s.level = level;
  }

  /** A logger writing to the same sinks with a fixed prefix on every message. */
  withPrefix(prefix: string): Logger {
    const l = new Logger(this.sinks);
    l.prefixText = this.prefixText + prefix;
    return l;
  }

  private log(level: Exclude<LogLevel, 'disabled'>, msg: string): void {
    const t = new Date();
    const text = this.prefixText + msg;
    for (const s of this.sinks) {
      if (rank[s.level] >= rank[level]) s.sink.write(level, text, t);
    }
  }

  error(msg: string): void {
    this.log('error', msg);
  }
  notice(msg: string): void {
    this.log('notice', msg);
  }
  info(msg: string): void {
    this.log('info', msg);
  }
  debug(msg: string): void {
    this.log('debug', msg);
  }

  close(): void {
    for (const s of this.sinks) s.sink.close?.();
  }
}

/** A logger for command-line programs: terminal or JSON, info or debug. */
export function cliLogger(opts: { debug?: boolean; json?: boolean } = {}): Logger {
  const level: LogLevel = opts.debug ? 'debug' : 'info';
  return new Logger([{ sink: opts.json ? new JsonSink() : new TerminalSink(), level }]);
}

/** A logger that discards everything (tests). */
export function nullLogger(): Logger {
  return new Logger([]);
}

/** A logger that records lines in memory (tests). */
export class MemorySink implements LogSink {
  readonly lines: { level: string; msg: string }[] = [];
  write(level: Exclude<LogLevel, 'disabled'>, msg: string): void {
    this.lines.push({ level, msg });
  }
  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.msg}`).join('\n');
  }
}
