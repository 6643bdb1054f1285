/**
 * The deployment guide from "Server Startup" to "Storage Formatting" on three
 * storage nodes started with pdsh: scan, format, ranks joined, a node restart
 * keeping its rank, a refused second format, a killed I/O server reported as
 * errored, and a silent node reported as unresponsive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster } from './harness/cluster.js';
import { waitFor, which } from './harness/proc.js';

const skip = which('pdsh') ? false : 'pdsh is not installed (.ci/run installs it)';

test('three storage nodes follow the deployment guide', { skip, timeout: 600_000 }, async (t) => {
  const c = await Cluster.create({ nodes: 3 });
  const hl = c.hostList;
  let failed = false;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (failed) return;
    await t.test(name, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        process.stderr.write(`\n==== cluster logs (${name}) ====\n${c.logs()}\n`);
        throw e;
      }
    });
  };
  try {
    await step('daos_server starts on every node with pdsh and waits for format', async () => {
      await c.startAll();
      for (const n of c.nodes) {
        const log = fs.readFileSync(path.join(n.dir, 'log/daos_control.log'), 'utf8');
        assert.match(log, /SCM format required/);
        assert.match(log, /maintenance mode/);
      }
    });

    await step('dmg storage scan groups the identical hosts', async () => {
      const r = await c.dmg(['-l', hl, 'storage', 'scan']);
      const set = c.netns ? 'node[1-3]' : undefined;
      if (set) {
        assert.match(r.stdout, new RegExp(`^${set.replace(/[[\]]/g, '\\$&')}:10001: connected$`, 'm'));
        assert.match(r.stdout, /^Hosts\s+SCM Total\s+NVMe Total$/m);
        assert.match(r.stdout, new RegExp(`^${set.replace(/[[\]]/g, '\\$&')} `, 'm'));
      }
      const j = await c.dmg(['-l', hl, 'storage', 'scan', '--verbose'], { json: true });
      assert.equal(j.json.status, 0);
      assert.equal(Object.keys(j.json.response.hosts).length, 3);
    });

    await step('dmg network scan shows the fabric interface of every node', async () => {
      const j = await c.dmg(['-l', hl, 'network', 'scan', '-p', 'ofi+tcp'], { json: true });
      for (const devs of Object.values(j.json.response.hosts) as { device: string; provider: string }[][]) {
        assert.ok(devs.some((d) => d.device === (c.netns ? 'eth0' : 'lo') && d.provider === 'ofi+tcp'), JSON.stringify(devs));
      }
    });

    let ranks: Map<string, number> = new Map();
    let uuids: Map<number, string> = new Map();
    await step('dmg storage format starts the I/O servers and every rank joins', async () => {
      const r = await c.dmg(['-l', hl, 'storage', 'format']);
      if (c.netns) assert.match(r.stdout, /^node\[1-3\]: storage format ok$/m);
      const ms = await c.waitJoined(3);
      assert.deepEqual(ms.map((m) => m.rank).sort(), [0, 1, 2]);
      ranks = new Map(ms.map((m) => [m.faultDomain.slice(1), m.rank]));
      uuids = new Map(ms.map((m) => [m.rank, m.uuid]));
      if (c.netns) {
        assert.deepEqual([...ranks.keys()].sort(), ['node1', 'node2', 'node3']);
        for (const m of ms) assert.equal(m.addr, `${c.node(m.faultDomain.slice(1)).ip}:10001`);
      }
      for (const n of c.nodes) {
        const log = fs.readFileSync(path.join(n.dir, 'log/daos_control.log'), 'utf8');
        const host = c.netns ? n.name : '\\S+';
        assert.match(log, new RegExp(`DAOS I/O server \\(v0\\.8\\.0\\) process \\d+ started on rank \\d+ with 2 target, 1 helper XS per target, firstcore 0, host ${host}\\.`));
        assert.match(await c.readOnNode(n.name, path.join(n.dir, 'scm/0/superblock')), /^uuid: [0-9a-f-]{36}$/m);
        assert.match(await c.readOnNode(n.name, path.join(n.dir, 'scm/0/daos_nvme.conf')), /^\[AIO\]\n {4}AIO \S+bdev0 AIO_\S+_0 4096$/m);
      }
      const text = await c.dmg(['-l', c.nodes[0].addr, 'system', 'query']);
      assert.match(text.stdout, /^\[0-2\] Joined$/m);
    });

    await step('a restarted node keeps its rank and skips maintenance mode', async () => {
      const rank = ranks.get(c.netns ? 'node2' : [...ranks.keys()][1])!;
      await c.stopNode('node2');
      await waitFor('rank to show stopped', async () => (await c.members()).find((m) => m.rank === rank)?.state === 'Stopped', 20_000);
      await c.startNode('node2');
      const ms = await c.waitJoined(3);
      const m = ms.find((x) => x.rank === rank)!;
      assert.equal(m.uuid, uuids.get(rank));
      assert.doesNotMatch(c.node('node2').server!.output, /SCM format required/);
      assert.match(c.node('node2').server!.output, /storage ready/);
    });

    await step('the access point restarts and keeps every rank', async () => {
      await c.stopNode('node1');
      await c.startNode('node1');
      const ms = await c.waitJoined(3);
      for (const m of ms) assert.equal(uuids.get(m.rank), m.uuid);
    });

    await step('a second format is refused without --reformat and changes nothing', async () => {
      const superblocks = () => Promise.all(c.nodes.map((n) => c.readOnNode(n.name, path.join(n.dir, 'scm/0/superblock'))));
      const before = await superblocks();
      const running = await c.dmg(['-l', hl, 'storage', 'format'], { check: false });
      assert.notEqual(running.code, 0);
      assert.match(running.stdout, /cannot format storage with running I\/O server instances/);
      const stop = await c.dmg(['-l', c.nodes[0].addr, 'system', 'stop'], { json: true });
      assert.equal(stop.json.status, 0);
      assert.ok((await c.members()).every((m) => m.state === 'Stopped'));
      const again = await c.dmg(['-l', hl, 'storage', 'format'], { check: false });
      assert.notEqual(again.code, 0);
      assert.match(again.stdout, /already-formatted storage and reformat not specified/);
      assert.match(again.stdout, /retry the operation with reformat option/);
      const after = await superblocks();
      assert.deepEqual(after, before);
      const start = await c.dmg(['-l', c.nodes[0].addr, 'system', 'start'], { json: true });
      assert.equal(start.json.status, 0, JSON.stringify(start.json));
      const ms = await c.waitJoined(3);
      for (const m of ms) assert.equal(uuids.get(m.rank), m.uuid);
    });

    await step('a killed I/O server is reported as errored within seconds, and restarts', async () => {
      const rank = ranks.get(c.netns ? 'node3' : [...ranks.keys()][2])!;
      const [pid] = c.pidsOn('node3', 'daos_io_server');
      assert.ok(pid, 'an I/O server runs on node3');
      process.kill(pid, 'SIGKILL');
      const m = await waitFor('rank to show errored', async () => {
        const x = (await c.members()).find((y) => y.rank === rank);
        return x?.state === 'Errored' ? x : undefined;
      }, 10_000, 200);
      assert.match(m.info, /SIGKILL/);
      assert.equal(c.pidsOn('node3', 'daos_server').length, 1, 'daos_server keeps running');
      const start = await c.dmg(['-l', c.nodes[0].addr, 'system', 'start', '-r', String(rank)], { json: true });
      assert.equal(start.json.status, 0, JSON.stringify(start.json));
      await c.waitJoined(3);
    });

    await step('a node that dies entirely is reported as unresponsive', async () => {
      const rank = ranks.get(c.netns ? 'node3' : [...ranks.keys()][2])!;
      await c.stopNode('node3', 'SIGKILL');
      await waitFor('rank to show unresponsive', async () => (await c.members()).find((y) => y.rank === rank)?.state === 'Unresponsive', 30_000, 500);
    });
  } finally {
    await c.destroy();
  }
});
