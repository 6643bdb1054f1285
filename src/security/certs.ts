/**
 * Loading and checking certificates and keys: every check that can fail gets
 * its own fault naming the file and the fix (the original's first pain point).
 *
 *  - files must be regular files; keys readable by their owner only (no group
 *    or other bits), certificates not writable by group or other;
 *  - one PEM certificate (or key) per file;
 *  - a certificate must be valid now, signed by the CA, and carry the common
 *    name of the role that uses it (admin, agent, server);
 *  - the key must match the certificate.
 * Certificates expiring within 30 days produce a warning, not an error.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { securityFaults } from './faults.js';

export type Role = 'admin' | 'agent' | 'server';
export const ROLES: readonly Role[] = ['admin', 'agent', 'server'];

/** Warn this long before a certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;

export interface LoadedCert {
  file: string;
  pem: Buffer;
  x509: crypto.X509Certificate;
  commonName: string;
}

export interface LoadedIdentity {
  ca: LoadedCert;
  cert: LoadedCert;
  keyPem: Buffer;
  key: crypto.KeyObject;
  /** Warnings for the operator (e.g. expiring certificates). */
  warnings: string[];
}

function statFile(what: string, file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw securityFaults.unreadable(what, file, describeErrno(e));
  }
  if (!st.isFile()) throw securityFaults.notRegular(what, file);
  return st;
}

function readFile(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw securityFaults.unreadable(what, file, describeErrno(e));
  }
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied (check the owner and mode of the file and its directories)';
  return code ?? String(e);
}

function mode(st: fs.Stats): string {
  return '0' + (st.mode & 0o777).toString(8);
}

export function commonNameOf(x: crypto.X509Certificate): string {
  for (const part of x.subject.split('\n')) {
    const m = /^CN=(.*)$/.exec(part.trim());
    if (m) return m[1];
  }
  return '';
}

function countPem(text: string, kind: RegExp): number {
  return [...text.matchAll(kind)].length;
}

/**
 * Read one certificate: a regular file holding exactly one PEM certificate.
 * No mode or validity checks (loadCertificate adds them); daos_certgen show
 * reads with this so it can display what is wrong.
 */
export function readCertificate(what: string, file: string): LoadedCert & { mode: number } {
  const st = statFile(what, file);
  const pem = readFile(what, file);
  const n = countPem(pem.toString('latin1'), /-----BEGIN CERTIFICATE-----/g);
  if (n !== 1) throw securityFaults.badPem(what, file, n === 0 ? 'no PEM certificate found' : `${n} certificates in one file; only one is allowed`);
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(pem);
  } catch (e) {
    throw securityFaults.badPem(what, file, (e as Error).message);
  }
  return { file, pem, x509, commonName: commonNameOf(x509), mode: st.mode };
}

/** Load one certificate and check its file, format and validity period. */
export function loadCertificate(what: string, file: string, now = new Date()): LoadedCert {
  const st = statFile(what, file);
  if (st.mode & 0o022) throw securityFaults.certPermissions(what, file, mode(st));
  const { mode: _mode, ...c } = readCertificate(what, file);
  const x509 = c.x509;
  if (new Date(x509.validFrom) > now) throw securityFaults.notYetValid(what, file, new Date(x509.validFrom).toISOString());
  if (new Date(x509.validTo) < now) throw securityFaults.expired(what, file, new Date(x509.validTo).toISOString());
  return c;
}

export interface CertProblem {
  description: string;
  resolution: string;
}

/**
 * Everything wrong with a certificate that the programs would refuse or warn
 * about: insecure mode, not valid yet, expired, expiring within
 * EXPIRY_WARNING_DAYS, not signed by `ca` (when given). Each one as the fault
 * (or warning) the programs print, so daos_certgen show and a refused start
 * read the same.
 */
export function certificateProblems(c: LoadedCert & { mode?: number }, opts: { what?: string; ca?: LoadedCert; now?: Date } = {}): CertProblem[] {
  const what = opts.what ?? 'certificate';
  const now = opts.now ?? new Date();
  const out: CertProblem[] = [];
  const x = c.x509;
  if (c.mode !== undefined && c.mode & 0o022) out.push(securityFaults.certPermissions(what, c.file, '0' + (c.mode & 0o777).toString(8)));
  if (new Date(x.validFrom) > now) out.push(securityFaults.notYetValid(what, c.file, new Date(x.validFrom).toISOString()));
  if (new Date(x.validTo) < now) out.push(securityFaults.expired(what, c.file, new Date(x.validTo).toISOString()));
  else {
    const soon = expiresSoon(c, now);
    if (soon) out.push({ description: soon, resolution: `issue a new one with daos_certgen renew ${c.commonName || '<role>'} and install it before then` });
  }
  if (opts.ca && !signedBy(c, opts.ca)) out.push(securityFaults.notSignedByCA(c.file, opts.ca.file));
  return out.map((p) => ({ description: p.description, resolution: p.resolution }));
}

/** Load a private key, refusing one that group or other may read. */
export function loadKey(file: string): { pem: Buffer; key: crypto.KeyObject } {
  const st = statFile('private key', file);
  if (st.mode & 0o077) throw securityFaults.keyPermissions(file, mode(st));
  const pem = readFile('private key', file);
  const n = countPem(pem.toString('latin1'), /-----BEGIN [A-Z ]*PRIVATE KEY-----/g);
  if (n !== 1) throw securityFaults.badPem('private key', file, n === 0 ? 'no PEM private key found' : `${n} keys in one file; only one is allowed`);
  try {
    return { pem, key: crypto.createPrivateKey(pem) };
  } catch (e) {
    throw securityFaults.badPem('private key', file, (e as Error).message);
  }
}

export function daysLeft(x: crypto.X509Certificate, now = new Date()): number {
  return Math.floor((new Date(x.validTo).getTime() - now.getTime()) / 86_400_000);
}

/** `certificate <file> (<cn>) expires in <n> day(s), on <date>` when it expires within EXPIRY_WARNING_DAYS. */
function expiresSoon(c: LoadedCert, now: Date): string | undefined {
  const d = daysLeft(c.x509, now);
  if (d < EXPIRY_WARNING_DAYS) return `certificate ${c.file} (${c.commonName}) expires in ${d} day(s), on ${new Date(c.x509.validTo).toISOString()}`;
  return undefined;
}

function expiryWarning(c: LoadedCert, now: Date): string | undefined {
  const soon = expiresSoon(c, now);
  return soon && `${soon}; issue a new one with daos_certgen before then`;
}

/** Whether cert was issued and signed by ca. */
export function signedBy(cert: LoadedCert, ca: LoadedCert): boolean {
  return cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.x509.publicKey);
}

/** Check that cert was issued and signed by ca. */
export function checkSignedBy(cert: LoadedCert, ca: LoadedCert): void {
  if (!signedBy(cert, ca)) throw securityFaults.notSignedByCA(cert.file, ca.file);
}

/**
 * Load the CA, this component's certificate and key, and check them all:
 * the certificate of `role`, signed by the CA, matching the key.
 */
export function loadIdentity(t: { caCert: string; cert: string; key: string }, role: Role, now = new Date()): LoadedIdentity {
  const ca = loadCertificate('CA certificate', t.caCert, now);
  if (!ca.x509.ca) throw securityFaults.notCA(t.caCert);
  const cert = loadCertificate('certificate', t.cert, now);
  if (cert.commonName !== role) throw securityFaults.wrongRole(t.cert, cert.commonName, role);
  checkSignedBy(cert, ca);
  const { pem: keyPem, key } = loadKey(t.key);
  if (!cert.x509.checkPrivateKey(key)) throw securityFaults.keyMismatch(t.key, t.cert);
  const warnings = [expiryWarning(ca, now), expiryWarning(cert, now)].filter((w): w is string => !!w);
  return { ca, cert, keyPem, key, warnings };
}

/**
 * The agent certificates servers trust for credentials: `<dir>/<origin>.crt`
 * (the original's layout; the origin of our agents' credentials is "agent").
 */
export function loadClientCert(dir: string, origin: string, ca: LoadedCert, now = new Date()): LoadedCert {
  if (!/^[A-Za-z0-9_.-]+$/.test(origin)) throw securityFaults.badOrigin(origin);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw securityFaults.unreadable('client certificate directory', dir, describeErrno(e));
  }
  if (!st.isDirectory()) throw securityFaults.notRegular('client certificate directory', dir);
  if (st.mode & 0o002) throw securityFaults.certPermissions('client certificate directory', dir, mode(st));
  const cert = loadCertificate('agent certificate', path.join(dir, `${origin}.crt`), now);
  checkSignedBy(cert, ca);
  if (cert.commonName !== 'agent') throw securityFaults.wrongRole(cert.file, cert.commonName, 'agent');
  return cert;
}
