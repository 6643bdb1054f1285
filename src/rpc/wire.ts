/**
 * The data-plane RPC wire format (client ↔ I/O server, I/O server ↔ I/O
 * server), over TCP on the instance's fabric address. Every message is a
 * 40-byte header followed by the body; bulk data travels as raw bytes at the
 * end of the body, never re-encoded.
 *
 *   offset  size  field
 *   0       4     magic 0x44414f53 ("DAOS")
 *   4       1     version (1)
 *   5       1     flags: bit 0 = reply
 *   6       2     opcode
 *   8       4     request id (echoed in the reply; many requests in flight per connection)
 *   12      4     status (replies: 0 or a negative DER code)
 *   16      4     pool map version known to the sender (0: none)
 *   20      2     target index within the receiving I/O server
 *   22      2     reserved (0)
 *   24      4     body length (≤ the receiver's limit)
 *   28      4     bulk length: the last bytes of the body that are bulk data
 *                 (the rest, first, is the encoded metadata)
 *   32      8     hybrid logical clock timestamp of the sender
 *
 * All integers big-endian.
 */

export const WIRE_MAGIC = 0x44414f53;
export const WIRE_VERSION = 1;
export const WIRE_HEADER_SIZE = 40;
/** Default body limit: large enough for a 16 MiB I/O plus its descriptors. */
export const DEFAULT_MAX_MESSAGE = (16 << 20) + (1 << 20);

export const Flag = { reply: 1 } as const;

export interface WireHeader {
  version: number;
  flags: number;
  opcode: number;
  requestId: number;
  status: number;
  mapVersion: number;
  target: number;
  bodyLength: number;
  /** Bytes at the end of the body that are bulk data (≤ bodyLength). */
  bulkLength: number;
  hlc: bigint;
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export function encodeHeader(h: Omit<WireHeader, 'version'>, out: Buffer = Buffer.allocUnsafe(WIRE_HEADER_SIZE)): Buffer {
  out.writeUInt32BE(WIRE_MAGIC, 0);
  out.writeUInt8(WIRE_VERSION, 4);
  out.writeUInt8(h.flags, 5);
  out.writeUInt16BE(h.opcode, 6);
  out.writeUInt32BE(h.requestId >>> 0, 8);
  out.writeInt32BE(h.status, 12);
  out.writeUInt32BE(h.mapVersion >>> 0, 16);
  out.writeUInt16BE(h.target, 20);
  out.writeUInt16BE(0, 22);
  out.writeUInt32BE(h.bodyLength >>> 0, 24);
  out.writeUInt32BE(h.bulkLength >>> 0, 28);
  out.writeBigUInt64BE(h.hlc, 32);
  return out;
}

export function decodeHeader(b: Buffer, maxBody = DEFAULT_MAX_MESSAGE): WireHeader {
  if (b.length < WIRE_HEADER_SIZE) throw new WireError(`short header: ${b.length} bytes`);
  const magic = b.readUInt32BE(0);
  if (magic !== WIRE_MAGIC) throw new WireError(`bad magic 0x${magic.toString(16)} (not a DAOS data-plane peer?)`);
  const version = b.readUInt8(4);
  if (version !== WIRE_VERSION) throw new WireError(`unsupported protocol version ${version} (this program speaks ${WIRE_VERSION})`);
  const h: WireHeader = {
    version,
    flags: b.readUInt8(5),
    opcode: b.readUInt16BE(6),
    requestId: b.readUInt32BE(8),
    status: b.readInt32BE(12),
    mapVersion: b.readUInt32BE(16),
    target: b.readUInt16BE(20),
    bodyLength: b.readUInt32BE(24),
    bulkLength: b.readUInt32BE(28),
    hlc: b.readBigUInt64BE(32),
  };
  if (h.bodyLength > maxBody) throw new WireError(`message body of ${h.bodyLength} bytes exceeds the limit of ${maxBody} bytes`);
  if (h.bulkLength > h.bodyLength) throw new WireError(`bulk length ${h.bulkLength} exceeds the body length ${h.bodyLength}`);
  return h;
}

/**
 * Reusable buffers for large message bodies. Fresh large allocations cost a
 * page fault per 4 KiB when first written, which halves loopback throughput;
 * reusing warm buffers avoids it. Buffers are handed back with release().
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  /** Memory this pool handed out; release() ignores anything else. */
  private readonly mine = new WeakSet<ArrayBufferLike>();
  constructor(
    readonly minSize = 64 << 10,
    private readonly keepPerClass = 32,
  ) {}

  private sizeClass(n: number): number {
    let c = this.minSize;
    while (c < n) c *= 2;
    return c;
  }

  /** A buffer of exactly n bytes (a view of a pooled one when n is large). */
  get(n: number): Buffer {
    if (n < this.minSize) return Buffer.allocUnsafe(n);
    const c = this.sizeClass(n);
    let b = this.free.get(c)?.pop();
    if (!b) {
      b = Buffer.allocUnsafeSlow(c);
      this.mine.add(b.buffer);
    }
    return b.subarray(0, n);
  }

  /** Give back a buffer obtained from get(); the caller must not use it afterwards. */
  release(b: Buffer): void {
    if (!this.mine.has(b.buffer)) return;
    const full = Buffer.from(b.buffer, 0, b.buffer.byteLength);
    const list = this.free.get(full.length) ?? [];
    if (list.length < this.keepPerClass) list.push(full);
    this.free.set(full.length, list);
  }
}

/** Splits a TCP byte stream into messages; the body is one contiguous Buffer. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header?: WireHeader;

  constructor(
    private readonly maxBody = DEFAULT_MAX_MESSAGE,
    private readonly pool?: BufferPool,
  ) {}

  push(chunk: Buffer): { header: WireHeader; body: Buffer }[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: { header: WireHeader; body: Buffer }[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < WIRE_HEADER_SIZE) break;
        this.header = decodeHeader(this.take(WIRE_HEADER_SIZE), this.maxBody);
      }
      if (this.buffered < this.header.bodyLength) break;
      out.push({ header: this.header, body: this.take(this.header.bodyLength) });
      this.header = undefined;
    }
    return out;
  }

  /** Bytes received that do not yet form a whole message. */
  get pending(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length >= n) {
      // NB: a subarray, no copy: the socket gave us this chunk for good.
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = this.pool ? this.pool.get(n) : Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
