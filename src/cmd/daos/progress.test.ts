/**
 * The progress bar: drawn on a terminal only, never with -j, and it reaches 100%.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { humanBytes, progressBar } from './progress.js';
import type { DaosIO } from './ctx.js';

function io(tty: boolean): { io: DaosIO; text: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 120 });
  let s = '';
  stderr.on('data', (d: Buffer) => (s += d.toString()));
  return { io: { stdout: new PassThrough(), stderr, stdin: Readable.from([]), errIsTTY: tty }, text: () => s };
}

test('no bar when stderr is not a terminal, or with -j', async () => {
  for (const [tty, enabled] of [[false, true], [true, false]] as const) {
    const t = io(tty);
    const b = progressBar(t.io, enabled, 'import', 1000);
    b.tick(1000);
    b.stop();
    await new Promise((r) => setImmediate(r));
    assert.equal(t.text(), '');
  }
});

test('on a terminal the bar is drawn on stderr and ends at 100%', async () => {
  const t = io(true);
  const b = progressBar(t.io, true, 'export', 4 << 20);
  for (let i = 0; i < 4; i++) b.tick(1 << 20);
  b.stop();
  await new Promise((r) => setImmediate(r));
  assert.match(t.text(), /export \[.*\] 100% \| 4\.00 MiB \/ 4\.00 MiB/);
});

test('humanBytes', () => {
  assert.equal(humanBytes(0), '0 B');
  assert.equal(humanBytes(1023), '1023 B');
  assert.equal(humanBytes(1536), '1.50 KiB');
  assert.equal(humanBytes(5 * 2 ** 30), '5.00 GiB');
});
