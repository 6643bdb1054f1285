/**
 * Creating the DAOS certificate authority and the certificates of the three
 * roles, with @peculiar/x509 on Node's WebCrypto.
 *
 * Layout (the original's): <dir>/private/daosCA.key, <dir>/certs/daosCA.crt,
 * <dir>/certs/{admin,agent,server}.{crt,key}. Keys are ECDSA P-256 by default,
 * or RSA 4096 (what the original's certificate script made) when the CA is
 * created with keyType 'rsa'; role keys take the type of the CA's key. The
 * original v0.8 dmg and daos_agent accept both (test/v08_compat.test.ts).
 * Keys PKCS#8, mode 0400; certificates 0644; directories 0700.
 *
 * Roles and uses:
 *   admin   dmg                     clientAuth
 *   agent   daos_agent              clientAuth; also signs client credentials
 *   server  daos_server             serverAuth and clientAuth (servers call each other)
 *
 * NB: nothing here ever overwrites a key or certificate: a renewal moves the
 * old files aside with a timestamp suffix first.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Role } from './certs.js';

type CryptoKey = crypto.webcrypto.CryptoKey;
type CryptoKeyPair = crypto.webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyType = 'ecdsa' | 'rsa';
export const KEY_TYPES: readonly KeyType[] = ['ecdsa', 'rsa'];

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]) } as const;
const algOf = (t: KeyType) => (t === 'rsa' ? RSA : ECDSA);

/** The type of a PEM private key, as this tool names it. */
export function keyTypeOf(pem: string): KeyType {
  const t = crypto.createPrivateKey(pem).asymmetricKeyType;
  if (t === 'rsa') return 'rsa';
  if (t === 'ec') return 'ecdsa';
  throw new Error(`unsupported key type ${t}: the CA key must be ECDSA or RSA`);
}

export const CA_NAME = 'daosCA';
export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_CERT_DAYS = 1095;

export interface CaPaths {
  dir: string;
  key: string;
  cert: string;
}

export function caPaths(dir: string): CaPaths {
  return { dir, key: path.join(dir, 'private', `${CA_NAME}.key`), cert: path.join(dir, 'certs', `${CA_NAME}.crt`) };
}

export function rolePaths(dir: string, role: string): { cert: string; key: string } {
  return { cert: path.join(dir, 'certs', `${role}.crt`), key: path.join(dir, 'certs', `${role}.key`) };
}

function serial(): string {
  const b = crypto.randomBytes(16);
  b[0] &= 0x7f; // positive
  return b.toString('hex');
}

async function exportKeyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string, type: KeyType): Promise<CryptoKey> {
  const der = crypto.createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return crypto.webcrypto.subtle.importKey('pkcs8', der, algOf(type), true, ['sign']);
}

/** Write a file that must not exist yet, with its final mode from the start. */
function writeNew(file: string, data: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, mode);
}

/** Move an existing file aside (`<file>.<timestamp>`); returns the new name. */
export function archive(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const to = `${file}.${stamp}`;
  fs.renameSync(file, to);
  return to;
}

export interface CaResult {
  created: boolean;
  paths: CaPaths;
}

/** Create the CA unless it exists; an existing one is kept and reported. */
export async function ensureCA(dir: string, opts: { days?: number; now?: Date; keyType?: KeyType } = {}): Promise<CaResult> {
  const p = caPaths(dir);
  const haveKey = fs.existsSync(p.key);
  const haveCert = fs.existsSync(p.cert);
  if (haveKey && haveCert) return { created: false, paths: p };
  if (haveKey !== haveCert) {
    throw new Error(`${haveKey ? p.key : p.cert} exists without its ${haveKey ? 'certificate' : 'key'}; refusing to create a new CA over a broken one (move ${dir} aside to start over)`);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const now = opts.now ?? new Date();
  const alg = algOf(opts.keyType ?? 'ecdsa');
  const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'O=DAOS, CN=DAOS CA',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.days ?? DEFAULT_CA_DAYS) * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeNew(p.key, await exportKeyPem(keys.privateKey), 0o400);
  writeNew(p.cert, cert.toString('pem') + '\n', 0o644);
  return { created: true, paths: p };
}

const EKU: Record<Role, string[]> = {
  admin: [x509.ExtendedKeyUsage.clientAuth],
  agent: [x509.ExtendedKeyUsage.clientAuth],
  server: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
};

export interface IssueResult {
  role: Role;
  created: boolean;
  cert: string;
  key: string;
  archived: string[];
}

/**
 * Issue the certificate of a role, signed by the CA in dir. An existing one
 * is kept unless renew is set, in which case it is archived first.
 */
export async function issue(dir: string, role: Role, opts: { days?: number; renew?: boolean; now?: Date } = {}): Promise<IssueResult> {
  const ca = caPaths(dir);
  const rp = rolePaths(dir, role);
  const exists = fs.existsSync(rp.cert) || fs.existsSync(rp.key);
  if (exists && !opts.renew) return { role, created: false, ...rp, archived: [] };
  const now = opts.now ?? new Date();
  const caCert = new x509.X509Certificate(fs.readFileSync(ca.cert, 'utf8'));
  const caPem = fs.readFileSync(ca.key, 'utf8');
  const type = keyTypeOf(caPem);
  const alg = algOf(type);
  const caKey = await importKeyPem(caPem, type);
  const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const notAfter = new Date(Math.min(now.getTime() + (opts.days ?? DEFAULT_CERT_DAYS) * 86_400_000, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `O=DAOS, CN=${role}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(EKU[role], false),
      // The clients check the servers' certificates against the name "server", not the host.
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: role }], false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  const archived: string[] = [];
  for (const f of [rp.cert, rp.key]) if (fs.existsSync(f)) archived.push(archive(f, now));
  writeNew(rp.key, await exportKeyPem(keys.privateKey), 0o400);
  writeNew(rp.cert, cert.toString('pem') + '\n', 0o644);
  return { role, created: true, ...rp, archived };
}

/** Where each file goes, for the operator. */
export function installInstructions(dir: string, target = '/etc/daos/certs'): string {
  const c = (f: string) => path.join(dir, 'certs', f);
  return [
    `Copy the files to the nodes (or run "daos_certgen install <role> --from ${dir}" on each node):`,
    '',
    `  storage nodes (daos_server):  ${c('daosCA.crt')} ${c('server.crt')} ${c('server.key')}  ->  ${target}/`,
    `                                ${c('agent.crt')}  ->  ${target}/clients/agent.crt`,
    `  compute nodes (daos_agent):   ${c('daosCA.crt')} ${c('agent.crt')} ${c('agent.key')}  ->  ${target}/`,
    `  admin nodes (dmg):            ${c('daosCA.crt')} ${c('admin.crt')} ${c('admin.key')}  ->  ${target}/`,
    '',
    `Keys must stay readable by their owner only (mode 0400), certificates 0644, ${target} 0755.`,
    `Keep ${path.join(dir, 'private', 'daosCA.key')} off the cluster: it signs new certificates.`,
  ].join('\n');
}

/** Copy the files a role needs into target (e.g. /etc/daos/certs) with the right modes and owner. */
export function install(from: string, role: Role, target: string, owner?: { uid: number; gid: number }): string[] {
  const files: [string, string, number][] = [
    [caPaths(from).cert, path.join(target, 'daosCA.crt'), 0o644],
    [rolePaths(from, role).cert, path.join(target, `${role}.crt`), 0o644],
    [rolePaths(from, role).key, path.join(target, `${role}.key`), 0o400],
  ];
  if (role === 'server') files.push([rolePaths(from, 'agent').cert, path.join(target, 'clients', 'agent.crt'), 0o644]);
  for (const [src] of files) {
    if (!fs.existsSync(src)) throw new Error(`${src} does not exist; create the certificates first with daos_certgen create --dir ${from}`);
  }
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  if (role === 'server') fs.mkdirSync(path.join(target, 'clients'), { recursive: true, mode: 0o755 });
  const out: string[] = [];
  for (const [src, dst, mode] of files) {
    if (fs.existsSync(dst)) {
      const same = fs.readFileSync(dst).equals(fs.readFileSync(src));
      if (same) {
        fs.chmodSync(dst, mode);
        if (owner) fs.chownSync(dst, owner.uid, owner.gid);
        out.push(`${dst} (unchanged)`);
        continue;
      }
      const old = archive(dst);
      out.push(`${dst} (previous one kept as ${old})`);
    } else out.push(dst);
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, mode);
    if (owner) fs.chownSync(dst, owner.uid, owner.gid);
  }
  return out;
}

/** The key usages of a certificate (digitalSignature, keyCertSign, ...), in the extension's bit order; [] without the extension. */
export function keyUsages(pem: string | Buffer): string[] {
  const ext = new x509.X509Certificate(pem.toString()).getExtension(x509.KeyUsagesExtension);
  if (!ext) return [];
  const names: string[] = [];
  for (const [name, bit] of Object.entries(x509.KeyUsageFlags)) {
    if (typeof bit === 'number' && ext.usages & bit) names.push(name);
  }
  return names;
}
