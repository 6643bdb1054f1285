import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError, FrameKind, encodeFrame, FRAME_HEADER_SIZE } from './framing.js';

test('a frame round-trips byte by byte', () => {
  const body = Buffer.from('hello drpc');
  const frame = encodeFrame(FrameKind.Call, body);
  assert.deepEqual([...frame.subarray(0, FRAME_HEADER_SIZE)], [0xda, 0x05, 1, 1, 0, 0, 0, body.length]);
  const dec = new FrameDecoder();
  const got = [];
  for (const b of frame) got.push(...dec.push(Buffer.from([b])));
  assert.equal(got.length, 1);
  assert.equal(got[0].kind, FrameKind.Call);
  assert.equal(got[0].body.toString(), 'hello drpc');
  assert.equal(dec.pending, 0);
});

test('several frames in one chunk, and a split header', () => {
  const a = encodeFrame(FrameKind.Response, Buffer.from('a'));
  const b = encodeFrame(FrameKind.Response, Buffer.alloc(0));
  const c = encodeFrame(FrameKind.Call, Buffer.from('ccc'));
  const all = Buffer.concat([a, b, c]);
  const dec = new FrameDecoder();
  const first = dec.push(all.subarray(0, a.length + 3));
  assert.deepEqual(first.map((f) => f.body.toString()), ['a']);
  const rest = dec.push(all.subarray(a.length + 3));
  assert.deepEqual(rest.map((f) => [f.kind, f.body.toString()]), [[FrameKind.Response, ''], [FrameKind.Call, 'ccc']]);
});

const bad: Record<string, { bytes: number[]; msg: RegExp }> = {
  'bad magic': { bytes: [0x12, 0x34, 1, 1, 0, 0, 0, 0], msg: /bad drpc frame magic 0x1234/ },
  'bad version': { bytes: [0xda, 0x05, 9, 1, 0, 0, 0, 0], msg: /unsupported drpc frame version 9/ },
  'bad kind': { bytes: [0xda, 0x05, 1, 7, 0, 0, 0, 0], msg: /bad drpc frame kind 7/ },
  oversize: { bytes: [0xda, 0x05, 1, 1, 0, 0, 0x10, 0x01], msg: /exceeds the limit of 4096 bytes/ },
};
for (const [name, tc] of Object.entries(bad)) {
  test(`decoder refuses: ${name}`, () => {
    const dec = new FrameDecoder(4096);
    assert.throws(() => dec.push(Buffer.from(tc.bytes)), (e: unknown) => e instanceof FrameError && tc.msg.test(e.message));
  });
}

test('encoder refuses an oversize body', () => {
  assert.throws(() => encodeFrame(FrameKind.Call, Buffer.alloc(10), 9), /exceeds the limit of 9 bytes/);
});

test('fuzz: random bytes never hang or crash the decoder beyond FrameError', () => {
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 2000; i++) {
    const dec = new FrameDecoder(1024);
    const len = rnd() % 64;
    const buf = Buffer.alloc(len);
    for (let j = 0; j < len; j++) buf[j] = rnd() & 0xff;
    if (i % 2 === 0 && len >= 2) buf.writeUInt16BE(0xda05, 0);
    try {
      dec.push(buf);
    } catch (e) {
      assert.ok(e instanceof FrameError, String(e));
    }
  }
});
