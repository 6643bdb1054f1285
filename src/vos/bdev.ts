/**
 * Block devices under VOS: where values of 4 KiB and more live (DESIGN
 * decision 5). A FileDevice is a file or a kernel block device (bdev classes
 * nvme, kdev and file); a MemoryDevice is bdev_class malloc.
 *
 * Writes issued in the same event-loop turn are sorted and contiguous ones
 * are merged into one vectored write; flush() is a group commit: callers that
 * arrive while a flush runs share the next one. A file on a memory file
 * system (tmpfs) needs no flush: its page cache is the storage.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { vosErr } from './errors.js';
import { onMemoryFs } from './tmpfs.js';

export interface BlockDevice {
  readonly path: string;
  readonly size: number;
  /**
   * False when a completed write is already as durable as flush() would make
   * it (memory, a file on tmpfs): flush() then does nothing and callers may
   * skip it.
   */
  readonly needsFlush: boolean;
  /** Writes up to this many bytes (together) may be done with writevSync. */
  readonly syncWriteMax: number;
  write(offset: number, data: Buffer): Promise<void>;
  /**
   * Write bufs one after the other from offset, synchronously, straight from
   * the buffers (into the page cache, or memory): for writes of at most
   * syncWriteMax bytes, which take microseconds. Throws a VosError (IO).
   */
  writevSync(offset: number, bufs: Buffer[]): void;
  read(offset: number, length: number): Promise<Buffer>;
  /** Read length bytes at offset into target at targetOffset. */
  readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<void>;
  /**
   * Like readInto, synchronously, when the device does small reads that way
   * (from the page cache: microseconds): true when done, false when this
   * read is for readInto. Throws a VosError (IO, NO_HDL).
   */
  readIntoSync?(offset: number, target: Buffer, targetOffset: number, length: number): boolean;
  /** Make every write that completed before this call durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** This target's region of a device. */
export interface BlobRef {
  device: BlockDevice;
  offset: number;
  size: number;
}

/**
 * Reads up to this size are done synchronously: from the page cache that
 * takes a few microseconds, less than handing the read to the thread pool
 * and back. A read that misses the cache blocks the thread for one device
 * read; set syncReadMax to 0 to make every read asynchronous.
 */
const SYNC_READ_MAX = 16 * 1024;
/** Likewise, merged writes up to this size go synchronously into the page cache (the flush makes them durable). */
const SYNC_WRITE_MAX = 256 * 1024;

/** Largest vectored write: IOV_MAX entries and a bounded size. */
const WRITEV_MAX_IOVS = 1024;
const WRITEV_MAX_BYTES = 16 << 20;

interface PendingWrite {
  offset: number;
  data: Buffer;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function checkRange(dev: BlockDevice, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > dev.size) {
    throw vosErr.io(`i/o of ${length} bytes at offset ${offset} is outside device ${dev.path} (${dev.size} bytes)`);
  }
}

/** Size of a kernel block device from sysfs (512-byte sectors). */
function blockDeviceSize(devPath: string): number {
  const real = fs.realpathSync(devPath);
  const name = path.basename(real);
  const text = fs.readFileSync(`/sys/class/block/${name}/size`, 'utf8');
  return Number(text.trim()) * 512;
}

const RESOLVED = Promise.resolve();

/** A file or a kernel block device, opened read-write, with positional I/O. */
export class FileDevice implements BlockDevice {
  private closed = false;
  private wq: PendingWrite[] = [];
  private wScheduled = false;
  private flushing: Promise<void> | undefined;
  private nextFlush: Deferred | undefined;

  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly fh: fsp.FileHandle,
    private readonly syncReadMax: number,
    readonly syncWriteMax: number,
    readonly needsFlush: boolean,
  ) {}

  /**
   * Open path read-write. A regular file is created when `create` is set and
   * extended (sparse) to `size` when it is smaller; a block device's size is
   * read from sysfs. Without `size`, a file's current size is used.
   * `memoryFs` says whether the file is on a memory file system (no flush
   * needed); it is detected with statfs when not given.
   */
  static async open(
    devPath: string,
    opts: { size?: number; create?: boolean; syncReadMax?: number; syncWriteMax?: number; memoryFs?: boolean } = {},
  ): Promise<FileDevice> {
    let st: fs.Stats | undefined;
    try {
      st = await fsp.stat(devPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !opts.create) throw vosErr.nonexist(`block device ${devPath} does not exist`);
    }
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(devPath, st ? 'r+' : 'w+');
    } catch (e) {
      throw vosErr.io(`cannot open block device ${devPath} read-write: ${(e as Error).message}`, e);
    }
    try {
      let size: number;
      if (st?.isBlockDevice()) {
        size = blockDeviceSize(devPath);
      } else {
        size = st?.size ?? 0;
        if (opts.size !== undefined && opts.size > size) {
          await fh.truncate(opts.size);
          size = opts.size;
        }
      }
      if (opts.size !== undefined && opts.size < size) size = opts.size;
      const memFs = opts.memoryFs ?? onMemoryFs(devPath);
      return new FileDevice(devPath, size, fh, opts.syncReadMax ?? SYNC_READ_MAX, opts.syncWriteMax ?? SYNC_WRITE_MAX, !memFs);
    } catch (e) {
      await fh.close();
      throw e instanceof Error && 'rc' in e ? e : vosErr.io(`cannot size block device ${devPath}: ${(e as Error).message}`, e);
    }
  }

  write(offset: number, data: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(vosErr.noHdl(`block device ${this.path} is closed`));
    try {
      checkRange(this, offset, data.length);
    } catch (e) {
      return Promise.reject(e);
    }
    if (data.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.wq.push({ offset, data, resolve, reject });
      if (!this.wScheduled) {
        this.wScheduled = true;
        setImmediate(() => this.drainWrites());
      }
    });
  }

  private drainWrites(): void {
    this.wScheduled = false;
    const q = this.wq;
    this.wq = [];
    q.sort((a, b) => a.offset - b.offset);
    let i = 0;
    while (i < q.length) {
      const group = [q[i]!];
      let end = q[i]!.offset + q[i]!.data.length;
      let bytes = q[i]!.data.length;
      i++;
      while (i < q.length && q[i]!.offset === end && group.length < WRITEV_MAX_IOVS && bytes + q[i]!.data.length <= WRITEV_MAX_BYTES) {
        group.push(q[i]!);
        end += q[i]!.data.length;
        bytes += q[i]!.data.length;
        i++;
      }
      this.writeGroup(group, bytes).then(
        () => group.forEach((w) => w.resolve()),
        (e: unknown) => {
          const err = vosErr.io(`write of ${bytes} bytes at offset ${group[0]!.offset} on ${this.path} failed: ${(e as Error).message}`, e);
          group.forEach((w) => w.reject(err));
        },
      );
    }
  }

  writevSync(offset: number, bufs: Buffer[]): void {
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    checkRange(this, offset, bytes);
    try {
      this.writeNow(bufs, bytes, offset);
    } catch (e) {
      throw vosErr.io(`write of ${bytes} bytes at offset ${offset} on ${this.path} failed: ${(e as Error).message}`, e);
    }
  }

  private writeNow(bufs: Buffer[], bytes: number, pos: number): void {
    let done = bufs.length === 1 ? fs.writeSync(this.fh.fd, bufs[0]!, 0, bytes, pos) : fs.writevSync(this.fh.fd, bufs, pos);
    if (done < bytes) {
      const all = Buffer.concat(bufs);
      while (done < bytes) {
        const n = fs.writeSync(this.fh.fd, all, done, bytes - done, pos + done);
        if (n <= 0) throw new Error('no progress');
        done += n;
      }
    }
  }

  private async writeGroup(group: PendingWrite[], bytes: number): Promise<void> {
    const pos = group[0]!.offset;
    if (bytes <= this.syncWriteMax) {
      this.writeNow(
        group.map((w) => w.data),
        bytes,
        pos,
      );
      return;
    }
    let done = group.length === 1 ? (await this.fh.write(group[0]!.data, 0, bytes, pos)).bytesWritten : (await this.fh.writev(group.map((w) => w.data), pos)).bytesWritten;
    if (done === bytes) return;
    // a short write: finish it piece by piece
    const all = Buffer.concat(group.map((w) => w.data));
    while (done < bytes) {
      const { bytesWritten } = await this.fh.write(all, done, bytes - done, pos + done);
      if (bytesWritten <= 0) throw new Error('no progress');
      done += bytesWritten;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(length);
    await this.readInto(offset, b, 0, length);
    return b;
  }

  readIntoSync(offset: number, target: Buffer, targetOffset: number, length: number): boolean {
    if (length > this.syncReadMax) return false;
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    checkRange(this, offset, length);
    let done = 0;
    try {
      while (done < length) {
        const n = fs.readSync(this.fh.fd, target, targetOffset + done, length - done, offset + done);
        if (n === 0) {
          // beyond the end of a sparse file that was never extended: zeros
          target.fill(0, targetOffset + done, targetOffset + length);
          break;
        }
        done += n;
      }
    } catch (e) {
      throw vosErr.io(`read of ${length} bytes at offset ${offset} on ${this.path} failed: ${(e as Error).message}`, e);
    }
    return true;
  }

  async readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<void> {
    if (this.readIntoSync(offset, target, targetOffset, length)) return;
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    checkRange(this, offset, length);
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await this.fh.read(target, targetOffset + done, length - done, offset + done);
        if (bytesRead === 0) {
          // beyond the end of a sparse file that was never extended: zeros
          target.fill(0, targetOffset + done, targetOffset + length);
          return;
        }
        done += bytesRead;
      }
    } catch (e) {
      throw vosErr.io(`read of ${length} bytes at offset ${offset} on ${this.path} failed: ${(e as Error).message}`, e);
    }
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.reject(vosErr.noHdl(`block device ${this.path} is closed`));
    // NB: on a memory file system fdatasync has nothing to write: skip the thread-pool round trip
    if (!this.needsFlush) return RESOLVED;
    if (!this.flushing) return this.startFlush();
    if (!this.nextFlush) this.nextFlush = deferred();
    return this.nextFlush.promise;
  }

  private startFlush(): Promise<void> {
    const p = this.fh
      .datasync()
      .catch((e: unknown) => {
        throw vosErr.io(`flush of ${this.path} failed: ${(e as Error).message}`, e);
      })
      .finally(() => {
        this.flushing = undefined;
        const n = this.nextFlush;
        if (n) {
          this.nextFlush = undefined;
          this.startFlush().then(n.resolve, n.reject);
        }
      });
    this.flushing = p;
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.wq.length || this.wScheduled) await new Promise((r) => setImmediate(r));
    if (this.flushing) await this.flushing.catch(() => undefined);
    this.closed = true;
    await this.fh.close();
  }
}

const MEM_CHUNK = 1 << 22;

/**
 * bdev_class malloc: a device in memory, allocated in 4 MiB chunks on first
 * write so that a large, mostly empty device costs little. Flush is a no-op.
 */
export class MemoryDevice implements BlockDevice {
  readonly path: string;
  readonly needsFlush = false;
  readonly syncWriteMax = Number.MAX_SAFE_INTEGER;
  private readonly chunks = new Map<number, Buffer>();
  private closed = false;

  constructor(
    readonly size: number,
    name = 'malloc',
  ) {
    this.path = name;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.writeAt(offset, data);
  }

  writevSync(offset: number, bufs: Buffer[]): void {
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    checkRange(this, offset, bytes);
    for (const b of bufs) {
      this.writeAt(offset, b);
      offset += b.length;
    }
  }

  private writeAt(offset: number, data: Buffer): void {
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    checkRange(this, offset, data.length);
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const ci = Math.floor(pos / MEM_CHUNK);
      const co = pos - ci * MEM_CHUNK;
      let c = this.chunks.get(ci);
      if (!c) {
        c = Buffer.alloc(MEM_CHUNK);
        this.chunks.set(ci, c);
      }
      const n = Math.min(MEM_CHUNK - co, data.length - done);
      data.copy(c, co, done, done + n);
      done += n;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(length);
    await this.readInto(offset, b, 0, length);
    return b;
  }

  async readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<void> {
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
    checkRange(this, offset, length);
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const ci = Math.floor(pos / MEM_CHUNK);
      const co = pos - ci * MEM_CHUNK;
      const n = Math.min(MEM_CHUNK - co, length - done);
      const c = this.chunks.get(ci);
      if (c) c.copy(target, targetOffset + done, co, co + n);
      else target.fill(0, targetOffset + done, targetOffset + done + n);
      done += n;
    }
  }

  async flush(): Promise<void> {
    if (this.closed) throw vosErr.noHdl(`block device ${this.path} is closed`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.chunks.clear();
  }
}
