/**
 * Data on three storage nodes: a pool over every rank, several client
 * processes on the login node writing and reading back verified objects of
 * replicated and plain classes; a SIGKILLed I/O server loses no acknowledged
 * update; replicated objects stay readable with one node's servers killed;
 * a restart of every node keeps all the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Cluster } from './harness/cluster.js';
import { BIN, Background, REPO, waitFor, which } from './harness/proc.js';

const skip = which('pdsh') ? false : 'pdsh is not installed (.ci/run installs it)';
const WORKER = path.join(REPO, 'test/harness/data-worker.mjs');
const REPLICATED = ['RP_3G1', 'RP_2G1', 'RP_2G2', 'RP_3GX'];

interface WorkerResult {
  mode: string;
  written?: number;
  checked?: number;
  failures: { class: string; index: number; error: string }[];
}

test('data on three nodes survives kills and restarts', { skip, timeout: 900_000 }, async (t) => {
  const c = await Cluster.create({ nodes: 3, targets: 2, bdevSizeGB: 4 });
  const agentDir = path.join(c.loginDir, 'agent');
  let agent: Background | undefined;
  let failed = false;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (failed) return;
    await t.test(name, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        process.stderr.write(`\n==== cluster logs (${name}) ====\n${c.logs()}\n--- agent ---\n${agent?.output ?? ''}\n`);
        throw e;
      }
    });
  };
  const worker = (args: string[]): Background => {
    const [cmd, argv] = c.onLogin([process.execPath, WORKER, ...args]);
    return new Background(cmd, argv);
  };
  const finish = async (w: Background, timeoutMs = 240_000): Promise<WorkerResult> => {
    const timer = setTimeout(() => void w.stop('SIGKILL'), timeoutMs);
    await w.exited;
    clearTimeout(timer);
    const line = w.output.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    assert.ok(line, `worker printed no result:\n${w.output}`);
    return JSON.parse(line) as WorkerResult;
  };
  const verify = async (logs: string[]): Promise<WorkerResult> => finish(worker(['verify', agentDir, 'data', 'c1', ...logs]));
  const startAgent = async () => {
    const [cmd, args] = c.onLogin([path.join(BIN, 'daos_agent'), '-i', '-o', path.join(c.loginDir, 'daos_agent.yml')]);
    agent = new Background(cmd, args);
    await waitFor('the agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || !agent!.running, 30_000, 100);
    assert.ok(agent.running, agent.output);
  };
  const ack = (n: string) => path.join(c.loginDir, `ack-${n}.log`);

  try {
    await step('three nodes formatted, an agent on the login node, a pool over every rank', async () => {
      await c.startAll();
      await c.dmg(['-l', c.hostList, 'storage', 'format']);
      await c.waitJoined(3);
      fs.mkdirSync(agentDir, { recursive: true });
      fs.writeFileSync(
        path.join(c.loginDir, 'daos_agent.yml'),
        YAML.stringify({ access_points: [c.nodes[0].addr], port: Number(c.nodes[0].addr.split(':')[1]), runtime_dir: agentDir, log_file: path.join(c.loginDir, 'daos_agent.log'), transport_config: { allow_insecure: true } }),
      );
      await startAgent();
      const r = await c.dmg(['-l', c.nodes[0].addr, 'pool', 'create', '-s', '128M', '-n', '2G', '--nsvc', '3', '--label', 'data']);
      assert.match(r.stdout, /Pool-create command SUCCEEDED: UUID: [0-9a-f-]{36}, Service replicas: 1,2/);
      const q = await c.dmg(['-l', c.nodes[0].addr, 'pool', 'query', 'data']);
      assert.match(q.stdout, /ntarget=6, disabled=0/);
      // The container, from the login node, through the agent.
      const mk = await finish(worker(['mkcont', agentDir, 'data', 'c1']), 60_000);
      assert.deepEqual(mk.failures, []);
    });

    await step('four client processes write and read back verified objects of every class', async () => {
      const classes = ['RP_3G1', 'RP_2G1', 'S1', 'S2', 'RP_2G2', 'SX', 'RP_3GX', 'S4'].join(',');
      const ws = [1, 2, 3, 4].map((s) => worker(['write', agentDir, 'data', 'c1', String(s), '16', classes, ack(`w${s}`)]));
      const results = await Promise.all(ws.map((w) => finish(w)));
      for (const r of results) assert.deepEqual(r.failures, [], JSON.stringify(r.failures.slice(0, 3)));
      assert.equal(results.reduce((n, r) => n + (r.written ?? 0), 0), 64);
      const v = await verify([1, 2, 3, 4].map((s) => ack(`w${s}`)));
      assert.equal(v.checked, 64, JSON.stringify(v.failures.slice(0, 3)));
    });

    await step('a SIGKILLed I/O server loses no acknowledged update', async () => {
      // Replicated writes keep going while the I/O server of node2 is killed and restarted.
      const w = worker(['write', agentDir, 'data', 'c1', '5', '30', 'RP_3G1,RP_2G1,S1', ack('kill'), '50']);
      await waitFor('some writes acknowledged', () => fs.existsSync(ack('kill')) && fs.readFileSync(ack('kill'), 'utf8').split('\n').length > 5, 60_000, 100);
      const [pid] = c.pidsOn('node2', 'daos_io_server');
      assert.ok(pid, 'no I/O server on node2');
      process.kill(pid, 'SIGKILL');
      const members = await waitFor('node2 reported errored', async () => {
        const ms = await c.members();
        return ms.find((m) => m.addr.startsWith(c.node('node2').ip) && m.state !== 'Joined') ? ms : undefined;
      }, 30_000, 300);
      const rank = members.find((m) => m.addr.startsWith(c.node('node2').ip))!.rank;
      await c.dmg(['-l', c.nodes[0].addr, 'system', 'start', '-r', String(rank)]);
      await c.waitJoined(3);
      const r = await finish(w);
      // Writes that saw the kill either succeeded on retry or failed for good; none is half-visible.
      const v = await verify([ack('kill')]);
      assert.deepEqual(v.failures, []);
      assert.equal(v.checked, r.written);
      assert.ok((r.written ?? 0) >= 20, `only ${r.written} of 30 writes succeeded: ${JSON.stringify(r.failures.slice(0, 3))}`);
    });

    await step("replicated objects stay readable with one node's servers killed", async () => {
      await c.stopNode('node3', 'SIGKILL');
      const v = await verify([1, 2, 3, 4].map((s) => ack(`w${s}`)));
      const replicatedFailures = v.failures.filter((f) => REPLICATED.includes(f.class));
      assert.deepEqual(replicatedFailures, [], JSON.stringify(replicatedFailures.slice(0, 3)));
      assert.ok(v.checked !== undefined && v.checked >= 32, `only ${v.checked} objects readable`);
      await c.startNode('node3');
      await c.waitJoined(3);
    });

    await step('a restart of every node keeps all the data', async () => {
      await agent?.stop();
      for (const n of c.nodes) await c.stopNode(n.name);
      for (const n of c.nodes) await c.startNode(n.name);
      await c.waitJoined(3, 90_000);
      await startAgent();
      const v = await verify([...[1, 2, 3, 4].map((s) => ack(`w${s}`)), ack('kill')]);
      assert.deepEqual(v.failures, [], JSON.stringify(v.failures.slice(0, 3)));
      assert.ok(v.checked !== undefined && v.checked >= 84);
    });
  } finally {
    await agent?.stop();
    await c.destroy();
  }
});
