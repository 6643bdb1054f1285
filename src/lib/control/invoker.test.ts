/**
 * The host probe against real gRPC servers on loopback: a host is
 * "connected" only when it accepts our transport and, with TLS, our
 * certificates; otherwise the problem carries the security fault with its fix.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ensureCA, issue, caPaths, rolePaths } from '../../security/certgen.js';
import { clientCredentials, serverCredentials } from '../../security/transport.js';
import { loadCertificate, loadKey } from '../../security/certs.js';
import type { TransportConfig } from '../../config/types.js';
import { GrpcInvoker, commonFault, diagnoseHost } from './invoker.js';

const dirs: string[] = [];
const servers: grpc.Server[] = [];
after(() => {
  for (const s of servers) s.forceShutdown();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function pki(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-pki-'));
  dirs.push(dir);
  await ensureCA(dir);
  for (const r of ['admin', 'server'] as const) await issue(dir, r);
  return dir;
}

function transport(dir: string | undefined, role: 'admin' | 'server'): TransportConfig {
  if (!dir) return { allowInsecure: true, serverName: 'server', clientCertDir: '', caCert: '', cert: '', key: '' };
  const rp = rolePaths(dir, role);
  return { allowInsecure: false, serverName: 'server', clientCertDir: '', caCert: caPaths(dir).cert, cert: rp.cert, key: rp.key };
}

/** A gRPC server (no services needed: the probe stops at the HTTP/2 settings) with the certificates of dir, or plaintext. */
async function server(dir: string | undefined): Promise<string> {
  const s = new grpc.Server();
  servers.push(s);
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', serverCredentials(transport(dir, 'server')).credentials, (e, p) => (e ? reject(e) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}

test('probe: connected only when the transport and the certificates are accepted; else the fault with its fix', { timeout: 60_000 }, async () => {
  const ours = await pki();
  const theirs = await pki();
  const tlsAddr = await server(ours);
  const plainAddr = await server(undefined);
  const cases: Record<string, { client: string | undefined; addr: string; reason?: RegExp; fault?: RegExp; fix?: RegExp }> = {
    'TLS client, TLS server of our CA': { client: ours, addr: tlsAddr },
    'plaintext client, plaintext server': { client: undefined, addr: plainAddr },
    'plaintext client, TLS server': { client: undefined, addr: tlsAddr, reason: /the server requires TLS/, fault: /^127\.0\.0\.1:\d+: the server requires TLS/, fix: /drop -i/ },
    'TLS client, plaintext server': { client: ours, addr: plainAddr, reason: /the server runs without certificates/, fault: /the server runs without certificates/, fix: /pass -i/ },
    'TLS client with certificates of another CA': {
      client: theirs,
      addr: tlsAddr,
      reason: /^TLS handshake failed: the server's certificate is not signed by our CA/,
      fault: /^TLS handshake with 127\.0\.0\.1:\d+ failed: the server's certificate is not signed by our CA/,
      fix: /certificates signed by the same DAOS CA/,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const t = clientCredentials(transport(tc.client, 'admin'), 'admin');
    const p = await diagnoseHost(tc.addr, t, 5000);
    if (!tc.reason) {
      assert.equal(p, undefined, `${name}: ${p?.reason}`);
      continue;
    }
    assert.ok(p, `${name}: reported connected`);
    assert.match(p.reason, tc.reason, name);
    const f = commonFault([{ host: tc.addr, problem: p }]);
    assert.ok(f, `${name}: no fault`);
    assert.match(f.description, tc.fault!, name);
    assert.match(f.resolution, tc.fix!, name);
    assert.doesNotMatch(f.resolution, /daos_server run/, name);
    const inv = new GrpcInvoker(t);
    assert.equal((await inv.probe([tc.addr], 5000)).get(tc.addr)?.reason, p.reason, `${name}: the invoker probes the same way`);
    inv.close();
  }
});

test('probe: a client certificate the server does not trust is named, though our side of the handshake succeeds (TLS 1.3)', { timeout: 60_000 }, async () => {
  const ours = await pki();
  const theirs = await pki();
  const addr = await server(ours);
  // loadIdentity refuses such a pair, so it is built by hand: our CA (the server is trusted), their certificate.
  const t = clientCredentials(transport(ours, 'admin'), 'admin');
  const foreign = { ...t.identity!, cert: loadCertificate('certificate', rolePaths(theirs, 'admin').cert), keyPem: loadKey(rolePaths(theirs, 'admin').key).pem };
  const p = await diagnoseHost(addr, { ...t, identity: foreign }, 5000);
  assert.ok(p, 'reported connected');
  assert.match(p.reason, /^TLS handshake failed: the server rejected our certificate/);
  assert.match(commonFault([{ host: addr, problem: p }])!.resolution, /certificates signed by the same DAOS CA/);
});

test('commonFault: one fault for hosts that share a reason with a fix; none for plain or mixed reasons', async () => {
  const { securityFaults } = await import('../../security/faults.js');
  const mismatch = { reason: 'm', fault: (hs: string) => securityFaults.transportMismatch(true, hs) };
  const refused = { reason: 'connection refused' };
  assert.match(commonFault([{ host: 'node1:10001', problem: mismatch }, { host: 'node2:10001', problem: mismatch }])!.description, /^node\[1-2\]:10001: the server requires TLS/);
  assert.equal(commonFault([{ host: 'node1:10001', problem: mismatch }, { host: 'node2:10001', problem: refused }]), undefined);
  assert.equal(commonFault([{ host: 'node1:10001', problem: refused }]), undefined);
  assert.equal(commonFault([{ host: 'node1:10001' }]), undefined);
  assert.equal(commonFault([]), undefined);
});
