import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostGroups, groupByValue, renderGroupBlocks } from './hostgroups.js';
import { HostListError } from './hostlist.js';

// Vectors from reference/control-plane-v0.8.md §2.4 "HostGroups" and §3 "Connection-state grouping".

const stringCases: Record<string, { entries: [string, string][]; want: string }> = {
  'empty': { entries: [], want: '' },
  'one host connected': { entries: [['abc:10000', 'connected']], want: 'abc:10000: connected\n' },
  'two hosts failed': {
    entries: [
      ['abc4:10000', 'unknown failure'],
      ['abc5:10000', 'unknown failure'],
    ],
    want: 'abc[4-5]:10000: unknown failure\n',
  },
  'right-aligned host sets': {
    entries: [
      ['wolf-71:10001', 'connected'],
      ['boro-4:10001', 'dial failed'],
      ['wolf-72:10001', 'connected'],
    ],
    want: 'wolf-[71-72]:10001: connected\n      boro-4:10001: dial failed\n',
  },
  'mixed': {
    entries: [
      ['bar3:10001', 'connected'],
      ['bar9:10000', 'foobar'],
      ['bar4:10001', 'connected'],
      ['bar2:10001', 'foobaz'],
      ['bar5:10001', 'connected'],
      ['bar7:10001', 'foobar'],
      ['bar6:10001', 'connected'],
      ['bar8:10001', 'foobar'],
    ],
    want:
      '           bar[3-6]:10001: connected\n' +
      'bar9:10000,bar[7-8]:10001: foobar\n' +
      '               bar2:10001: foobaz\n',
  },
  'mixed ipv4': {
    entries: [
      ['10.0.0.3:10001', 'connected'],
      ['10.0.0.4:10001', 'connected'],
      ['10.0.0.5:10001', 'connected'],
      ['10.0.0.6:10001', 'connected'],
      ['10.0.0.9:10000', 'foobar'],
      ['10.0.0.7:10001', 'foobar'],
      ['10.0.0.8:10001', 'foobar'],
      ['10.0.0.2:10001', 'foobaz'],
    ],
    want:
      '               10.0.0.[3-6]:10001: connected\n' +
      '10.0.0.9:10000,10.0.0.[7-8]:10001: foobar\n' +
      '                   10.0.0.2:10001: foobaz\n',
  },
  'keys sort by byte order': {
    entries: [
      ['a1', 'b'],
      ['a2', 'B'],
      ['a3', 'a'],
    ],
    want: 'a2: B\na3: a\na1: b\n',
  },
};

for (const [name, tc] of Object.entries(stringCases)) {
  test(`HostGroups.toString ${name}`, () => {
    assert.equal(groupByValue(tc.entries).toString(), tc.want);
  });
}

test('HostGroups add, get, keys, size', () => {
  const g = new HostGroups();
  g.add('n1', 'ok');
  g.add('n[2-3]', 'ok');
  g.add('n9', 'bad');
  assert.equal(g.size, 2);
  assert.deepEqual(g.keys(), ['bad', 'ok']);
  assert.equal(g.get('ok')?.toString(), 'n[1-3]');
  assert.equal(g.get('missing'), undefined);
  assert.deepEqual(
    g.entries().map(([k, hs]) => [k, hs.count]),
    [
      ['bad', 1],
      ['ok', 3],
    ],
  );
});

test('HostGroups add refuses a bad host', () => {
  assert.throws(() => new HostGroups().add('node[', 'ok'), HostListError);
});

const blockCases: Record<string, { entries: [string, string][]; want: string }> = {
  'empty': { entries: [], want: '' },
  'storage scan -v': {
    entries: [
      ['wolf-71', 'SCM table\n\nNVMe table\n'],
      ['wolf-72', 'SCM table\n\nNVMe table\n'],
    ],
    want: '------------\nwolf-[71-72]\n------------\nSCM table\n\nNVMe table\n',
  },
  'two groups in key order': {
    entries: [
      ['b1', 'second\n'],
      ['a[1-2]', 'first\n'],
    ],
    want: '------\na[1-2]\n------\nfirst\n--\nb1\n--\nsecond\n',
  },
  'key without newline': { entries: [['h1', 'x']], want: '--\nh1\n--\nx' },
};

for (const [name, tc] of Object.entries(blockCases)) {
  test(`renderGroupBlocks ${name}`, () => {
    assert.equal(renderGroupBlocks(groupByValue(tc.entries)), tc.want);
  });
}
