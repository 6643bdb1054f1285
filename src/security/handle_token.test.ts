import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signToken, verifyToken, TokenError } from './handle_token.js';

const key = crypto.randomBytes(32);
const t = { kind: 'cont' as const, pool: crypto.randomUUID(), poolHandle: crypto.randomUUID(), cont: crypto.randomUUID(), contHandle: crypto.randomUUID(), capas: 2, issuedMs: 1700000000000 };

test('a token verifies with the key and carries what was signed', () => {
  assert.deepEqual(verifyToken(key, signToken(key, t)), t);
  const p = { kind: 'pool' as const, pool: t.pool, poolHandle: t.poolHandle, capas: 1, issuedMs: 5 };
  assert.deepEqual(verifyToken(key, signToken(key, p)), p);
});

test('a tampered token, another key or garbage is refused', () => {
  const tok = signToken(key, t);
  for (let i = 0; i < tok.length; i += 7) {
    const bad = Buffer.from(tok);
    bad[i] ^= 0x01;
    assert.throws(() => verifyToken(key, bad), TokenError);
  }
  assert.throws(() => verifyToken(crypto.randomBytes(32), tok), /not issued by this system/);
  assert.throws(() => verifyToken(key, Buffer.alloc(10)), /too short/);
});
