/**
 * A small growable binary writer and its reader, for the records that are not
 * on the hot path (prepared DTX records). Integers are big-endian; u48 holds
 * sizes and block numbers (up to 2^48 - 1).
 */

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
    this.buf[this.off++] = v;
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

  u48(v: number): this {
    this.ensure(6);
    this.buf.writeUIntBE(v, this.off, 6);
    this.off += 6;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
    return this;
  }

  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
    return this;
  }

  /** u16 length, then the bytes. */
  key(b: Buffer): this {
    return this.u16(b.length).raw(b);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}

export class Reader {
  off = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new Error(`record truncated: ${n} bytes needed at ${this.off} of ${this.buf.length}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  u48(): number {
    this.need(6);
    const v = this.buf.readUIntBE(this.off, 6);
    this.off += 6;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }

  /** n bytes, as a view into the record. */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  key(): Buffer {
    return Buffer.from(this.raw(this.u16()));
  }
}
