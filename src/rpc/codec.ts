/**
 * A small binary codec for the metadata part of data-plane messages: fixed
 * width big-endian integers, length-prefixed byte strings, 16-byte UUIDs.
 * Bulk data is never encoded here: it follows the metadata as raw Buffers.
 *
 * Written by hand rather than with protobuf: the hot path encodes and decodes
 * a few fields per I/O, and this avoids building intermediate objects.
 */

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export class Writer {
  private buf: Buffer;
  private off = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.off);
    this.buf = b;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.off);
    this.off += 1;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.off);
    this.off += 4;
    return this;
  }
  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
    return this;
  }
  /** A number up to 2^53 as u64. */
  n64(v: number): this {
    return this.u64(BigInt(v));
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  bytes(v: Uint8Array): this {
    this.u32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.off);
    this.off += v.length;
    return this;
  }
  str(v: string): this {
    return this.bytes(Buffer.from(v, 'utf8'));
  }
  /** 16 raw bytes from a canonical UUID string. */
  uuid(v: string): this {
    this.ensure(16);
    uuidBytes(v).copy(this.buf, this.off);
    this.off += 16;
    return this;
  }
  raw(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.off);
    this.off += v.length;
    return this;
  }

  get length(): number {
    return this.off;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}

/**
 * The few UUIDs of a data-plane message (pool, container, handle) repeat on
 * every request: both directions of the conversion are cached (bounded).
 */
const UUID_CACHE_MAX = 4096;
const toBytes = new Map<string, Buffer>();
const toString = new Map<string, string>();

function uuidBytes(v: string): Buffer {
  let b = toBytes.get(v);
  if (b) return b;
  const hex = v.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CodecError(`not a UUID: ${JSON.stringify(v)}`);
  b = Buffer.from(hex, 'hex');
  if (toBytes.size >= UUID_CACHE_MAX) toBytes.clear();
  toBytes.set(v, b);
  return b;
}

function uuidString(buf: Buffer, off: number): string {
  // latin1 maps each byte to one char: a cheap exact key for the 16 bytes.
  const key = buf.toString('latin1', off, off + 16);
  let s = toString.get(key);
  if (s !== undefined) return s;
  const h = buf.toString('hex', off, off + 16);
  s = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  if (toString.size >= UUID_CACHE_MAX) toString.clear();
  toString.set(key, s);
  return s;
}

export class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.off + n > this.buf.length) {
      throw new CodecError(`truncated message: ${what} needs ${n} bytes at offset ${this.off}, ${this.buf.length - this.off} left`);
    }
  }
  u8(): number {
    this.need(1, 'u8');
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    this.need(2, 'u16');
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  i32(): number {
    this.need(4, 'i32');
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    this.need(8, 'u64');
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }
  n64(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CodecError(`value ${v} is too large`);
    return Number(v);
  }
  bool(): boolean {
    return this.u8() !== 0;
  }
  /** A length-prefixed byte string, as a view into the message (no copy). */
  bytes(max = this.buf.length): Buffer {
    const n = this.u32();
    if (n > max) throw new CodecError(`byte string of ${n} bytes exceeds the limit of ${max}`);
    this.need(n, 'bytes');
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  str(max = 1 << 16): string {
    return this.bytes(max).toString('utf8');
  }
  uuid(): string {
    this.need(16, 'uuid');
    const s = uuidString(this.buf, this.off);
    this.off += 16;
    return s;
  }
  /** n raw bytes (a view). */
  raw(n: number): Buffer {
    this.need(n, 'raw');
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  /** An element count, refused when it cannot fit in what is left (each element ≥ minBytes). */
  count(minBytes = 1): number {
    const n = this.u32();
    if (n * minBytes > this.buf.length - this.off) throw new CodecError(`element count ${n} does not fit in the ${this.buf.length - this.off} bytes left`);
    return n;
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
  get offset(): number {
    return this.off;
  }
  /** The rest of the message (bulk data), as a view. */
  rest(): Buffer {
    const v = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return v;
  }
  end(): void {
    if (this.off !== this.buf.length) throw new CodecError(`${this.buf.length - this.off} unexpected bytes at the end of the message`);
  }
}
