import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { decodeList, encodeList, encodeMessage, FrameError, HEADER_SIZE, MAX_MESSAGE, MessageParser, MsgType } from './frame.js';

test('a message is 16 bytes of header then the payload, byte for byte', () => {
  const b = encodeMessage({ type: MsgType.CONTRIB, kind: 2, seq: 0x01020304, arg: -1, payload: Buffer.from('hi') });
  assert.equal(b.toString('hex'), ['0000000e', '01', '03', '02', '00', '01020304', 'ffffffff', '6869'].join(''));
  assert.equal(b.length, HEADER_SIZE + 2);
});

test('the parser returns messages however the stream is cut', () => {
  const msgs = Array.from({ length: 20 }, (_, i) => ({ type: MsgType.RESULT, kind: i % 8, seq: i, arg: i - 5, payload: crypto.randomBytes(i * 37) }));
  const stream = Buffer.concat(msgs.map((m) => encodeMessage(m)));
  for (const cut of [1, 2, 3, 7, 16, 17, 1000, stream.length]) {
    const p = new MessageParser();
    const got = [];
    for (let off = 0; off < stream.length; off += cut) got.push(...p.push(stream.subarray(off, off + cut)));
    assert.deepEqual(
      got.map((m) => [m.type, m.kind, m.seq, m.arg, m.payload.toString('hex')]),
      msgs.map((m) => [m.type, m.kind, m.seq, m.arg, m.payload.toString('hex')]),
      `cut ${cut}`,
    );
  }
});

const bad: Record<string, { bytes: Buffer; msg: RegExp }> = {
  'length shorter than a header': { bytes: Buffer.from('00000004' + '01030000', 'hex'), msg: /shorter than a header/ },
  'length above the limit': { bytes: Buffer.from((MAX_MESSAGE + 13).toString(16).padStart(8, '0') + '01', 'hex'), msg: /exceeds the limit/ },
  'unknown version': { bytes: Buffer.from('0000000c' + '09030000' + '00000000' + '00000000', 'hex'), msg: /version 9 is not 1/ },
};
for (const [name, tc] of Object.entries(bad)) {
  test(`the parser refuses a bad header: ${name}`, () => {
    assert.throws(() => new MessageParser().push(tc.bytes), (e: Error) => e instanceof FrameError && tc.msg.test(e.message));
  });
}

test('fuzz: random bytes never crash the parser with anything but FrameError', () => {
  for (let i = 0; i < 2000; i++) {
    const p = new MessageParser();
    try {
      p.push(crypto.randomBytes(1 + (i % 64)));
    } catch (e) {
      assert.ok(e instanceof FrameError, String(e));
    }
  }
});

test('lists round-trip and truncated lists are refused', () => {
  const parts = [Buffer.alloc(0), Buffer.from('a'), crypto.randomBytes(1000)];
  assert.deepEqual(decodeList(encodeList(parts)), parts);
  const enc = encodeList(parts);
  assert.throws(() => decodeList(enc.subarray(0, enc.length - 1)), /truncated/);
  assert.throws(() => decodeList(Buffer.concat([enc, Buffer.from([0])])), /trailing/);
  assert.throws(() => decodeList(Buffer.alloc(2)), /no count/);
});
