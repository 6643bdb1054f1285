/**
 * The original DAOS v0.8 dmg (unmodified, in ../shared/tools/daos-v0.8)
 * drives our daos_server: our control plane speaks its protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO, Background, run, waitFor } from './harness/proc.js';
import { LocalSystem } from './harness/local.js';

const V08 = process.env.DAOS_V08_TOOLS ?? path.resolve(REPO, '../shared/tools/daos-v0.8');
const DMG = path.join(V08, 'dmg');
const AGENT = path.join(V08, 'daos_agent');
const skip = fs.existsSync(DMG) ? false : `the original v0.8 dmg is not at ${DMG} (set DAOS_V08_TOOLS)`;
const skipAgent = fs.existsSync(AGENT) ? false : `the original v0.8 daos_agent is not at ${AGENT} (set DAOS_V08_TOOLS)`;

test('the original v0.8 dmg works against our daos_server', { skip, timeout: 180_000 }, async (t) => {
  const sys = await LocalSystem.create();
  const dmg = (args: string[]) => run(DMG, ['-i', '-l', `127.0.0.1:${sys.port}`, ...args], { timeoutMs: 60_000, cwd: sys.dir });
  try {
    await sys.start();

    await t.test('storage scan', async () => {
      const r = await dmg(['storage', 'scan']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`127\\.0\\.0\\.1:${sys.port}: connected`));
      assert.match(r.stdout, /Hosts\t+SCM Total\t+NVMe Total/);
      assert.match(r.stdout, /127\.0\.0\.1\t+\S+ \(\d+ (modules?|namespaces?)\)\t+\S+ \(\d+ controllers?\)/);
    });

    await t.test('network list and scan', async () => {
      const l = await dmg(['network', 'list']);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /ofi\+tcp/);
      const s = await dmg(['network', 'scan', '-p', 'ofi+sockets']);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /fabric_iface: lo\n\tprovider: ofi\+sockets\n\tpinned_numa_node: 0/);
    });

    await t.test('storage format starts the I/O server, which joins as rank 0', async () => {
      const r = await dmg(['storage', 'format']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /127\.0\.0\.1: storage format ok/);
      for (let i = 0; i < 100 && !/started on rank 0/.test(sys.server!.output); i++) await new Promise((res) => setTimeout(res, 200));
      assert.match(sys.server!.output, /started on rank 0/);
    });

    await t.test('system member-query lists the rank (unlike v0.8, the access point joins too)', async () => {
      const r = await dmg(['system', 'member-query']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /System-member-query command SUCCEEDED: 127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/0 /);
    });

    await t.test('system leader-query', async () => {
      const r = await dmg(['system', 'leader-query']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Current Leader: localhost:${sys.port}\\n   Replica Set: localhost:${sys.port}`));
    });

    await t.test('a second format is refused with the original fault and resolution', async () => {
      const r = await dmg(['storage', 'format']);
      assert.match(r.stdout + r.stderr, /cannot format storage with running I\/O server instances/);
    });

    await t.test('pools: create, list-pools, the ACL commands and destroy with the original dmg', async () => {
      const c = await dmg(['pool', 'create', '-s', '64M']);
      assert.equal(c.code, 0, c.stdout + c.stderr);
      assert.match(c.stdout, /Creating DAOS pool with 64MB SCM and 0B NvMe storage \(1\.000 ratio\)/);
      const m = /Pool-create command SUCCEEDED: UUID: ([0-9a-f-]{36}), Service replicas: 0/.exec(c.stdout);
      assert.ok(m, c.stdout);
      const uuid = m[1];
      const l = await dmg(['system', 'list-pools']);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, new RegExp(`${uuid}\\t+0`));
      const u = await dmg(['pool', 'update-acl', '--pool', uuid, '-e', 'A::EVERYONE@:r']);
      assert.equal(u.code, 0, u.stdout + u.stderr);
      assert.match(u.stdout, /Pool-update-ACL command succeeded/);
      assert.match(u.stdout, /A::EVERYONE@:r/);
      const g = await dmg(['pool', 'get-acl', '--pool', uuid]);
      assert.match(g.stdout, /# Entries:\nA::OWNER@:rw\nA:G:GROUP@:rw\nA::EVERYONE@:r/);
      const d = await dmg(['pool', 'destroy', '--pool', uuid]);
      assert.equal(d.code, 0, d.stdout + d.stderr);
      assert.match(d.stdout, /Pool-destroy command succeeded/);
      // A pool that does not exist: the original prints the DER code it gets.
      const again = await dmg(['pool', 'destroy', '--pool', uuid]);
      assert.match(again.stdout + again.stderr, /-1005/);
      const big = await dmg(['pool', 'create', '-s', '900G']);
      assert.match(big.stdout + big.stderr, /Pool-create command FAILED: DAOS returned error code: -1007/);
      assert.match((await dmg(['system', 'list-pools'])).stdout, /No pools in system/);
    });

    await t.test('system stop stops the rank; the original prints its summary', async () => {
      const r = await dmg(['system', 'stop']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /System-stop command SUCCEEDED/);
      for (let i = 0; i < 50 && !/instance 0 stopped/.test(sys.server!.output); i++) await new Promise((res) => setTimeout(res, 200));
      assert.match(sys.server!.output, /I\/O server instance 0 stopped/);
    });

    await t.test('storage query smd and blobstore-health: -1010, no SPDK blobstore here (documented)', async () => {
      for (const args of [['storage', 'query', 'smd'], ['storage', 'query', 'blobstore-health', '-t', '0']]) {
        const r = await dmg(args);
        assert.match(r.stdout, /error: -1010/, args.join(' '));
      }
    });

    await t.test('with the rank stopped, the already-formatted refusal is the original fault 103', async () => {
      const r = await dmg(['storage', 'format']);
      assert.match(r.stdout, /CTL_ERR_SCM: storage: code = 103 description = "format request for already-formatted storage and reformat not specified"/);
      assert.match(r.stdout, /retry the operation with reformat option to overwrite existing format/);
    });
  } finally {
    await sys.destroy();
  }
});

for (const keyType of ['ecdsa', 'rsa'] as const) {
  test(`the original v0.8 dmg with ${keyType} certificates from daos_certgen drives our secure daos_server`, { skip, timeout: 240_000 }, async () => {
    const sys = await LocalSystem.create({ secure: true, keyType });
    try {
      await sys.start();
      const certs = path.join(sys.dir, 'certs-admin');
      const cfg = path.join(sys.dir, 'v08_daos.yml');
      fs.writeFileSync(
        cfg,
        YAML.stringify({
          hostlist: [`127.0.0.1:${sys.port}`],
          port: sys.port,
          transport_config: { allow_insecure: false, server_name: 'server', ca_cert: path.join(certs, 'daosCA.crt'), cert: path.join(certs, 'admin.crt'), key: path.join(certs, 'admin.key') },
        }),
      );
      const dmg = (args: string[]) => run(DMG, ['-o', cfg, ...args], { timeoutMs: 60_000, cwd: sys.dir });
      const scan = await dmg(['storage', 'scan']);
      assert.equal(scan.code, 0, scan.stderr);
      assert.match(scan.stdout, new RegExp(`127\\.0\\.0\\.1:${sys.port}: connected`));
      assert.match(scan.stdout, /Hosts\t+SCM Total\t+NVMe Total/);
      const f = await dmg(['storage', 'format']);
      assert.equal(f.code, 0, f.stderr);
      assert.match(f.stdout, /127\.0\.0\.1: storage format ok/);
      for (let i = 0; i < 100 && !/started on rank 0/.test(sys.server!.output); i++) await new Promise((res) => setTimeout(res, 200));
      const q = await dmg(['system', 'member-query']);
      assert.equal(q.code, 0, q.stderr);
      assert.match(q.stdout, /System-member-query command SUCCEEDED: 127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/0 /);
      // Without certificates (-i) the secure server refuses it.
      const insecure = await run(DMG, ['-i', '-l', `127.0.0.1:${sys.port}`, 'storage', 'scan'], { timeoutMs: 60_000, cwd: sys.dir });
      assert.doesNotMatch(insecure.stdout, /SCM Total/);
    } finally {
      await sys.destroy();
    }
  });
}

/**
 * Start the original daos_agent against sys (insecure, or with the agent
 * certificates of a secure sys) and ask it for attach info through its
 * socket, as the v0.8 client library does.
 */
async function v08AgentAttachInfo(sys: LocalSystem): Promise<{ status: number; ranks: { rank: number; uri: string }[] }> {
  const rt = path.join(sys.dir, 'v08agent');
  fs.mkdirSync(rt);
  const certs = path.join(sys.dir, 'certs-agent');
  const transport = sys.secure
    ? { allow_insecure: false, server_name: 'server', ca_cert: path.join(certs, 'daosCA.crt'), cert: path.join(certs, 'agent.crt'), key: path.join(certs, 'agent.key') }
    : { allow_insecure: true };
  const cfg = path.join(sys.dir, 'v08_agent.yml');
  fs.writeFileSync(cfg, YAML.stringify({ name: 'daos_server', access_points: [`127.0.0.1:${sys.port}`], port: sys.port, runtime_dir: rt, log_file: path.join(sys.dir, 'v08agent.log'), transport_config: transport }));
  const agent = new Background(AGENT, [...(sys.secure ? [] : ['-i']), '-o', cfg], { cwd: sys.dir });
  try {
    await waitFor('the v0.8 agent socket', () => fs.existsSync(path.join(rt, 'agent.sock')) || !agent.running, 20_000, 100);
    assert.ok(agent.running, agent.output);
    const r = await run('python3', [path.join(REPO, 'test/harness/v08-agent-query.py'), rt, 'daos_server'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr + agent.output);
    return JSON.parse(r.stdout);
  } finally {
    await agent.stop();
  }
}

for (const c of [
  { name: 'the original v0.8 daos_agent gets attach info from our management service' },
  { name: 'the original v0.8 daos_agent with ecdsa certificates gets attach info over mutual TLS', keyType: 'ecdsa' as const },
  { name: 'the original v0.8 daos_agent with rsa certificates gets attach info over mutual TLS', keyType: 'rsa' as const },
]) {
  test(c.name, { skip: skipAgent, timeout: 240_000 }, async () => {
    const sys = await LocalSystem.create(c.keyType ? { secure: true, keyType: c.keyType } : {});
    try {
      await sys.start();
      await sys.format();
      const ai = await v08AgentAttachInfo(sys);
      assert.equal(ai.status, 0);
      assert.deepEqual(ai.ranks.map((x) => x.rank), [0]);
      assert.match(ai.ranks[0].uri, /^ofi\+sockets:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sys.destroy();
    }
  });
}
