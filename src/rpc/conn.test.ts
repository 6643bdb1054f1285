import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RpcConnection, RpcServer, RpcStatus, RpcError, type MessageClock } from './conn.js';

/** A clock whose merge refuses peers more than 1000 units ahead. */
function clock(start: bigint): MessageClock & { t: bigint } {
  return {
    t: start,
    now() {
      return ++this.t;
    },
    merge(r: bigint) {
      if (r > this.t + 1000n) throw new RpcError(RpcStatus.HLC_SYNC, `peer is ${r - this.t} ahead`);
      if (r > this.t) this.t = r;
      return ++this.t;
    },
  };
}

async function serve(sclock = clock(0n)) {
  const srv = new RpcServer(
    async (req) => {
      if (req.opcode === 1) return { status: 0, mapVersion: 9, body: [Buffer.from('pong:'), req.body] };
      if (req.opcode === 2) {
        await new Promise((r) => setTimeout(r, Number(req.body.toString())));
        return { status: 0, mapVersion: 9, body: [req.body] };
      }
      if (req.opcode === 3) throw Object.assign(new Error('no such pool'), { rc: -1005 });
      return { status: RpcStatus.NOSYS, mapVersion: 9 };
    },
    sclock,
    { maxBody: 1 << 16 },
  );
  await srv.listen('127.0.0.1', 0);
  return srv;
}

test('requests, many in flight, errors with status, unknown opcodes', async () => {
  const srv = await serve();
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(0n), { maxBody: 1 << 16 });
  try {
    const r = await c.call(1, 3, [Buffer.from('a'), Buffer.from('b')], { mapVersion: 4 });
    assert.deepEqual([r.status, r.mapVersion, r.body.toString()], [0, 9, 'pong:ab']);
    const many = await Promise.all([c.call(2, 0, [Buffer.from('40')]), c.call(2, 0, [Buffer.from('1')]), c.call(1, 0, [Buffer.from('z')])]);
    assert.deepEqual(many.map((x) => x.body.toString()), ['40', '1', 'pong:z']);
    const e = await c.call(3, 0, []);
    assert.equal(e.status, -1005);
    assert.match(e.body.toString(), /no such pool/);
    assert.equal((await c.call(99, 0, [])).status, RpcStatus.NOSYS);
    await assert.rejects(c.call(1, 0, [Buffer.alloc(1 << 17)]), /exceeds the message limit/);
    await assert.rejects(c.call(2, 0, [Buffer.from('300')], { timeoutMs: 20 }), (x: unknown) => x instanceof RpcError && x.rc === RpcStatus.TIMEDOUT);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a client whose clock is too far ahead is refused with HLC_SYNC', async () => {
  const srv = await serve(clock(0n));
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(1_000_000n));
  try {
    const r = await c.call(1, 0, []);
    assert.equal(r.status, RpcStatus.HLC_SYNC);
  } finally {
    c.close();
    await srv.close();
  }
});

test('garbage closes the connection; the server keeps serving others', async () => {
  const srv = await serve();
  const raw = net.createConnection({ host: '127.0.0.1', port: srv.address!.port });
  await new Promise((r) => raw.once('connect', r));
  const closed = new Promise((r) => raw.once('close', r));
  raw.write(Buffer.alloc(64, 0x42));
  await closed;
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(0n));
  assert.equal((await c.call(1, 0, [])).status, 0);
  c.close();
  await srv.close();
});

test('pending calls fail when the server goes away', async () => {
  const srv = await serve();
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(0n));
  const p = c.call(2, 0, [Buffer.from('5000')]);
  await srv.close();
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.rc === RpcStatus.UNREACH);
  assert.equal(c.closed, true);
});
