import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MountTable, parseMountinfo, unescapeMountField, type MountEntry } from './mountinfo.js';
import { FakeMountTable, formatMountinfo } from './mocks.js';

const SAMPLE = [
  '22 1 0:21 / /proc rw,relatime - proc proc rw',
  '29 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
  '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue',
  '43 29 0:39 / /mnt/my\\040daos\\011dir rw,relatime - tmpfs tmpfs rw,size=2097152k,mode=700',
  '44 29 259:0 / /mnt/daos rw,relatime - ext4 /dev/pmem0 rw,dax=always',
  '',
].join('\n');

test('parseMountinfo reads every field, optional fields and escapes', () => {
  const got = parseMountinfo(SAMPLE);
  const want: MountEntry[] = [
    { mountId: 22, parentId: 1, device: '0:21', root: '/', mountPoint: '/proc', mountOptions: 'rw,relatime', optionalFields: [], fsType: 'proc', source: 'proc', superOptions: 'rw' },
    { mountId: 29, parentId: 1, device: '252:1', root: '/', mountPoint: '/', mountOptions: 'rw,relatime', optionalFields: ['shared:1'], fsType: 'ext4', source: '/dev/vda1', superOptions: 'rw,errors=remount-ro' },
    { mountId: 36, parentId: 35, device: '98:0', root: '/mnt1', mountPoint: '/mnt2', mountOptions: 'rw,noatime', optionalFields: ['master:1', 'shared:7'], fsType: 'ext3', source: '/dev/root', superOptions: 'rw,errors=continue' },
    { mountId: 43, parentId: 29, device: '0:39', root: '/', mountPoint: '/mnt/my daos\tdir', mountOptions: 'rw,relatime', optionalFields: [], fsType: 'tmpfs', source: 'tmpfs', superOptions: 'rw,size=2097152k,mode=700' },
    { mountId: 44, parentId: 29, device: '259:0', root: '/', mountPoint: '/mnt/daos', mountOptions: 'rw,relatime', optionalFields: [], fsType: 'ext4', source: '/dev/pmem0', superOptions: 'rw,dax=always' },
  ];
  assert.deepEqual(got, want);
});

test('parseMountinfo rejects a line without the separator, naming it', () => {
  assert.throws(() => parseMountinfo('22 1 0:21 / /proc rw,relatime proc proc rw'), /malformed mountinfo line 1/);
});

test('unescapeMountField', () => {
  const cases: [string, string][] = [
    ['/a\\040b', '/a b'],
    ['/a\\134b', '/a\\b'],
    ['/a\\012b', '/a\nb'],
    ['/plain', '/plain'],
  ];
  for (const [s, want] of cases) assert.equal(unescapeMountField(s), want);
});

test('formatMountinfo (the fake) round-trips through the parser', () => {
  const mounts = [{ mountPoint: '/x y\\z', fsType: 'tmpfs', source: 'tmpfs' }];
  const e = parseMountinfo(formatMountinfo(mounts))[0]!;
  assert.deepEqual([e.mountPoint, e.fsType, e.source], ['/x y\\z', 'tmpfs', 'tmpfs']);
});

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mountinfo-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('MountTable queries: topmost at a path, by device with partitions, below a directory', async () => {
  const file = path.join(tmp, 'mountinfo');
  new FakeMountTable(file, [
    { mountPoint: '/', fsType: 'ext4', source: '/dev/sda1' },
    { mountPoint: '/mnt/daos', fsType: 'tmpfs', source: 'tmpfs' },
    { mountPoint: '/mnt/daos', fsType: 'ext4', source: '/dev/pmem0' },
    { mountPoint: '/mnt/daos/inner', fsType: 'tmpfs', source: 'tmpfs' },
    { mountPoint: '/data', fsType: 'xfs', source: '/dev/nvme0n1p2' },
    { mountPoint: '/data12', fsType: 'xfs', source: '/dev/nvme0n12' },
  ]);
  const t = new MountTable(file);
  assert.equal((await t.at('/mnt/daos'))?.fsType, 'ext4');
  assert.equal((await t.at('/mnt/daos/'))?.fsType, 'ext4');
  assert.equal(await t.at('/mnt/other'), undefined);
  assert.deepEqual((await t.ofDevice('/dev/sda')).map((e) => e.mountPoint), []);
  assert.deepEqual((await t.ofDevice('/dev/sda', true)).map((e) => e.mountPoint), ['/']);
  // nvme0n12 is another namespace, not a partition of nvme0n1.
  assert.deepEqual((await t.ofDevice('/dev/nvme0n1', true)).map((e) => e.mountPoint), ['/data']);
  assert.deepEqual((await t.below('/mnt/daos')).map((e) => e.mountPoint), ['/mnt/daos/inner']);
  assert.deepEqual((await t.below('/mnt')).map((e) => e.mountPoint), ['/mnt/daos', '/mnt/daos', '/mnt/daos/inner']);
});

test('MountTable on the real /proc/self/mountinfo finds the root filesystem', async () => {
  assert.ok(await new MountTable().at('/'));
});
