import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signToken, Capa } from '../security/handle_token.js';
import { DaosError, DER } from '../daos/errors.js';
import { HandleCache, splitBulk } from './obj.js';
import { IodType } from '../rpc/protocol.js';

const pool = crypto.randomUUID();
const cont = crypto.randomUUID();

function token(key: Buffer, handle: string, capas: number = Capa.RW, issuedMs = Date.now()): Buffer {
  return signToken(key, { kind: 'cont', pool, poolHandle: crypto.randomUUID(), cont, contHandle: handle, capas, issuedMs });
}

test('container handles: registered with a token of this system, checked per request, refused once revoked', () => {
  const key = crypto.randomBytes(32);
  const hc = new HandleCache();
  const h = crypto.randomUUID();
  assert.throws(() => hc.register(token(key, h)), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL && /not joined/.test(e.message));
  hc.key = key;
  hc.register(token(key, h));
  assert.equal(hc.check(h, pool, cont, true).contHandle, h);
  assert.throws(() => hc.check(h, pool, crypto.randomUUID(), false), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL);
  // A token from another system's key is refused.
  assert.throws(() => hc.register(token(crypto.randomBytes(32), crypto.randomUUID())), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL);
  // Read-only handles cannot write.
  const ro = crypto.randomUUID();
  hc.register(token(key, ro, Capa.RO));
  assert.throws(() => hc.check(ro, pool, cont, true), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_PERM);
  // Closed: forgotten, and its token cannot be registered again.
  hc.revoke([h]);
  assert.throws(() => hc.check(h, pool, cont, false), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL);
  assert.throws(() => hc.register(token(key, h)), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL && /was closed/.test(e.message));
});

test('after a restart, a handle closed while the I/O server was down is refused; open and newer ones are not', () => {
  const key = crypto.randomBytes(32);
  const hc = new HandleCache(); // a fresh I/O server: no revocation in memory
  hc.key = key;
  const joinedAt = 1_000_000;
  const stillOpen = crypto.randomUUID();
  const closedMeanwhile = crypto.randomUUID();
  const openedLater = crypto.randomUUID();
  hc.setOpenAt([stillOpen], joinedAt);
  assert.equal(hc.register(token(key, stillOpen, Capa.RW, joinedAt - 5000)).contHandle, stillOpen);
  assert.throws(() => hc.register(token(key, closedMeanwhile, Capa.RW, joinedAt - 5000)), (e: unknown) => e instanceof DaosError && e.rc === -DER.NO_HDL && /was closed/.test(e.message));
  assert.equal(hc.register(token(key, openedLater, Capa.RW, joinedAt + 10)).contHandle, openedLater);
  // and a later close is still a revocation
  hc.revoke([openedLater]);
  assert.throws(() => hc.register(token(key, openedLater, Capa.RW, joinedAt + 10)), (e: unknown) => e instanceof DaosError && /was closed/.test(e.message));
});

test('request bulk is split per iod without copies, and a length mismatch is refused', () => {
  const bulk = Buffer.from('aaaabbbbbbbb');
  const iods = [
    { akey: Buffer.from('a'), type: IodType.SINGLE, size: 4, recxs: [] },
    { akey: Buffer.from('b'), type: IodType.ARRAY, size: 2, recxs: [{ idx: 0n, nr: 4n }] },
  ];
  const parts = splitBulk(iods, bulk);
  assert.deepEqual(parts.map(String), ['aaaa', 'bbbbbbbb']);
  assert.equal(parts[1].buffer, bulk.buffer);
  assert.throws(() => splitBulk(iods, bulk.subarray(0, 10)), (e: unknown) => e instanceof DaosError && e.rc === -DER.IO_INVAL);
  assert.throws(() => splitBulk(iods, Buffer.concat([bulk, Buffer.from('x')])), (e: unknown) => e instanceof DaosError && e.rc === -DER.IO_INVAL);
});
