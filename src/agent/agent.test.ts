/**
 * daos_agent in process: one agent per runtime_dir (the pid lock, taken
 * before the socket is touched; stale locks replaced; socket and lock removed
 * only by their owner), and a management service in the other transport mode
 * named as such, with its fix.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, AGENT_LOCK, AGENT_SOCK } from './agent.js';
import { AttachInfoCache } from './attach_cache.js';
import { defaultClientConfig } from '../config/client.js';
import { Fault } from '../fault/fault.js';
import { Logger, MemorySink } from '../logging/logger.js';
import { GrpcCallError } from '../lib/grpc/service.js';
import type { ProcessSeams } from '../lib/pidlock/pidlock.js';
import { securityFaults } from '../security/faults.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function runtimeDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
  dirs.push(d);
  return d;
}

/** A closed port: the agent's cache retries in the background; nothing here needs the MS. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function newAgent(dir: string, processes: ProcessSeams, log = new Logger()): Promise<Agent> {
  const cfg = defaultClientConfig('daos_agent');
  cfg.accessPoints = [`127.0.0.1:${await closedPort()}`];
  cfg.runtimeDir = dir;
  cfg.transport.allowInsecure = true;
  return new Agent(cfg, log, { processes, diagnose: async () => undefined });
}

/** Processes: pid → name of the live ones; we are pid 100. */
function procs(live: Record<number, string>): ProcessSeams {
  return { alive: (pid) => pid in live, name: (pid) => live[pid] ?? '', self: 100 };
}

const cases: Record<string, { lock?: string; live: Record<number, string>; refused?: RegExp }> = {
  'no lock file': { live: {} },
  'a live daos_agent holds the runtime_dir': { lock: '4242\n', live: { 4242: 'daos_agent' }, refused: /^another daos_agent \(pid 4242\) is already running with runtime_dir / },
  'the lock of a dead agent is stale': { lock: '4242\n', live: {} },
  'the pid now belongs to another program': { lock: '4242\n', live: { 4242: 'bash' } },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`agent lock: ${name}`, async () => {
    const dir = runtimeDir();
    const lock = path.join(dir, AGENT_LOCK);
    const sock = path.join(dir, AGENT_SOCK);
    if (tc.lock !== undefined) fs.writeFileSync(lock, tc.lock);
    // The live agent's socket (or a stale one left by a crash).
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(sock, r));
    const otherIno = fs.statSync(sock).ino;
    const agent = await newAgent(dir, procs(tc.live));
    try {
      if (tc.refused) {
        await assert.rejects(agent.start(), (e: unknown) => e instanceof Fault && tc.refused!.test(e.description) && /kill 4242/.test(e.resolution) && /runtime_dir/.test(e.resolution));
        assert.throws(() => agent.preflight(), (e: unknown) => e instanceof Fault && tc.refused!.test(e.description), 'refused by the read-only check too');
        assert.equal(fs.readFileSync(lock, 'utf8'), tc.lock, "the holder's lock is untouched");
        assert.equal(fs.statSync(sock).ino, otherIno, "the holder's socket is untouched");
        await agent.stop();
        assert.equal(fs.statSync(sock).ino, otherIno, 'a refused agent removes nothing at exit');
        return;
      }
      await agent.start();
      assert.equal(fs.readFileSync(lock, 'utf8'), '100\n');
      assert.notEqual(fs.statSync(sock).ino, otherIno, 'the stale socket is replaced');
      await agent.stop();
      assert.equal(fs.existsSync(lock), false, 'the lock is removed at exit');
      assert.equal(fs.existsSync(sock), false, 'the socket is removed at exit');
    } finally {
      await agent.stop();
      await new Promise((r) => other.close(r));
    }
  });
}

test('attach info: a management service in the other transport mode is named with its fix, in the log and to clients', async () => {
  const sink = new MemorySink();
  const log = new Logger([{ sink, level: 'debug' }]);
  const noConn = new GrpcCallError({ code: 14, details: 'No connection established', address: 'ms:10001', reason: 'no connection could be established', transport: true, message: 'cannot connect to ms:10001: no connection could be established' });
  const client = { unary: async () => Promise.reject(noConn) };
  let probes = 0;
  const cache = new AttachInfoCache(client as never, 'daos_server', 'ms:10001', log, {
    retryMs: 20,
    diagnose: async () => {
      probes++;
      return { reason: 'mismatch', fault: (hosts: string) => securityFaults.transportMismatch(true, hosts) };
    },
  });
  cache.start();
  try {
    const t0 = Date.now();
    await assert.rejects(cache.get(5000), (e: unknown) => e instanceof Fault && /^ms:10001: the server requires TLS .* but this client runs insecure/.test(e.description) && /drop -i/.test(e.resolution));
    assert.ok(Date.now() - t0 < 4000, 'a known misconfiguration is reported without waiting for the deadline');
    assert.ok(probes >= 1);
    assert.match(sink.text(), /error: attach info: ms:10001: the server requires TLS .*; resolution: drop -i/);
    assert.doesNotMatch(sink.text(), /no connection could be established/);
  } finally {
    await cache.stop();
  }
});

test('attach info: a plain network failure keeps the guide message', async () => {
  const refused = new GrpcCallError({ code: 14, details: 'ECONNREFUSED', address: 'ms:10001', reason: 'connection refused', transport: true, message: 'cannot connect to ms:10001: connection refused' });
  const cache = new AttachInfoCache({ unary: async () => Promise.reject(refused) } as never, 'daos_server', 'ms:10001', new Logger(), {
    retryMs: 20,
    diagnose: async () => ({ reason: 'connection refused' }),
  });
  cache.start();
  try {
    await assert.rejects(cache.get(300), (e: unknown) => e instanceof Fault && /daos_agent has no attach info: the management service at ms:10001 did not answer \(cannot connect to ms:10001: connection refused\)/.test(e.description));
  } finally {
    await cache.stop();
  }
});
