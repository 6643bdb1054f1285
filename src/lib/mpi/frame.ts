/**
 * The messages ranks exchange over the group's Unix socket: a 16-byte header
 * and a payload.
 *
 *   offset size field
 *   0      4    length of everything after this field (12 + payload), u32 BE
 *   4      1    version (1)
 *   5      1    type (MsgType)
 *   6      1    collective kind (Kind; 0 when not a collective)
 *   7      1    reserved (0)
 *   8      4    sequence number of the collective (u32 BE)
 *   12     4    argument: the root rank of a collective, an exit code (i32 BE)
 *   16     ...  payload
 *
 * NB: the parser refuses an unknown version or a message above MAX_MESSAGE
 * before buffering it, so a confused peer cannot make a rank allocate
 * without bound.
 */

export const FRAME_VERSION = 1;
export const HEADER_SIZE = 16;
/** The largest payload a collective may carry (gather results included). */
export const MAX_MESSAGE = 256 << 20;

export const MsgType = {
  /** rank k → rank 0: join (payload: JSON Hello). */
  HELLO: 1,
  /** rank 0 → every rank: everyone joined (payload: JSON list of pids by rank). */
  READY: 2,
  /** rank k → rank 0: a contribution to a collective. */
  CONTRIB: 3,
  /** rank 0 → rank k: the result of a collective. */
  RESULT: 4,
  /** either way: the group failed (payload: the message). */
  FAIL: 5,
  /** either way: a rank called abort(code) (arg: code, payload: message). */
  ABORT: 6,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

export const Kind = {
  NONE: 0,
  BARRIER: 1,
  BCAST: 2,
  GATHER: 3,
  ALLGATHER: 4,
  REDUCE: 5,
  ALLREDUCE: 6,
  FINALIZE: 7,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES: Record<number, string> = {
  0: 'none',
  1: 'barrier',
  2: 'bcast',
  3: 'gather',
  4: 'allgather',
  5: 'reduce',
  6: 'allreduce',
  7: 'finalize',
};

export function kindName(k: number): string {
  return KIND_NAMES[k] ?? `collective kind ${k}`;
}

export interface Message {
  type: number;
  kind: number;
  seq: number;
  arg: number;
  payload: Buffer;
}

export class FrameError extends Error {
  override name = 'FrameError';
}

export function encodeMessage(m: { type: number; kind?: number; seq?: number; arg?: number; payload?: Buffer }): Buffer {
  const payload = m.payload ?? EMPTY;
  if (payload.length > MAX_MESSAGE) throw new FrameError(`a message of ${payload.length} bytes exceeds the limit of ${MAX_MESSAGE} bytes`);
  const b = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  b.writeUInt32BE(HEADER_SIZE - 4 + payload.length, 0);
  b.writeUInt8(FRAME_VERSION, 4);
  b.writeUInt8(m.type, 5);
  b.writeUInt8(m.kind ?? 0, 6);
  b.writeUInt8(0, 7);
  b.writeUInt32BE((m.seq ?? 0) >>> 0, 8);
  b.writeInt32BE(m.arg ?? 0, 12);
  payload.copy(b, HEADER_SIZE);
  return b;
}

const EMPTY = Buffer.alloc(0);

/** Splits a byte stream into messages. */
export class MessageParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feed bytes; returns the complete messages they finish. Throws FrameError on a bad header. */
  push(chunk: Buffer): Message[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Message[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(Math.min(HEADER_SIZE, this.buffered));
      const len = head.readUInt32BE(0);
      if (len < HEADER_SIZE - 4) throw new FrameError(`message length ${len} is shorter than a header`);
      if (len - (HEADER_SIZE - 4) > MAX_MESSAGE) throw new FrameError(`message of ${len} bytes exceeds the limit of ${MAX_MESSAGE} bytes`);
      if (head.length >= 5 && head.readUInt8(4) !== FRAME_VERSION) throw new FrameError(`message version ${head.readUInt8(4)} is not ${FRAME_VERSION}`);
      if (this.buffered < 4 + len) break;
      const whole = this.take(4 + len);
      out.push({
        type: whole.readUInt8(5),
        kind: whole.readUInt8(6),
        seq: whole.readUInt32BE(8),
        arg: whole.readInt32BE(12),
        payload: whole.subarray(HEADER_SIZE),
      });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const whole = first.subarray(0, n);
    const rest = first.subarray(n);
    this.chunks = rest.length ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1);
    this.buffered -= n;
    return whole;
  }
}

/** A list of buffers as one payload: u32 count, then u32 length + bytes for each. */
export function encodeList(parts: readonly Buffer[]): Buffer {
  let n = 4;
  for (const p of parts) n += 4 + p.length;
  const b = Buffer.allocUnsafe(n);
  b.writeUInt32BE(parts.length, 0);
  let off = 4;
  for (const p of parts) {
    b.writeUInt32BE(p.length, off);
    p.copy(b, off + 4);
    off += 4 + p.length;
  }
  return b;
}

export function decodeList(b: Buffer): Buffer[] {
  if (b.length < 4) throw new FrameError(`a list payload of ${b.length} bytes has no count`);
  const count = b.readUInt32BE(0);
  const out: Buffer[] = [];
  let off = 4;
  for (let i = 0; i < count; i++) {
    if (off + 4 > b.length) throw new FrameError(`list item ${i} of ${count} is truncated`);
    const len = b.readUInt32BE(off);
    if (off + 4 + len > b.length) throw new FrameError(`list item ${i} of ${count} is truncated`);
    out.push(b.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  if (off !== b.length) throw new FrameError(`a list payload has ${b.length - off} trailing bytes`);
  return out;
}
