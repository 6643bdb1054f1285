/**
 * Crash consistency: a process updating a pool is killed with SIGKILL at a
 * random moment; after reopening, every acknowledged update is there, no
 * update is half there, and no blob block is leaked or referenced twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FileDevice } from './bdev.js';
import { VosPool, type VosPoolOptions } from './pool.js';
import { oidWith, rmDir, tmpDir, u64le } from './testing.js';

const BLOB = 64 << 20;

/** The child: update dkey i with a large (blob) and a small (inline) value derived from i, many in flight; print each acknowledgement. */
const CHILD = `
import { FileDevice, VosPool } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};
const [dir, bdev, startArg, create] = process.argv.slice(2);
const dev = await FileDevice.open(bdev, { size: ${BLOB}, create: true });
const opts = { dir, target: 0, scmBytes: 64 << 20, blob: { device: dev, offset: 0, size: ${BLOB} } };
const pool = create === '1' ? await VosPool.create(opts) : await VosPool.open(opts);
const oid = { hi: ${oidWith(1n).hi}n, lo: 1n, shard: 0 };
const big = (i) => Buffer.alloc(8192 + (i % 5) * 4096, i & 0xff);
const small = (i) => Buffer.from('value-' + i);
let next = Number(startArg);
process.stdout.write('ready\\n');
async function worker() {
  for (;;) {
    const i = next++;
    const d = Buffer.alloc(8); d.writeBigUInt64LE(BigInt(i));
    await pool.update('c', oid, BigInt(1000 + i), d, [
      { akey: Buffer.from('big'), type: 'single', size: big(i).length },
      { akey: Buffer.from('small'), type: 'single', size: small(i).length },
    ], [big(i), small(i)]);
    process.stdout.write('acked ' + i + '\\n');
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
`;

function runChild(script: string, args: string[], killAfterAcks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buf = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child made no progress in time: ${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('acked ')) acked.push(Number(line.slice(6)));
      }
      if (!killed && acked.length >= killAfterAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

test('SIGKILL during updates: acknowledged updates survive, none is partial, no block leaks', async () => {
  const dir = tmpDir('crash');
  try {
    const script = path.join(dir, 'child.mjs');
    fs.writeFileSync(script, CHILD);
    const poolDir = path.join(dir, 'pool');
    const bdev = path.join(dir, 'bdev');
    const acked = new Set<number>();
    let start = 0;
    for (let round = 0; round < 3; round++) {
      const got = await runChild(script, [poolDir, bdev, String(start), round === 0 ? '1' : '0'], 150 + round * 97);
      got.forEach((i) => acked.add(i));
      start += 100_000;

      const dev = await FileDevice.open(bdev);
      const opts: VosPoolOptions = { dir: poolDir, target: 0, scmBytes: 64 << 20, blob: { device: dev, offset: 0, size: BLOB } };
      const pool = await VosPool.open(opts);
      try {
        assert.deepEqual(pool.verify().problems, [], `round ${round}`);
        const oid = oidWith(1n);
        const present = new Set<number>();
        let anchor: Buffer | undefined;
        for (let pages = 0; pages < 10_000; pages++) {
          const page = pool.listDkeys('c', oid, 2n ** 64n - 1n, anchor, 100);
          for (const k of page.keys) present.add(Number(k.readBigUInt64LE(0)));
          anchor = page.anchor;
          if (!anchor) break;
        }
        for (const i of acked) assert.ok(present.has(i), `acknowledged update ${i} is missing after the crash`);
        for (const i of present) {
          const [big, small] = await pool.fetch('c', oid, 2n ** 64n - 1n, u64le(i), [
            { akey: Buffer.from('big'), type: 'single', size: 0 },
            { akey: Buffer.from('small'), type: 'single', size: 0 },
          ]);
          assert.deepEqual(small!.data, Buffer.from(`value-${i}`), `update ${i}: small value`);
          assert.equal(big!.size, 8192 + (i % 5) * 4096, `update ${i}: large value size`);
          assert.ok(big!.data.equals(Buffer.alloc(big!.size, i & 0xff)), `update ${i}: large value bytes`);
        }
        assert.ok(present.size >= acked.size);
      } finally {
        await pool.close();
        await dev.close();
      }
    }
  } finally {
    rmDir(dir);
  }
});
