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
      if (req.opcode === 1) return { status: 0, mapVersion: 9, meta: Buffer.from('pong:' + req.meta.toString()), bulk: [Buffer.from(req.bulk)] };
      if (req.opcode === 2) {
        await new Promise((r) => setTimeout(r, Number(req.meta.toString())));
        return { status: 0, mapVersion: 9, meta: Buffer.from(req.meta) };
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
    const r = await c.call(1, 3, Buffer.from('m'), [Buffer.from('a'), Buffer.from('b')], { mapVersion: 4 });
    assert.deepEqual([r.status, r.mapVersion, r.meta.toString(), Buffer.concat(r.bulk).toString()], [0, 9, 'pong:m', 'ab']);
    const many = await Promise.all([c.call(2, 0, Buffer.from('40')), c.call(2, 0, Buffer.from('1')), c.call(1, 0, Buffer.from('z'))]);
    assert.deepEqual(many.map((x) => x.meta.toString()), ['40', '1', 'pong:z']);
    const e = await c.call(3, 0, Buffer.alloc(0));
    assert.equal(e.status, -1005);
    assert.match(e.meta.toString(), /no such pool/);
    assert.equal((await c.call(99, 0, Buffer.alloc(0))).status, RpcStatus.NOSYS);
    await assert.rejects(c.call(1, 0, Buffer.alloc(0), [Buffer.alloc(1 << 17)]), /exceeds the message limit/);
    await assert.rejects(c.call(2, 0, Buffer.from('300'), [], { timeoutMs: 20 }), (x: unknown) => x instanceof RpcError && x.rc === RpcStatus.TIMEDOUT);
  } finally {
    c.close();
    await srv.close();
  }
});

test('a client whose clock is too far ahead is refused with HLC_SYNC', async () => {
  const srv = await serve(clock(0n));
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(1_000_000n));
  try {
    const r = await c.call(1, 0, Buffer.alloc(0));
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
  assert.equal((await c.call(1, 0, Buffer.alloc(0))).status, 0);
  c.close();
  await srv.close();
});

test('pending calls fail when the server goes away', async () => {
  const srv = await serve();
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(0n));
  const p = c.call(2, 0, Buffer.from('5000'));
  await srv.close();
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.rc === RpcStatus.UNREACH);
  assert.equal(c.closed, true);
});

test('reply bulk lands in the caller\'s buffers; large bodies, many at once, in order', async () => {
  const sizes = [0, 1, 4095, 4096, 65537, 1 << 20, 3 << 20];
  const srv = new RpcServer(async (req) => {
    const n = req.meta.readUInt32BE(0);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 7 + n) & 0xff;
    // echo the request bulk checksum back in meta
    let sum = 0;
    for (const x of req.bulk) sum = (sum + x) >>> 0;
    const m = Buffer.alloc(4);
    m.writeUInt32BE(sum);
    return { status: 0, mapVersion: 1, meta: m, bulk: n ? [b.subarray(0, n >> 1), b.subarray(n >> 1)] : [] };
  }, clock(0n), { maxBody: 8 << 20 });
  await srv.listen('127.0.0.1', 0);
  const c = await RpcConnection.connect('127.0.0.1', srv.address!.port, clock(0n), { maxBody: 8 << 20 });
  try {
    const calls = sizes.flatMap((n) => [0, 1].map(async (useSink) => {
      const m = Buffer.alloc(4);
      m.writeUInt32BE(n);
      const reqBulk = Buffer.alloc(n, 3);
      const sink = useSink ? [Buffer.alloc(Math.ceil(n / 3)), Buffer.alloc(n)] : undefined;
      const r = await c.call(1, 0, m, [reqBulk], { sink });
      assert.equal(r.meta.readUInt32BE(0), (n * 3) >>> 0);
      const got = Buffer.concat(r.bulk);
      assert.equal(got.length, n);
      for (let i = 0; i < n; i += 997) assert.equal(got[i], (i * 7 + n) & 0xff, `byte ${i} of ${n}`);
      if (sink && n > 0) assert.equal(r.bulk[0].buffer, sink[0].buffer, 'read straight into the sink');
    }));
    await Promise.all(calls);
  } finally {
    c.close();
    await srv.close();
  }
});
