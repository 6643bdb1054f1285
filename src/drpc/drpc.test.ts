import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DrpcClient, DrpcServer, DrpcStatus, DrpcStatusError } from './drpc.js';
import { Fault } from '../fault/fault.js';

function tmpSock(): { dir: string; sock: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drpc-'));
  return { dir, sock: path.join(dir, 'test.sock') };
}

test('calls, concurrent calls, unknown module/method, faults', async () => {
  const { dir, sock } = tmpSock();
  const srv = new DrpcServer(sock);
  srv.register(0, 1, async (body) => body); // echo
  srv.register(0, 2, async (body) => {
    await new Promise((r) => setTimeout(r, Number(Buffer.from(body).toString())));
    return body;
  });
  srv.register(0, 3, async () => {
    throw new Fault({ domain: 'test', code: 7, description: 'it broke', resolution: 'fix it' });
  });
  srv.registerModule(5);
  await srv.listen();
  assert.equal(fs.statSync(sock).mode & 0o777, 0o777);
  const c = await DrpcClient.connect(sock);
  try {
    assert.equal(Buffer.from(await c.call(0, 1, Buffer.from('ping'))).toString(), 'ping');
    // Many in flight: the slow one must not block the fast ones, and answers match calls.
    const res = await Promise.all([c.call(0, 2, Buffer.from('50')), c.call(0, 2, Buffer.from('1')), c.call(0, 1, Buffer.from('x'))]);
    assert.deepEqual(res.map((r) => Buffer.from(r).toString()), ['50', '1', 'x']);
    await assert.rejects(c.call(9, 1), (e: unknown) => e instanceof DrpcStatusError && e.status === DrpcStatus.UNKNOWN_MODULE);
    await assert.rejects(c.call(5, 1), (e: unknown) => e instanceof DrpcStatusError && e.status === DrpcStatus.UNKNOWN_METHOD);
    await assert.rejects(c.call(0, 3), (e: unknown) => e instanceof Fault && e.code === 7 && e.resolution === 'fix it');
    await assert.rejects(c.call(0, 2, Buffer.from('500'), { timeoutMs: 20 }), /got no answer within 20 ms/);
  } finally {
    c.close();
    await srv.close();
  }
  assert.equal(fs.existsSync(sock), false);
  fs.rmSync(dir, { recursive: true });
});

test('a stale socket file is replaced; a client sees the server going away', async () => {
  const { dir, sock } = tmpSock();
  const first = new DrpcServer(sock);
  await first.listen();
  // Simulate a crash: the listener goes away but leaves the file behind.
  const s2 = new DrpcServer(sock);
  await s2.listen();
  s2.register(0, 1, async (b) => b);
  const c = await DrpcClient.connect(sock);
  const closed = new Promise<void>((r) => c.onClose(() => r()));
  await s2.close();
  await closed;
  assert.equal(c.closed, true);
  await assert.rejects(c.call(0, 1), /closed/);
  await first.close();
  fs.rmSync(dir, { recursive: true });
});

test('a server closing removes the socket only while it is its own, never a newer server\'s', async () => {
  const { dir, sock } = tmpSock();
  const old = new DrpcServer(sock, { mode: 0o700 });
  await old.listen();
  assert.equal(fs.statSync(sock).mode & 0o777, 0o700, 'the socket appears with its mode');
  assert.deepEqual(fs.readdirSync(dir), ['test.sock'], 'no temporary name left behind');
  // Another server takes the name (the old one is still running, e.g. its lock was removed by hand).
  const newer = new DrpcServer(sock);
  newer.register(0, 1, async (b) => b);
  await newer.listen();
  await old.close();
  assert.ok(fs.existsSync(sock), "the old server's close left the newer socket in place");
  const c = await DrpcClient.connect(sock);
  assert.deepEqual(Buffer.from(await c.call(0, 1, Buffer.from('hi'))).toString(), 'hi');
  c.close();
  await newer.close();
  assert.equal(fs.existsSync(sock), false, 'the owner removes its socket');
  fs.writeFileSync(sock, 'not a socket');
  await assert.rejects(new DrpcServer(sock).listen(), /EADDRINUSE/, 'a file that is not a socket is never replaced');
  assert.equal(fs.readFileSync(sock, 'utf8'), 'not a socket');
  fs.rmSync(dir, { recursive: true });
});

test('connecting to a missing socket is a clear fault', async () => {
  await assert.rejects(DrpcClient.connect('/nonexistent/dir/x.sock'), (e: unknown) => e instanceof Fault && /unable to connect to dRPC socket \/nonexistent\/dir\/x.sock: ENOENT/.test(e.description));
});
