/**
 * Streaming between a byte stream and an array object, for `daos array
 * import` and `export`: fixed-size blocks, several in flight, memory bounded
 * by blockSize * inflight whatever the size of the file.
 *
 * NB: this is I/O plumbing around DaosArray.write/read, kept next to the
 * command that is its only user; it would move to the client library if
 * another program needed it.
 */

/** The part of DaosArray used here (cells of one byte: offsets are byte offsets). */
export interface ByteArrayObject {
  write(data: Buffer, at: bigint): Promise<void>;
  read(into: Buffer, at: bigint): Promise<unknown>;
}

export interface TransferOptions {
  /** Bytes per block (one write or read). */
  blockSize: number;
  /** Blocks in flight at once. */
  inflight: number;
  /** Called as each block completes, with its length. */
  onProgress?: (bytes: number) => void;
}

/** Regroup a stream of chunks of any size into blocks of exactly `size` bytes (the last one may be shorter). */
export async function* blocksOf(source: AsyncIterable<Uint8Array | string>, size: number): AsyncGenerator<Buffer> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`bad block size ${size}`);
  let cur = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const c of source) {
    let chunk = typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    while (chunk.length) {
      const k = Math.min(size - fill, chunk.length);
      chunk.copy(cur, fill, 0, k);
      fill += k;
      chunk = chunk.subarray(k);
      if (fill === size) {
        yield cur;
        cur = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  if (fill) yield cur.subarray(0, fill);
}

/**
 * Write the blocks one after the other into the array from offset 0, up to
 * `inflight` writes at a time. Stops reading at the first failure, waits for
 * the writes in flight, and throws that failure. Returns the bytes written.
 */
export async function importBlocks(arr: ByteArrayObject, blocks: AsyncIterable<Buffer>, opts: TransferOptions): Promise<bigint> {
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  let failed = false;
  let off = 0n;
  for await (const b of blocks) {
    if (failed) break;
    const at = off;
    off += BigInt(b.length);
    const p: Promise<void> = arr.write(b, at).then(
      () => {
        pending.delete(p);
        opts.onProgress?.(b.length);
      },
      (e: unknown) => {
        pending.delete(p);
        if (!failed) {
          failed = true;
          failure = e;
        }
      },
    );
    pending.add(p);
    if (pending.size >= opts.inflight) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failed) throw failure;
  return off;
}

/**
 * Read `size` bytes of the array from offset 0 and hand them to `sink` in
 * order, with up to `inflight` reads ahead. Returns the bytes handed over.
 */
export async function exportBlocks(arr: ByteArrayObject, size: bigint, sink: (b: Buffer) => Promise<void>, opts: TransferOptions): Promise<bigint> {
  const bs = BigInt(opts.blockSize);
  const queue: Promise<Buffer>[] = [];
  let next = 0n;
  const start = () => {
    const at = next;
    const len = Number(size - at < bs ? size - at : bs);
    next += BigInt(len);
    const buf = Buffer.allocUnsafe(len);
    const p = arr.read(buf, at).then(() => buf);
    p.catch(() => undefined); // awaited in order below; never an unhandled rejection
    queue.push(p);
  };
  let done = 0n;
  try {
    while (next < size && queue.length < opts.inflight) start();
    while (queue.length) {
      const buf = await queue.shift()!;
      await sink(buf);
      done += BigInt(buf.length);
      opts.onProgress?.(buf.length);
      if (next < size) start();
    }
  } finally {
    // On failure, let the reads still in flight settle before returning.
    await Promise.allSettled(queue);
  }
  return done;
}
