/**
 * The data plane on a one-node system (no root needed): dmg pool commands,
 * then the client library through daos_agent: containers, KV and array I/O,
 * snapshots, enumeration, punch; a restart of daos_server keeps everything;
 * bad input gives clear errors and changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { LocalSystem } from './harness/local.js';
import { BIN, Background, waitFor } from './harness/proc.js';
import { DaosClient } from '../src/client/daos.js';
import { arrayOid } from '../src/client/array.js';
import { DaosError, DER } from '../src/daos/errors.js';

let sys: LocalSystem;
let agent: Background | undefined;
let agentDir: string;

async function startAgent(): Promise<void> {
  agent = new Background(path.join(BIN, 'daos_agent'), ['-i', '-o', path.join(sys.dir, 'daos_agent.yml')]);
  await waitFor('daos_agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || !agent!.running, 30_000, 100);
  if (!agent.running) throw new Error(`daos_agent exited:\n${agent.output}`);
}

async function restartServer(): Promise<void> {
  await sys.server!.stop('SIGTERM', 15_000);
  await sys.start();
  await waitFor('the rank to rejoin', () => /started on rank \d+/.test(sys.server!.output), 60_000, 100);
}

function connect(): Promise<DaosClient> {
  return DaosClient.connect({ agentDir });
}

async function expectDer(p: Promise<unknown>, rc: number): Promise<DaosError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DaosError, `expected a DaosError, got ${String(e)}`);
    assert.equal(e.rc, -rc, `expected ${-rc}, got ${e.toString()}`);
    return e;
  }
  assert.fail(`expected error ${-rc}`);
}

before(async () => {
  sys = await LocalSystem.create({ server: { targets: 4, bdev_size: 8 } });
  agentDir = path.join(sys.dir, 'agentrun');
  fs.mkdirSync(agentDir);
  fs.writeFileSync(
    path.join(sys.dir, 'daos_agent.yml'),
    YAML.stringify({ name: 'daos_server', access_points: [sys.addr], port: sys.port, runtime_dir: agentDir, log_file: path.join(sys.dir, 'daos_agent.log'), transport_config: { allow_insecure: true } }),
  );
  await sys.start();
  await sys.format();
  await startAgent();
});

after(async () => {
  await agent?.stop('SIGTERM', 10_000);
  await sys?.destroy();
});

let poolUuid = '';

test('dmg pool create prints the v0.8 lines and reserves space per target', async () => {
  const r = await sys.dmg(['pool', 'create', '-s', '512M', '-n', '4G', '--label', 'tank']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Creating DAOS pool with 512MB SCM and 4GB NvMe storage \(0\.125 ratio\)$/m);
  const m = /^Pool-create command SUCCEEDED: UUID: ([0-9a-f-]{36}), Service replicas: 0$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  poolUuid = m[1];
  const q = await sys.dmg(['pool', 'query', 'tank']);
  assert.equal(q.code, 0, q.stdout + q.stderr);
  assert.match(q.stdout, new RegExp(`^Pool ${poolUuid}, ntarget=4, disabled=0, leader=0, version=\\d+$`, 'm'));
  assert.match(q.stdout, /^- Target\(VOS\) count:4$/m);
  assert.match(q.stdout, /^  Total size: 512\.00MB$/m);
  assert.match(q.stdout, /^  Total size: 4\.00GB$/m);
  const l = await sys.dmg(['system', 'list-pools']);
  assert.match(l.stdout, new RegExp(`^${poolUuid}\\s+0$`, 'm'));
  const j = await sys.dmg(['pool', 'list'], { json: true });
  const doc = JSON.parse(j.stdout) as { response: { pools: { uuid: string; label: string }[] }; status: number };
  assert.equal(doc.status, 0);
  assert.deepEqual(doc.response.pools.map((p) => [p.uuid, p.label]), [[poolUuid, 'tank']]);
});

test('bad pool requests are refused with the reason and create nothing', async () => {
  const before = (await sys.dmg(['pool', 'list'], { json: true })).stdout;
  const big = await sys.dmg(['pool', 'create', '-s', '900G']);
  assert.notEqual(big.code, 0);
  assert.match(big.stdout + big.stderr, /DER_NOSPACE/);
  assert.match(big.stdout + big.stderr, /rank 0/);
  const bad = await sys.dmg(['pool', 'create', '-s', '12Q']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /illegal scm size: 12Q/);
  const gone = await sys.dmg(['pool', 'destroy', '--pool', crypto.randomUUID()]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stdout + gone.stderr, /DER_NONEXIST/);
  const dup = await sys.dmg(['pool', 'create', '-s', '64M', '--label', 'tank']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stdout + dup.stderr, /DER_EXIST|already/);
  assert.equal((await sys.dmg(['pool', 'list'], { json: true })).stdout, before);
});

test('containers, KV and arrays through the agent; snapshots see old data', async () => {
  const daos = await connect();
  try {
    const pool = await daos.poolConnect('tank', 'rw');
    const info = await pool.query();
    assert.equal(info.uuid, poolUuid);
    const c = await pool.containerCreate({ label: 'c1' });
    const cont = await pool.containerOpen('c1', 'rw');
    assert.equal(cont.uuid, c.uuid);

    // KV
    const kv = cont.kv(cont.generateOid('S1', 7n));
    await kv.put('alpha', 'one');
    await kv.put('beta', Buffer.alloc(10_000, 7)); // >= 4 KiB: on the block device
    assert.equal((await kv.get('alpha'))?.toString(), 'one');
    assert.deepEqual(await kv.get('beta'), Buffer.alloc(10_000, 7));
    assert.equal(await kv.get('nope'), undefined);
    const snap = await cont.createSnapshot('before');
    await kv.put('alpha', 'two');
    await kv.remove('beta');
    assert.equal((await kv.get('alpha'))?.toString(), 'two');
    assert.equal(await kv.get('beta'), undefined);
    assert.equal((await kv.get('alpha', { epoch: snap }))?.toString(), 'one');
    assert.deepEqual(await kv.get('beta', { epoch: snap }), Buffer.alloc(10_000, 7));
    assert.deepEqual((await kv.list()).map(String).sort(), ['alpha']);
    assert.deepEqual((await kv.list({ epoch: snap })).map(String).sort(), ['alpha', 'beta']);
    assert.deepEqual((await cont.listSnapshots()).map((s) => s.epoch), [snap]);

    // Many keys, paged listing
    const many = cont.kv(cont.generateOid('SX', 8n));
    await Promise.all(Array.from({ length: 300 }, (_, i) => many.put(`k${i}`, `v${i}`)));
    const keys = (await many.list()).map(String);
    assert.equal(keys.length, 300);
    assert.equal(new Set(keys).size, 300);

    // Array: 3 MiB of random data over 1 MiB chunks, read back, sizes
    const arr = await cont.arrayCreate(arrayOid('S4', 9n), 1, 1 << 20);
    const data = crypto.randomBytes(3 * (1 << 20) + 12345);
    await arr.write(data, 0n);
    assert.equal(await arr.getSize(), BigInt(data.length));
    const back = Buffer.alloc(data.length);
    await arr.read(back, 0n);
    assert.ok(back.equals(data));
    const reopened = await cont.arrayOpen(arr.oid);
    assert.equal(reopened.chunkSize, 1 << 20);
    await reopened.setSize(1000n);
    assert.equal(await reopened.getSize(), 1000n);
    const head = Buffer.alloc(2000);
    const { shortRead } = await reopened.read(head, 0n);
    assert.ok(head.subarray(0, 1000).equals(data.subarray(0, 1000)));
    assert.ok(head.subarray(1000).equals(Buffer.alloc(1000)));
    assert.equal(shortRead, 1000n);

    // Overwrites at later epochs win, older data is still under the snapshot
    const snap2 = await cont.createSnapshot();
    await reopened.write(Buffer.alloc(100, 0xee), 50n);
    const mid = Buffer.alloc(200);
    await reopened.read(mid, 0n);
    assert.ok(mid.subarray(50, 150).equals(Buffer.alloc(100, 0xee)));
    const old = Buffer.alloc(200);
    await reopened.read(old, 0n, { epoch: snap2 });
    assert.ok(old.equals(data.subarray(0, 200)));

    // A read-only pool connection cannot change pool attributes; unknown container properties are refused.
    const ro = await daos.poolConnect('tank', 'r');
    await expectDer(ro.setAttrs({ project: 'x' }), DER.NO_PERM);
    await ro.disconnect();
    const bad = await expectDer(pool.containerCreate({ label: 'bogus', props: { bogus: 'yes' } }), DER.INVAL);
    assert.match(bad.toString(), /unknown container property "bogus"/);
    await expectDer(pool.containerCreate({ label: 'bogus', props: { rf: '99' } }), DER.INVAL);
    assert.deepEqual((await pool.listContainers()).map((x) => x.label), ['c1']);

    // Attributes
    await cont.setAttrs({ owner: 'me' });
    assert.equal((await cont.getAttrs(['owner'])).get('owner')?.toString(), 'me');
    await cont.close();
    await pool.disconnect();
  } finally {
    daos.close();
  }
});

test('bad client requests: clear errors', async () => {
  const daos = await connect();
  try {
    await expectDer(daos.poolConnect('no-such-pool'), DER.NONEXIST);
    const pool = await daos.poolConnect('tank', 'rw');
    await expectDer(pool.containerOpen('no-such-cont'), DER.NONEXIST);
    const cont = await pool.containerOpen('c1', 'rw');
    // Two replicas need two fault domains; this pool has one node.
    const e = await expectDer(cont.kv(cont.generateOid('RP_2G1', 1n)).put('k', 'v'), DER.INVAL);
    assert.match(e.toString(), /RP_2G1.*2.*fault domain|fault domain.*RP_2G1/i);
    // A value over the message limit
    const big = await expectDer(cont.kv(cont.generateOid('S1', 2n)).put('big', Buffer.alloc(65 << 20)), DER.REC2BIG);
    assert.match(big.toString(), /limit/);
    await cont.close();
    // Destroy refused while connected
    const d = await sys.dmg(['pool', 'destroy', 'tank']);
    assert.notEqual(d.code, 0);
    assert.match(d.stdout + d.stderr, /DER_BUSY|connect/i);
    await pool.disconnect();
  } finally {
    daos.close();
  }
});

test('pool ACLs: dmg edits them, pool connect enforces them with the agent credential', async () => {
  const aclFile = path.join(sys.dir, 'locked.acl');
  fs.writeFileSync(aclFile, '# only alice\nA::alice@:rw\n');
  const c = await sys.dmg(['pool', 'create', '-s', '64M', '--label', 'locked', '-u', 'alice@', '-g', 'staff@', '-a', aclFile]);
  assert.equal(c.code, 0, c.stdout + c.stderr);
  const g = await sys.dmg(['pool', 'get-acl', 'locked']);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^# Owner: alice@$/m);
  assert.match(g.stdout, /^# Entries:\nA::alice@:rw$/m);
  const daos = await connect();
  try {
    const e = await expectDer(daos.poolConnect('locked', 'r'), DER.NO_PERM);
    assert.match(e.toString(), /may not connect/);
    // Read access for everyone: read-only connect works, read-write still refused.
    const u = await sys.dmg(['pool', 'update-acl', 'locked', '-e', 'A::EVERYONE@:r']);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /^A::EVERYONE@:r$/m);
    const ro = await daos.poolConnect('locked', 'r');
    await ro.disconnect();
    await expectDer(daos.poolConnect('locked', 'rw'), DER.NO_PERM);
    const d = await sys.dmg(['pool', 'delete-acl', 'locked', '-p', 'EVERYONE@']);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    await expectDer(daos.poolConnect('locked', 'r'), DER.NO_PERM);
    const bad = await sys.dmg(['pool', 'update-acl', 'locked', '-e', 'A::bob:rw']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /DER_INVAL/);
  } finally {
    daos.close();
  }
  const x = await sys.dmg(['pool', 'destroy', 'locked']);
  assert.equal(x.code, 0, x.stdout + x.stderr);
});

test('a restart of daos_server keeps pools, containers and data', async () => {
  await agent?.stop('SIGTERM', 10_000);
  await restartServer();
  await startAgent();
  const daos = await connect();
  try {
    const pool = await daos.poolConnect('tank', 'r');
    const cont = await pool.containerOpen('c1', 'r');
    const kv = cont.kv(cont.generateOid('S1', 7n));
    assert.equal((await kv.get('alpha'))?.toString(), 'two');
    const snaps = await cont.listSnapshots();
    assert.equal(snaps.length, 2);
    assert.deepEqual(await kv.get('beta', { epoch: snaps[0].epoch }), Buffer.alloc(10_000, 7));
    const arr = await cont.arrayOpen(arrayOid('S4', 9n));
    assert.equal(await arr.getSize(), 1000n);
    await cont.close();
    await pool.disconnect();
  } finally {
    daos.close();
  }
  const d = await sys.dmg(['pool', 'destroy', 'tank']);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.match(d.stdout, /Pool-destroy command succeeded/);
  assert.equal(fs.readdirSync(path.join(sys.dir, 'scm', 'pools')).length, 0);
});
