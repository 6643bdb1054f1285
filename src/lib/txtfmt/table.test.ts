import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEntity, formatTable, indent, type TableRow } from './table.js';

// Layout facts: reference/control-plane-v0.8.md §2.4 (v1.0 txtfmt, space padded), with trailing
// spaces trimmed as in the deployment guide's text.

const tableCases: Record<string, { titles: string[]; rows: TableRow[]; want: string }> = {
  'no titles': { titles: [], rows: [['1']], want: '' },
  'titles only': { titles: ['One', 'Two'], rows: [], want: 'One Two\n--- ---\n' },
  'one column': { titles: ['One'], rows: [['1']], want: 'One\n---\n1\n' },
  'three columns': {
    titles: ['One', 'Two', 'Three'],
    rows: [
      ['1', '2', '3'],
      ['4', '5', '6'],
    ],
    want: 'One Two Three\n--- --- -----\n1   2   3\n4   5   6\n',
  },
  'long cell and a missing one': {
    titles: ['One', 'Two'],
    rows: [['1', '2'], ['too darn long']],
    want: 'One           Two\n---           ---\n1             2\ntoo darn long None\n',
  },
  'undefined cell': { titles: ['A', 'B'], rows: [[undefined, 'x']], want: 'A    B\n-    -\nNone x\n' },
  'record rows': {
    titles: ['Pool UUID', 'Svc Replicas'],
    rows: [{ 'Pool UUID': '8e7a4c1c', 'Svc Replicas': '0,1,2' }, { 'Pool UUID': '0cfd3b35' }],
    want: 'Pool UUID Svc Replicas\n--------- ------------\n8e7a4c1c  0,1,2\n0cfd3b35  None\n',
  },
  'guide: SCM namespace table': {
    titles: ['SCM Namespace', 'Socket ID', 'Capacity'],
    rows: [
      ['pmem0', '0', '2.90TB'],
      ['pmem1', '1', '2.90TB'],
    ],
    want:
      'SCM Namespace Socket ID Capacity\n' +
      '------------- --------- --------\n' +
      'pmem0         0         2.90TB\n' +
      'pmem1         1         2.90TB\n',
  },
  // NB: SPDK reports the model space-padded; the guide's two spaces after it come from that pad.
  'guide: NVMe table': {
    titles: ['NVMe PCI', 'Model', 'FW Revision', 'Socket ID', 'Capacity'],
    rows: [['0000:81:00.0', 'INTEL SSDPED1K750GA ', 'E2010325', '1', '750.00GB']],
    want:
      'NVMe PCI     Model                FW Revision Socket ID Capacity\n' +
      '--------     -----                ----------- --------- --------\n' +
      '0000:81:00.0 INTEL SSDPED1K750GA  E2010325    1         750.00GB\n',
  },
  'summary table': {
    titles: ['Hosts', 'SCM Total', 'NVMe Total'],
    rows: [['wolf-[71-72]', '5.80TB (2 namespaces)', '2.25TB (2 controllers)']],
    want:
      'Hosts        SCM Total             NVMe Total\n' +
      '-----        ---------             ----------\n' +
      'wolf-[71-72] 5.80TB (2 namespaces) 2.25TB (2 controllers)\n',
  },
  'width counts code points': {
    titles: ['K', 'V'],
    rows: [['héllo', '1'], ['x', '2']],
    want: 'K     V\n-     -\nhéllo 1\nx     2\n',
  },
};

for (const [name, tc] of Object.entries(tableCases)) {
  test(`formatTable ${name}`, () => {
    assert.equal(formatTable(tc.titles, tc.rows), tc.want);
  });
}

test('formatTable refuses a row with more cells than titles', () => {
  assert.throws(() => formatTable(['A'], [['1', '2']]), {
    name: 'RangeError',
    message: 'table row 0 has 2 cells for 1 titles',
  });
});

const entityCases: Record<string, { title: string; attrs: [string, string][]; want: string }> = {
  'rank entity': {
    title: 'Rank 0',
    attrs: [
      ['address', '10.0.0.1:10001'],
      ['uuid', '5b3d2d4c'],
      ['status', 'Started'],
      ['reason', ''],
    ],
    want: 'Rank 0\n------\naddress: 10.0.0.1:10001\nuuid:    5b3d2d4c\nstatus:  Started\nreason:\n',
  },
  'no title': { title: '', attrs: [['a', '1']], want: 'a: 1\n' },
  'no attributes': { title: 'T', attrs: [], want: 'T\n-\n' },
};

for (const [name, tc] of Object.entries(entityCases)) {
  test(`formatEntity ${name}`, () => {
    assert.equal(formatEntity(tc.title, tc.attrs), tc.want);
  });
}

const indentCases: Record<string, { text: string; n: number; want: string }> = {
  'lines': { text: 'a\nb\n', n: 2, want: '  a\n  b\n' },
  'empty lines stay empty': { text: 'a\n\nb', n: 1, want: ' a\n\n b' },
  'zero': { text: 'a\n', n: 0, want: 'a\n' },
  'empty': { text: '', n: 4, want: '' },
};

for (const [name, tc] of Object.entries(indentCases)) {
  test(`indent ${name}`, () => {
    assert.equal(indent(tc.text, tc.n), tc.want);
  });
}
