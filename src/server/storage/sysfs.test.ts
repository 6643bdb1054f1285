import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Fault } from '../../fault/fault.js';
import { Sysfs, normalizePciAddr } from './sysfs.js';
import { buildFakeSysfs } from './mocks.js';
import type { NvmeController } from './types.js';

let tmp: string;
let sysfs: Sysfs;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-test-'));
  buildFakeSysfs(tmp, {
    devices: [
      // numa_node -1 (single-node machine) must read as socket 0; two namespaces.
      {
        pciAddr: '0000:81:00.0',
        driver: 'nvme',
        instance: 0,
        numaNode: -1,
        namespaces: [
          { nsid: 2, sectors: 1000 },
          { nsid: 1, sectors: 1465149168 },
        ],
      },
      // multipath-style namespace directory name, socket 1.
      {
        pciAddr: '0000:87:00.0',
        driver: 'nvme',
        instance: 1,
        numaNode: 1,
        model: 'INTEL SSDPEDMD016T4',
        serial: 'CVFT4415009J1P6DGN',
        firmware: '8DV10171',
        namespaces: [{ nsid: 1, sectors: 3125627568 }],
        multipath: true,
      },
      { pciAddr: '0000:88:00.0', driver: 'nvme', instance: 2, numaNode: 1, namespaces: [] },
      { pciAddr: '0000:da:00.0', driver: 'vfio-pci', numaNode: 1, driverOverride: 'vfio-pci' },
      { pciAddr: '0000:db:00.0', driver: '', numaNode: 1 },
      { pciAddr: '0000:00:1f.2', driver: 'ahci', pciClass: '0x010601' },
    ],
  });
  sysfs = new Sysfs({ root: tmp });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('scanNvme lists kernel controllers with namespaces and NVMe functions bound elsewhere', async () => {
  const want: NvmeController[] = [
    {
      pciAddr: '0000:81:00.0',
      model: 'INTEL SSDPED1K750GA',
      serial: 'PHKS7335006W750BGN',
      firmware: 'E2010325',
      socketId: 0,
      namespaces: [
        { id: 1, size: 1465149168 * 512, blockDevice: 'nvme0n1' },
        { id: 2, size: 1000 * 512, blockDevice: 'nvme0n2' },
      ],
      kernelDevice: 'nvme0n1',
      driver: 'nvme',
    },
    {
      pciAddr: '0000:87:00.0',
      model: 'INTEL SSDPEDMD016T4',
      serial: 'CVFT4415009J1P6DGN',
      firmware: '8DV10171',
      socketId: 1,
      namespaces: [{ id: 1, size: 3125627568 * 512, blockDevice: 'nvme1n1' }],
      kernelDevice: 'nvme1n1',
      driver: 'nvme',
    },
    {
      pciAddr: '0000:88:00.0',
      model: 'INTEL SSDPED1K750GA',
      serial: 'PHKS7335006W750BGN',
      firmware: 'E2010325',
      socketId: 1,
      namespaces: [],
      driver: 'nvme',
    },
    { pciAddr: '0000:da:00.0', model: '', serial: '', firmware: '', socketId: 1, namespaces: [], driver: 'vfio-pci' },
    { pciAddr: '0000:db:00.0', model: '', serial: '', firmware: '', socketId: 1, namespaces: [], driver: '' },
  ];
  assert.deepEqual(await sysfs.scanNvme(), want);
});

test('pciNvmeDevices skips other PCI classes', async () => {
  assert.deepEqual(
    (await sysfs.pciNvmeDevices()).map((d) => `${d.pciAddr}=${d.driver}`),
    ['0000:81:00.0=nvme', '0000:87:00.0=nvme', '0000:88:00.0=nvme', '0000:da:00.0=vfio-pci', '0000:db:00.0='],
  );
});

test('an empty or missing sysfs gives no controllers', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-empty-'));
  try {
    assert.deepEqual(await new Sysfs({ root: empty }).scanNvme(), []);
  } finally {
    fs.rmSync(empty, { recursive: true });
  }
});

const resolveCases: Record<string, { pci: string; dev?: string; code?: number; match?: RegExp }> = {
  'kernel-bound controller': { pci: '0000:81:00.0', dev: '/dev/nvme0n1' },
  'short form and upper case': { pci: '87:00.0', dev: '/dev/nvme1n1' },
  'upper case with domain': { pci: '0000:81:00.0'.toUpperCase(), dev: '/dev/nvme0n1' },
  'bound to vfio-pci': { pci: '0000:da:00.0', code: 311, match: /"0000:da:00\.0" is bound to driver "vfio-pci"/ },
  unbound: { pci: '0000:db:00.0', code: 311, match: /"0000:db:00\.0" is not bound to any driver/ },
  'no namespace': { pci: '0000:88:00.0', code: 312, match: /"0000:88:00\.0" has no namespace/ },
  'not an NVMe device': { pci: '0000:00:1f.2', code: 313, match: /class 0x010601/ },
  absent: { pci: '0000:42:00.0', code: 310, match: /no NVMe controller at PCI address "0000:42:00\.0"/ },
  malformed: { pci: 'nvme0', code: 310, match: /"nvme0"/ },
};

for (const [name, tc] of Object.entries(resolveCases)) {
  test(`resolveNvmePci: ${name}`, async () => {
    if (tc.dev) {
      assert.equal(await sysfs.resolveNvmePci(tc.pci), tc.dev);
      return;
    }
    await assert.rejects(sysfs.resolveNvmePci(tc.pci), (e: unknown) => {
      assert.ok(e instanceof Fault);
      assert.equal(e.domain, 'bdev');
      assert.equal(e.code, tc.code);
      assert.match(e.description, tc.match!);
      assert.ok(e.resolution.length > 0);
      return true;
    });
  });
}

test('resolution of a device bound to another driver names the reset command', async () => {
  await assert.rejects(sysfs.resolveNvmePci('0000:da:00.0'), (e: Fault) => /storage prepare --nvme-only --reset/.test(e.resolution));
  await assert.rejects(sysfs.resolveNvmePci('0000:42:00.0'), (e: Fault) => /bdev_list.*storage scan/.test(e.resolution));
});

test('normalizePciAddr', () => {
  const cases: [string, string | undefined][] = [
    ['0000:81:00.0', '0000:81:00.0'],
    ['81:00.0', '0000:81:00.0'],
    [' 0000:DA:00.1 ', '0000:da:00.1'],
    ['0000:81:00.8', undefined],
    ['81:00', undefined],
    ['', undefined],
  ];
  for (const [input, want] of cases) assert.equal(normalizePciAddr(input), want, input);
});

test('bindToKernelNvme clears the override, unbinds from the old driver and binds to nvme', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-bind-'));
  try {
    buildFakeSysfs(root, { devices: [{ pciAddr: '0000:da:00.0', driver: 'vfio-pci', driverOverride: 'vfio-pci' }] });
    const s = new Sysfs({ root });
    assert.equal(await s.bindToKernelNvme('0000:da:00.0'), 'vfio-pci');
    const read = (...p: string[]): string => fs.readFileSync(path.join(root, ...p), 'utf8');
    assert.equal(read('devices/pci0000:00/0000:da:00.0/driver_override'), '\n');
    assert.equal(read('bus/pci/drivers/vfio-pci/unbind'), '0000:da:00.0');
    assert.equal(read('bus/pci/drivers/nvme/bind'), '0000:da:00.0');
  } finally {
    fs.rmSync(root, { recursive: true });
  }
});

test('bindToKernelNvme without the nvme driver loaded says to modprobe it', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-nodrv-'));
  try {
    buildFakeSysfs(root, { devices: [{ pciAddr: '0000:db:00.0', driver: '' }], nvmeDriverLoaded: false });
    await assert.rejects(new Sysfs({ root }).bindToKernelNvme('0000:db:00.0'), (e: Fault) => e.code === 319 && /modprobe nvme/.test(e.resolution));
  } finally {
    fs.rmSync(root, { recursive: true });
  }
});

test('blockHolders', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sysfs-holders-'));
  try {
    buildFakeSysfs(root, { devices: [], holders: { sdb: ['dm-0', 'md127'] } });
    const s = new Sysfs({ root });
    assert.deepEqual(await s.blockHolders('sdb'), ['dm-0', 'md127']);
    assert.deepEqual(await s.blockHolders('sdc'), []);
  } finally {
    fs.rmSync(root, { recursive: true });
  }
});
