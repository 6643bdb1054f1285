import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Fault } from '../../fault/fault.js';
import { Logger, MemorySink, nullLogger } from '../../logging/logger.js';
import type { ScmConfig } from '../../config/types.js';
import { ScriptedRunner, type ScriptStep } from '../storage/runner.js';
import { MountTable } from '../storage/mountinfo.js';
import { FakeDeviceProbe, FakeMountTable, buildFakeSysfs } from '../storage/mocks.js';
import { LocalScmProvider, MSG_REBOOT_REQUIRED, SCM_DIR_MARKER } from '../storage/scm.js';
import { LocalBdevProvider } from '../storage/bdev.js';
import { Sysfs } from '../storage/sysfs.js';
import { IPMCTL_DIMM_ARGS, IPMCTL_REGION_ARGS } from '../storage/ipmctl.js';
import { NDCTL_LIST_ARGS } from '../storage/ndctl.js';
import { IPMCTL_DIMMS, IPMCTL_NO_REGIONS, NDCTL_TWO } from '../storage/samples.js';
import { handleRequestText, type AdminHandlerDeps } from './handlers.js';
import { LoopbackAdminInvoker } from './mocks.js';
import { ForwardingBdevProvider, ForwardingScmProvider } from './forwarding.js';

let tmp: string;
let mp: string;
let runner: ScriptedRunner;
let fake: FakeMountTable;
let deps: AdminHandlerDeps;
let invoker: LoopbackAdminInvoker;
let sysroot: string;

const owner = { uid: process.getuid!(), gid: process.getgid!() };

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'admin-test-')));
  mp = path.join(tmp, 'daos');
  fake = new FakeMountTable(path.join(tmp, 'mountinfo'));
  runner = new ScriptedRunner();
  sysroot = path.join(tmp, 'sys');
  buildFakeSysfs(sysroot, { devices: [{ pciAddr: '0000:da:00.0', driver: 'vfio-pci' }] });
  // What daos_admin runs with: local providers, root.
  deps = {
    scm: new LocalScmProvider({ runner, mounts: new MountTable(fake.file), probe: new FakeDeviceProbe(), euid: () => 0, hostname: () => 'node1' }),
    bdev: new LocalBdevProvider({ sysfs: new Sysfs({ root: sysroot }), euid: () => 0 }),
    log: nullLogger(),
  };
  invoker = new LoopbackAdminInvoker(deps);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** daos_server's view: forwarding providers with the given euid. */
function server(euid: number): { scm: ForwardingScmProvider; bdev: ForwardingBdevProvider } {
  const local = new LocalScmProvider({ runner, mounts: new MountTable(fake.file), euid: () => euid });
  return {
    scm: new ForwardingScmProvider({ local, admin: invoker, euid: () => euid }),
    bdev: new ForwardingBdevProvider({ local: new LocalBdevProvider({ sysfs: new Sysfs({ root: sysroot }), euid: () => euid }), admin: invoker, euid: () => euid }),
  };
}

const ram = (): ScmConfig => ({ class: 'ram', mountPoint: mp, ramSizeGB: 2, deviceList: [] });
const mountStep = (): ScriptStep => ({
  cmd: 'mount',
  args: ['-t', 'tmpfs', '-o', 'size=2g', 'tmpfs', mp],
  result: () => (fake.add({ mountPoint: mp, fsType: 'tmpfs', source: 'tmpfs' }), {}),
});

test('ram format, check and unmount go to daos_admin as JSON and come back', async () => {
  const { scm } = server(0);
  runner.expect(mountStep());
  await scm.format(ram(), owner);
  assert.deepEqual(JSON.parse(invoker.requests[0]!), {
    Method: 'ScmFormat',
    Payload: { Mountpoint: mp, Ramdisk: { Size: 2 }, Dcpm: null, Reformat: true, OwnerUID: owner.uid, OwnerGID: owner.gid },
  });
  assert.deepEqual(await scm.checkFormat(ram()), { mounted: true, mountable: false });
  runner.expect({ cmd: 'umount', args: [mp], result: () => (fake.remove(mp), {}) });
  await scm.unmount(ram());
  assert.deepEqual(await scm.checkFormat(ram()), { mounted: false, mountable: false });
  assert.deepEqual(
    invoker.requests.map((r) => JSON.parse(r).Method),
    ['ScmFormat', 'ScmCheckFormat', 'ScmUnmount', 'ScmCheckFormat'],
  );
  assert.deepEqual(runner.remaining(), []);
});

test('a fault raised in daos_admin reaches daos_server as the same fault', async () => {
  fs.mkdirSync(mp);
  fake.add({ mountPoint: mp, fsType: 'ext4', source: '/dev/sdb1' });
  const direct = await deps.scm.formatScm(ram(), owner, true).catch((e: unknown) => e as Fault);
  const { scm } = server(0);
  await assert.rejects(scm.format(ram(), owner), (e: unknown) => {
    assert.ok(e instanceof Fault);
    assert.deepEqual(e.toJSON(), (direct as Fault).toJSON());
    assert.equal(e.code, 104);
    return true;
  });
});

test('scan, prepare and consent go through daos_admin when root', async () => {
  const { scm } = server(0);
  const scanSteps = (): ScriptStep[] => [
    { cmd: 'ipmctl', args: IPMCTL_DIMM_ARGS, result: { stdout: IPMCTL_DIMMS } },
    { cmd: 'ndctl', args: NDCTL_LIST_ARGS, result: { stdout: NDCTL_TWO } },
    { cmd: 'ipmctl', args: IPMCTL_REGION_ARGS, result: { stdout: IPMCTL_NO_REGIONS } },
  ];
  runner.expect(...scanSteps());
  const s = await scm.scan();
  assert.equal(s.modules.length, 3);
  assert.deepEqual(s.namespaces.map((n) => n.blockDevice), ['pmem0', 'pmem1']);
  assert.equal(s.state, 'no-regions');
  assert.deepEqual(await scm.scan(), s, 'cached');
  runner.expect(...scanSteps());
  assert.equal(await scm.prepareNeedsConsent(false), true);
  runner.expect(
    ...scanSteps(),
    { cmd: 'ipmctl', args: ['delete', '-goal'] },
    { cmd: 'ipmctl', args: ['create', '-f', '-goal', 'PersistentMemoryType=AppDirect'] },
  );
  assert.deepEqual(await scm.prepare(false), { rebootRequired: true, namespaces: [], messages: [MSG_REBOOT_REQUIRED] });
  assert.deepEqual(invoker.requests.map((r) => JSON.parse(r).Method), ['ScmScan', 'ScmScan', 'ScmPrepare']);
  assert.deepEqual(runner.remaining(), []);
});

test('NVMe prepare goes through daos_admin when root', async () => {
  const { bdev } = server(0);
  const r = await bdev.prepare({ pciAllowList: [], nrHugepages: 0, targetUser: '', reset: false });
  assert.deepEqual(r.rebound, ['0000:da:00.0']);
  assert.deepEqual(JSON.parse(invoker.requests[0]!), {
    Method: 'NvmePrepare',
    Payload: { PciAllowList: [], NrHugepages: 0, TargetUser: '', Reset: false },
  });
});

test('not root: tmpfs mounts are refused at once with the way out, dir and reads stay local', async () => {
  const { scm, bdev } = server(1000);
  for (const op of [() => scm.format(ram(), owner), () => scm.unmount(ram())]) {
    await assert.rejects(op(), (e: unknown) => e instanceof Fault && e.code === 211 && /needs root.*scm_class: dir/.test(`${e.description} ${e.resolution}`));
  }
  await assert.rejects(
    scm.mount({ class: 'dcpm', mountPoint: mp, ramSizeGB: 0, deviceList: ['/dev/pmem0'] }),
    (e: unknown) => e instanceof Fault && /mounting pmem device "\/dev\/pmem0" needs root/.test(e.description),
  );
  assert.deepEqual(await scm.checkFormat(ram()), { mounted: false, mountable: false });
  const dir: ScmConfig = { class: 'dir', mountPoint: path.join(tmp, 'scmdir'), ramSizeGB: 0, deviceList: [] };
  await scm.format(dir, owner);
  assert.ok(fs.existsSync(path.join(dir.mountPoint, SCM_DIR_MARKER)));
  await assert.rejects(bdev.prepare({ pciAllowList: [], nrHugepages: 0, targetUser: '', reset: false }), (e: unknown) => e instanceof Fault && e.code === 317);
  assert.deepEqual(invoker.requests, [], 'nothing was sent to daos_admin');
  assert.deepEqual(runner.calls, []);
});

test('handleRequestText: malformed requests and plain errors become error replies, and are logged', async () => {
  const sink = new MemorySink();
  const d: AdminHandlerDeps = {
    ...deps,
    log: new Logger([{ sink, level: 'error' }]),
    bdev: {
      prepare: async () => {
        throw new Error('EIO writing bind');
      },
    },
  };
  const bad = await handleRequestText('{"Method":"Nope","Payload":{}}', d);
  assert.equal(bad.Error?.Fault?.code, 115);
  assert.equal(bad.Payload, null);
  const plain = await handleRequestText(JSON.stringify({ Method: 'NvmePrepare', Payload: { PciAllowList: [], NrHugepages: 0, TargetUser: '', Reset: true } }), d);
  assert.deepEqual(plain, { Error: { Message: 'EIO writing bind', Fault: null }, Payload: null });
  assert.match(sink.text(), /unhandled method "Nope"/);
  assert.match(sink.text(), /daos_admin NvmePrepare: EIO writing bind/);
});
