import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { onMemoryFs, RAMFS_MAGIC, TMPFS_MAGIC, type StatFs } from './tmpfs.js';

const EXT4_SUPER_MAGIC = 0xef53;

function fakeStat(kind: 'file' | 'dir' | 'block'): fs.Stats {
  return { isBlockDevice: () => kind === 'block', isCharacterDevice: () => false } as unknown as fs.Stats;
}

const cases: Record<string, { path: string; exists: Record<string, 'file' | 'dir' | 'block'>; type: number; want: boolean }> = {
  'a file on tmpfs': { path: '/dev/shm/bdev', exists: { '/dev/shm/bdev': 'file' }, type: TMPFS_MAGIC, want: true },
  'a file on ramfs': { path: '/mnt/ram/bdev', exists: { '/mnt/ram/bdev': 'file' }, type: RAMFS_MAGIC, want: true },
  'a file on ext4': { path: '/var/daos/bdev', exists: { '/var/daos/bdev': 'file' }, type: EXT4_SUPER_MAGIC, want: false },
  'a block device node on tmpfs (devtmpfs)': { path: '/dev/nvme0n1', exists: { '/dev/nvme0n1': 'block' }, type: TMPFS_MAGIC, want: false },
  'a file not created yet: its directory decides': { path: '/dev/shm/pool/vos-0', exists: { '/dev/shm/pool': 'dir' }, type: TMPFS_MAGIC, want: true },
  'nothing exists up to the root: the root decides': { path: '/x/y', exists: { '/': 'dir' }, type: EXT4_SUPER_MAGIC, want: false },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`onMemoryFs: ${name}`, () => {
    const asked: string[] = [];
    const statfs: StatFs = (p) => {
      asked.push(p);
      return { type: tc.type };
    };
    const stat = (p: string): fs.Stats | undefined => (tc.exists[p] ? fakeStat(tc.exists[p]!) : undefined);
    assert.equal(onMemoryFs(tc.path, statfs, stat), tc.want);
    if (tc.exists[tc.path] !== 'block') assert.equal(asked.length, 1, 'statfs asked once, of the nearest existing path');
  });
}

test('onMemoryFs on this machine: /dev/shm is tmpfs when it exists', { skip: !fs.existsSync('/dev/shm') && 'no /dev/shm here' }, () => {
  assert.equal(onMemoryFs('/dev/shm'), fs.statfsSync('/dev/shm').type === TMPFS_MAGIC);
});
