import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Fault } from '../../fault/fault.js';
import type { ScmConfig } from '../../config/types.js';
import type { ScmFormatCheck, ScmPrepareResult, ScmScanResult, ScmState } from './types.js';
import { ScriptedRunner, type ScriptStep } from './runner.js';
import { MountTable } from './mountinfo.js';
import { FakeDeviceProbe, FakeMountTable, type FakeMount } from './mocks.js';
import {
  LocalScmProvider,
  MSG_ALREADY_RESET,
  MSG_CREATING_NAMESPACE,
  MSG_REBOOT_REQUIRED,
  MSG_RESETTING,
  SCM_DIR_MARKER,
  msgRemovingNamespace,
  scmPrepareAction,
  scmPrepareLines,
  scmPrepareNeedsConsent,
  type ScmPrepareAction,
} from './scm.js';
import { IPMCTL_DIMM_ARGS, IPMCTL_REGION_ARGS } from './ipmctl.js';
import { NDCTL_LIST_ARGS } from './ndctl.js';
import {
  IPMCTL_DIMMS,
  IPMCTL_NO_MODULES,
  IPMCTL_NO_REGIONS,
  IPMCTL_REGIONS_FREE,
  IPMCTL_REGIONS_FULL,
  NDCTL_ONE,
  NDCTL_TWO,
} from './samples.js';

// ---- scripted command steps -------------------------------------------------------------

const dimms: ScriptStep = { cmd: 'ipmctl', args: IPMCTL_DIMM_ARGS, result: { stdout: IPMCTL_DIMMS } };
const noDimms: ScriptStep = { cmd: 'ipmctl', args: IPMCTL_DIMM_ARGS, result: { code: 1, stdout: IPMCTL_NO_MODULES } };
const list = (stdout: string): ScriptStep => ({ cmd: 'ndctl', args: NDCTL_LIST_ARGS, result: { stdout } });
const region = (stdout: string): ScriptStep => ({ cmd: 'ipmctl', args: IPMCTL_REGION_ARGS, result: { stdout } });
const scanSteps = (regions: string, namespaces = ''): ScriptStep[] => [dimms, list(namespaces), region(regions)];
const cmd = (line: string, result?: ScriptStep['result']): ScriptStep => {
  const [c, ...args] = line.split(' ');
  return { cmd: c!, args, ...(result ? { result } : {}) };
};

const ns0 = { uuid: 'b5d2f8c4-5b4c-4e8a-9a4f-1d3f2e6c7a90', blockDevice: 'pmem0', name: 'namespace0.0', numaNode: 0, size: 3183575302144 };
const ns1 = { uuid: '842fc847-28e0-4bb6-8dfc-7b08d6ab51b5', blockDevice: 'pmem1', name: 'namespace1.0', numaNode: 1, size: 3183575302144 };

let tmp: string;
let mountsFile: string;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'scm-test-')));
  mountsFile = path.join(tmp, 'mountinfo');
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function provider(
  runner: ScriptedRunner,
  opts: { euid?: number; mounts?: FakeMount[]; probe?: FakeDeviceProbe; maxNamespaces?: number } = {},
): { p: LocalScmProvider; fake: FakeMountTable } {
  const fake = new FakeMountTable(mountsFile, [{ mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }, ...(opts.mounts ?? [])]);
  const p = new LocalScmProvider({
    runner,
    mounts: new MountTable(mountsFile),
    probe: opts.probe ?? new FakeDeviceProbe(),
    hostname: () => 'node1',
    euid: () => opts.euid ?? 0,
    ...(opts.maxNamespaces ? { maxNamespaces: opts.maxNamespaces } : {}),
  });
  return { p, fake };
}

function isFault(domain: string, code: number, match?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof Fault, `not a Fault: ${String(e)}`);
    assert.equal(`${e.domain}/${e.code}`, `${domain}/${code}`, e.description);
    if (match) assert.match(`${e.description} | ${e.resolution}`, match);
    return true;
  };
}

// ---- detection -----------------------------------------------------------------------------

const scanCases: Record<string, { installed?: string[]; steps: ScriptStep[]; want?: ScmScanResult; fault?: [string, number] }> = {
  'no modules on this machine (ipmctl exits 1), no namespaces': {
    steps: [noDimms, list('')],
    want: { modules: [], namespaces: [], state: 'unknown' },
  },
  'emulated pmem: namespaces without modules': {
    steps: [noDimms, list(NDCTL_ONE)],
    want: { modules: [], namespaces: [ns0], state: 'unknown' },
  },
  'ipmctl not installed': {
    installed: ['ndctl'],
    steps: [list('')],
    want: { modules: [], namespaces: [], state: 'unknown', notes: ['ipmctl not installed; SCM modules (DCPMM) cannot be detected'] },
  },
  'no tools installed': {
    installed: [],
    steps: [],
    want: {
      modules: [],
      namespaces: [],
      state: 'unknown',
      notes: ['ipmctl not installed; SCM modules (DCPMM) cannot be detected', 'ndctl not installed; pmem namespaces cannot be listed'],
    },
  },
  'ipmctl fails for another reason': {
    steps: [{ cmd: 'ipmctl', args: IPMCTL_DIMM_ARGS, result: { code: 2, stderr: 'Error: insufficient privileges\n' } }, list('')],
    want: { modules: [], namespaces: [], state: 'unknown', notes: ['ipmctl failed (exit 2): Error: insufficient privileges'] },
  },
  'modules, namespaces and free capacity': {
    steps: scanSteps(IPMCTL_REGIONS_FREE, NDCTL_TWO),
    want: {
      modules: [
        { physicalId: 0x1e, capacity: 539661172736, socketId: 0, controllerId: 0, channelId: 1, channelPosition: 0 },
        { physicalId: 0x2a, capacity: 539661172736, socketId: 0, controllerId: 0, channelId: 0, channelPosition: 0 },
        { physicalId: 0x36, capacity: 539661172736, socketId: 1, controllerId: 1, channelId: 0, channelPosition: 1 },
      ],
      namespaces: [ns0, ns1],
      state: 'free-capacity',
    },
  },
  'modules but ndctl missing': { installed: ['ipmctl'], steps: [dimms], fault: ['general', 1] },
};

for (const [name, tc] of Object.entries(scanCases)) {
  test(`scan: ${name}`, async () => {
    const runner = new ScriptedRunner(tc.steps, tc.installed);
    const { p } = provider(runner);
    if (tc.fault) await assert.rejects(p.scan(), isFault(...tc.fault));
    else assert.deepEqual(await p.scan(), tc.want);
    assert.deepEqual(runner.remaining(), []);
  });
}

test('scan caches its result until a rescan', async () => {
  const runner = new ScriptedRunner([...scanSteps(IPMCTL_REGIONS_FULL, NDCTL_TWO), ...scanSteps(IPMCTL_REGIONS_FULL, NDCTL_TWO)]);
  const { p } = provider(runner);
  const a = await p.scan();
  const b = await p.scan();
  assert.deepEqual(a, b);
  assert.equal(runner.calls.length, 3);
  await p.scan(true);
  assert.equal(runner.calls.length, 6);
});

// ---- the prepare state machine --------------------------------------------------------------

test('scmPrepareLines: the reboot notice is printed once, whether or not the messages carry it', () => {
  const cases: Record<string, { r: ScmPrepareResult; want: string[] }> = {
    'first run (messages carry it)': { r: { rebootRequired: true, namespaces: [], messages: [MSG_REBOOT_REQUIRED] }, want: [MSG_REBOOT_REQUIRED] },
    '--reset (messages carry it)': {
      r: { rebootRequired: true, namespaces: [], messages: ['Removing namespace namespace0.0...', MSG_REBOOT_REQUIRED] },
      want: ['Removing namespace namespace0.0...', MSG_REBOOT_REQUIRED],
    },
    'an older daos_admin that did not say it': { r: { rebootRequired: true, namespaces: [], messages: [] }, want: [MSG_REBOOT_REQUIRED] },
    'no namespaces': { r: { rebootRequired: false, namespaces: [], messages: [] }, want: ['no SCM namespaces'] },
  };
  for (const [name, tc] of Object.entries(cases)) assert.deepEqual(scmPrepareLines(tc.r), tc.want, name);
});

test('scmPrepareAction: one decision per state and reset flag', () => {
  const cases: [ScmState, boolean, ScmPrepareAction][] = [
    ['no-regions', false, 'create-regions'],
    ['no-regions', true, 'already-reset'],
    ['free-capacity', false, 'create-namespaces'],
    ['free-capacity', true, 'remove-all'],
    ['no-capacity', false, 'none'],
    ['no-capacity', true, 'remove-all'],
  ];
  for (const [state, reset, want] of cases) assert.equal(scmPrepareAction(state, reset), want, `${state} reset=${reset}`);
  assert.throws(() => scmPrepareAction('unknown', false), isFault('scm', 206, /unknown scm state/));
});

test('scmPrepareNeedsConsent: only when regions are created or removed', () => {
  const mods = [{ physicalId: 1, capacity: 1, socketId: 0, controllerId: 0, channelId: 0, channelPosition: 0 }];
  const cases: [string, ScmScanResult, boolean, boolean][] = [
    ['no modules', { modules: [], namespaces: [], state: 'unknown' }, false, false],
    ['no modules, reset', { modules: [], namespaces: [], state: 'unknown' }, true, false],
    ['no regions', { modules: mods, namespaces: [], state: 'no-regions' }, false, true],
    ['no regions, reset', { modules: mods, namespaces: [], state: 'no-regions' }, true, false],
    ['free capacity', { modules: mods, namespaces: [], state: 'free-capacity' }, false, false],
    ['free capacity, reset', { modules: mods, namespaces: [], state: 'free-capacity' }, true, true],
    ['no capacity, reset', { modules: mods, namespaces: [ns0], state: 'no-capacity' }, true, true],
  ];
  for (const [name, scan, reset, want] of cases) assert.equal(scmPrepareNeedsConsent(scan, reset), want, name);
});

const prepareCases: Record<
  string,
  {
    reset: boolean;
    steps: ScriptStep[];
    euid?: number;
    mounts?: FakeMount[];
    maxNamespaces?: number;
    want?: ScmPrepareResult;
    fault?: [string, number, RegExp?];
  }
> = {
  'no regions: AppDirect goal, reboot': {
    reset: false,
    steps: [...scanSteps(IPMCTL_NO_REGIONS), cmd('ipmctl delete -goal'), cmd('ipmctl create -f -goal PersistentMemoryType=AppDirect')],
    want: { rebootRequired: true, namespaces: [], messages: [MSG_REBOOT_REQUIRED] },
  },
  'free capacity: a namespace per region until full': {
    reset: false,
    steps: [
      ...scanSteps(IPMCTL_REGIONS_FREE),
      cmd('ndctl create-namespace', { stdout: NDCTL_ONE }),
      region(IPMCTL_REGIONS_FREE),
      cmd('ndctl create-namespace', { stdout: NDCTL_ONE }),
      region(IPMCTL_REGIONS_FULL),
      list(NDCTL_TWO),
    ],
    want: { rebootRequired: false, namespaces: [ns0, ns1], messages: [MSG_CREATING_NAMESPACE, MSG_CREATING_NAMESPACE] },
  },
  'no capacity: nothing to do, the namespaces': {
    reset: false,
    steps: scanSteps(IPMCTL_REGIONS_FULL, NDCTL_TWO),
    want: { rebootRequired: false, namespaces: [ns0, ns1], messages: [] },
  },
  'reset with no regions: already reset': {
    reset: true,
    steps: scanSteps(IPMCTL_NO_REGIONS),
    want: { rebootRequired: false, namespaces: [], messages: [MSG_ALREADY_RESET] },
  },
  'reset: unmount, remove namespaces, MemoryMode goal, reboot': {
    reset: true,
    mounts: [{ mountPoint: '/mnt/daos0', fsType: 'ext4', source: '/dev/pmem0' }],
    steps: [
      ...scanSteps(IPMCTL_REGIONS_FULL, NDCTL_TWO),
      list(NDCTL_TWO),
      cmd('ndctl disable-namespace namespace1.0'),
      cmd('ndctl destroy-namespace namespace1.0'),
      cmd('umount /mnt/daos0'),
      cmd('ndctl disable-namespace namespace0.0'),
      cmd('ndctl destroy-namespace namespace0.0'),
      cmd('ipmctl delete -goal'),
      cmd('ipmctl create -f -goal MemoryMode=100'),
    ],
    want: {
      rebootRequired: true,
      namespaces: [],
      messages: [msgRemovingNamespace('namespace1.0'), msgRemovingNamespace('namespace0.0'), MSG_RESETTING, MSG_REBOOT_REQUIRED],
    },
  },
  'reset with free capacity and no namespaces': {
    reset: true,
    steps: [
      ...scanSteps(IPMCTL_REGIONS_FREE),
      list(''),
      cmd('ipmctl delete -goal'),
      cmd('ipmctl create -f -goal MemoryMode=100'),
    ],
    want: { rebootRequired: true, namespaces: [], messages: [MSG_RESETTING, MSG_REBOOT_REQUIRED] },
  },
  'no modules: refused, nothing changed': {
    reset: false,
    steps: [noDimms, list('')],
    fault: ['scm', 210, /no SCM modules \(DCPMM\) detected on node1; nothing to prepare.*scm_class: ram.*scm_class: dir/],
  },
  'no modules, reset: refused too': { reset: true, steps: [noDimms, list('')], fault: ['scm', 210] },
  'not root: refused after the scan': {
    reset: false,
    euid: 1000,
    steps: scanSteps(IPMCTL_NO_REGIONS),
    fault: ['scm', 218, /needs root/],
  },
  'unexpected state while creating namespaces': {
    reset: false,
    steps: [...scanSteps(IPMCTL_REGIONS_FREE), cmd('ndctl create-namespace'), region(IPMCTL_NO_REGIONS)],
    fault: ['scm', 216, /want free-capacity or no-capacity, got no-regions/],
  },
  'regions never fill up': {
    reset: false,
    maxNamespaces: 2,
    steps: [
      ...scanSteps(IPMCTL_REGIONS_FREE),
      cmd('ndctl create-namespace'),
      region(IPMCTL_REGIONS_FREE),
      cmd('ndctl create-namespace'),
      region(IPMCTL_REGIONS_FREE),
    ],
    fault: ['scm', 220],
  },
  'a failing tool stops the prepare with its message': {
    reset: false,
    steps: [...scanSteps(IPMCTL_NO_REGIONS), cmd('ipmctl delete -goal', { code: 1, stderr: 'Error: platform does not support goals\n' })],
    fault: ['storage', 116, /"ipmctl delete -goal" failed \(exit 1\): Error: platform does not support goals/],
  },
};

for (const [name, tc] of Object.entries(prepareCases)) {
  test(`prepare: ${name}`, async () => {
    const runner = new ScriptedRunner(tc.steps);
    const { p } = provider(runner, {
      ...(tc.euid !== undefined ? { euid: tc.euid } : {}),
      ...(tc.mounts ? { mounts: tc.mounts } : {}),
      ...(tc.maxNamespaces ? { maxNamespaces: tc.maxNamespaces } : {}),
    });
    if (tc.fault) await assert.rejects(p.prepare(tc.reset), isFault(tc.fault[0], tc.fault[1], tc.fault[2]));
    else assert.deepEqual(await p.prepare(tc.reset), tc.want);
    assert.deepEqual(runner.remaining(), [], 'every scripted command ran');
  });
}

test('prepareNeedsConsent rescans', async () => {
  const runner = new ScriptedRunner(scanSteps(IPMCTL_NO_REGIONS));
  const { p } = provider(runner);
  assert.equal(await p.prepareNeedsConsent(false), true);
});

// ---- format: ram ------------------------------------------------------------------------------

const owner = { uid: process.getuid!(), gid: process.getgid!() };

function ramCfg(mp: string, size = 2): ScmConfig {
  return { class: 'ram', mountPoint: mp, ramSizeGB: size, deviceList: [] };
}

test('ram format: creates the mount point 0700, mounts a tmpfs of scm_size GB, owned by the owner', async () => {
  const mp = path.join(tmp, 'mnt', 'daos');
  const runner = new ScriptedRunner();
  const { p, fake } = provider(runner);
  runner.expect(cmd(`mount -t tmpfs -o size=2g tmpfs ${mp}`, () => (fake.add({ mountPoint: mp, fsType: 'tmpfs', source: 'tmpfs' }), {})));
  assert.deepEqual(await p.checkFormat(ramCfg(mp)), { mounted: false, mountable: false });
  assert.deepEqual(await p.formatScm(ramCfg(mp), owner, false), { mountPoint: mp, formatted: true, mounted: true, mountable: false });
  const st = fs.statSync(mp);
  assert.equal(st.mode & 0o777, 0o700);
  assert.equal(st.uid, owner.uid);
  assert.deepEqual(await p.checkFormat(ramCfg(mp)), { mounted: true, mountable: false });
  assert.deepEqual(runner.remaining(), []);
});

type RamCase = {
  mounts: (mp: string) => FakeMount[];
  reformat: boolean;
  euid?: number;
  size?: number;
  steps: (mp: string, fake: FakeMountTable) => ScriptStep[];
  fault?: [string, number, RegExp?];
};

const tmpfsAt = (mp: string): FakeMount => ({ mountPoint: mp, fsType: 'tmpfs', source: 'tmpfs' });
const remount = (mp: string, fake: FakeMountTable, opts = '-o size=2g '): ScriptStep =>
  cmd(`mount -t tmpfs ${opts}tmpfs ${mp}`.replace('  ', ' '), () => (fake.add(tmpfsAt(mp)), {}));
const umountStep = (mp: string, fake: FakeMountTable): ScriptStep => cmd(`umount ${mp}`, () => (fake.remove(mp), {}));

const ramCases: Record<string, RamCase> = {
  'mounted tmpfs, reformat: unmount then a fresh mount': {
    mounts: (mp) => [tmpfsAt(mp)],
    reformat: true,
    steps: (mp, fake) => [umountStep(mp, fake), remount(mp, fake)],
  },
  'two stacked tmpfs, reformat: both unmounted': {
    mounts: (mp) => [tmpfsAt(mp), tmpfsAt(mp)],
    reformat: true,
    steps: (mp, fake) => [umountStep(mp, fake), umountStep(mp, fake), remount(mp, fake)],
  },
  'scm_size 0: no size option': {
    mounts: () => [],
    reformat: false,
    size: 0,
    steps: (mp, fake) => [remount(mp, fake, '')],
  },
  'mounted tmpfs, no reformat: already formatted': {
    mounts: (mp) => [tmpfsAt(mp)],
    reformat: false,
    steps: () => [],
    fault: ['storage', 103, /already-formatted.*reformat option/],
  },
  'another filesystem at the mount point: refused': {
    mounts: (mp) => [{ mountPoint: mp, fsType: 'ext4', source: '/dev/sdb1' }],
    reformat: true,
    steps: () => [],
    fault: ['storage', 104, /ext4 filesystem not managed by DAOS/],
  },
  'not root: refused with the way out': {
    mounts: () => [],
    reformat: true,
    euid: 1000,
    steps: () => [],
    fault: ['scm', 211, /mounting tmpfs at ".*" needs root privileges.*run daos_server as root.*scm_class: dir/],
  },
};

for (const [name, tc] of Object.entries(ramCases)) {
  test(`ram format: ${name}`, async () => {
    const mp = path.join(tmp, 'daos');
    fs.mkdirSync(mp);
    const runner = new ScriptedRunner();
    const { p, fake } = provider(runner, { mounts: tc.mounts(mp), ...(tc.euid !== undefined ? { euid: tc.euid } : {}) });
    runner.expect(...tc.steps(mp, fake));
    const cfg = ramCfg(mp, tc.size ?? 2);
    if (tc.fault) await assert.rejects(p.formatScm(cfg, owner, tc.reformat), isFault(...tc.fault));
    else await p.formatScm(cfg, owner, tc.reformat);
    assert.deepEqual(runner.remaining(), []);
  });
}

test('ram mount is a no-op; unmount unmounts only a tmpfs', async () => {
  const mp = path.join(tmp, 'daos');
  fs.mkdirSync(mp);
  const runner = new ScriptedRunner();
  const { p, fake } = provider(runner, { mounts: [tmpfsAt(mp)] });
  await p.mount(ramCfg(mp));
  runner.expect(umountStep(mp, fake));
  await p.unmount(ramCfg(mp));
  await p.unmount(ramCfg(mp)); // nothing mounted: nothing to do
  fake.add({ mountPoint: mp, fsType: 'xfs', source: '/dev/sdc' });
  await assert.rejects(p.unmount(ramCfg(mp)), isFault('storage', 104));
  assert.deepEqual(runner.calls, [`umount ${mp}`]);
});

test('bad scm_mount values are refused before anything happens', async () => {
  const runner = new ScriptedRunner();
  const { p } = provider(runner);
  await assert.rejects(p.format(ramCfg('relative/path'), owner), isFault('scm', 207, /not an absolute path/));
  await assert.rejects(p.format(ramCfg('/'), owner), isFault('scm', 207, /must not be "\/"/));
  await assert.rejects(p.format({ ...ramCfg('/x'), class: 'pmem' as never }, owner), isFault('scm', 207, /"pmem" not supported/));
  assert.deepEqual(runner.calls, []);
});

// ---- format: dcpm ------------------------------------------------------------------------------

const DEV = '/dev/pmem0';
function dcpmCfg(mp: string, devs = [DEV]): ScmConfig {
  return { class: 'dcpm', mountPoint: mp, ramSizeGB: 0, deviceList: devs };
}

type DcpmCase = {
  mounts?: (mp: string) => FakeMount[];
  reformat: boolean;
  ext4?: boolean;
  kind?: 'block' | 'missing' | 'file';
  devs?: string[];
  euid?: number;
  steps: (mp: string, fake: FakeMountTable) => ScriptStep[];
  fault?: [string, number, RegExp?];
};

const daxMount = (mp: string, fake: FakeMountTable): ScriptStep =>
  cmd(`mount -t ext4 -o dax ${DEV} ${mp}`, () => (fake.add({ mountPoint: mp, fsType: 'ext4', source: DEV }), {}));

const dcpmCases: Record<string, DcpmCase> = {
  'fresh device, format (always a reformat): mkfs -F, dax mount': {
    reformat: true,
    steps: (mp, fake) => [cmd(`mkfs.ext4 -F ${DEV}`), daxMount(mp, fake)],
  },
  'blank device without reformat: mkfs without -F': {
    reformat: false,
    steps: (mp, fake) => [cmd(`mkfs.ext4 ${DEV}`), daxMount(mp, fake)],
  },
  'device holding ext4, no reformat: already formatted': {
    reformat: false,
    ext4: true,
    steps: () => [],
    fault: ['storage', 103],
  },
  'mounted at the mount point, reformat: unmount, mkfs, mount': {
    mounts: (mp) => [{ mountPoint: mp, fsType: 'ext4', source: DEV }],
    reformat: true,
    steps: (mp, fake) => [umountStep(mp, fake), cmd(`mkfs.ext4 -F ${DEV}`), daxMount(mp, fake)],
  },
  'mounted at the mount point, no reformat': {
    mounts: (mp) => [{ mountPoint: mp, fsType: 'ext4', source: DEV }],
    reformat: false,
    steps: () => [],
    fault: ['storage', 103],
  },
  'device mounted elsewhere': {
    mounts: () => [{ mountPoint: '/mnt/other', fsType: 'ext4', source: DEV }],
    reformat: true,
    steps: () => [],
    fault: ['storage', 105, /device "\/dev\/pmem0" is already mounted at "\/mnt\/other"/],
  },
  'something else mounted at the mount point': {
    mounts: (mp) => [{ mountPoint: mp, fsType: 'tmpfs', source: 'tmpfs' }],
    reformat: true,
    steps: () => [],
    fault: ['storage', 104],
  },
  'device missing: names it and the prepare command': {
    reformat: true,
    kind: 'missing',
    steps: () => [],
    fault: ['scm', 212, /"\/dev\/pmem0" does not exist.*storage prepare --scm-only/],
  },
  'device is not a block device': { reformat: true, kind: 'file', steps: () => [], fault: ['scm', 213] },
  'two devices in scm_list': { reformat: true, devs: [DEV, '/dev/pmem1'], steps: () => [], fault: ['scm', 207, /exactly one/] },
  'not root': { reformat: true, euid: 1000, steps: () => [], fault: ['scm', 211, /pmem device "\/dev\/pmem0" needs root/] },
};

for (const [name, tc] of Object.entries(dcpmCases)) {
  test(`dcpm format: ${name}`, async () => {
    const mp = path.join(tmp, 'daos');
    const probe = new FakeDeviceProbe({ [DEV]: tc.kind ?? 'block' }, new Set(tc.ext4 ? [DEV] : []));
    const runner = new ScriptedRunner();
    const { p, fake } = provider(runner, { probe, mounts: tc.mounts?.(mp) ?? [], ...(tc.euid !== undefined ? { euid: tc.euid } : {}) });
    runner.expect(...tc.steps(mp, fake));
    const cfg = dcpmCfg(mp, tc.devs);
    if (tc.fault) await assert.rejects(p.formatScm(cfg, owner, tc.reformat), isFault(...tc.fault));
    else {
      await p.formatScm(cfg, owner, tc.reformat);
      assert.equal(fs.statSync(mp).mode & 0o777, 0o700);
      assert.deepEqual(await p.checkFormat(cfg), { mounted: true, mountable: false });
    }
    assert.deepEqual(runner.remaining(), []);
  });
}

test('dcpm checkFormat, mount and unmount', async () => {
  const mp = path.join(tmp, 'daos');
  const probe = new FakeDeviceProbe({ [DEV]: 'block' }, new Set());
  const runner = new ScriptedRunner();
  const { p, fake } = provider(runner, { probe });
  const cfg = dcpmCfg(mp);
  assert.deepEqual(await p.checkFormat(cfg), { mounted: false, mountable: false });
  await assert.rejects(p.mount(cfg), isFault('scm', 221, /holds no filesystem.*dmg storage format/));
  probe.ext4.add(DEV);
  assert.deepEqual(await p.checkFormat(cfg), { mounted: false, mountable: true });
  runner.expect(daxMount(mp, fake));
  await p.mount(cfg);
  assert.deepEqual(await p.checkFormat(cfg), { mounted: true, mountable: false });
  await p.mount(cfg); // already mounted: nothing to run
  runner.expect(umountStep(mp, fake));
  await p.unmount(cfg);
  assert.deepEqual(runner.remaining(), []);
  probe.kinds[DEV] = 'missing';
  assert.deepEqual(await p.checkFormat(cfg), { mounted: false, mountable: false });
});

// ---- format: dir -------------------------------------------------------------------------------

function dirCfg(mp: string): ScmConfig {
  return { class: 'dir', mountPoint: mp, ramSizeGB: 0, deviceList: [] };
}

test('dir format: creates the directory and the marker, no root and no commands', async () => {
  const dir = path.join(tmp, 'a', 'scm');
  const runner = new ScriptedRunner();
  const { p } = provider(runner, { euid: 1000 });
  assert.deepEqual(await p.checkFormat(dirCfg(dir)), { mounted: false, mountable: false });
  await p.format(dirCfg(dir), owner);
  assert.ok(fs.statSync(path.join(dir, SCM_DIR_MARKER)).isFile());
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(await p.checkFormat(dirCfg(dir)), { mounted: true, mountable: false } satisfies ScmFormatCheck);
  await p.mount(dirCfg(dir));
  await p.unmount(dirCfg(dir));
  assert.deepEqual(runner.calls, []);
});

test('dir format: an existing empty directory is taken', async () => {
  const dir = path.join(tmp, 'scm');
  fs.mkdirSync(dir);
  const { p } = provider(new ScriptedRunner(), { euid: 1000 });
  await p.formatScm(dirCfg(dir), owner, false);
  assert.deepEqual(fs.readdirSync(dir), [SCM_DIR_MARKER]);
});

test('dir reformat wipes everything inside a marked directory and nothing outside it', async () => {
  const dir = path.join(tmp, 'scm');
  const outside = path.join(tmp, 'precious.txt');
  fs.writeFileSync(outside, 'keep me');
  const { p } = provider(new ScriptedRunner(), { euid: 1000 });
  await p.format(dirCfg(dir), owner);
  fs.mkdirSync(path.join(dir, 'pool', 'vos'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'superblock'), 'x');
  fs.writeFileSync(path.join(dir, 'pool', 'vos', 'vos-0'), 'data');
  fs.symlinkSync(outside, path.join(dir, 'link-out'));
  await assert.rejects(p.formatScm(dirCfg(dir), owner, false), isFault('storage', 103));
  assert.ok(fs.existsSync(path.join(dir, 'superblock')), 'a refused format changes nothing');
  await p.formatScm(dirCfg(dir), owner, true);
  assert.deepEqual(fs.readdirSync(dir), [SCM_DIR_MARKER]);
  assert.equal(fs.readFileSync(outside, 'utf8'), 'keep me');
});

test('dir format refuses a non-empty directory without the marker, listing a few entries, deleting nothing', async () => {
  const dir = path.join(tmp, 'home');
  fs.mkdirSync(dir);
  const names = ['a.txt', 'b.txt', 'c', 'd', 'e', 'f', 'g'];
  for (const n of names) fs.writeFileSync(path.join(dir, n), n);
  const { p } = provider(new ScriptedRunner(), { euid: 1000 });
  await assert.rejects(
    p.format(dirCfg(dir), owner),
    isFault('scm', 214, /is not empty and was not prepared by DAOS \(holds "a\.txt", "b\.txt", "c", "d", "e" and 2 more\).*empty ".*" or set scm_mount.*never deletes/),
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), names);
});

test('dir format refuses a path that is a file, and a wipe across an inner mount', async () => {
  const file = path.join(tmp, 'file');
  fs.writeFileSync(file, '');
  const dir = path.join(tmp, 'scm');
  const { p, fake } = provider(new ScriptedRunner(), { euid: 1000 });
  await assert.rejects(p.format(dirCfg(file), owner), isFault('scm', 215));
  await p.format(dirCfg(dir), owner);
  fs.mkdirSync(path.join(dir, 'inner'));
  fake.add({ mountPoint: path.join(dir, 'inner'), fsType: 'tmpfs', source: 'tmpfs' });
  await assert.rejects(p.format(dirCfg(dir), owner), isFault('scm', 219, /mounted inside it/));
  assert.ok(fs.existsSync(path.join(dir, 'inner')));
});
