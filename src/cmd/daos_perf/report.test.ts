import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeResult, fixed10, formatHeader, formatResult, jsonResult } from './report.js';
import { parseArgs } from './options.js';

test('figures: duration from the first start to the last end; rate, latency and MiB/s from it', () => {
  // 2 ranks × 1000 I/Os of 1 MiB; rank 0 from t=1000 ms to 3000, rank 1 from 1500 to 3500
  const r = computeResult('update', [{ start: 1000, end: 3000 }, { start: 1500, end: 3500 }], 1000, 1 << 20);
  assert.equal(r.totalIos, 2000);
  assert.equal(r.duration, 2.5);
  assert.equal(r.rate, 800);
  assert.equal(r.latency, 1250);
  assert.equal(r.bandwidthMiB, 800);
  assert.deepEqual([r.maxDuration, r.minDuration, r.avgDuration], [2, 2, 2]);
  assert.equal(r.bytes, 2000 * (1 << 20));
  assert.deepEqual(r.perRank, [2, 2]);
});

test('figures: per-rank durations differ; update-and-fetch moves twice the bytes', () => {
  const r = computeResult('update and fetch', [{ start: 0, end: 1000 }, { start: 0, end: 4000 }, { start: 500, end: 2500 }], 100, 4096);
  assert.equal(r.duration, 4);
  assert.deepEqual([r.maxDuration, r.minDuration, r.avgDuration], [4, 1, 7 / 3]);
  assert.equal(r.rate, 75);
  assert.equal(r.bytes, 300 * 4096 * 2);
  assert.equal(r.bandwidthMiB, (75 * 4096) / 2 ** 20);
});

test('%-10.Nf as printf does', () => {
  assert.equal(fixed10(1.5, 6), '1.500000  ');
  assert.equal(fixed10(12345678.25, 3), '12345678.250');
  assert.equal(fixed10(Infinity, 2), 'inf       ');
});

test('the result block, byte for byte', () => {
  const r = computeResult('fetch', [{ start: 0, end: 2000 }], 1000, 1 << 20);
  assert.equal(
    formatResult(r),
    [
      'fetch successfully completed:',
      '\tduration : 2.000000   sec',
      '\tbandwith : 500.000    MB/sec',
      '\trate     : 500.00     IO/sec',
      '\tlatency  : 2000.000   us (nonsense if credits > 1)',
      'Duration across processes:',
      '\tMAX duration : 2.000000   sec',
      '\tMIN duration : 2.000000   sec',
      '\tAverage duration : 2.000000   sec',
      '',
    ].join('\n'),
  );
});

test('the header, byte for byte', () => {
  const o = parseArgs(['-T', 'daos', '-c', 'R2S', '-C', '16', '-o', '2', '-d', '3', '-a', '4', '-r', '5', '-A', '-s', '1M', '-v']);
  assert.equal(
    formatHeader(o, { procs: 4, scmBytes: 2 * 2 ** 30, nvmeBytes: 8 * 2 ** 30 }),
    [
      'Test :',
      '\tDAOS R2S (full stack, 2 replica)',
      'Parameters :',
      '\tpool size     : SCM: 2048 MB, NVMe: 8192 MB',
      '\tcredits       : 16 (sync I/O for -ve)',
      '\tobj_per_cont  : 2 x 4 (procs)',
      '\tdkey_per_obj  : 3',
      '\takey_per_dkey : 4',
      '\trecx_per_akey : 5',
      '\tvalue type    : array',
      '\tvalue size    : 1048576',
      '\tzero copy     : no',
      '\toverwrite     : no',
      '\tverify fetch  : yes',
      '\tVOS file      : <NULL>',
      '',
    ].join('\n'),
  );
  const v = parseArgs(['-t', '-z']);
  assert.match(formatHeader(v, { procs: 1, scmBytes: 1 << 30, nvmeBytes: 0, vosFile: '/dev/shm/p' }), /\tvalue type {4}: single\n\tvalue size {4}: 32\n\tzero copy {5}: yes\n\toverwrite {5}: yes\n\tverify fetch {2}: no\n\tVOS file {6}: \/dev\/shm\/p\n$/);
});

test('the JSON result carries the extras: bytes, bytes per second, per-rank durations', () => {
  const j = jsonResult(computeResult('update', [{ start: 0, end: 1000 }], 1000, 1_000_000));
  assert.equal(j.bytes, 1e9);
  assert.equal(j.gb_per_s, 1);
  assert.equal(j.rate_io_s, 1000);
  assert.deepEqual(j.per_rank_duration_s, [1]);
});
