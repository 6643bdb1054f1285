/**
 * A progress bar on stderr for long transfers (cli-progress), drawn only when
 * stderr is a terminal and the output is not -j JSON; otherwise a no-op.
 */
import cliProgress from 'cli-progress';
import type { DaosIO } from './ctx.js';

export interface Progress {
  tick(bytes: number): void;
  stop(): void;
}

const NOOP: Progress = { tick: () => undefined, stop: () => undefined };

/** `1.50 MiB` */
export function humanBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(2)} ${u[i]}`;
}

/** A bar for `total` bytes (undefined: unknown, e.g. stdin; then only the count and rate are shown). */
export function progressBar(io: DaosIO, enabled: boolean, label: string, total?: number): Progress {
  if (!enabled || !io.errIsTTY) return NOOP;
  const known = total !== undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream,
      format: known ? `${label} [{bar}] {percentage}% | {done} / {size} | {rate}/s | ETA {eta_formatted}` : `${label} {done} | {rate}/s`,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  let done = 0;
  const payload = () => ({ done: humanBytes(done), size: humanBytes(total ?? 0), rate: humanBytes(Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000))) });
  bar.start(known ? Math.max(total, 1) : 1, 0, payload());
  return {
    tick(bytes: number) {
      done += bytes;
      bar.update(known ? done : 0, payload());
    },
    stop() {
      bar.update(known ? Math.max(done, 0) : 0, payload());
      bar.stop();
    },
  };
}
