/**
 * Buffers for fetched values when the caller gives no allocator: values of
 * up to 16 KiB are carved from shared 64 KiB slabs, like Node's Buffer pool
 * (which only serves buffers under 4 KiB). A fresh buffer per 4 KiB value
 * costs an allocation and, often, fresh pages the kernel must fault in
 * while it copies into them; a slab is allocated once per 16 such values.
 *
 * NB: a slice keeps its whole slab alive: a caller that holds many small
 * values for long should copy them, or pass its own allocator.
 */
const SLAB_SIZE = 64 * 1024;
const SLAB_ITEM_MAX = 16 * 1024;

let slab: Buffer | undefined;
let used = SLAB_SIZE;

export function allocValue(n: number): Buffer {
  if (n > SLAB_ITEM_MAX) return Buffer.allocUnsafe(n);
  if (used + n > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    used = 0;
  }
  const b = slab!.subarray(used, used + n);
  used = (used + n + 7) & ~7;
  return b;
}
