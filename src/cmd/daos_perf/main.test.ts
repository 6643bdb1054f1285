/**
 * daos_perf in this process, -T vos (no servers): the output layout, the
 * exit status, -j, -v, and that nothing is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './main.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const RESULT = (name: string) =>
  new RegExp(
    `^${name} successfully completed:\\n\\tduration : \\d+\\.\\d{6} *sec\\n\\tbandwith : \\d+\\.\\d{3} *MB/sec\\n\\trate {5}: \\d+\\.\\d{2} *IO/sec\\n\\tlatency  : \\d+\\.\\d{3} *us \\(nonsense if credits > 1\\)\\nDuration across processes:\\n\\tMAX duration : \\d+\\.\\d{6} *sec\\n\\tMIN duration : \\d+\\.\\d{6} *sec\\n\\tAverage duration : \\d+\\.\\d{6} *sec$`,
    'm',
  );

test('-T vos in a directory given with -f: header, Started..., results, verification; the VOS files are removed', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-test-'));
  try {
    const r = await run(['-T', 'vos', '-f', dir, '-P', '64M', '-N', '64M', '-a', '4', '-r', '20', '-s', '4K', '-C', '8', '-U', '-F', '-v']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.ok(r.out.startsWith('Test :\n\tVOS (storage only)\nParameters :\n\tpool size     : SCM: 64 MB, NVMe: 64 MB\n\tcredits       : 8 (sync I/O for -ve)\n'), r.out);
    assert.match(r.out, new RegExp(`\\tVOS file      : ${dir}\\nStarted\\.\\.\\.\\n`));
    assert.match(r.out, RESULT('update'));
    assert.match(r.out, RESULT('fetch'));
    assert.equal(r.out.match(/^Fetch verification: Success$/gm)?.length, 2);
    assert.ok(r.out.indexOf('update successfully') < r.out.indexOf('fetch successfully'));
    assert.deepEqual(fs.readdirSync(dir), [], 'the VOS pool and block device file are gone');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-j: one JSON document with parameters and results, nothing else on stdout', { timeout: 60_000 }, async () => {
  const r = await run(['-T', 'vos', '-P', '64M', '-N', '0', '-a', '2', '-r', '10', '-A', '-s', '1K', '-S', '-G', '5', '-C', '4', '-B', '-I', '-j']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { test: string; status: number; parameters: Record<string, unknown>; results: { name: string; total_ios: number; bytes: number; rate_io_s: number }[] };
  assert.equal(doc.test, 'VOS (storage only)');
  assert.equal(doc.status, 0);
  assert.equal(doc.parameters.seed, 5);
  assert.equal(doc.parameters.value_type, 'array');
  assert.deepEqual(doc.results.map((x) => [x.name, x.total_ios, x.bytes]), [
    ['iterate', 20, 20 * 1024],
    ['update and fetch', 20, 2 * 20 * 1024],
  ]);
  assert.ok(doc.results.every((x) => x.rate_io_s > 0));
  assert.equal(fs.existsSync(doc.parameters.vos_dir as string), false, 'the temporary VOS directory is removed');
});

test('usage errors exit 255 with the message; -h prints the help', async () => {
  const bad = await run(['-s', '2']);
  assert.equal(bad.code, 255);
  assert.equal(bad.err, 'ERROR: value size must be >= 3\n');
  const unknown = await run(['-Q']);
  assert.equal(unknown.code, 255);
  assert.equal(unknown.err, 'Unknown option Q\n');
  const note = await run(['-t', '-F']);
  assert.equal(note.code, 255);
  assert.match(note.out, /^Note: Fetch tests are incompatible/);
  const help = await run(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^daos_perf: point-to-point update and fetch performance/);
  assert.match(help.out, /-T, --type vos\|echo\|daos/);
});

test('-T daos without a reachable agent fails with the reason and exit 1', { timeout: 30_000 }, async () => {
  const r = await run(['-T', 'daos', '--pool', 'tank', '--agent-dir', '/nonexistent/agent', '-a', '1', '-r', '1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /rank 0: cannot reach daos_agent at \/nonexistent\/agent\/agent\.sock/);
  assert.equal(r.out, '');
});
