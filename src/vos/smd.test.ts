import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { MemoryDevice } from './bdev.js';
import { VosError, VosRc } from './errors.js';
import { Smd } from './smd.js';
import { rmDir, tmpDir } from './testing.js';

const MiB = 1 << 20;

test('regions: one per target, round robin over devices, persistent, freed with the pool', async () => {
  const dir = tmpDir('smd');
  try {
    const devs = [new MemoryDevice(64 * MiB, 'nvme0'), new MemoryDevice(32 * MiB, 'nvme1')];
    const file = path.join(dir, 'daos_sys', 'smd');
    let smd = await Smd.open(file, devs);
    assert.equal(smd.totalBytes(), 96 * MiB);
    const rs = smd.allocRegions('pool-a', 4, 8 * MiB);
    assert.deepEqual(
      rs.map((r) => [r.device.path, r.offset, r.size]),
      [
        ['nvme0', 0, 8 * MiB],
        ['nvme1', 0, 8 * MiB],
        ['nvme0', 8 * MiB, 8 * MiB],
        ['nvme1', 8 * MiB, 8 * MiB],
      ],
    );
    assert.equal(smd.freeBytes(), 64 * MiB);
    // a size that is not 4 KiB aligned is rounded up
    const odd = smd.allocRegions('pool-b', 1, 9000);
    assert.deepEqual([odd[0]!.device.path, odd[0]!.offset, odd[0]!.size], ['nvme0', 16 * MiB, 12288]);
    assert.throws(() => smd.allocRegions('pool-a', 1, MiB), (e: unknown) => e instanceof VosError && e.rc === VosRc.EXIST);
    await smd.close();

    smd = await Smd.open(file, devs);
    assert.deepEqual(smd.regions('pool-a').map((r) => [r.device.path, r.offset]), rs.map((r) => [r.device.path, r.offset]));
    smd.freeRegions('pool-a');
    assert.deepEqual(smd.regions('pool-a'), []);
    assert.equal(smd.freeBytes(), 96 * MiB - 12288);
    // the freed space is handed out again (first fit on each target's device)
    const again = smd.allocRegions('pool-c', 3, 16 * MiB);
    assert.deepEqual(again.map((r) => [r.device.path, r.offset]), [['nvme0', 0], ['nvme1', 0], ['nvme0', 16 * MiB + 12288]]);
    await smd.close();
  } finally {
    rmDir(dir);
  }
});

test('refusal: all or nothing, naming the free bytes of each device', async () => {
  const dir = tmpDir('smd');
  try {
    const devs = [new MemoryDevice(16 * MiB, 'nvme0'), new MemoryDevice(8 * MiB, 'nvme1')];
    const smd = await Smd.open(path.join(dir, 'smd'), devs);
    smd.allocRegions('small', 1, 4 * MiB);
    assert.throws(
      () => smd.allocRegions('big', 4, 6 * MiB),
      (e: unknown) => e instanceof VosError && e.rc === VosRc.NOSPACE && /nvme0 12582912 bytes free/.test(e.message) && /nvme1 8388608 bytes free/.test(e.message),
    );
    assert.deepEqual(smd.regions('big'), []);
    assert.equal(smd.freeBytes(), 20 * MiB);
    // three targets fit: two on nvme0, one on nvme1
    assert.equal(smd.allocRegions('fits', 3, 6 * MiB).length, 3);
    assert.throws(() => smd.allocRegions('bad', 0, MiB), (e: unknown) => e instanceof VosError && e.rc === VosRc.INVAL);
    await smd.close();
    assert.throws(() => smd.freeBytes(), (e: unknown) => e instanceof VosError && e.rc === VosRc.NO_HDL);
  } finally {
    rmDir(dir);
  }
});

test('a region on a device that is no longer configured is named', async () => {
  const dir = tmpDir('smd');
  try {
    const file = path.join(dir, 'smd');
    let smd = await Smd.open(file, [new MemoryDevice(16 * MiB, 'nvme0')]);
    smd.allocRegions('p', 1, MiB);
    await smd.close();
    smd = await Smd.open(file, [new MemoryDevice(16 * MiB, 'nvme9')]);
    assert.throws(() => smd.regions('p'), (e: unknown) => e instanceof VosError && e.rc === VosRc.NONEXIST && /nvme0/.test(e.message));
    await smd.close();
  } finally {
    rmDir(dir);
  }
});
