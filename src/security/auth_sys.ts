/**
 * AUTH_SYS credentials: who a client process is (user, group, groups, host),
 * as daos_agent vouches for it.
 *
 * The agent builds an auth.Sys from the kernel's view of the socket peer,
 * wraps it in a Token and signs the marshalled token with its private key
 * (secure mode) or, in insecure mode, puts the SHA-512 digest of the token in
 * the verifier, as the original does. Servers verify with the agent
 * certificate from client_cert_dir (secure) or by recomputing the digest.
 *
 * NB: the signature covers the exact token bytes sent, so a tampered field
 * fails verification; protobuf-es marshals fields in number order, so the
 * bytes are deterministic.
 */
import crypto from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CredentialSchema, Flavor, SysSchema, TokenSchema } from '../proto/auth/auth_pb.js';
import type { Credential, Sys } from '../proto/auth/auth_pb.js';
import { securityFaults } from './faults.js';

export const CREDENTIAL_ORIGIN = 'agent';

export interface SysIdentity {
  user: string;
  group: string;
  groups: string[];
  machine: string;
  secctx?: string;
}

/** `name@` as the original formats principals. */
export function principal(name: string): string {
  return name.endsWith('@') ? name : `${name}@`;
}

/** Sign with the agent's key, or (insecure) null for the digest verifier. */
export type Signer = crypto.KeyObject | null;

function sign(tokenBytes: Uint8Array, key: Signer): Uint8Array {
  if (!key) return crypto.createHash('sha512').update(tokenBytes).digest();
  return crypto.sign('sha512', tokenBytes, key);
}

export function buildCredential(id: SysIdentity, key: Signer): Credential {
  const sys = create(SysSchema, {
    stamp: 0n,
    machinename: id.machine || 'unavailable',
    user: principal(id.user),
    group: principal(id.group),
    groups: id.groups.map(principal),
    secctx: id.secctx ?? '',
  });
  const token = create(TokenSchema, { flavor: Flavor.AUTH_SYS, data: toBinary(SysSchema, sys) });
  const sig = sign(toBinary(TokenSchema, token), key);
  return create(CredentialSchema, {
    token,
    verifier: create(TokenSchema, { flavor: Flavor.AUTH_SYS, data: sig }),
    origin: CREDENTIAL_ORIGIN,
  });
}

/**
 * Verify a credential: with the agent certificate's public key (secure), or
 * the digest (insecure, `publicKey` null). Returns the identity it carries.
 */
export function verifyCredential(cred: Credential, publicKey: crypto.KeyObject | null): Sys {
  if (!cred.token || !cred.verifier) throw securityFaults.badCredential('the credential has no token or no verifier');
  if (cred.token.flavor !== Flavor.AUTH_SYS) throw securityFaults.badCredential(`unsupported flavor ${cred.token.flavor}`);
  const tokenBytes = toBinary(TokenSchema, cred.token);
  const sig = cred.verifier.data;
  let ok: boolean;
  if (publicKey) {
    try {
      ok = crypto.verify('sha512', tokenBytes, publicKey, sig);
    } catch {
      ok = false;
    }
  } else {
    const want = crypto.createHash('sha512').update(tokenBytes).digest();
    ok = sig.length === want.length && crypto.timingSafeEqual(Buffer.from(sig), want);
  }
  if (!ok) throw securityFaults.badCredential(`verifier does not match the token (signature of origin ${JSON.stringify(cred.origin)})`);
  try {
    return fromBinary(SysSchema, cred.token.data);
  } catch {
    throw securityFaults.badCredential('the token does not hold an AUTH_SYS identity');
  }
}

export function marshalCredential(c: Credential): Uint8Array {
  return toBinary(CredentialSchema, c);
}

export function unmarshalCredential(b: Uint8Array): Credential {
  return fromBinary(CredentialSchema, b);
}
