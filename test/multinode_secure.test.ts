/**
 * The multi-node deployment with mutual TLS everywhere: certificates made by
 * daos_certgen and installed on every node, daos_server started with pdsh in
 * secure mode, dmg with the admin certificate, daos_agent with the agent
 * certificate on the login (compute) node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Cluster } from './harness/cluster.js';
import { BIN, REPO, Background, run, waitFor, which } from './harness/proc.js';

const skip = which('pdsh') ? false : 'pdsh is not installed (.ci/run installs it)';

test('three secure storage nodes and an agent', { skip, timeout: 600_000 }, async (t) => {
  const c = await Cluster.create({ nodes: 3, secure: true });
  let agent: Background | undefined;
  let failed = false;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (failed) return;
    await t.test(name, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        process.stderr.write(`\n==== cluster logs (${name}) ====\n${c.logs()}\n${agent?.output ?? ''}\n`);
        throw e;
      }
    });
  };
  const attachInfo = async () => {
    const [cmd, args] = c.onLogin([process.execPath, path.join(REPO, 'test/harness/agent-query.mjs'), path.join(c.loginDir, 'agent')]);
    const r = await run(cmd, args, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`agent query failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { ranks: { rank: number; uri: string }[]; mapVersion: number };
  };
  try {
    await step('secure scan, format and query with pdsh-started servers', async () => {
      await c.startAll();
      const scan = await c.dmg(['-l', c.hostList, 'storage', 'scan'], { json: true });
      assert.equal(scan.json.status, 0, scan.stdout + scan.stderr);
      assert.equal(Object.keys(scan.json.response.hosts).length, 3);
      const f = await c.dmg(['-l', c.hostList, 'storage', 'format'], { json: true });
      assert.equal(f.json.status, 0, f.stdout + f.stderr);
      await c.waitJoined(3);
    });

    await step('insecure dmg is refused with a clear error', async () => {
      const [cmd, args] = c.onLogin([path.join(BIN, 'dmg'), '-i', '-l', c.hostList, 'storage', 'scan']);
      const r = await run(cmd, args, { timeoutMs: 60_000 });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /the server requires TLS/);
    });

    await step("the agent's attach info matches dmg system query", async () => {
      const [cmd, args] = c.onLogin([path.join(BIN, 'daos_agent'), '-o', path.join(c.loginDir, 'daos_agent.yml')]);
      agent = new Background(cmd, args);
      await waitFor('the agent to listen', () => /Listening on/.test(agent!.output) || !agent!.running, 30_000, 100);
      const ai = await waitFor('attach info with 3 ranks', async () => {
        const a = await attachInfo();
        return a.ranks.length === 3 ? a : undefined;
      }, 20_000, 200);
      const ms = await c.members();
      assert.deepEqual(ai.ranks, ms.map((m) => ({ rank: m.rank, uri: (m as unknown as { fabricUri: string }).fabricUri })).sort((a, b) => a.rank - b.rank));
      if (c.netns) for (const r of ai.ranks) assert.match(r.uri, /^ofi\+tcp:\/\/10\.213\.\d+\.\d+:31416$/);
    });

    await step("a node leaving and joining changes the agent's answer", async () => {
      const rank = (await c.members()).find((m) => m.faultDomain === '/node3' || m.addr === c.node('node3').addr)?.rank ?? 2;
      await c.stopNode('node3');
      await waitFor('the rank to leave the attach info', async () => !(await attachInfo()).ranks.some((r) => r.rank === rank), 20_000, 200);
      await c.startNode('node3');
      await c.waitJoined(3);
      await waitFor('the rank to return to the attach info', async () => (await attachInfo()).ranks.some((r) => r.rank === rank), 20_000, 200);
    });
  } finally {
    await agent?.stop();
    await c.destroy();
  }
});
