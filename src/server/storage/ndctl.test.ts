import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fault } from '../../fault/fault.js';
import { parseNdctlList, parseNdctlNamespaces } from './ndctl.js';
import { NDCTL_DEVDAX, NDCTL_ONE, NDCTL_TWO } from './samples.js';
import type { PmemNamespace } from './types.js';

const ns0: PmemNamespace = { uuid: 'b5d2f8c4-5b4c-4e8a-9a4f-1d3f2e6c7a90', blockDevice: 'pmem0', name: 'namespace0.0', numaNode: 0, size: 3183575302144 };
const ns1: PmemNamespace = { uuid: '842fc847-28e0-4bb6-8dfc-7b08d6ab51b5', blockDevice: 'pmem1', name: 'namespace1.0', numaNode: 1, size: 3183575302144 };

const cases: Record<string, { text: string; want?: PmemNamespace[]; error?: RegExp }> = {
  'array of two, sorted by block device': { text: NDCTL_TWO, want: [ns0, ns1] },
  'single object': { text: NDCTL_ONE, want: [ns0] },
  'no namespaces prints nothing': { text: '', want: [] },
  'whitespace only': { text: '\n', want: [] },
  'devdax namespace is left out': {
    text: NDCTL_DEVDAX,
    want: [{ uuid: '2bfe6c40-f79a-4b8e-bddf-ba81d4427b9b', blockDevice: 'pmem1', name: 'namespace1.0', numaNode: 1, size: 3183575302144 }],
  },
  'numa_node -1 and missing fields default to 0': {
    text: '{"dev":"namespace0.0","blockdev":"pmem0","numa_node":-1}',
    want: [{ uuid: '', blockDevice: 'pmem0', name: 'namespace0.0', numaNode: 0, size: 0 }],
  },
  'not JSON': { text: 'error: no such bus', error: /unexpected output from ndctl: not JSON/ },
  'entry without dev': { text: '[{"blockdev":"pmem0"}]', error: /entry 0 has no "dev"/ },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`parseNdctlNamespaces: ${name}`, () => {
    if (tc.error) {
      assert.throws(() => parseNdctlNamespaces(tc.text), (e: unknown) => e instanceof Fault && e.domain === 'scm' && tc.error!.test(e.description));
    } else {
      assert.deepEqual(parseNdctlNamespaces(tc.text), tc.want);
    }
  });
}

test('parseNdctlList keeps devdax namespaces (a reset must remove them too)', () => {
  assert.deepEqual(
    parseNdctlList(NDCTL_DEVDAX).map((n) => `${n.dev}:${n.mode}:${n.blockdev ?? '-'}`),
    ['namespace0.0:devdax:-', 'namespace1.0:fsdax:pmem1'],
  );
});
