/**
 * Streaming import/export against an in-memory array: order, block sizes,
 * the bound on blocks in flight, and failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { blocksOf, exportBlocks, importBlocks, type ByteArrayObject } from './transfer.js';
import { blockBytes } from './array.js';

/** A byte array in memory whose writes and reads complete after a random delay, counting concurrency. */
class MemArray implements ByteArrayObject {
  data = Buffer.alloc(0);
  inFlight = 0;
  maxInFlight = 0;
  writes: { at: bigint; len: number }[] = [];
  failAt?: bigint;

  private async delay<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, crypto.randomInt(0, 4)));
    this.inFlight--;
    return fn();
  }

  write(b: Buffer, at: bigint): Promise<void> {
    return this.delay(() => {
      if (this.failAt === at) throw new Error(`write at ${at} failed`);
      const end = Number(at) + b.length;
      if (end > this.data.length) this.data = Buffer.concat([this.data, Buffer.alloc(end - this.data.length)]);
      b.copy(this.data, Number(at));
      this.writes.push({ at, len: b.length });
    });
  }

  read(into: Buffer, at: bigint): Promise<unknown> {
    return this.delay(() => {
      if (this.failAt === at) throw new Error(`read at ${at} failed`);
      into.fill(0);
      this.data.copy(into, 0, Number(at), Number(at) + into.length);
      return {};
    });
  }
}

function chunked(b: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  let off = 0;
  for (let i = 0; off < b.length; i++) {
    const n = sizes[i % sizes.length];
    parts.push(b.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts);
}

test('blocksOf regroups any chunking into exact blocks, the last one short', async () => {
  const data = crypto.randomBytes(10_000);
  for (const sizes of [[1], [7, 13], [4096], [10_000], [3000, 1]]) {
    const blocks: Buffer[] = [];
    for await (const b of blocksOf(chunked(data, sizes), 1024)) blocks.push(Buffer.from(b));
    assert.deepEqual(blocks.map((b) => b.length), [...Array(9).fill(1024), 10_000 - 9 * 1024]);
    assert.ok(Buffer.concat(blocks).equals(data));
  }
  const none: Buffer[] = [];
  for await (const b of blocksOf(Readable.from([]), 16)) none.push(b);
  assert.equal(none.length, 0);
});

test('import then export round-trips, in order, with at most `inflight` operations at once', async () => {
  const data = crypto.randomBytes(1_000_003);
  const arr = new MemArray();
  let progressed = 0;
  const n = await importBlocks(arr, blocksOf(chunked(data, [65536]), 50_000), { blockSize: 50_000, inflight: 4, onProgress: (k) => (progressed += k) });
  assert.equal(n, BigInt(data.length));
  assert.equal(progressed, data.length);
  assert.ok(arr.maxInFlight <= 4 && arr.maxInFlight > 1, `max in flight ${arr.maxInFlight}`);
  assert.ok(arr.data.equals(data));
  assert.ok(arr.writes.every((w) => w.at % 50_000n === 0n));

  arr.maxInFlight = 0;
  const out: Buffer[] = [];
  const m = await exportBlocks(arr, BigInt(data.length), async (b) => void out.push(Buffer.from(b)), { blockSize: 64 * 1024, inflight: 3 });
  assert.equal(m, BigInt(data.length));
  assert.ok(arr.maxInFlight <= 3 && arr.maxInFlight > 1, `max in flight ${arr.maxInFlight}`);
  assert.ok(Buffer.concat(out).equals(data), 'export hands the blocks over in order');
});

test('a failed write stops the import and is thrown after the writes in flight finish', async () => {
  const arr = new MemArray();
  arr.failAt = 3000n;
  let pulled = 0;
  async function* source() {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield Buffer.alloc(1000, i);
    }
  }
  await assert.rejects(importBlocks(arr, source(), { blockSize: 1000, inflight: 2 }), /write at 3000 failed/);
  assert.equal(arr.inFlight, 0, 'nothing left running');
  assert.ok(pulled < 20, `reading stopped soon after the failure (${pulled} blocks read)`);
});

test('a failed read fails the export; nothing after it reaches the sink', async () => {
  const arr = new MemArray();
  arr.data = crypto.randomBytes(10_000);
  arr.failAt = 4000n;
  const seen: bigint[] = [];
  let off = 0n;
  await assert.rejects(
    exportBlocks(arr, 10_000n, async (b) => {
      seen.push(off);
      off += BigInt(b.length);
    }, { blockSize: 1000, inflight: 4 }),
    /read at 4000 failed/,
  );
  assert.deepEqual(seen, [0n, 1000n, 2000n, 3000n]);
  assert.equal(arr.inFlight, 0);
});

test('export of an empty array hands over nothing', async () => {
  const out: Buffer[] = [];
  assert.equal(await exportBlocks(new MemArray(), 0n, async (b) => void out.push(b), { blockSize: 10, inflight: 2 }), 0n);
  assert.equal(out.length, 0);
});

test('blockBytes: chunks of 1 MiB and up are one block (capped at 4 MiB), small chunks are grouped near 1 MiB', () => {
  assert.equal(blockBytes(1 << 20), 1 << 20);
  assert.equal(blockBytes(2 << 20), 2 << 20);
  assert.equal(blockBytes(64 << 20), 4 << 20);
  assert.equal(blockBytes(4096), 1 << 20);
  assert.equal(blockBytes(300_000), 900_000);
});
