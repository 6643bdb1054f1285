/**
 * Certificate generation and every check of certs.ts, each with its fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureCA, install, issue, caPaths, rolePaths, keyTypeOf } from './certgen.js';
import { loadIdentity, loadClientCert, loadCertificate } from './certs.js';
import { Fault } from '../fault/fault.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'certs-'));
const mode = (f: string) => fs.statSync(f).mode & 0o777;

async function pki(): Promise<string> {
  const dir = tmp();
  await ensureCA(dir);
  for (const r of ['admin', 'agent', 'server'] as const) await issue(dir, r);
  return dir;
}

test('create: CA and role certificates with the right names, uses and modes; never overwritten', async () => {
  const dir = await pki();
  const ca = caPaths(dir);
  assert.equal(mode(ca.key), 0o400);
  assert.equal(mode(ca.cert), 0o644);
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(path.dirname(ca.key)), 0o700);
  for (const r of ['admin', 'agent', 'server'] as const) {
    const p = rolePaths(dir, r);
    assert.equal(mode(p.key), 0o400);
    assert.equal(mode(p.cert), 0o644);
    const id = loadIdentity({ caCert: ca.cert, cert: p.cert, key: p.key }, r);
    assert.equal(id.cert.commonName, r);
    assert.equal(id.cert.x509.ca, false);
    const eku = id.cert.x509.keyUsage ?? [];
    assert.ok(eku.includes('1.3.6.1.5.5.7.3.2'), `${r} can be a TLS client`);
    assert.equal(eku.includes('1.3.6.1.5.5.7.3.1'), r === 'server', `only the server certificate is a TLS server`);
  }
  const before = fs.readFileSync(ca.cert);
  const again = await ensureCA(dir);
  assert.equal(again.created, false);
  assert.deepEqual(fs.readFileSync(ca.cert), before);
  const kept = await issue(dir, 'admin');
  assert.equal(kept.created, false);
  const renewed = await issue(dir, 'admin', { renew: true });
  assert.equal(renewed.created, true);
  assert.equal(renewed.archived.length, 2, 'the old pair is kept aside');
  assert.ok(renewed.archived.every((f) => fs.existsSync(f)));
  fs.rmSync(dir, { recursive: true });
});

test('an RSA CA (for the original v0.8 tools) issues RSA certificates that load and verify like the ECDSA ones', async () => {
  const dir = tmp();
  await ensureCA(dir, { keyType: 'rsa' });
  const ca = caPaths(dir);
  assert.equal(keyTypeOf(fs.readFileSync(ca.key, 'utf8')), 'rsa');
  await issue(dir, 'admin');
  const p = rolePaths(dir, 'admin');
  assert.equal(keyTypeOf(fs.readFileSync(p.key, 'utf8')), 'rsa', 'a role key takes the type of the CA key');
  const id = loadIdentity({ caCert: ca.cert, cert: p.cert, key: p.key }, 'admin');
  assert.equal(id.cert.commonName, 'admin');
  assert.equal(mode(p.key), 0o400);
  fs.rmSync(dir, { recursive: true });
});

test('install: the files of a role with their modes; the server also gets the agent certificate', async () => {
  const dir = await pki();
  const to = path.join(dir, 'etc-daos-certs');
  const files = install(dir, 'server', to);
  assert.ok(files.some((f) => f.endsWith('clients/agent.crt')));
  assert.equal(mode(path.join(to, 'server.key')), 0o400);
  assert.equal(mode(path.join(to, 'server.crt')), 0o644);
  const again = install(dir, 'server', to);
  assert.ok(again.every((f) => f.endsWith('(unchanged)')));
  fs.rmSync(dir, { recursive: true });
});

const refusals: Record<string, { prepare: (dir: string, other: string) => Promise<{ caCert: string; cert: string; key: string }> | { caCert: string; cert: string; key: string }; role: 'admin' | 'server'; code: number; text: RegExp; fix: RegExp }> = {
  'a missing file': {
    prepare: (d) => ({ caCert: caPaths(d).cert, cert: path.join(d, 'nope.crt'), key: rolePaths(d, 'admin').key }),
    role: 'admin',
    code: 901,
    text: /could not load the certificate .*nope\.crt: no such file/,
    fix: /daos_certgen/,
  },
  'a key readable by others': {
    prepare: (d) => {
      fs.chmodSync(rolePaths(d, 'admin').key, 0o644);
      return { caCert: caPaths(d).cert, ...rolePaths(d, 'admin') };
    },
    role: 'admin',
    code: 904,
    text: /has insecure permissions 0644/,
    fix: /chmod 0400/,
  },
  'a certificate from another CA': {
    prepare: (d, o) => ({ caCert: caPaths(d).cert, ...rolePaths(o, 'admin') }),
    role: 'admin',
    code: 909,
    text: /is not signed by the CA in/,
    fix: /same DAOS CA/,
  },
  'the wrong role': {
    prepare: (d) => ({ caCert: caPaths(d).cert, ...rolePaths(d, 'agent') }),
    role: 'admin',
    code: 911,
    text: /is for "agent", but this program needs the admin certificate/,
    fix: /admin\.crt/,
  },
  'an expired certificate': {
    prepare: async (d) => {
      await issue(d, 'server', { renew: true, days: 1, now: new Date(Date.now() - 3 * 86_400_000) });
      return { caCert: caPaths(d).cert, ...rolePaths(d, 'server') };
    },
    role: 'server',
    code: 907,
    text: /expired on/,
    fix: /daos_certgen renew/,
  },
  'a certificate not yet valid': {
    prepare: async (d) => {
      await issue(d, 'server', { renew: true, now: new Date(Date.now() + 3 * 86_400_000) });
      return { caCert: caPaths(d).cert, ...rolePaths(d, 'server') };
    },
    role: 'server',
    code: 908,
    text: /is not valid before/,
    fix: /clock/,
  },
  'a key that does not match the certificate': {
    prepare: (d) => ({ caCert: caPaths(d).cert, cert: rolePaths(d, 'admin').cert, key: rolePaths(d, 'agent').key }),
    role: 'admin',
    code: 912,
    text: /does not belong to certificate/,
    fix: /pair/,
  },
  'a component certificate as the CA': {
    prepare: (d) => ({ caCert: rolePaths(d, 'server').cert, ...rolePaths(d, 'admin') }),
    role: 'admin',
    code: 918,
    text: /is not a CA certificate/,
    fix: /daosCA\.crt/,
  },
};

for (const [name, tc] of Object.entries(refusals)) {
  test(`refused: ${name}`, async () => {
    const dir = await pki();
    const other = await pki();
    try {
      const t = await tc.prepare(dir, other);
      assert.throws(
        () => loadIdentity(t, tc.role),
        (e: unknown) => e instanceof Fault && e.code === tc.code && tc.text.test(e.description) && tc.fix.test(e.resolution),
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
      fs.rmSync(other, { recursive: true });
    }
  });
}

test('a certificate expiring within 30 days is a warning, not an error', async () => {
  const dir = await pki();
  await issue(dir, 'server', { renew: true, days: 10 });
  const id = loadIdentity({ caCert: caPaths(dir).cert, ...rolePaths(dir, 'server') }, 'server');
  assert.equal(id.warnings.length, 1);
  assert.match(id.warnings[0], /expires in \d day\(s\)/);
  fs.rmSync(dir, { recursive: true });
});

test('client certificates: the agent certificate from client_cert_dir, signed by the CA', async () => {
  const dir = await pki();
  const other = await pki();
  const ca = loadCertificate('CA certificate', caPaths(dir).cert);
  const clients = path.join(dir, 'clients');
  fs.mkdirSync(clients);
  fs.copyFileSync(rolePaths(dir, 'agent').cert, path.join(clients, 'agent.crt'));
  assert.equal(loadClientCert(clients, 'agent', ca).commonName, 'agent');
  assert.throws(() => loadClientCert(clients, '../etc/passwd', ca), /not a valid certificate name/);
  fs.copyFileSync(rolePaths(other, 'agent').cert, path.join(clients, 'agent.crt'));
  assert.throws(() => loadClientCert(clients, 'agent', ca), /not signed by the CA/);
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(other, { recursive: true });
});
