/**
 * Pool and container handle tokens. The management service hands a client a
 * token when it connects to a pool or opens a container; the client shows it
 * to each I/O server, which checks the MAC with the key the MS gave it at
 * join and then trusts the capabilities it carries. So I/O servers verify
 * handles on their own, with no call to the MS on the I/O path.
 *
 *   u8 version (1) | u8 kind (1 pool, 2 container) | pool uuid | pool handle |
 *   container uuid | container handle | u32 capabilities | u64 issued (ms) |
 *   32-byte HMAC-SHA256 over everything before it
 */
import crypto from 'node:crypto';
import { Reader, Writer } from '../rpc/codec.js';

export const TOKEN_VERSION = 1;
const NIL = '00000000-0000-0000-0000-000000000000';
const MAC_LEN = 32;

/** Pool capabilities (the connect flags) and container capabilities (the open flags). */
export const Capa = { RO: 1, RW: 2, EX: 4 } as const;

export interface HandleToken {
  kind: 'pool' | 'cont';
  pool: string;
  poolHandle: string;
  cont?: string;
  contHandle?: string;
  capas: number;
  issuedMs: number;
}

export function signToken(key: Buffer, t: HandleToken): Buffer {
  const w = new Writer(128);
  w.u8(TOKEN_VERSION)
    .u8(t.kind === 'pool' ? 1 : 2)
    .uuid(t.pool)
    .uuid(t.poolHandle)
    .uuid(t.cont ?? NIL)
    .uuid(t.contHandle ?? NIL)
    .u32(t.capas)
    .n64(t.issuedMs);
  const body = w.finish();
  const mac = crypto.createHmac('sha256', key).update(body).digest();
  return Buffer.concat([body, mac]);
}

export class TokenError extends Error {
  readonly rc = -1002; // -DER_NO_HDL
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Check the MAC and decode; throws TokenError for anything not signed with key. */
export function verifyToken(key: Buffer, token: Buffer): HandleToken {
  if (token.length <= MAC_LEN) throw new TokenError('handle token too short');
  const body = token.subarray(0, token.length - MAC_LEN);
  const mac = token.subarray(token.length - MAC_LEN);
  const want = crypto.createHmac('sha256', key).update(body).digest();
  if (!crypto.timingSafeEqual(mac, want)) throw new TokenError('handle token not issued by this system\'s management service');
  const r = new Reader(body);
  const version = r.u8();
  if (version !== TOKEN_VERSION) throw new TokenError(`unsupported handle token version ${version}`);
  const kind = r.u8() === 1 ? 'pool' : 'cont';
  const pool = r.uuid();
  const poolHandle = r.uuid();
  const cont = r.uuid();
  const contHandle = r.uuid();
  const capas = r.u32();
  const issuedMs = r.n64();
  r.end();
  return kind === 'pool' ? { kind, pool, poolHandle, capas, issuedMs } : { kind, pool, poolHandle, cont, contHandle, capas, issuedMs };
}
