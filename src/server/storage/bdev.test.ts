import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Fault } from '../../fault/fault.js';
import type { BdevConfig } from '../../config/types.js';
import { LocalBdevProvider, WIPE_BYTES, bdevFileSize, renderNvmeConf } from './bdev.js';
import { Sysfs } from './sysfs.js';
import { MountTable } from './mountinfo.js';
import { FakeDeviceProbe, FakeMountTable, buildFakeSysfs, type FakeSysfsSpec } from './mocks.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bdev-test-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function isFault(domain: string, code: number, match?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof Fault, `not a Fault: ${String(e)}`);
    assert.equal(`${e.domain}/${e.code}`, `${domain}/${code}`, e.description);
    if (match) assert.match(`${e.description} | ${e.resolution}`, match);
    return true;
  };
}

const cfg = (c: Partial<BdevConfig> & Pick<BdevConfig, 'class'>): BdevConfig => ({ deviceList: [], sizeGB: 0, number: 0, ...c });

// ---- daos_nvme.conf ---------------------------------------------------------------------------

const confCases: Record<string, { cfg: BdevConfig; want: string }> = {
  nvme: {
    cfg: cfg({ class: 'nvme', deviceList: ['0000:87:00.0', '0000:81:00.0'] }),
    want:
      '[Nvme]\n' +
      '    TransportID "trtype:PCIe traddr:0000:87:00.0" Nvme_wolf-71_0\n' +
      '    TransportID "trtype:PCIe traddr:0000:81:00.0" Nvme_wolf-71_1\n' +
      '    RetryCount 4\n' +
      '    TimeoutUsec 0\n' +
      '    ActionOnTimeout None\n' +
      '    AdminPollRate 100000\n' +
      '    HotplugEnable No\n' +
      '    HotplugPollRate 0\n',
  },
  file: {
    cfg: cfg({ class: 'file', deviceList: ['/tmp/daos-bdev0', '/tmp/daos-bdev1'], sizeGB: 8 }),
    want: '[AIO]\n    AIO /tmp/daos-bdev0 AIO_wolf-71_0 4096\n    AIO /tmp/daos-bdev1 AIO_wolf-71_1 4096\n',
  },
  kdev: {
    cfg: cfg({ class: 'kdev', deviceList: ['/dev/sdb'] }),
    want: '[AIO]\n    AIO /dev/sdb AIO_wolf-71_0\n',
  },
  malloc: {
    cfg: cfg({ class: 'malloc', number: 4, sizeGB: 2 }),
    want: '[Malloc]\n    NumberOfLuns 4\n    LunSizeInMB 2000\n',
  },
  'nvme without devices': { cfg: cfg({ class: 'nvme' }), want: '' },
  'file without devices': { cfg: cfg({ class: 'file', sizeGB: 8 }), want: '' },
  'kdev without devices': { cfg: cfg({ class: 'kdev' }), want: '' },
  'malloc without LUNs': { cfg: cfg({ class: 'malloc', sizeGB: 2 }), want: '' },
};

for (const [name, tc] of Object.entries(confCases)) {
  test(`daos_nvme.conf: ${name}`, () => {
    assert.equal(renderNvmeConf(tc.cfg, 'wolf-71'), tc.want);
  });
}

test('daos_nvme.conf: unknown class', () => {
  assert.throws(() => renderNvmeConf(cfg({ class: 'spdk' as never }), 'h'), isFault('bdev', 309, /unhandled block device class: "spdk"/));
});

// ---- file class ----------------------------------------------------------------------------------

test('bdevFileSize rounds bdev_size GB (decimal) down to 4 KiB blocks', () => {
  const cases: [number, number][] = [
    [8, 8_000_000_000],
    [1, 999_997_440],
    [0, 0],
  ];
  for (const [gb, want] of cases) assert.equal(bdevFileSize(gb), want, `${gb} GB`);
});

test('nvmeConf creates absent backing files sparse and leaves existing ones alone', async () => {
  const f0 = path.join(tmp, 'sub', 'bdev0');
  const f1 = path.join(tmp, 'bdev1');
  fs.writeFileSync(f1, 'existing data');
  const p = new LocalBdevProvider({ euid: () => 1000 });
  const c = cfg({ class: 'file', deviceList: [f0, f1], sizeGB: 1 });
  const conf = await p.nvmeConf(c, 'node1', 0);
  assert.equal(conf, `[AIO]\n    AIO ${f0} AIO_node1_0 4096\n    AIO ${f1} AIO_node1_1 4096\n`);
  const st = fs.statSync(f0);
  assert.equal(st.size, 999997440);
  assert.ok(st.blocks * 512 < 1 << 20, `sparse: ${st.blocks} blocks allocated`);
  assert.equal(fs.readFileSync(f1, 'utf8'), 'existing data');
});

test('file format resets contents and size, and creates missing files', async () => {
  const f0 = path.join(tmp, 'bdev0');
  const f1 = path.join(tmp, 'new', 'bdev1');
  const size = bdevFileSize(1);
  fs.writeFileSync(f0, Buffer.alloc(8192, 0xab));
  const p = new LocalBdevProvider({ euid: () => 1000 });
  const res = await p.format(cfg({ class: 'file', deviceList: [f0, f1], sizeGB: 1 }));
  assert.deepEqual(res, [
    { device: f0, ok: true, info: `reset sparse file of ${size} bytes` },
    { device: f1, ok: true, info: `created sparse file of ${size} bytes` },
  ]);
  for (const f of [f0, f1]) assert.equal(fs.statSync(f).size, size);
  const head = Buffer.alloc(8192);
  const fd = fs.openSync(f0, 'r');
  fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  assert.ok(head.every((b) => b === 0), 'old contents are gone');
});

const validateCases: Record<string, { cfg: (t: string) => BdevConfig; fault?: [string, number, RegExp?] }> = {
  'file: absent file is fine (created later)': { cfg: (t) => cfg({ class: 'file', deviceList: [path.join(t, 'x')], sizeGB: 1 }) },
  'file: relative path': { cfg: () => cfg({ class: 'file', deviceList: ['bdev0'], sizeGB: 1 }), fault: ['bdev', 316, /"bdev0" is not an absolute path/] },
  'file: a directory': { cfg: (t) => cfg({ class: 'file', deviceList: [t], sizeGB: 1 }), fault: ['bdev', 316, /not a regular file/] },
  'file: bdev_size 0': { cfg: (t) => cfg({ class: 'file', deviceList: [path.join(t, 'x')], sizeGB: 0 }), fault: ['bdev', 320, /bdev_size/] },
  'malloc: LUNs of size 0': { cfg: () => cfg({ class: 'malloc', number: 2, sizeGB: 0 }), fault: ['bdev', 320] },
  'malloc: fine': { cfg: () => cfg({ class: 'malloc', number: 2, sizeGB: 1 }) },
  'kdev: missing device is named': { cfg: () => cfg({ class: 'kdev', deviceList: ['/dev/daos-no-such-disk'] }), fault: ['bdev', 314, /"\/dev\/daos-no-such-disk" does not exist/] },
  'kdev: a regular file': { cfg: (t) => cfg({ class: 'kdev', deviceList: [path.join(t, 'img')] }), fault: ['bdev', 315] },
  'nvme: no such controller here': { cfg: () => cfg({ class: 'nvme', deviceList: ['0000:81:00.0'] }), fault: ['bdev', 310, /"0000:81:00\.0".*bdev_list/] },
  'unknown class': { cfg: () => cfg({ class: 'spdk' as never }), fault: ['bdev', 309] },
};

for (const [name, tc] of Object.entries(validateCases)) {
  test(`validate: ${name}`, async () => {
    fs.writeFileSync(path.join(tmp, 'img'), '');
    const sysroot = path.join(tmp, 'sys');
    buildFakeSysfs(sysroot, { devices: [] });
    const p = new LocalBdevProvider({ sysfs: new Sysfs({ root: sysroot }) });
    const c = tc.cfg(tmp);
    if (tc.fault) await assert.rejects(p.validate(c), isFault(...tc.fault));
    else await p.validate(c);
  });
}

// ---- kdev and nvme: wiping the head of the device ----------------------------------------------------

function fillFile(f: string, bytes: number): void {
  fs.writeFileSync(f, Buffer.alloc(bytes, 0x5a));
}

function headAndTail(f: string): { head: boolean; tail: boolean } {
  const b = fs.readFileSync(f);
  return { head: b.subarray(0, WIPE_BYTES).every((x) => x === 0), tail: b.subarray(WIPE_BYTES).every((x) => x === 0x5a) };
}

test('kdev format zeroes the first 1 MiB of an unused device', async () => {
  const disk = path.join(tmp, 'sdb');
  fillFile(disk, 2 * WIPE_BYTES);
  const mounts = new FakeMountTable(path.join(tmp, 'mountinfo'));
  const sysroot = path.join(tmp, 'sys');
  buildFakeSysfs(sysroot, { devices: [] });
  const p = new LocalBdevProvider({
    probe: new FakeDeviceProbe({ [disk]: 'block' }),
    mounts: new MountTable(mounts.file),
    sysfs: new Sysfs({ root: sysroot }),
    euid: () => 0,
  });
  assert.deepEqual(await p.format(cfg({ class: 'kdev', deviceList: [disk] })), [{ device: disk, ok: true, info: `zeroed the first ${WIPE_BYTES} bytes` }]);
  assert.deepEqual(headAndTail(disk), { head: true, tail: true });
});

test('kdev format never writes to a device in use or without root', async () => {
  const disk = path.join(tmp, 'sdb');
  fillFile(disk, 2 * WIPE_BYTES);
  const sysroot = path.join(tmp, 'sys');
  buildFakeSysfs(sysroot, { devices: [], holders: { sdb: ['dm-0'] } });
  const mounts = new FakeMountTable(path.join(tmp, 'mountinfo'), [{ mountPoint: '/data', fsType: 'xfs', source: `${disk}1` }]);
  const mk = (euid: number, mountinfo: string): LocalBdevProvider =>
    new LocalBdevProvider({
      probe: new FakeDeviceProbe({ [disk]: 'block' }),
      mounts: new MountTable(mountinfo),
      sysfs: new Sysfs({ root: sysroot }),
      euid: () => euid,
    });
  const c = cfg({ class: 'kdev', deviceList: [disk] });
  const [partMounted] = await mk(0, mounts.file).format(c);
  assert.equal(partMounted!.ok, false);
  assert.match(partMounted!.error!, /is in use \(.*sdb1 is mounted at "\/data"\)/);
  const empty = new FakeMountTable(path.join(tmp, 'mountinfo2'));
  const [held] = await mk(0, empty.file).format(c);
  assert.match(held!.error!, /in use \(held by dm-0\)/);
  const [notRoot] = await mk(1000, empty.file).format(c);
  assert.match(notRoot!.error!, /needs root privileges/);
  assert.deepEqual(headAndTail(disk), { head: false, tail: true }, 'nothing was written');
});

test('validate for a format refuses what a format could not write, before anything is written', async () => {
  const disk = path.join(tmp, 'sdb');
  fillFile(disk, 2 * WIPE_BYTES);
  const sysroot = path.join(tmp, 'sys');
  buildFakeSysfs(sysroot, { devices: [], holders: { sdb: ['dm-0'] } });
  const mounted = new FakeMountTable(path.join(tmp, 'mountinfo'), [{ mountPoint: '/data', fsType: 'xfs', source: disk }]);
  const empty = new FakeMountTable(path.join(tmp, 'mountinfo2'));
  const mk = (euid: number, mountinfo: string, holders = true): LocalBdevProvider =>
    new LocalBdevProvider({
      probe: new FakeDeviceProbe({ [disk]: 'block' }),
      mounts: new MountTable(mountinfo),
      sysfs: new Sysfs({ root: holders ? sysroot : path.join(tmp, 'nosys') }),
      euid: () => euid,
    });
  const c = cfg({ class: 'kdev', deviceList: [disk] });
  // At start (no forFormat) a mounted device is only checked to exist.
  await mk(0, mounted.file).validate(c);
  await assert.rejects(mk(0, mounted.file).validate(c, { forFormat: true }), isFault('bdev', 318, /is in use \(.*sdb is mounted at "\/data"\)/));
  await assert.rejects(mk(0, empty.file).validate(c, { forFormat: true }), isFault('bdev', 318, /held by dm-0/));
  await assert.rejects(mk(1000, empty.file).validate(c, { forFormat: true }), isFault('bdev', 317, /needs root/));
  await mk(0, empty.file, false).validate(c, { forFormat: true });
  assert.deepEqual(headAndTail(disk), { head: false, tail: true }, 'nothing was written');
});

test('nvme format resolves the PCI address and zeroes the namespace head', async () => {
  const sysroot = path.join(tmp, 'sys');
  const devRoot = path.join(tmp, 'dev');
  fs.mkdirSync(devRoot);
  buildFakeSysfs(sysroot, { devices: [{ pciAddr: '0000:81:00.0', driver: 'nvme', namespaces: [{ nsid: 1, sectors: 4096 }] }] });
  const ns = path.join(devRoot, 'nvme0n1');
  fillFile(ns, 2 * WIPE_BYTES);
  const mounts = new FakeMountTable(path.join(tmp, 'mountinfo'));
  const p = new LocalBdevProvider({
    sysfs: new Sysfs({ root: sysroot, devRoot }),
    probe: new FakeDeviceProbe({ [ns]: 'block' }),
    mounts: new MountTable(mounts.file),
    euid: () => 0,
  });
  assert.deepEqual(await p.format(cfg({ class: 'nvme', deviceList: ['0000:81:00.0'] })), [
    { device: '0000:81:00.0', ok: true, info: `zeroed the first ${WIPE_BYTES} bytes of ${ns}` },
  ]);
  assert.deepEqual(headAndTail(ns), { head: true, tail: true });
  assert.equal((await p.scan()).length, 1);
});

test('malloc format has nothing to do', async () => {
  assert.deepEqual(await new LocalBdevProvider().format(cfg({ class: 'malloc', number: 1, sizeGB: 1 })), []);
});

// ---- NVMe prepare ------------------------------------------------------------------------------------

const twoBound: FakeSysfsSpec = {
  devices: [
    { pciAddr: '0000:81:00.0', driver: 'nvme', namespaces: [{ nsid: 1, sectors: 100 }] },
    { pciAddr: '0000:da:00.0', driver: 'vfio-pci', driverOverride: 'vfio-pci' },
    { pciAddr: '0000:db:00.0', driver: '' },
  ],
};

const req = (over: Partial<{ pciAllowList: string[]; reset: boolean }> = {}) => ({
  pciAllowList: [],
  nrHugepages: 4096,
  targetUser: 'daos',
  reset: false,
  ...over,
});

const prepareCases: Record<
  string,
  { spec: FakeSysfsSpec; req: ReturnType<typeof req>; euid?: number; messages?: string[]; rebound?: string[]; fault?: [string, number, RegExp?] }
> = {
  'binds every NVMe controller not on the kernel driver': {
    spec: twoBound,
    req: req(),
    rebound: ['0000:da:00.0', '0000:db:00.0'],
    messages: ['0000:da:00.0: bound to the kernel nvme driver (was "vfio-pci")', '0000:db:00.0: bound to the kernel nvme driver (was unbound)'],
  },
  'reset does the same': { spec: twoBound, req: req({ reset: true }), rebound: ['0000:da:00.0', '0000:db:00.0'] },
  'allow list selects': { spec: twoBound, req: req({ pciAllowList: ['da:00.0'] }), rebound: ['0000:da:00.0'] },
  'allow list names a missing controller': { spec: twoBound, req: req({ pciAllowList: ['0000:42:00.0'] }), fault: ['bdev', 310, /"0000:42:00\.0"/] },
  'all on the kernel driver already': {
    spec: { devices: [{ pciAddr: '0000:81:00.0', driver: 'nvme' }] },
    req: req(),
    euid: 1000,
    rebound: [],
    messages: ['1 NVMe controller already bound to the kernel nvme driver; nothing changed'],
  },
  'no NVMe at all': { spec: { devices: [] }, req: req(), euid: 1000, rebound: [], messages: ['no NVMe controllers found; nothing to prepare, nothing changed'] },
  'not root when something must change': { spec: twoBound, req: req(), euid: 1000, fault: ['bdev', 317, /needs root/] },
  'kernel driver not loaded': {
    spec: { devices: [{ pciAddr: '0000:db:00.0', driver: '' }], nvmeDriverLoaded: false },
    req: req(),
    fault: ['bdev', 319],
  },
};

for (const [name, tc] of Object.entries(prepareCases)) {
  test(`nvme prepare: ${name}`, async () => {
    const sysroot = path.join(tmp, 'sys');
    buildFakeSysfs(sysroot, tc.spec);
    const p = new LocalBdevProvider({ sysfs: new Sysfs({ root: sysroot }), euid: () => tc.euid ?? 0 });
    if (tc.fault) {
      await assert.rejects(p.prepare(tc.req), isFault(...tc.fault));
      return;
    }
    const r = await p.prepare(tc.req);
    assert.deepEqual(r.rebound, tc.rebound);
    if (tc.messages) assert.deepEqual(r.messages, tc.messages);
    const bound = fs.existsSync(path.join(sysroot, 'bus/pci/drivers/nvme/bind')) ? fs.readFileSync(path.join(sysroot, 'bus/pci/drivers/nvme/bind'), 'utf8') : '';
    // The fake bind file keeps the last address written.
    assert.equal(bound, tc.rebound!.at(-1) ?? '');
  });
}

test('scan on this machine gives a list (empty without NVMe), never an error', async () => {
  assert.ok(Array.isArray(await new LocalBdevProvider().scan()));
});
