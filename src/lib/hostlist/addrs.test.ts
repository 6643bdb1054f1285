import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenHostAddrs } from './addrs.js';
import { HostListError } from './hostlist.js';

// Vectors from reference/control-plane-v0.8.md §3 "dmg -l flattening" (default port 9999), plus ours.

function hosts(prefix: string, nums: number[], port: number): string[] {
  return nums.map((n) => `${prefix}${n}:${port}`);
}

const cases: Record<string, { spec: string; want: string[] }> = {
  'one host with a port': { spec: 'abc:10000', want: ['abc:10000'] },
  'ranges with ports': {
    spec: 'abc[1-5]:10000,abc[6-10]:10001,def[1-3]:10000',
    want: [
      'abc10:10001',
      ...hosts('abc', [1, 2, 3, 4, 5], 10000),
      ...hosts('abc', [6, 7, 8, 9], 10001),
      ...hosts('def', [1, 2, 3], 10000),
    ],
  },
  'default port where none is given': {
    spec: 'abc[1-5,7-10],def[1-3,5,7-9]:10000',
    want: [
      'abc10:9999',
      ...hosts('abc', [1, 2, 3, 4, 5, 7, 8, 9], 9999),
      ...hosts('def', [1, 2, 3, 5, 7, 8, 9], 10000),
    ],
  },
  'literal with port and a range without': {
    spec: 'localhost:10001,abc-[1-3]',
    want: ['abc-1:9999', 'abc-2:9999', 'abc-3:9999', 'localhost:10001'],
  },
  'same host with explicit default port is one entry': { spec: 'abc,abc:9999', want: ['abc:9999'] },
  'ipv4': { spec: '10.0.0.[1-2]', want: ['10.0.0.1:9999', '10.0.0.2:9999'] },
  'empty': { spec: '', want: [] },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`flatten ${name}`, () => {
    assert.deepEqual(flattenHostAddrs(tc.spec, 9999), tc.want);
  });
}

const errorCases: Record<string, { spec: string; message: string }> = {
  'two colons': { spec: 'bad:addr:here', message: 'cannot parse "bad:addr:here"' },
  'missing host': { spec: 'valid:10001,:100', message: 'invalid hostname ":100"' },
  'number only': { spec: '1001', message: 'invalid hostname "1001"' },
  'port not a number': { spec: 'foo:bar', message: 'cannot parse "foo:bar": port "bar" is not a number' },
  'empty port': { spec: 'foo:', message: 'invalid port ""' },
  'port zero': { spec: 'foo:0', message: 'invalid port "0" (must be 1..65535)' },
  'port too large': { spec: 'foo:65536', message: 'invalid port "65536" (must be 1..65535)' },
  'negative port': { spec: 'foo:-1', message: 'cannot parse "foo:-1": port "-1" is not a number' },
};

for (const [name, tc] of Object.entries(errorCases)) {
  test(`flatten error ${name}`, () => {
    assert.throws(() => flattenHostAddrs(tc.spec, 9999), (err: unknown) => {
      assert.ok(err instanceof HostListError, `not a HostListError: ${String(err)}`);
      assert.equal(err.message, tc.message);
      return true;
    });
  });
}

test('flatten refuses a bad default port', () => {
  assert.throws(() => flattenHostAddrs('abc', 0), RangeError);
});
