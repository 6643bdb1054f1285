import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fault } from '../../fault/fault.js';
import {
  ipmctlSaysNoModules,
  parseIpmctlBlocks,
  parseIpmctlCapacity,
  parseIpmctlDimms,
  parseIpmctlRegions,
} from './ipmctl.js';
import {
  IPMCTL_DIMMS,
  IPMCTL_DIMMS_GIB,
  IPMCTL_NO_MODULES,
  IPMCTL_NO_REGIONS,
  IPMCTL_REGIONS_FREE,
  IPMCTL_REGIONS_FULL,
} from './samples.js';
import type { ScmModule, ScmState } from './types.js';

test('parseIpmctlBlocks splits headers and properties', () => {
  assert.deepEqual(parseIpmctlBlocks('---DimmID=0x0001---\n   Capacity=1 B\n   SocketID=0x0000\n---DimmID=0x0002---\n'), [
    { key: 'DimmID', value: '0x0001', props: { Capacity: '1 B', SocketID: '0x0000' } },
    { key: 'DimmID', value: '0x0002', props: {} },
  ]);
});

const dimmCases: Record<string, { text: string; want?: ScmModule[]; error?: RegExp }> = {
  'three modules in bytes, sorted by physical id': {
    text: IPMCTL_DIMMS,
    want: [
      { physicalId: 0x1e, capacity: 539661172736, socketId: 0, controllerId: 0, channelId: 1, channelPosition: 0 },
      { physicalId: 0x2a, capacity: 539661172736, socketId: 0, controllerId: 0, channelId: 0, channelPosition: 0 },
      { physicalId: 0x36, capacity: 539661172736, socketId: 1, controllerId: 1, channelId: 0, channelPosition: 1 },
    ],
  },
  'capacity in GiB': {
    text: IPMCTL_DIMMS_GIB,
    want: [{ physicalId: 0x2a, capacity: Math.round(502.599 * 2 ** 30), socketId: 0, controllerId: 0, channelId: 0, channelPosition: 0 }],
  },
  'no modules message': { text: IPMCTL_NO_MODULES, want: [] },
  'empty output': { text: '', want: [] },
  'attribute missing': { text: '---DimmID=0x0001---\n   Capacity=1 B\n', error: /PhysicalID missing/ },
  'garbage': { text: 'Syntax Error: unknown option -u\n', error: /unexpected output from ipmctl/ },
};

for (const [name, tc] of Object.entries(dimmCases)) {
  test(`parseIpmctlDimms: ${name}`, () => {
    if (tc.error) {
      assert.throws(() => parseIpmctlDimms(tc.text), (e: unknown) => e instanceof Fault && e.domain === 'scm' && tc.error!.test(e.description));
    } else {
      assert.deepEqual(parseIpmctlDimms(tc.text), tc.want);
    }
  });
}

const regionCases: Record<string, { text: string; want?: ScmState; error?: RegExp }> = {
  'no regions': { text: IPMCTL_NO_REGIONS, want: 'no-regions' },
  'one region with free capacity': { text: IPMCTL_REGIONS_FREE, want: 'free-capacity' },
  'all regions full': { text: IPMCTL_REGIONS_FULL, want: 'no-capacity' },
  'free capacity outside AppDirect does not count': {
    text: '---RegionID=0x0001---\n   PersistentMemoryType=Volatile\n   FreeCapacity=12.0 GiB\n',
    want: 'no-capacity',
  },
  'AppDirectNotInterleaved counts': {
    text: '---RegionID=0x0001---\n   PersistentMemoryType=AppDirectNotInterleaved\n   FreeCapacity=12.0 GiB\n',
    want: 'free-capacity',
  },
  'nothing parseable': { text: 'hello\n', error: /no regions with PersistentMemoryType/ },
  'bad capacity': { text: '---RegionID=0x0001---\n   PersistentMemoryType=AppDirect\n   FreeCapacity=lots\n', error: /capacity "lots"/ },
};

for (const [name, tc] of Object.entries(regionCases)) {
  test(`parseIpmctlRegions: ${name}`, () => {
    if (tc.error) {
      assert.throws(() => parseIpmctlRegions(tc.text), (e: unknown) => e instanceof Fault && tc.error!.test(e.description));
    } else {
      assert.equal(parseIpmctlRegions(tc.text), tc.want);
    }
  });
}

test('parseIpmctlCapacity', () => {
  const cases: [string, number][] = [
    ['539661172736 B', 539661172736],
    ['0.000 GiB', 0],
    ['1.5 KiB', 1536],
    ['2 GB', 2e9],
    ['1 TiB', 2 ** 40],
    ['42', 42],
  ];
  for (const [s, want] of cases) assert.equal(parseIpmctlCapacity(s), want, s);
});

test('ipmctlSaysNoModules recognises the messages of several ipmctl versions', () => {
  for (const s of [IPMCTL_NO_MODULES, 'No functional DCPMMs in the system.', 'No DIMMs in the system.']) assert.ok(ipmctlSaysNoModules(s), s);
  assert.ok(!ipmctlSaysNoModules(IPMCTL_DIMMS));
});
