/**
 * Mutual TLS and daos_agent on a one-node system: a secure format cycle,
 * refused certificates with their fixes, role checks on the wire, attach info
 * following the membership, and credentials that the server verifies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, Background, run, waitFor } from './harness/proc.js';
import { LocalSystem, listTree, makeCertificates } from './harness/local.js';
import { AgentClient } from '../src/client/agent.js';
import { clientCredentials } from '../src/security/transport.js';
import { ServiceClient } from '../src/lib/grpc/service.js';
import { MgmtCtl } from '../src/proto/ctl/control_pb.js';
import { MgmtSvc } from '../src/proto/mgmt/mgmt_pb.js';
import { Fault } from '../src/fault/fault.js';
import { DrpcClient } from '../src/drpc/drpc.js';
import { marshalCredential, buildCredential } from '../src/security/auth_sys.js';
import { loadKey } from '../src/security/certs.js';
import { fromBinary } from '@bufbuild/protobuf';
import { SysSchema, TokenSchema } from '../src/proto/auth/auth_pb.js';

function transportFor(sys: LocalSystem, role: 'admin' | 'agent' | 'server', certDir = path.join(sys.dir, `certs-${role}`)) {
  return {
    allowInsecure: false,
    serverName: 'server',
    clientCertDir: '',
    caCert: path.join(certDir, 'daosCA.crt'),
    cert: path.join(certDir, `${role}.crt`),
    key: path.join(certDir, `${role}.key`),
  };
}

test('secure deployment on one node', { timeout: 300_000 }, async (t) => {
  const sys = await LocalSystem.create({ secure: true });
  let agent: Background | undefined;
  try {
    await t.test('daos_server starts with its certificates; dmg with the admin certificate formats and queries', async () => {
      await sys.start();
      assert.doesNotMatch(sys.server!.output, /allow_insecure/);
      await sys.format();
      const q = await sys.dmg(['system', 'query'], { json: true });
      assert.equal(q.code, 0, q.stderr);
      assert.deepEqual(JSON.parse(q.stdout).response.members.map((m: { state: string }) => m.state), ['Joined']);
    });

    await t.test('an insecure dmg against the secure server gets a clear error', async () => {
      const r = await run(path.join(BIN, 'dmg'), ['-i', '-l', sys.addr, 'storage', 'scan'], { timeoutMs: 30_000 });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /the server requires TLS .*drop -i/);
    });

    await t.test('an insecure dmg: system and pool commands name the TLS mismatch with its fix, not daos_server', async () => {
      for (const args of [['system', 'query'], ['pool', 'list']]) {
        const r = await run(path.join(BIN, 'dmg'), ['-i', '-l', sys.addr, ...args], { timeoutMs: 30_000 });
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.stderr, /ERROR: dmg: localhost:\d+: the server requires TLS .* but this client runs insecure/, args.join(' '));
        assert.match(r.stderr, /resolution: drop -i/, args.join(' '));
        assert.doesNotMatch(r.stderr, /no connection could be established|daos_server runs/, args.join(' '));
      }
    });

    await t.test('an agent certificate calling an admin RPC is refused on the wire', async () => {
      const tr = clientCredentials(transportFor(sys, 'agent'), 'agent');
      const c = new ServiceClient(MgmtCtl, `127.0.0.1:${sys.port}`, tr.credentials, tr.options);
      try {
        await assert.rejects(c.unary('storageScan', {}), (e: unknown) => e instanceof Fault && /agent does not have permission to call \/ctl\.MgmtCtl\/StorageScan/.test(e.description));
      } finally {
        c.close();
      }
      const adm = clientCredentials(transportFor(sys, 'admin'), 'admin');
      const m = new ServiceClient(MgmtSvc, `127.0.0.1:${sys.port}`, adm.credentials, adm.options);
      try {
        await assert.rejects(m.unary('join', { uuid: 'x' }), (e: unknown) => e instanceof Fault && /admin does not have permission to call \/mgmt\.MgmtSvc\/Join/.test(e.description));
      } finally {
        m.close();
      }
    });

    await t.test('a certificate from another CA is refused by the server', async () => {
      const other = path.join(sys.dir, 'other');
      fs.mkdirSync(other);
      await makeCertificates(other);
      const cfg = YAML.parse(fs.readFileSync(sys.dmgConfig, 'utf8'));
      cfg.transport_config = transportFileKeys(transportFor(sys, 'admin', path.join(other, 'certs-admin')));
      const alt = path.join(sys.dir, 'other-dmg.yml');
      fs.writeFileSync(alt, YAML.stringify(cfg));
      const r = await sys.dmg(['storage', 'scan'], { config: alt });
      assert.equal(r.code, 1);
      // The host is grouped under its TLS error: never "connected", then "no hosts found".
      assert.match(r.stdout, /^localhost:\d+: TLS handshake failed: the server's certificate is not signed by our CA/);
      assert.doesNotMatch(r.stdout, /connected|no hosts found/);
      assert.match(r.stderr, /resolution: both ends need certificates signed by the same DAOS CA/);
      for (const args of [['system', 'query'], ['pool', 'list']]) {
        const q = await sys.dmg(args, { config: alt });
        assert.equal(q.code, 1, args.join(' '));
        assert.match(q.stderr, /ERROR: dmg: TLS handshake with localhost:\d+ failed: the server's certificate is not signed by our CA/, args.join(' '));
        assert.match(q.stderr, /resolution: both ends need certificates signed by the same DAOS CA/, args.join(' '));
        assert.doesNotMatch(q.stderr, /daos_server runs/, args.join(' '));
      }
      // With the right CA file but a foreign certificate, dmg refuses before connecting.
      cfg.transport_config.ca_cert = path.join(sys.dir, 'certs-admin/daosCA.crt');
      fs.writeFileSync(alt, YAML.stringify(cfg));
      const r2 = await sys.dmg(['storage', 'scan'], { config: alt });
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /is not signed by the CA in .*certs-admin\/daosCA\.crt/);
    });

    await t.test('a world-readable key is refused with its fix', async () => {
      const key = path.join(sys.dir, 'certs-admin/admin.key');
      fs.chmodSync(key, 0o644);
      try {
        const r = await sys.dmg(['storage', 'scan']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /admin\.key has insecure permissions 0644/);
        assert.match(r.stderr, /chmod 0400/);
      } finally {
        fs.chmodSync(key, 0o400);
      }
    });

    await t.test('daos_agent: a missing runtime directory gives the guide message', async () => {
      const r = await run(path.join(BIN, 'daos_agent'), ['-o', sys.agentConfig, '-s', path.join(sys.dir, 'no-such-dir')], { timeoutMs: 30_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Unable to create socket directory: .*no-such-dir/);
      assert.match(r.stderr, /mkdir|runtime_dir|-s/);
    });

    const sockDir = path.join(sys.dir, 'agentrun');
    await t.test('daos_agent serves attach info that matches dmg system query', async () => {
      agent = new Background(path.join(BIN, 'daos_agent'), ['-o', sys.agentConfig]);
      await waitFor('the agent to listen', () => /Listening on/.test(agent!.output) || !agent!.running, 20_000, 100);
      assert.ok(agent.running, agent.output);
      const c = await AgentClient.connect(path.join(sockDir, 'agent.sock'));
      try {
        const ai = await c.getAttachInfo();
        const q = JSON.parse((await sys.dmg(['system', 'query'], { json: true })).stdout).response;
        assert.deepEqual(
          ai.ranks,
          q.members.map((m: { rank: number; fabricUri: string }) => ({ rank: m.rank, uri: m.fabricUri })),
        );
        assert.match(ai.ranks[0].uri, /^ofi\+sockets:\/\/127\.0\.0\.1:\d+$/);
      } finally {
        c.close();
      }
    });

    await t.test('a second daos_agent on the same runtime_dir is refused, naming the first; the first keeps its socket', async () => {
      const sock = path.join(sockDir, 'agent.sock');
      const ino = fs.statSync(sock).ino;
      assert.equal(fs.readFileSync(path.join(sockDir, 'daos_agent.lock'), 'utf8'), `${agent!.pid}\n`);
      const r = await run(path.join(BIN, 'daos_agent'), ['-o', sys.agentConfig], { timeoutMs: 30_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`another daos_agent \\(pid ${agent!.pid}\\) is already running with runtime_dir ${sockDir}`));
      assert.match(r.stderr, new RegExp(`kill ${agent!.pid}`));
      assert.equal(fs.statSync(sock).ino, ino, 'the socket of the first agent is untouched');
      const c = await AgentClient.connect(sock);
      try {
        assert.ok((await c.getAttachInfo()).ranks.length > 0, 'the first agent still answers');
      } finally {
        c.close();
      }
    });

    await t.test('an insecure daos_agent against the secure server names the TLS mismatch with its fix', async () => {
      const dir = path.join(sys.dir, 'agentrun-insecure');
      fs.mkdirSync(dir);
      const bad = new Background(path.join(BIN, 'daos_agent'), ['-o', sys.agentConfig, '-i', '-s', dir, '-l', path.join(sys.dir, 'agent-insecure.log')]);
      try {
        await waitFor('the insecure agent to listen', () => /Listening on/.test(bad.output) || !bad.running, 20_000, 100);
        assert.ok(bad.running, bad.output);
        const c = await AgentClient.connect(path.join(dir, 'agent.sock'));
        try {
          await assert.rejects(c.getAttachInfo(), (e: unknown) => e instanceof Fault && /the server requires TLS .* but this client runs insecure/.test(e.description) && /drop -i/.test(e.resolution));
        } finally {
          c.close();
        }
        // A metadata request of the client library through this agent: the same fault, with its fix.
        const q = await run(path.join(BIN, 'daos'), ['pool', 'query', 'tank'], { timeoutMs: 30_000, env: { ...process.env, DAOS_AGENT_DRPC_DIR: dir } });
        assert.equal(q.code, 1);
        assert.match(q.stderr, /daos_agent: localhost:\d+: the server requires TLS .* but this client runs insecure/);
        assert.match(q.stderr, /resolution: on daos_agent: drop -i/);
        await waitFor('the agent to log the mismatch', () => /attach info: localhost:\d+: the server requires TLS .*; resolution: drop -i/.test(bad.output), 10_000, 100);
        assert.doesNotMatch(bad.output, /no connection could be established/);
      } finally {
        await bad.stop();
      }
      assert.deepEqual(fs.readdirSync(dir), [], 'socket and lock removed at exit');
    });

    await t.test("the agent's answer follows the membership without a restart", async () => {
      const c = await AgentClient.connect(path.join(sockDir, 'agent.sock'));
      try {
        const v0 = (await c.getAttachInfo()).mapVersion;
        assert.equal((await sys.dmg(['system', 'stop'])).code, 0);
        const gone = await waitFor('rank 0 to leave the attach info', async () => {
          const ai = await c.getAttachInfo();
          return ai.ranks.length === 0 ? ai : undefined;
        }, 10_000, 100);
        assert.ok(gone.mapVersion > v0);
        assert.equal((await sys.dmg(['system', 'start'])).code, 0);
        await waitFor('rank 0 to come back', async () => (await c.getAttachInfo()).ranks.length === 1, 20_000, 100);
      } finally {
        c.close();
      }
    });

    await t.test('credentials: genuine ones are accepted, forged ones refused by the server', async () => {
      const c = await AgentClient.connect(path.join(sockDir, 'agent.sock'));
      const srv = await DrpcClient.connect(path.join(sys.dir, 'run', 'daos_server.sock'));
      try {
        const cred = await c.requestCredential();
        const sysId = fromBinary(SysSchema, cred.token!.data);
        assert.equal(sysId.user, `${process.env.USER ?? 'root'}@`.replace(/^@$/, 'root@'));
        const ok = fromBinary(TokenSchema, await srv.call(4, 401, marshalCredential(cred)));
        assert.deepEqual(ok.data, cred.token!.data);
        // Tampered identity: the signature no longer matches.
        const tampered = fromBinary(SysSchema, cred.token!.data);
        tampered.user = 'alice@';
        const { create, toBinary } = await import('@bufbuild/protobuf');
        const forged = { ...cred, token: create(TokenSchema, { flavor: cred.token!.flavor, data: toBinary(SysSchema, tampered) }) };
        await assert.rejects(srv.call(4, 401, marshalCredential(forged as typeof cred)), (e: unknown) => e instanceof Fault && /credential verification failed/.test(e.description));
        // Signed with another key (the admin's): refused too.
        const adminKey = loadKey(path.join(sys.dir, 'certs-admin/admin.key')).key;
        const wrongKey = buildCredential({ user: 'root', group: 'root', groups: [], machine: 'x' }, adminKey);
        await assert.rejects(srv.call(4, 401, marshalCredential(wrongKey)), (e: unknown) => e instanceof Fault && /credential verification failed/.test(e.description));
      } finally {
        c.close();
        srv.close();
      }
    });

    await t.test("a killed agent's stale lock does not block the next one, which removes its socket and lock at exit", async () => {
      await agent!.stop('SIGKILL');
      assert.ok(fs.existsSync(path.join(sockDir, 'daos_agent.lock')), 'a killed agent leaves its lock');
      agent = new Background(path.join(BIN, 'daos_agent'), ['-o', sys.agentConfig, '-d']);
      await waitFor('the agent to listen', () => /Listening on/.test(agent!.output) || !agent!.running, 20_000, 100);
      assert.ok(agent.running, agent.output);
      assert.match(agent.output, /replaced the stale lock of pid \d+/);
      await agent.stop();
      assert.deepEqual(fs.readdirSync(sockDir), []);
    });
  } finally {
    await agent?.stop();
    await sys.destroy();
  }
});

function transportFileKeys(t: ReturnType<typeof transportFor>): Record<string, unknown> {
  return { allow_insecure: false, ca_cert: t.caCert, cert: t.cert, key: t.key };
}

test('daos_server refuses an expired certificate at start, writing nothing', { timeout: 120_000 }, async () => {
  const sys = await LocalSystem.create({ secure: true });
  try {
    const { issue } = await import('../src/security/certgen.js');
    await issue(path.join(sys.dir, 'ca'), 'server', { renew: true, days: 1, now: new Date(Date.now() - 5 * 86_400_000) });
    fs.copyFileSync(path.join(sys.dir, 'ca/certs/server.crt'), path.join(sys.dir, 'certs-server/server.crt'));
    fs.chmodSync(path.join(sys.dir, 'certs-server/server.key'), 0o600);
    fs.copyFileSync(path.join(sys.dir, 'ca/certs/server.key'), path.join(sys.dir, 'certs-server/server.key'));
    const before = listTree(sys.dir);
    const r = await run(path.join(BIN, 'daos_server'), ['start', '-o', sys.configPath], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.crt expired on/);
    assert.match(r.stderr, /daos_certgen renew/);
    assert.deepEqual(listTree(sys.dir), before);
  } finally {
    await sys.destroy();
  }
});

test('daos_server warns about a certificate that expires within 30 days', { timeout: 120_000 }, async () => {
  const sys = await LocalSystem.create({ secure: true });
  try {
    const { issue } = await import('../src/security/certgen.js');
    await issue(path.join(sys.dir, 'ca'), 'server', { renew: true, days: 7 });
    fs.copyFileSync(path.join(sys.dir, 'ca/certs/server.crt'), path.join(sys.dir, 'certs-server/server.crt'));
    fs.chmodSync(path.join(sys.dir, 'certs-server/server.key'), 0o600);
    fs.copyFileSync(path.join(sys.dir, 'ca/certs/server.key'), path.join(sys.dir, 'certs-server/server.key'));
    await sys.start();
    assert.match(sys.server!.output, /WARNING: certificate .*server\.crt \(server\) expires in 6 day\(s\)/);
  } finally {
    await sys.destroy();
  }
});

test('dmg and daos_agent with TLS against an insecure server get a clear error', { timeout: 120_000 }, async () => {
  const sys = await LocalSystem.create();
  try {
    await sys.start();
    await makeCertificates(sys.dir);
    const cfg = { hostlist: [sys.addr], transport_config: transportFileKeys(transportFor(sys, 'admin')) };
    const file = path.join(sys.dir, 'dmg.yml');
    fs.writeFileSync(file, YAML.stringify(cfg));
    const r = await run(path.join(BIN, 'dmg'), ['-o', file, 'storage', 'scan'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /the server runs without certificates .*pass -i/);
    for (const args of [['system', 'query'], ['pool', 'list']]) {
      const q = await run(path.join(BIN, 'dmg'), ['-o', file, ...args], { timeoutMs: 30_000 });
      assert.equal(q.code, 1, args.join(' '));
      assert.match(q.stderr, /ERROR: dmg: localhost:\d+: the server runs without certificates .* but this client uses TLS/, args.join(' '));
      assert.match(q.stderr, /resolution: pass -i/, args.join(' '));
      assert.doesNotMatch(q.stderr, /no connection could be established|daos_server runs/, args.join(' '));
    }
    // daos_agent with its certificate against the insecure management service.
    const runDir = path.join(sys.dir, 'agentrun');
    fs.mkdirSync(runDir);
    const agentCfg = path.join(sys.dir, 'agent.yml');
    fs.writeFileSync(agentCfg, YAML.stringify({ access_points: [sys.addr], port: sys.port, runtime_dir: runDir, transport_config: transportFileKeys(transportFor(sys, 'agent')) }));
    const agent = new Background(path.join(BIN, 'daos_agent'), ['-o', agentCfg]);
    try {
      await waitFor('the agent to listen', () => /Listening on/.test(agent.output) || !agent.running, 20_000, 100);
      assert.ok(agent.running, agent.output);
      const c = await AgentClient.connect(path.join(runDir, 'agent.sock'));
      try {
        await assert.rejects(c.getAttachInfo(), (e: unknown) => e instanceof Fault && /the server runs without certificates .* but this client uses TLS/.test(e.description) && /pass -i/.test(e.resolution));
      } finally {
        c.close();
      }
    } finally {
      await agent.stop();
    }
  } finally {
    await sys.destroy();
  }
});
