/**
 * dRPC framing over SOCK_STREAM Unix sockets.
 *
 * Node has no SOCK_SEQPACKET sockets, so message boundaries are ours: every
 * frame is a fixed 8-byte header followed by the body, a protobuf `drpc.Call`
 * or `drpc.Response` (the original's messages; the sequence number inside
 * them is the request id, the Response carries the status).
 *
 *   offset 0  u16  magic 0xDA05
 *   offset 2  u8   version (1)
 *   offset 3  u8   kind: 1 call, 2 response
 *   offset 4  u32  body length (big endian), at most maxBody
 *
 * NB: a frame that fails any check poisons the connection: the decoder throws
 * and the caller closes the socket, since the byte stream can no longer be
 * trusted to be aligned on frame boundaries.
 */

export const FRAME_MAGIC = 0xda05;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_SIZE = 8;
/** Default body limit: 1 MiB (the original allowed 16 KiB; attach info for big systems needs more). */
export const DEFAULT_MAX_BODY = 1 << 20;

export enum FrameKind {
  Call = 1,
  Response = 2,
}

export interface Frame {
  kind: FrameKind;
  body: Buffer;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(kind: FrameKind, body: Uint8Array, maxBody = DEFAULT_MAX_BODY): Buffer {
  if (body.length > maxBody) {
    throw new FrameError(`drpc message of ${body.length} bytes exceeds the limit of ${maxBody} bytes`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length);
  out.writeUInt16BE(FRAME_MAGIC, 0);
  out.writeUInt8(FRAME_VERSION, 2);
  out.writeUInt8(kind, 3);
  out.writeUInt32BE(body.length, 4);
  out.set(body, FRAME_HEADER_SIZE);
  return out;
}

/** Incremental decoder: push socket chunks, get whole frames back. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxBody = DEFAULT_MAX_BODY) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_SIZE) break;
      const head = this.peek(FRAME_HEADER_SIZE);
      const magic = head.readUInt16BE(0);
      if (magic !== FRAME_MAGIC) {
        throw new FrameError(`bad drpc frame magic 0x${magic.toString(16).padStart(4, '0')}`);
      }
      const version = head.readUInt8(2);
      if (version !== FRAME_VERSION) {
        throw new FrameError(`unsupported drpc frame version ${version} (this program speaks ${FRAME_VERSION})`);
      }
      const kind = head.readUInt8(3);
      if (kind !== FrameKind.Call && kind !== FrameKind.Response) {
        throw new FrameError(`bad drpc frame kind ${kind}`);
      }
      const len = head.readUInt32BE(4);
      if (len > this.maxBody) {
        throw new FrameError(`drpc frame of ${len} bytes exceeds the limit of ${this.maxBody} bytes`);
      }
      if (this.buffered < FRAME_HEADER_SIZE + len) break;
      const all = this.take(FRAME_HEADER_SIZE + len);
      frames.push({ kind, body: all.subarray(FRAME_HEADER_SIZE) });
    }
    return frames;
  }

  /** Bytes held that do not yet form a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    if (this.chunks[0].length >= n) {
      out = this.chunks[0].subarray(0, n);
      const rest = this.chunks[0].subarray(n);
      if (rest.length) this.chunks[0] = rest;
      else this.chunks.shift();
    } else {
      const joined = Buffer.concat(this.chunks);
      out = joined.subarray(0, n);
      const rest = joined.subarray(n);
      this.chunks = rest.length ? [rest] : [];
    }
    this.buffered -= n;
    return out;
  }
}
