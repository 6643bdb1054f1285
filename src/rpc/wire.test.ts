/**
 * The data-plane wire format: headers byte by byte, and every kind of bad
 * input is an error, never a crash or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageReader, WireError, decodeHeader, encodeHeader, WIRE_HEADER_SIZE } from './wire.js';
import { CodecError, Reader, Writer } from './codec.js';

const h = { flags: 0, opcode: 10, requestId: 7, status: -1005, mapVersion: 3, target: 5, bodyLength: 4, bulkLength: 3, hlc: 0x0102030405060708n };

test('a header round-trips, byte by byte', () => {
  const b = encodeHeader(h);
  assert.equal(b.length, WIRE_HEADER_SIZE);
  assert.equal(b.toString('hex'), '44414f53' + '01' + '00' + '000a' + '00000007' + 'fffffc13' + '00000003' + '0005' + '0000' + '00000004' + '00000003' + '0102030405060708');
  assert.deepEqual(decodeHeader(b), { version: 1, ...h });
});

test('messages split at every byte, and several in one chunk', () => {
  const m1 = Buffer.concat([encodeHeader(h), Buffer.from('abcd')]);
  const m2 = Buffer.concat([encodeHeader({ ...h, requestId: 8, bodyLength: 0, bulkLength: 0 })]);
  const all = Buffer.concat([m1, m2, m1]);
  for (let cut = 0; cut < all.length; cut++) {
    const r = new MessageReader();
    const got = [...r.push(all.subarray(0, cut)), ...r.push(all.subarray(cut))];
    assert.deepEqual(got.map((m) => [m.header.requestId, m.body.toString()]), [[7, 'abcd'], [8, ''], [7, 'abcd']]);
    assert.equal(r.pending, 0);
  }
});

const bad: Record<string, { bytes: Buffer; msg: RegExp }> = {
  'bad magic': { bytes: Buffer.alloc(WIRE_HEADER_SIZE, 0x41), msg: /bad magic/ },
  'bad version': { bytes: (() => { const b = encodeHeader(h); b[4] = 9; return b; })(), msg: /unsupported protocol version 9/ },
  'oversize body': { bytes: encodeHeader({ ...h, bodyLength: 2 ** 31 }), msg: /exceeds the limit/ },
  'bulk longer than the body': { bytes: encodeHeader({ ...h, bodyLength: 4, bulkLength: 5 }), msg: /bulk length 5 exceeds the body length 4/ },
};
for (const [name, tc] of Object.entries(bad)) {
  test(`reader refuses: ${name}`, () => {
    assert.throws(() => new MessageReader(1 << 20).push(tc.bytes), (e: unknown) => e instanceof WireError && tc.msg.test(e.message));
  });
}

test('a truncated message waits for the rest instead of failing', () => {
  const r = new MessageReader();
  assert.deepEqual(r.push(encodeHeader({ ...h, bodyLength: 100 })), []);
  assert.deepEqual(r.push(Buffer.alloc(50)), []);
  assert.equal(r.pending, 50);
});

test('codec: values round-trip; truncation and bogus counts are errors', () => {
  const w = new Writer(4);
  w.u8(1).u16(2).u32(3).i32(-4).u64(5n).bytes(Buffer.from('xyz')).str('héllo').uuid('0123abcd-0000-4000-8000-00000000ffff').bool(true);
  const buf = w.finish();
  const r = new Reader(buf);
  assert.deepEqual([r.u8(), r.u16(), r.u32(), r.i32(), r.u64(), r.bytes().toString(), r.str(), r.uuid(), r.bool()], [1, 2, 3, -4, 5n, 'xyz', 'héllo', '0123abcd-0000-4000-8000-00000000ffff', true]);
  r.end();
  for (let cut = 0; cut < buf.length; cut++) {
    assert.throws(() => {
      const t = new Reader(buf.subarray(0, cut));
      t.u8(); t.u16(); t.u32(); t.i32(); t.u64(); t.bytes(); t.str(); t.uuid(); t.bool();
    }, CodecError);
  }
  assert.throws(() => new Reader(Buffer.from([0, 0, 0, 200])).count(8), /does not fit/);
  assert.throws(() => new Writer().uuid('nope'), /not a UUID/);
});

test('fuzz: random bytes give WireError or CodecError, never anything else', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.alloc(rnd() % 120);
    for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
    if (i % 3 === 0 && b.length >= 8) b.writeUInt32BE(0x44414f53, 0), (b[4] = 1);
    try {
      new MessageReader(4096).push(b);
    } catch (e) {
      assert.ok(e instanceof WireError, String(e));
    }
    try {
      const r = new Reader(b);
      r.u32(); r.bytes(); r.uuid(); r.count(4);
    } catch (e) {
      assert.ok(e instanceof CodecError, String(e));
    }
  }
});
