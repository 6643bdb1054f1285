import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaosError, DER } from './errors.js';
import { Hlc, hlcFromNs, hlcLogical, hlcPhysical, hlcToDate, hlcToSeconds, hlcToString } from './hlc.js';

const TICK = 65536n;
/** 2020-01-01T00:00:00Z in ns; a multiple of 2^16, so a clean physical value. */
const P = 1_577_836_800_000_000_000n;

/** A clock the test sets by hand. */
function manual(start: bigint): { clock: () => bigint; set: (t: bigint) => void } {
  let t = start;
  return { clock: () => t, set: (v) => void (t = v) };
}

test('now() is the clock with the low 16 bits cleared', () => {
  const c = manual(P + TICK + 1234n);
  assert.equal(new Hlc({ clock: c.clock }).now(), P + TICK);
});

test('now() is strictly monotonic under a stalled clock, and when the clock goes back', () => {
  const c = manual(P + 10n);
  const h = new Hlc({ clock: c.clock });
  const seen = [h.now(), h.now(), h.now()];
  assert.deepEqual(seen, [P, P + 1n, P + 2n]);
  c.set(P - 5n * TICK);
  assert.equal(h.now(), P + 3n);
  c.set(P + 3n * TICK + 7n);
  assert.equal(h.now(), P + 3n * TICK, 'the clock moved past the last tick: physical time again');
  assert.equal(h.now(), P + 3n * TICK + 1n);
});

// §4.1 receive rules, each in its own case. `last` is the local HLC before, `clock` raw ns.
const mergeCases: Record<string, { last: bigint; clock: bigint; remote: bigint; want: bigint }> = {
  'remote ahead of local HLC, clock ahead of remote: the clock': { last: P, clock: P + 2n * TICK + 100n, remote: P + TICK + 5n, want: P + 2n * TICK },
  'remote ahead of local HLC and of the clock: remote + 1': { last: P, clock: P + TICK + 7n, remote: P + 2n * TICK + 5n, want: P + 2n * TICK + 6n },
  'remote not ahead, clock ahead of local HLC: the clock': { last: P + TICK + 3n, clock: P + 2n * TICK, remote: P + 9n, want: P + 2n * TICK },
  'same tick everywhere, remote counter higher: remote + 1': { last: P + TICK + 3n, clock: P + TICK + 50n, remote: P + TICK + 9n, want: P + TICK + 10n },
  'same tick everywhere, local counter higher: local + 1': { last: P + TICK + 12n, clock: P + TICK + 50n, remote: P + TICK + 9n, want: P + TICK + 13n },
  'local HLC ahead of clock, clock ahead of remote: local + 1': { last: P + 2n * TICK + 3n, clock: P + TICK + 1n, remote: P + 5n, want: P + 2n * TICK + 4n },
  'remote tick equals clock tick, local HLC ahead: max + 1': { last: P + 3n * TICK, clock: P + TICK, remote: P + TICK + 40n, want: P + 3n * TICK + 1n },
};
for (const [name, tc] of Object.entries(mergeCases)) {
  test(`merge: ${name}`, () => {
    const h = new Hlc({ clock: () => tc.clock, last: tc.last });
    const got = h.merge(tc.remote);
    assert.equal(got, tc.want);
    assert.equal(h.current, tc.want);
    assert.ok(got > tc.last && got > tc.remote, 'above both inputs');
  });
}

/** A raw clock value R such that R + lead is a multiple of 2^16, so a remote HLC can lead it by exactly `lead`. */
function clockLeadBy(lead: bigint): bigint {
  const r = P + 12345n * TICK;
  return r - ((r + lead) % TICK) + TICK;
}

const skewCases: Record<string, { lead: bigint; epsilonNs?: bigint | null; refused: boolean }> = {
  'exactly 1 s ahead is accepted': { lead: 1_000_000_000n, refused: false },
  '1 s + 1 ns ahead is refused': { lead: 1_000_000_001n, refused: true },
  'behind by an hour is accepted': { lead: -3_600_000_000_000n, refused: false },
  'a smaller epsilon refuses 2 ms': { lead: 2_000_000n, epsilonNs: 1_000_000n, refused: true },
  'no limit (v0.8) accepts a day': { lead: 86_400_000_000_000n, epsilonNs: null, refused: false },
};
for (const [name, tc] of Object.entries(skewCases)) {
  test(`skew: ${name}`, () => {
    const raw = clockLeadBy(tc.lead);
    const remote = raw + tc.lead;
    assert.equal(hlcPhysical(remote), remote, 'the remote HLC leads by exactly the given amount');
    const h = new Hlc({ clock: () => raw, ...(tc.epsilonNs !== undefined ? { epsilonNs: tc.epsilonNs } : {}) });
    const before = h.now();
    if (!tc.refused) {
      assert.ok(h.merge(remote) > before);
      return;
    }
    assert.throws(
      () => h.merge(remote),
      (e: unknown) => e instanceof DaosError && e.rc === -DER.HLC_SYNC && e.message.includes(`is ${tc.lead} ns`) && /synchronise/.test(e.hint ?? ''),
    );
    assert.equal(h.current, before, 'a refused merge changes nothing');
  });
}

test('skew message says by how much; the caller adds who', () => {
  const raw = clockLeadBy(1_000_000_001n);
  const h = new Hlc({ clock: () => raw });
  try {
    h.merge(raw + 1_000_000_001n);
    assert.fail('not refused');
  } catch (e) {
    assert.ok(e instanceof DaosError);
    assert.match(e.message, /is 1000000001 ns \(1\.000000001 s\) ahead of the local clock; at most 1000000000 ns is allowed/);
    const withWho = e.withContext('rank 3 (host7)');
    assert.match(withWho.toString(), /^-1037 \(DER_HLC_SYNC\): hlc synchronization error: rank 3 \(host7\): remote hlc/);
    assert.equal(withWho.cause, e);
  }
});

test('strictly monotonic over 5000 mixed events with a jittery clock', () => {
  let t = P;
  let x = 99;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 1000) - 300;
  const h = new Hlc({ clock: () => (t += BigInt(rnd() * 1000)) });
  let prev = 0n;
  for (let i = 0; i < 5000; i++) {
    const v = i % 3 === 0 ? h.merge(t + BigInt(rnd() * 10000)) : h.now();
    assert.ok(v > prev, `event ${i}: ${v} after ${prev}`);
    prev = v;
  }
});

test('helpers: physical, logical, date, seconds, string', () => {
  const h = P + 65_536_000n + 3n;
  assert.equal(hlcPhysical(h), P + 65_536_000n);
  assert.equal(hlcLogical(h), 3);
  assert.equal(hlcToDate(h).toISOString(), '2020-01-01T00:00:00.065Z');
  assert.equal(hlcToSeconds(h), 1577836800.065536);
  assert.equal(hlcToString(h), '2020-01-01T00:00:00.065536000Z #3');
  assert.equal(hlcToString(P), '2020-01-01T00:00:00.000000000Z #0');
  assert.equal(hlcFromNs(P + 70000n), P + TICK);
  assert.equal(new Hlc().physical(h), P + 65_536_000n);
});

test('the default clock is the wall clock', () => {
  const v = new Hlc().now();
  assert.ok(Math.abs(hlcToDate(v).getTime() - Date.now()) < 1000);
});
