import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FileDevice, MemoryDevice, type BlockDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { rng, rmDir, tmpDir } from './testing.js';
import { onMemoryFs } from './tmpfs.js';

async function exercise(dev: BlockDevice): Promise<void> {
  const r = rng(3);
  const model = Buffer.alloc(dev.size);
  // many writes in one turn, some contiguous (merged into vectored writes), some not
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    const off = i % 3 === 0 ? r.int(dev.size - 9000) : 4096 * (10 + i);
    const len = 1 + r.int(8192);
    const data = r.bytes(len);
    writes.push(dev.write(off, data));
    data.copy(model, off);
  }
  // NB: overlapping writes in one turn land in offset order; keep the model in that order
  await Promise.all(writes);
  await dev.flush();
  for (let i = 0; i < 50; i++) {
    const off = r.int(dev.size - 20000);
    const len = 1 + r.int(20000);
    const got = await dev.read(off, len);
    assert.equal(got.length, len);
  }
  const whole = await dev.read(0, dev.size);
  assert.equal(whole.length, dev.size);
  await assert.rejects(dev.write(dev.size - 1, Buffer.alloc(2)), (e: unknown) => e instanceof VosError && e.rc === VosRc.IO);
  await assert.rejects(dev.read(dev.size, 1), (e: unknown) => e instanceof VosError && e.rc === VosRc.IO);
}

test('MemoryDevice reads back what was written, zeros elsewhere', async () => {
  const dev = new MemoryDevice(12 << 20, 'malloc0');
  await exercise(dev);
  const b = Buffer.from('across the 4 MiB chunk boundary');
  await dev.write((4 << 20) - 10, b);
  assert.deepEqual(await dev.read((4 << 20) - 10, b.length), b);
  assert.deepEqual(await dev.read(11 << 20, 16), Buffer.alloc(16));
  await dev.close();
});

// NB: memoryFs false makes a file in /dev/shm behave as on a disk: flush() runs fdatasync
for (const memoryFs of [false, true]) test(`FileDevice (memoryFs ${memoryFs}): merged writes, sync and async reads, flush, bounds`, async () => {
  const dir = tmpDir('bdev');
  try {
    const file = path.join(dir, 'bdev0');
    const dev = await FileDevice.open(file, { size: 4 << 20, create: true, memoryFs });
    assert.equal(dev.size, 4 << 20);
    assert.equal(dev.needsFlush, !memoryFs);
    assert.equal(fs.statSync(file).size, 4 << 20);
    // contiguous writes issued together end up in the file in order
    const parts = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096, i));
    await Promise.all(parts.map((p, i) => dev.write(8192 + i * 4096, p)));
    await dev.flush();
    const back = await dev.read(8192, 64 * 4096);
    assert.deepEqual(back, Buffer.concat(parts));
    // a small (synchronous) and a large (asynchronous) read into a target buffer
    const t = Buffer.alloc(70000, 0xee);
    await dev.readInto(8192 + 4096, t, 10, 100);
    assert.deepEqual(t.subarray(10, 110), Buffer.alloc(100, 1));
    await dev.readInto(8192, t, 0, 65536);
    assert.deepEqual(t.subarray(0, 65536), Buffer.concat(parts.slice(0, 16)));
    // concurrent flushes share the work and all resolve
    await Promise.all([dev.flush(), dev.flush(), dev.flush()]);
    await exercise(dev);
    await dev.close();
    await assert.rejects(dev.read(0, 1), (e: unknown) => e instanceof VosError && e.rc === VosRc.NO_HDL);
    // reopen without a size: the file's size
    const again = await FileDevice.open(file);
    assert.equal(again.size, 4 << 20);
    await again.close();
    await assert.rejects(FileDevice.open(path.join(dir, 'missing')), (e: unknown) => e instanceof VosError && e.rc === VosRc.NONEXIST && /missing/.test(e.message));
  } finally {
    rmDir(dir);
  }
});

test('FileDevice on /dev/shm needs no flush (detected with statfs)', { skip: !fs.existsSync('/dev/shm') && 'no /dev/shm here' }, async () => {
  const dir = fs.mkdtempSync('/dev/shm/vos-test-bdev-');
  try {
    const dev = await FileDevice.open(path.join(dir, 'b'), { size: 1 << 20, create: true });
    assert.equal(dev.needsFlush, !onMemoryFs(dir));
    await dev.flush();
    await dev.close();
  } finally {
    rmDir(dir);
  }
});

for (const kind of ['file', 'memory'] as const) {
  test(`${kind} device: writevSync writes straight from the buffers, readIntoSync reads small ranges, bounds`, async () => {
    const dir = tmpDir('bdev');
    const dev: BlockDevice = kind === 'file' ? await FileDevice.open(path.join(dir, 'b'), { size: 1 << 20, create: true, syncReadMax: 8192 }) : new MemoryDevice(1 << 20, 'malloc0');
    try {
      const parts = [Buffer.alloc(4096, 1), Buffer.alloc(100, 2), Buffer.alloc(5000, 3)];
      dev.writevSync(4096, parts);
      assert.deepEqual(await dev.read(4096, 9196), Buffer.concat(parts));
      const t = Buffer.alloc(200, 0xee);
      if (dev.readIntoSync) {
        assert.equal(dev.readIntoSync(4096 + 4090, t, 10, 20), true);
        assert.deepEqual(t.subarray(10, 30), Buffer.concat([Buffer.alloc(6, 1), Buffer.alloc(14, 2)]));
        assert.equal(dev.readIntoSync(0, Buffer.alloc(9000), 0, 9000), false, 'larger than syncReadMax: for readInto');
        assert.throws(() => dev.readIntoSync!(1 << 20, t, 0, 1), (e: unknown) => e instanceof VosError && e.rc === VosRc.IO);
      }
      assert.throws(() => dev.writevSync((1 << 20) - 10, [Buffer.alloc(11)]), (e: unknown) => e instanceof VosError && e.rc === VosRc.IO);
      await dev.close();
      assert.throws(() => dev.writevSync(0, [Buffer.alloc(1)]), (e: unknown) => e instanceof VosError && e.rc === VosRc.NO_HDL);
    } finally {
      await dev.close();
      rmDir(dir);
    }
  });
}
