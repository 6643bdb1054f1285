import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HostList,
  HostListError,
  HostSet,
  compressHosts,
  countHosts,
  createHostList,
  createHostSet,
  expandHosts,
} from './hostlist.js';

// Vectors are numbered as in reference/control-plane-v0.8.md §3; unnumbered ones are ours.

function seq(prefix: string, from: number, to: number, suffix = ''): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}${suffix}`);
  return out;
}

interface CreateCase {
  input: string;
  list?: string; // insertion-order form; defaults to `set` when omitted
  set: string;
  count: number; // unique hosts
}

const createCases: Record<string, CreateCase> = {
  '#1 simple range': { input: 'node[1-128]', set: 'node[1-128]', count: 128 },
  '#2 hyphenated prefixes': {
    input: 'node2-1,node1-2,node1-[45,47],node3,node1-3',
    list: 'node2-1,node1-[2,45,47],node3,node1-3',
    set: 'node3,node1-[2-3,45,47],node2-1',
    count: 6,
  },
  '#3 suffixes': {
    input: 'node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3',
    list: 'node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3',
    set: 'node3,node1-3,node1-2.suffix1,node1-[45,47].suffix2,node2-1',
    count: 6,
  },
  '#4 reverse order': { input: 'node-3,node-1', list: 'node-[3,1]', set: 'node-[1,3]', count: 2 },
  '#5 two prefixes': {
    input: 'node1-3,node1-1,node2-1',
    list: 'node1-[3,1],node2-1',
    set: 'node1-[1,3],node2-1',
    count: 3,
  },
  '#6 ipv4 with port': {
    input: '10.5.1.[2-32]:10001,10.5.1.42:10001,10.5.1.1:10001',
    list: '10.5.1.[2-32,42,1]:10001',
    set: '10.5.1.[1-32,42]:10001',
    count: 33,
  },
  '#7 duplicates inside a range': {
    input: 'node[1-128],node2,node4,node8,node16,node32,node64,node128',
    list: 'node[1-128,2,4,8,16,32,64,128]',
    set: 'node[1-128]',
    count: 128,
  },
  '#8 compatible padding merges': { input: 'node[001-9],node[010-20]', set: 'node[001-020]', count: 20 },
  '#9 incompatible padding stays apart': {
    input: 'node[001-9],node[10-20]',
    list: 'node[001-009,10-20]',
    set: 'node[10-20,001-009]',
    count: 20,
  },
  '#10 space separated': { input: 'node1 node2 node3', set: 'node[1-3]', count: 3 },
  '#10 tab separated': { input: 'node1\tnode2\tnode3', set: 'node[1-3]', count: 3 },
  '#10 mixed separators': { input: 'node1, node2\t,node3', set: 'node[1-3]', count: 3 },
  '#20 literals sort': { input: 'huey,dewey,louie', list: 'huey,dewey,louie', set: 'dewey,huey,louie', count: 3 },
  '#22 compress': {
    input: 'node1,node2,node3,node4,node5,node7,node8,node10,node11,node12',
    set: 'node[1-5,7-8,10-12]',
    count: 10,
  },
  '#23 domain suffixes': {
    input: 'node2.suffix2.com,node1.suffix.com,node2.suffix.com,node3.suffix.com,node1.suffix2.com',
    list: 'node2.suffix2.com,node[1-3].suffix.com,node1.suffix2.com',
    set: 'node[1-3].suffix.com,node[1-2].suffix2.com',
    count: 5,
  },
  '#24 hyphen and domain suffixes': {
    input: 'node1-1.suffix.com,node1-2.suffix.com,node1-3.suffix.com,node1-4.suffix2.com',
    set: 'node1-[1-3].suffix.com,node1-4.suffix2.com',
    count: 4,
  },
  '#25 empty': { input: '', set: '', count: 0 },
  '#25 duplicate ranges': { input: 'node[1-4],node[1-4]', list: 'node[1-4,1-4]', set: 'node[1-4]', count: 4 },
  '#31 ports as suffixes': {
    input: 'server[1,3,5,7,9]:10000,server[2,4,6,8,10]:10001',
    set: 'server[1,3,5,7,9]:10000,server[2,4,6,8,10]:10001',
    count: 10,
  },
  // Fixed: the original merges the literal into the range and prints `d[]`.
  '#36 literal never merges with a range': { input: 'd,d1', set: 'd,d1', count: 2 },
  // Fixed: the original prints `node[]`.
  '#37 literal sorts before the range': {
    input: 'node[1-3],node',
    list: 'node[1-3],node',
    set: 'node,node[1-3]',
    count: 4,
  },
  '#38 host numbers with a port': { input: 'wolf-71:10001,wolf-72:10001', set: 'wolf-[71-72]:10001', count: 2 },
  '#39 prefix digit is not re-bracketed': { input: 'wolf-7[1-2]', set: 'wolf-7[1-2]', count: 2 },
  // HEAD behaviour; v0.8 left these uncompressed.
  '#40 multi-hyphen names compress': { input: 'a-b-1,a-b-2', set: 'a-b-[1-2]', count: 2 },
  '#42 padded and unpadded': { input: 'node01,node1,node2', list: 'node[01,1-2]', set: 'node[1-2,01]', count: 3 },
  '#43 digit count changes': { input: 'abc10,abc9,abc11', list: 'abc[10,9,11]', set: 'abc[9-11]', count: 3 },
  '#44 width from the low end': { input: 'n[7-009]', set: 'n[7-9]', count: 3 },
  '#46 stray bracket': { input: 'node1]', set: 'node1]', count: 1 },
  '#46 trailing colon': { input: 'foo:', set: 'foo:', count: 1 },
  '#47 case-sensitive': { input: 'Node5,node5', set: 'Node5,node5', count: 2 },
  '#48 literal with port after range': {
    input: 'localhost:10001,abc-[1-3]',
    list: 'localhost:10001,abc-[1-3]',
    set: 'abc-[1-3],localhost:10001',
    count: 4,
  },
  '#49 ranges with the same port join': { input: 'node[1-2]:10001 node3:10001', set: 'node[1-3]:10001', count: 3 },
  '#50 single-host bracket': { input: 'prefix[0-0]', set: 'prefix0', count: 1 },
  'largest range (16385 hosts)': { input: 'n[0-16384]', set: 'n[0-16384]', count: 16385 },
  'zero': { input: 'node0,node00,node[1-2]', list: 'node[0,00,1-2]', set: 'node[0-2,00]', count: 4 },
  'overlapping ranges': { input: 'n[1-5],n[3-9],n[20-22],n[10]', list: 'n[1-5,3-9,20-22,10]', set: 'n[1-10,20-22]', count: 13 },
  'padded range crossing into unpadded numbers': {
    input: 'n[098-101],n[102-103]',
    list: 'n[098-103]',
    set: 'n[098-103]',
    count: 6,
  },
  'padded pieces re-joined after a merge': {
    input: 'n[001-099],n[100-150],n[120-200]',
    list: 'n[001-150,120-200]',
    set: 'n[001-200]',
    count: 200,
  },
  'a padded and an unpadded name are different hosts': {
    input: 'n[1-20],n05,n15',
    list: 'n[1-20,05,15]',
    set: 'n[1-20,05]',
    count: 21,
  },
  'hyphenated domain': {
    input: 'node1.my-domain.com,node2.my-domain.com',
    set: 'node[1-2].my-domain.com',
    count: 2,
  },
  'newline separated': { input: 'node1\nnode2\r\nnode3\n', set: 'node[1-3]', count: 3 },
};

for (const [name, tc] of Object.entries(createCases)) {
  test(`create ${name}`, () => {
    const hl = createHostList(tc.input);
    const hs = createHostSet(tc.input);
    assert.equal(hl.toString(), tc.list ?? tc.set, 'list form');
    assert.equal(hs.toString(), tc.set, 'set form');
    assert.equal(hs.count, tc.count, 'set count');
    assert.equal(new Set(hs.expand()).size, tc.count, 'set expansion is unique');
    assert.deepEqual(new Set(hs.expand()), new Set(hl.expand()), 'same hosts either way');
    // The set form is a fixed point.
    assert.equal(createHostSet(hs.toString()).toString(), tc.set, 'set form reparses to itself');
    assert.equal(createHostList(hl.toString()).toString(), hl.toString(), 'list form reparses to itself');
  });
}

const expandCases: Record<string, { input: string; want: string[] }> = {
  '#14 range': { input: 'quartz[4-8]', want: seq('quartz', 4, 8) },
  '#15 unordered ranges': {
    input: 'node[18-19,1-16,21-22]',
    want: [...seq('node', 1, 16), 'node18', 'node19', 'node21', 'node22'],
  },
  '#16 padded with suffix': { input: 'machine2-[02-4]vm1', want: ['machine2-02vm1', 'machine2-03vm1', 'machine2-04vm1'] },
  '#17 two padded ranges': {
    input: 'machine2-[02-3]vm1, machine4-[0003-5].vml2',
    want: ['machine2-02vm1', 'machine2-03vm1', 'machine4-0003.vml2', 'machine4-0004.vml2', 'machine4-0005.vml2'],
  },
  '#18 padding crosses a digit': {
    input: 'machine2-[009-11]vm1',
    want: ['machine2-009vm1', 'machine2-010vm1', 'machine2-011vm1'],
  },
  '#19 list in brackets': { input: 'node[1,2,3]', want: ['node1', 'node2', 'node3'] },
  '#20 literals': { input: 'huey,dewey,louie', want: ['dewey', 'huey', 'louie'] },
  '#21 ipv4': {
    input: '10.5.1.[10-15]:10001,10.5.1.42:10001',
    want: [...seq('10.5.1.', 10, 15, ':10001'), '10.5.1.42:10001'],
  },
  // NB: #45 kept only the first bracket ('x1y[3-4]'); several brackets now expand as their product.
  '#45 several brackets: cartesian product': { input: 'x[1-2]y[3-4]', want: ['x1y3', 'x1y4', 'x2y3', 'x2y4'] },
  'rack and node brackets': { input: 'rack[1-2]node[1-2]', want: ['rack1node1', 'rack1node2', 'rack2node1', 'rack2node2'] },
  'three brackets with a port': { input: 'r[1-2]c[1-2]n[1-2]:10001', want: ['r1c1n1', 'r1c1n2', 'r1c2n1', 'r1c2n2', 'r2c1n1', 'r2c1n2', 'r2c2n1', 'r2c2n2'].map((h) => `${h}:10001`) },
  'suffix after the range': { input: 'node[1-3]-ib', want: ['node1-ib', 'node2-ib', 'node3-ib'] },
  'empty': { input: '', want: [] },
};

for (const [name, tc] of Object.entries(expandCases)) {
  test(`expand ${name}`, () => {
    assert.deepEqual(expandHosts(tc.input), tc.want);
    assert.deepEqual(createHostSet(tc.input).expand(), tc.want);
  });
}

test('expand keeps list order and duplicates for a list', () => {
  assert.deepEqual(createHostList('b[2-3],a1,b2').expand(), ['b2', 'b3', 'a1', 'b2']);
  assert.equal(createHostList('b[2-3],a1,b2').count, 4);
});

// Names with a suffix after the number compress back (the output of dmg names hosts one by one).
const suffixCompress: Record<string, { input: string; set: string }> = {
  'node<n>-ib': { input: 'node1-ib,node2-ib,node3-ib', set: 'node[1-3]-ib' },
  'with ports': { input: 'node1-ib:10001,node2-ib:10001,node4-ib:10001', set: 'node[1-2,4]-ib:10001' },
  'hyphenated prefix and suffix': { input: 'wolf-71-ib,wolf-72-ib', set: 'wolf-[71-72]-ib' },
  'expanded product (first number is the range)': { input: expandHosts('rack[1-2]node[1-3]').join(','), set: 'rack[1-2]node1,rack[1-2]node2,rack[1-2]node3' },
};
for (const [name, tc] of Object.entries(suffixCompress)) {
  test(`compress names with a suffix: ${name}`, () => {
    assert.equal(compressHosts(tc.input), tc.set);
    assert.deepEqual(expandHosts(tc.set), expandHosts(tc.input), 'the compressed form expands to the same hosts');
  });
}

const errorCases: Record<string, { input: string; message: string }> = {
  'several brackets: too many hosts in all': { input: 'r[1-200]n[1-100]', message: 'invalid range "r[1-200]n[1-100]" (> 16384 hosts)' },
  'several brackets: a bad inner range': { input: 'r[1-2]n[3-1]', message: 'invalid range "3-1" (1 < 3)' },
  '#11 reversed range': { input: 'node[5-4]', message: 'invalid range "5-4" (4 < 5)' },
  '#12 letters': { input: 'node[a-b]', message: 'invalid range "a-b" ("a" is not uint)' },
  '#12 letter high end': { input: 'node[0-b]', message: 'invalid range "0-b" ("b" is not uint)' },
  '#12 negative high end': { input: 'node[0--1]', message: 'invalid range "0--1" ("-1" is not uint)' },
  '#12 letters without dash': { input: 'node[ab]', message: 'invalid range "ab" ("ab" is not uint)' },
  '#13 unclosed bracket': { input: 'node[0-1', message: 'invalid range "node[0-1"' },
  '#34 close before open': { input: '00]000000[', message: 'invalid range "00]000000["' },
  '#34 too many hosts': { input: 'host[1-10000000000]', message: 'invalid range "1-10000000000" (> 16384 hosts)' },
  '#34 empty prefix': { input: '[45,    7,2,42,4,6,8,8,0]', message: 'invalid range: "[45,    7,2,42,4,6,8,8,0]"' },
  '#35 junk': { input: '-,-,,1 b,e-,d,y _m,%', message: 'invalid hostname "-"' },
  '#35 digits only': { input: 'e-,1', message: 'invalid hostname "1"' },
  '#35 underscore first': { input: '_m', message: 'invalid hostname "_m"' },
  '#35 percent': { input: '%', message: 'invalid hostname "%"' },
  // HEAD behaviour; v0.8 accepted this literally.
  '#41 ipv4 with a non-numeric port': { input: '1.2.3.4:-1', message: 'invalid hostname "1.2.3.4:-1"' },
  'one past the range limit': { input: 'n[0-16385]', message: 'invalid range "0-16385" (> 16384 hosts)' },
  'empty brackets': { input: 'node[]', message: 'invalid range "" ("" is not uint)' },
  'empty range element': { input: 'node[1,]', message: 'invalid range "" ("" is not uint)' },
  'space inside brackets': { input: 'node[1, 2]', message: 'invalid range " 2" (" 2" is not uint)' },
  'number beyond safe integers': {
    input: 'n[99999999999999999999]',
    message: 'invalid range "99999999999999999999" ("99999999999999999999" is not uint)',
  },
  'host number beyond safe integers': {
    input: 'node99999999999999999999',
    message: 'invalid hostname "node99999999999999999999"',
  },
  'leading colon': { input: ':100', message: 'invalid hostname ":100"' },
};

for (const [name, tc] of Object.entries(errorCases)) {
  test(`error ${name}`, () => {
    for (const create of [createHostList, createHostSet]) {
      assert.throws(() => create(tc.input), (err: unknown) => {
        assert.ok(err instanceof HostListError, `not a HostListError: ${String(err)}`);
        assert.equal(err.message, tc.message);
        return true;
      });
    }
  });
}

test('a failed push leaves the list unchanged', () => {
  for (const hl of [createHostList('node[1-3]'), createHostSet('node[1-3]')]) {
    assert.throws(() => hl.push('node4,node[5-'), HostListError);
    assert.equal(hl.toString(), 'node[1-3]');
  }
});

const pushCases: Record<string, { start: string; push: string[]; list: string; set: string; count: number }> = {
  '#26 push onto the tail': {
    start: 'node[2-5]',
    push: ['node5', 'node6', 'node12', 'node[1-2]'],
    list: 'node[2-5,5-6,12,1-2]',
    set: 'node[1-6,12]',
    count: 7,
  },
  '#27 push unpadded after padded': {
    start: 'node[0003-5]',
    push: ['node[1-2]'],
    list: 'node[0003-0005,1-2]',
    set: 'node[1-2,0003-0005]',
    count: 5,
  },
  'push joins only a contiguous tail': {
    start: 'n[1-3]',
    push: ['n4', 'm5', 'n5'],
    list: 'n[1-4],m5,n5',
    set: 'm5,n[1-5]',
    count: 6,
  },
  'push with compatible digit counts': { start: 'n9', push: ['n10', 'n11'], list: 'n[9-11]', set: 'n[9-11]', count: 3 },
};

for (const [name, tc] of Object.entries(pushCases)) {
  test(`push ${name}`, () => {
    const hl = createHostList(tc.start);
    const hs = createHostSet(tc.start);
    for (const p of tc.push) {
      hl.push(p);
      hs.push(p);
    }
    assert.equal(hl.toString(), tc.list);
    assert.equal(hs.toString(), tc.set);
    assert.equal(hs.count, tc.count);
  });
}

test('#32 set insert', () => {
  const hs = createHostSet('node2-1,node1-2.suffix1,node1-[45,47].suffix2,node3,node1-3');
  const added = hs.insert('node1-[1-5],node1-[32-64].suffix2');
  assert.equal(hs.toString(), 'node3,node1-[1-5],node1-2.suffix1,node1-[32-64].suffix2,node2-1');
  assert.equal(hs.count, 41);
  assert.equal(added, 35);
});

test('set insert of known hosts adds nothing', () => {
  const hs = createHostSet('node[1-8]');
  assert.equal(hs.insert('node[2-4],node8'), 0);
  assert.equal(hs.insert(['node9', 'node10']), 2);
  assert.equal(hs.toString(), 'node[1-10]');
});

test('set merge', () => {
  const hs = createHostSet('a[1-3]');
  assert.equal(hs.merge(createHostList('a[3-5],b1')), 3);
  assert.equal(hs.toString(), 'a[1-5],b1');
});

type Op = 'pop' | 'shift' | 'popRange' | 'shiftRange';
const removeCases: Record<string, { input: string; op: Op; got: string; rest: string }> = {
  '#28 pop': { input: 'node[1-2,4-8]', op: 'pop', got: 'node8', rest: 'node[1-2,4-7]' },
  '#28 shift': { input: 'node[1-2,4-8]', op: 'shift', got: 'node1', rest: 'node[2,4-8]' },
  '#28 popRange': { input: 'node[1-2,4-8]', op: 'popRange', got: 'node[4-8]', rest: 'node[1-2]' },
  '#28 shiftRange': { input: 'node[1-2,4-8]', op: 'shiftRange', got: 'node[1-2]', rest: 'node[4-8]' },
  'pop a literal': { input: 'node1,quack', op: 'pop', got: 'quack', rest: 'node1' },
  'shift the last host': { input: 'node7', op: 'shift', got: 'node7', rest: '' },
  'shift keeps padding': { input: 'n[08-10]', op: 'shift', got: 'n08', rest: 'n[09-10]' },
};

for (const [name, tc] of Object.entries(removeCases)) {
  test(`remove ${name}`, () => {
    for (const hl of [createHostList(tc.input), createHostSet(tc.input)]) {
      const got = hl[tc.op]();
      assert.equal(String(got), tc.got);
      assert.equal(hl.toString(), tc.rest);
    }
  });
}

test('popRange returns the same class', () => {
  assert.ok(createHostSet('a[1-2],b1').popRange() instanceof HostSet);
  assert.ok(!(createHostList('a[1-2],b1').popRange() instanceof HostSet));
});

test('removing from an empty list', () => {
  for (const op of ['pop', 'shift', 'popRange', 'shiftRange'] as const) {
    assert.throws(() => new HostList()[op](), { name: 'HostListError', message: 'hostlist is empty' });
  }
});

const nthCases: Record<string, { input: string; index: number; want?: string; error?: string }> = {
  '#29 first': { input: 'node[1-2,4-8],quack', index: 0, want: 'node1' },
  '#29 inside second range': { input: 'node[1-2,4-8],quack', index: 3, want: 'node5' },
  '#29 literal': { input: 'node[1-2,4-8],quack', index: 7, want: 'quack' },
  '#29 past the end': { input: 'node[1-2,4-8],quack', index: 8, error: 'index must be < hostCount' },
  '#29 negative': { input: 'node[1-2,4-8],quack', index: -1, error: "index can't be < 0" },
  'not an integer': { input: 'node1', index: 0.5, error: 'index 0.5 is not an integer' },
};

for (const [name, tc] of Object.entries(nthCases)) {
  test(`nth ${name}`, () => {
    const hl = createHostList(tc.input);
    if (tc.error !== undefined) {
      assert.throws(() => hl.nth(tc.index), { name: 'HostListError', message: tc.error });
    } else {
      assert.equal(hl.nth(tc.index), tc.want);
      assert.equal(hl.expand()[tc.index], tc.want);
    }
  });
}

const deleteNthCases: Record<string, { input: string; index: number; got: string; rest: string }> = {
  '#30 middle of a range': { input: 'node[1-2,4-8],quack', index: 3, got: 'node5', rest: 'node[1-2,4,6-8],quack' },
  'start of a range': { input: 'node[1-2,4-8],quack', index: 2, got: 'node4', rest: 'node[1-2,5-8],quack' },
  'end of a range': { input: 'node[1-2,4-8],quack', index: 6, got: 'node8', rest: 'node[1-2,4-7],quack' },
  'literal': { input: 'node[1-2,4-8],quack', index: 7, got: 'quack', rest: 'node[1-2,4-8]' },
};

for (const [name, tc] of Object.entries(deleteNthCases)) {
  test(`deleteNth ${name}`, () => {
    const hl = createHostList(tc.input);
    assert.equal(hl.deleteNth(tc.index), tc.got);
    assert.equal(hl.toString(), tc.rest);
    assert.equal(hl.has(tc.got), false);
  });
}

const intersectCases: Record<string, { a: string; b: string; want: string }> = {
  '#33 one common host': { a: 'node[1-128]', b: 'node[128-256]', want: 'node128' },
  'disjoint': { a: 'node[1-4]', b: 'node[5-8]', want: '' },
  'several pieces': { a: 'n[1-10,20-30],x', b: 'n[5-25],x,y', want: 'n[5-10,20-25],x' },
  'padding matters': { a: 'n[01-10]', b: 'n[1-10]', want: 'n10' },
  'suffix matters': { a: 'n[1-4]:1', b: 'n[1-4]:2', want: '' },
};

for (const [name, tc] of Object.entries(intersectCases)) {
  test(`intersects ${name}`, () => {
    const got = createHostSet(tc.a).intersects(createHostList(tc.b));
    assert.ok(got instanceof HostSet);
    assert.equal(got.toString(), tc.want);
    assert.equal(createHostSet(tc.b).intersects(createHostSet(tc.a)).toString(), tc.want);
  });
}

const hasCases: Record<string, { input: string; host: string; want: boolean }> = {
  'in range': { input: 'node[1-8]', host: 'node5', want: true },
  'out of range': { input: 'node[1-8]', host: 'node9', want: false },
  'padded name': { input: 'node[01-08]', host: 'node05', want: true },
  'padded name, unpadded query': { input: 'node[01-08]', host: 'node5', want: false },
  'unpadded range, padded query': { input: 'node[1-8]', host: 'node05', want: false },
  'suffix': { input: 'node[1-2]:10001', host: 'node2:10001', want: true },
  'wrong suffix': { input: 'node[1-2]:10001', host: 'node2:10000', want: false },
  'literal': { input: 'localhost:10001', host: 'localhost:10001', want: true },
  'prefix only': { input: 'node[1-2]', host: 'node', want: false },
  'same name through another prefix': { input: 'wolf-7[1-2]', host: 'wolf-71', want: true },
};

for (const [name, tc] of Object.entries(hasCases)) {
  test(`has ${name}`, () => {
    assert.equal(createHostSet(tc.input).has(tc.host), tc.want);
    assert.equal(createHostList(tc.input).has(tc.host), tc.want);
  });
}

const convenienceCases: Record<string, { input: string | string[]; compress: string; count: number }> = {
  '#20 literals': { input: 'huey,dewey,louie', compress: 'dewey,huey,louie', count: 3 },
  '#22 spec': { input: 'node1,node2,node3,node4,node5,node7,node8,node10,node11,node12', compress: 'node[1-5,7-8,10-12]', count: 10 },
  '#25 empty': { input: '', compress: '', count: 0 },
  '#25 duplicates': { input: 'node[1-4],node[1-4]', compress: 'node[1-4]', count: 4 },
  'array of names': { input: ['wolf-72:10001', 'wolf-71:10001'], compress: 'wolf-[71-72]:10001', count: 2 },
  'empty array': { input: [], compress: '', count: 0 },
};

for (const [name, tc] of Object.entries(convenienceCases)) {
  test(`compress/count ${name}`, () => {
    assert.equal(compressHosts(tc.input), tc.compress);
    assert.equal(countHosts(tc.input), tc.count);
  });
}

test('clone is independent', () => {
  const a = createHostSet('n[1-3]');
  const b = a.clone();
  b.push('n4');
  assert.ok(b instanceof HostSet);
  assert.equal(a.toString(), 'n[1-3]');
  assert.equal(b.toString(), 'n[1-4]');
});

test('JSON form is the compressed string', () => {
  assert.equal(JSON.stringify({ hosts: createHostSet('n2,n1') }), '{"hosts":"n[1-2]"}');
});
