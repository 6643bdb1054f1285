import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RANK, NIL_RANK, RankListError, RankSet, createRankSet, rankSetFromRanks } from './ranklist.js';

// Vectors from reference/control-plane-v0.8.md §3 "Ranks" (HEAD's ranklist), plus ours.

const parseCases: Record<string, { spec: string; want: string; bracket: string; count: number }> = {
  'empty': { spec: '', want: '', bracket: '', count: 0 },
  'empty brackets': { spec: '[]', want: '', bracket: '', count: 0 },
  'bracketed range': { spec: '[0-10]', want: '0-10', bracket: '[0-10]', count: 11 },
  'bare range': { spec: '0-10', want: '0-10', bracket: '[0-10]', count: 11 },
  'list with duplicates': { spec: '1,2,3,5,6,8,10,10,1', want: '1-3,5-6,8,10', bracket: '[1-3,5-6,8,10]', count: 7 },
  'overlapping ranges': { spec: '2,3,10-19,0-9', want: '0-19', bracket: '[0-19]', count: 20 },
  'single rank': { spec: '2', want: '2', bracket: '2', count: 1 },
  'single rank in brackets': { spec: '[2]', want: '2', bracket: '2', count: 1 },
  'two ranks': { spec: '5,1', want: '1,5', bracket: '[1,5]', count: 2 },
  'max rank': { spec: '4294967294', want: '4294967294', bracket: '4294967294', count: 1 },
  'leading zeros': { spec: '007', want: '7', bracket: '7', count: 1 },
  'largest range': { spec: '0-16384', want: '0-16384', bracket: '[0-16384]', count: 16385 },
};

for (const [name, tc] of Object.entries(parseCases)) {
  test(`parse ${name}`, () => {
    const rs = createRankSet(tc.spec);
    assert.equal(rs.toString(), tc.want);
    assert.equal(rs.toBracketString(), tc.bracket);
    assert.equal(rs.count, tc.count);
    assert.equal(rs.ranks().length, tc.count);
    assert.equal(createRankSet(rs.toBracketString()).toString(), tc.want, 'bracket form reparses');
  });
}

const errorCases: Record<string, { spec: string; message: string }> = {
  'whitespace': { spec: '1, 5', message: 'unexpected whitespace character(s) in "1, 5"' },
  'trailing newline': { spec: '1\n', message: 'unexpected whitespace character(s) in "1\\n"' },
  'hostnames': { spec: 'node[1-2]', message: 'unexpected alphabetic character(s) in "node[1-2]"' },
  'reversed range': { spec: '5-4', message: 'invalid range "5-4" (4 < 5)' },
  'negative': { spec: '-1', message: 'invalid range "-1" ("" is not uint)' },
  'double dash': { spec: '1--2', message: 'invalid range "1--2" ("-2" is not uint)' },
  'empty element': { spec: '1,,2', message: 'invalid range "" ("" is not uint)' },
  'trailing comma': { spec: '[1,]', message: 'invalid range "" ("" is not uint)' },
  'nil rank': { spec: '4294967295', message: 'invalid rank 4294967295 (nil rank)' },
  'beyond uint32': { spec: '0-4294967296', message: 'invalid rank 4294967296 (must be an integer 0..4294967294)' },
  'unclosed bracket': { spec: '[1-3', message: 'invalid rank list "[1-3"' },
  'inner brackets': { spec: '1,[2]', message: 'invalid rank list "1,[2]"' },
  'too many ranks in one range': { spec: '0-16385', message: 'invalid range "0-16385" (> 16384 ranks)' },
  'other punctuation': { spec: '1;2', message: 'invalid range "1;2" ("1;2" is not uint)' },
};

for (const [name, tc] of Object.entries(errorCases)) {
  test(`parse error ${name}`, () => {
    assert.throws(() => createRankSet(tc.spec), (err: unknown) => {
      assert.ok(err instanceof RankListError, `not a RankListError: ${String(err)}`);
      assert.equal(err.message, tc.message);
      return true;
    });
  });
}

const addCases: Record<string, { start: string; add: number[]; want: string; count: number }> = {
  'add beyond the end': { start: '2,3,10-19,0-9', add: [30, 32], want: '0-19,30,32', count: 22 },
  'add fills a gap': { start: '1,3', add: [2], want: '1-3', count: 3 },
  'add existing': { start: '1-3', add: [2, 3], want: '1-3', count: 3 },
  'add before the start': { start: '5-6', add: [4, 0], want: '0,4-6', count: 4 },
  'add max rank': { start: '', add: [MAX_RANK], want: '4294967294', count: 1 },
};

for (const [name, tc] of Object.entries(addCases)) {
  test(`add ${name}`, () => {
    const rs = createRankSet(tc.start);
    rs.add(...tc.add);
    assert.equal(rs.toString(), tc.want);
    assert.equal(rs.count, tc.count);
    for (const r of tc.add) assert.ok(rs.has(r));
  });
}

const badRanks: Record<string, { rank: number; message: string }> = {
  'nil rank': { rank: NIL_RANK, message: 'invalid rank 4294967295 (nil rank)' },
  'negative': { rank: -1, message: 'invalid rank -1 (must be an integer 0..4294967294)' },
  'fraction': { rank: 1.5, message: 'invalid rank 1.5 (must be an integer 0..4294967294)' },
  'NaN': { rank: NaN, message: 'invalid rank NaN (must be an integer 0..4294967294)' },
};

for (const [name, tc] of Object.entries(badRanks)) {
  test(`add refuses ${name}`, () => {
    const rs = createRankSet('1');
    assert.throws(() => rs.add(2, tc.rank), { name: 'RankListError', message: tc.message });
    assert.equal(rs.toString(), '1', 'nothing added');
  });
}

test('addRange', () => {
  const rs = new RankSet();
  rs.addRange(10, 20);
  rs.addRange(0, 9);
  assert.equal(rs.toString(), '0-20');
  assert.throws(() => rs.addRange(5, 4), { name: 'RankListError', message: 'invalid rank range 5-4 (4 < 5)' });
});

test('has', () => {
  const rs = createRankSet('1-3,5-6,8,10');
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((r) => rs.has(r)),
    [1, 2, 3, 5, 6, 8, 10],
  );
});

test('ranks and iteration are ascending', () => {
  const rs = createRankSet('10,1-3,8');
  assert.deepEqual(rs.ranks(), [1, 2, 3, 8, 10]);
  assert.deepEqual([...rs], [1, 2, 3, 8, 10]);
});

const deleteCases: Record<string, { start: string; rank: number; present: boolean; want: string }> = {
  'middle of a span': { start: '0-10', rank: 5, present: true, want: '0-4,6-10' },
  'start of a span': { start: '0-10', rank: 0, present: true, want: '1-10' },
  'end of a span': { start: '0-10', rank: 10, present: true, want: '0-9' },
  'single rank': { start: '1,3', rank: 3, present: true, want: '1' },
  'absent': { start: '1,3', rank: 2, present: false, want: '1,3' },
};

for (const [name, tc] of Object.entries(deleteCases)) {
  test(`delete ${name}`, () => {
    const rs = createRankSet(tc.start);
    assert.equal(rs.delete(tc.rank), tc.present);
    assert.equal(rs.toString(), tc.want);
  });
}

test('merge and clone', () => {
  const a = createRankSet('0-3');
  const b = a.clone();
  b.merge(createRankSet('4,9'));
  assert.equal(a.toString(), '0-3');
  assert.equal(b.toString(), '0-4,9');
});

test('rankSetFromRanks', () => {
  assert.equal(rankSetFromRanks([3, 1, 2, 7]).toBracketString(), '[1-3,7]');
  assert.equal(rankSetFromRanks(new Set([4])).toBracketString(), '4');
  assert.throws(() => rankSetFromRanks([1, NIL_RANK]), RankListError);
});
