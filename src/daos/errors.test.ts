import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { allDerCodes, DaosError, DER, der2errno, der2errnoName, derHint, derMessage, derName, isDaosError, isNetworkError, isRetryable } from './errors.js';

test('the v0.8 sets are complete: GURT 1001–1036, DAOS 2001–2024, plus the later codes we raise', () => {
  const codes = allDerCodes();
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  assert.deepEqual(codes, [0, ...range(1001, 1037), ...range(2001, 2026), 2034, 501000]);
});

// data-plane §9.1 / §9.2 names, a sample from each part of both tables.
const names: Record<number, string> = {
  1001: 'DER_NO_PERM', 1003: 'DER_INVAL', 1005: 'DER_NONEXIST', 1007: 'DER_NOSPACE', 1016: 'DER_TRUNC', 1024: 'DER_IVCB_FORWARD',
  1029: 'DER_NO_RAS_RANK', 1036: 'DER_GRPVER', 1037: 'DER_HLC_SYNC', 2001: 'DER_IO', 2007: 'DER_STALE', 2012: 'DER_KEY2BIG',
  2018: 'DER_INPROGRESS', 2024: 'DER_REC_SIZE', 2025: 'DER_TX_RESTART', 2026: 'DER_DATA_LOSS', 2034: 'DER_AGENT_COMM', 0: 'DER_SUCCESS',
};
for (const [code, name] of Object.entries(names)) {
  test(`derName ${code} = ${name}, negative or positive`, () => {
    assert.equal(derName(Number(code)), name);
    assert.equal(derName(-Number(code)), name);
  });
}

test('an unknown code is DER_UNKNOWN, as d_errstr', () => {
  assert.equal(derName(-1999), 'DER_UNKNOWN');
  assert.equal(derMessage(-1999), 'unknown error code -1999');
  assert.equal(derHint(-1999), undefined);
});

test('every code has a short lowercase message; the common ones have a hint that says what to do', () => {
  for (const c of allDerCodes()) {
    const m = derMessage(c);
    assert.ok(m.length > 0 && m === m.toLowerCase(), `${derName(c)}: ${JSON.stringify(m)}`);
    const h = derHint(c);
    if (h !== undefined) assert.ok(h.length > 10, `${derName(c)}: hint ${JSON.stringify(h)}`);
  }
  for (const c of [DER.NO_PERM, DER.NOSPACE, DER.STALE, DER.NONEXIST, DER.INVAL, DER.TIMEDOUT, DER.HLC_SYNC, DER.UNREACH, DER.BUSY, DER.EXIST, DER.IO, DER.CSUM, DER.DATA_LOSS]) {
    assert.ok(derHint(c), `${derName(c)} has no hint`);
  }
  assert.match(derHint(DER.NO_PERM)!, /dmg pool get-acl/);
  assert.match(derHint(DER.NOSPACE)!, /dmg pool query shows free space per target/);
  assert.match(derHint(DER.STALE)!, /retried automatically/);
  const hinted = allDerCodes().filter((c) => derHint(c)).length;
  assert.ok(hinted >= 50, `${hinted} codes have hints`);
});

test('DaosError: negative rc, name, detail, toString', () => {
  const e = new DaosError(1001, 'pool 5a1b: user bob@ may not connect read-write');
  assert.equal(e.rc, -1001);
  assert.equal(e.name, 'DER_NO_PERM');
  assert.equal(e.detail, 'pool 5a1b: user bob@ may not connect read-write');
  assert.equal(e.message, 'operation not permitted: pool 5a1b: user bob@ may not connect read-write');
  assert.equal(e.toString(), '-1001 (DER_NO_PERM): operation not permitted: pool 5a1b: user bob@ may not connect read-write');
  assert.match(e.hint!, /ACL/);
  assert.ok(e instanceof Error);
  assert.equal(new DaosError(-DER.BUSY).toString(), '-1012 (DER_BUSY): device or resource busy');
  assert.equal(new DaosError(-DER.IO, 'x', { hint: 'look at rank 3' }).hint, 'look at rank 3');
});

test('DaosError keeps its cause, adds context, and survives JSON', () => {
  const cause = new Error('socket closed');
  const e = new DaosError(-DER.HG, 'rank 2', { cause });
  assert.equal(e.cause, cause);
  const w = e.withContext('pool 5a1b');
  assert.equal(w.toString(), '-1020 (DER_HG): transport layer error: pool 5a1b: rank 2');
  assert.equal(w.cause, e);
  const back = DaosError.fromJSON(JSON.parse(JSON.stringify(w)));
  assert.ok(back);
  assert.equal(back.toString(), w.toString());
  assert.equal(back.hint, w.hint);
  for (const junk of [null, 1, {}, { rc: 'x' }, { rc: 0 }, { rc: 1.5 }]) assert.equal(DaosError.fromJSON(junk), undefined);
  assert.ok(isDaosError(w, DER.HG));
  assert.ok(isDaosError(w, -DER.HG));
  assert.ok(!isDaosError(w, DER.IO));
  assert.ok(!isDaosError(cause));
});

// §3.5 / §9: network-class errors plus TIMEDOUT, STALE, INPROGRESS, GRPVER.
const retry: Record<string, { rc: number; network: boolean; retry: boolean }> = {
  HG: { rc: -DER.HG, network: true, retry: true },
  ADDRSTR_GEN: { rc: -DER.ADDRSTR_GEN, network: true, retry: true },
  PMIX: { rc: -DER.PMIX, network: true, retry: true },
  UNREG: { rc: -DER.UNREG, network: true, retry: true },
  UNREACH: { rc: -DER.UNREACH, network: true, retry: true },
  CANCELED: { rc: -DER.CANCELED, network: true, retry: true },
  NOREPLY: { rc: -DER.NOREPLY, network: true, retry: true },
  TIMEDOUT: { rc: -DER.TIMEDOUT, network: false, retry: true },
  STALE: { rc: -DER.STALE, network: false, retry: true },
  INPROGRESS: { rc: -DER.INPROGRESS, network: false, retry: true },
  GRPVER: { rc: -DER.GRPVER, network: false, retry: true },
  'positive STALE': { rc: DER.STALE, network: false, retry: true },
  NO_PERM: { rc: -DER.NO_PERM, network: false, retry: false },
  NOSPACE: { rc: -DER.NOSPACE, network: false, retry: false },
  AGAIN: { rc: -DER.AGAIN, network: false, retry: false },
  SUCCESS: { rc: 0, network: false, retry: false },
};
for (const [name, tc] of Object.entries(retry)) {
  test(`isRetryable ${name}`, () => {
    assert.equal(isRetryable(tc.rc), tc.retry);
    assert.equal(isNetworkError(tc.rc), tc.network);
  });
}

// daos_der2errno, every mapped code plus the EIO default.
const errnos: Record<string, string> = {
  NO_PERM: 'EPERM', EP_RO: 'EPERM', EP_OLD: 'EPERM', ENOENT: 'ENOENT', NONEXIST: 'ENOENT', INVAL: 'EINVAL', NOTYPE: 'EINVAL',
  NOSCHEMA: 'EINVAL', NOLOCAL: 'EINVAL', NO_HDL: 'EINVAL', IO_INVAL: 'EINVAL', KEY2BIG: 'E2BIG', REC2BIG: 'E2BIG', EXIST: 'EEXIST',
  UNREACH: 'EHOSTUNREACH', NOSPACE: 'ENOSPC', ALREADY: 'EALREADY', NOMEM: 'ENOMEM', TIMEDOUT: 'ETIMEDOUT', BUSY: 'EBUSY',
  EQ_BUSY: 'EBUSY', AGAIN: 'EAGAIN', PROTO: 'EPROTO', IO: 'EIO', CANCELED: 'ECANCELED', OVERFLOW: 'EOVERFLOW', BADPATH: 'ENOTDIR',
  NOTDIR: 'ENOTDIR', STALE: 'ESTALE', MISC: 'EIO', CSUM: 'EIO', HLC_SYNC: 'EIO',
};
for (const [der, errno] of Object.entries(errnos)) {
  test(`der2errno DER_${der} → ${errno}`, () => {
    const rc = -DER[der as keyof typeof DER];
    assert.equal(der2errnoName(rc), errno);
    assert.equal(der2errno(rc), constants.errno[errno as keyof typeof constants.errno]);
    assert.ok(der2errno(rc) > 0);
  });
}

test('der2errno of success is 0; of an unknown code EIO', () => {
  assert.equal(der2errno(0), 0);
  assert.equal(der2errnoName(-4242), 'EIO');
});

test('an error reply wrapped with its context names the DER message once: the node and the skew of an HLC refusal', async () => {
  const { Hlc } = await import('./hlc.js');
  // The I/O server refuses a message 5 s ahead; its reply carries its error's message.
  const raw = BigInt(Date.now()) * 1_000_000n;
  const server = new Hlc({ clock: () => raw });
  let reply = '';
  try {
    server.merge(raw + 5_000_000_000n);
  } catch (e) {
    reply = (e as Error).message;
  }
  assert.match(reply, /^hlc synchronization error: remote hlc/);
  // The client names the node it talked to, as a reply error does.
  const e = new DaosError(-DER.HLC_SYNC, `registering the container handle on ofi+sockets://127.0.0.1:31416: ${reply}`);
  assert.match(
    e.toString(),
    /^-1037 \(DER_HLC_SYNC\): hlc synchronization error: registering the container handle on ofi\+sockets:\/\/127\.0\.0\.1:31416: remote hlc \S+ #\d+ is \d+ ns \(\d+(\.\d+)? s\) ahead of the local clock; at most 1000000000 ns is allowed$/,
  );
  assert.equal(e.toString().split('hlc synchronization error').length - 1, 1, e.toString());
  assert.equal(e.withContext('rank 2').toString().split('hlc synchronization error').length - 1, 1, 'context added later reads once too');
  const cases: Record<string, [string | undefined, string]> = {
    'plain detail kept': ['rank 3: remote hlc x', 'hlc synchronization error: rank 3: remote hlc x'],
    'detail that is only the message': ['hlc synchronization error', 'hlc synchronization error'],
    'context, then only the message': ['rank 3: hlc synchronization error', 'hlc synchronization error: rank 3'],
    'the message repeated in front': ['hlc synchronization error: hlc synchronization error: x', 'hlc synchronization error: x'],
    'no detail': [undefined, 'hlc synchronization error'],
  };
  for (const [name, [detail, want]] of Object.entries(cases)) assert.equal(new DaosError(-DER.HLC_SYNC, detail).message, want, name);
});
