/**
 * What daos_perf prints: the original's header and result blocks, character
 * for character (tabs, `%-10.6f`, "bandwith" (sic)), and our -j document.
 *
 * Figures (reference §6.1): total I/Os = processes × objects × dkeys × akeys
 * × records; the aggregate duration runs from the first start to the last
 * end over every process; rate = total / duration; latency = duration /
 * total (µs); bandwidth = rate × value size / 2^20 ("MB/sec", binary).
 */
import type { PerfOptions, TestName } from './options.js';

/** One process's timing of one test: absolute milliseconds (same clock on every rank of a host). */
export interface RankTiming {
  start: number;
  end: number;
}

export interface TestResult {
  name: TestName;
  totalIos: number;
  /** Bytes the timed I/Os moved: total × value size (× 2 for update and fetch). */
  bytes: number;
  /** Seconds from the first start to the last end. */
  duration: number;
  /** "MB/sec" as the original: MiB per second. */
  bandwidthMiB: number;
  rate: number;
  /** Microseconds. */
  latency: number;
  maxDuration: number;
  minDuration: number;
  avgDuration: number;
  perRank: number[];
}

/** `%-10.<digits>f` */
export function fixed10(v: number, digits: number): string {
  const s = Number.isFinite(v) ? v.toFixed(digits) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  return s.padEnd(10);
}

export function computeResult(name: TestName, timings: readonly RankTiming[], iosPerRank: number, vsize: number): TestResult {
  const first = Math.min(...timings.map((t) => t.start));
  const last = Math.max(...timings.map((t) => t.end));
  const duration = (last - first) / 1000;
  const perRank = timings.map((t) => (t.end - t.start) / 1000);
  const totalIos = iosPerRank * timings.length;
  const rate = totalIos / duration;
  return {
    name,
    totalIos,
    bytes: totalIos * vsize * (name === 'update and fetch' ? 2 : 1),
    duration,
    bandwidthMiB: (rate * vsize) / (1024 * 1024),
    rate,
    latency: (duration * 1e6) / totalIos,
    maxDuration: Math.max(...perRank),
    minDuration: Math.min(...perRank),
    avgDuration: perRank.reduce((a, b) => a + b, 0) / perRank.length,
    perRank,
  };
}

export function formatResult(r: TestResult): string {
  return (
    `${r.name} successfully completed:\n` +
    `\tduration : ${fixed10(r.duration, 6)} sec\n` +
    `\tbandwith : ${fixed10(r.bandwidthMiB, 3)} MB/sec\n` +
    `\trate     : ${fixed10(r.rate, 2)} IO/sec\n` +
    `\tlatency  : ${fixed10(r.latency, 3)} us (nonsense if credits > 1)\n` +
    'Duration across processes:\n' +
    `\tMAX duration : ${fixed10(r.maxDuration, 6)} sec\n` +
    `\tMIN duration : ${fixed10(r.minDuration, 6)} sec\n` +
    `\tAverage duration : ${fixed10(r.avgDuration, 6)} sec\n`
  );
}

export interface HeaderInfo {
  procs: number;
  scmBytes: number;
  nvmeBytes: number;
  /** The VOS directory (vos mode). */
  vosFile?: string;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** The original's u32 of `size >> 20`. */
function mb(bytes: number): number {
  return Math.floor(bytes / 2 ** 20) >>> 0;
}

export function formatHeader(o: PerfOptions, h: HeaderInfo): string {
  return (
    `Test :\n\t${o.description}\n` +
    'Parameters :\n' +
    `\tpool size     : SCM: ${mb(h.scmBytes)} MB, NVMe: ${mb(h.nvmeBytes)} MB\n` +
    `\tcredits       : ${o.credits} (sync I/O for -ve)\n` +
    `\tobj_per_cont  : ${o.objs} x ${h.procs} (procs)\n` +
    `\tdkey_per_obj  : ${o.dkeys}\n` +
    `\takey_per_dkey : ${o.akeys}\n` +
    `\trecx_per_akey : ${o.recxs}\n` +
    `\tvalue type    : ${o.array ? 'array' : 'single'}\n` +
    `\tvalue size    : ${o.vsize}\n` +
    `\tzero copy     : ${yesNo(o.zeroCopy)}\n` +
    `\toverwrite     : ${yesNo(o.overwrite)}\n` +
    `\tverify fetch  : ${yesNo(o.verify)}\n` +
    `\tVOS file      : ${o.mode === 'vos' ? (h.vosFile ?? '') : '<NULL>'}\n`
  );
}

export interface JsonReport {
  test: string;
  mode: string;
  class: string | null;
  parameters: Record<string, unknown>;
  results: Record<string, unknown>[];
  verify: { result: string; checked?: number; message?: string }[];
  status: number;
  error: string | null;
}

export function jsonParameters(o: PerfOptions, h: HeaderInfo & { pool?: string; cont?: string; seed: number }): Record<string, unknown> {
  return {
    pool_scm_bytes: h.scmBytes,
    pool_nvme_bytes: h.nvmeBytes,
    credits: o.credits,
    procs: h.procs,
    obj_per_proc: o.objs,
    dkey_per_obj: o.dkeys,
    akey_per_dkey: o.akeys,
    recx_per_akey: o.recxs,
    value_type: o.array ? 'array' : 'single',
    value_size: o.vsize,
    zero_copy: o.zeroCopy,
    overwrite: o.overwrite,
    shuffle: o.shuffle,
    seed: h.seed,
    verify: o.verify,
    vos_dir: o.mode === 'vos' ? (h.vosFile ?? null) : null,
    pool: h.pool ?? null,
    cont: h.cont ?? null,
  };
}

export function jsonResult(r: TestResult): Record<string, unknown> {
  return {
    name: r.name,
    total_ios: r.totalIos,
    bytes: r.bytes,
    duration_s: r.duration,
    bandwidth_mib_s: r.bandwidthMiB,
    bytes_per_s: r.bytes / r.duration,
    gb_per_s: r.bytes / r.duration / 1e9,
    rate_io_s: r.rate,
    latency_us: r.latency,
    max_duration_s: r.maxDuration,
    min_duration_s: r.minDuration,
    avg_duration_s: r.avgDuration,
    per_rank_duration_s: r.perRank,
  };
}
