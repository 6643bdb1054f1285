/**
 * The versioned object store: one VosPool per (pool, target), the block
 * devices under them and the SMD that hands out their regions. Imported by
 * the engine only (see README.md).
 */
export { VosError, VosRc, isVosError, type VosRcName } from './errors.js';
export * from './types.js';
export { FileDevice, MemoryDevice, type BlobRef, type BlockDevice } from './bdev.js';
export { Smd } from './smd.js';
export { VosPool, INLINE_MAX, SCM_MIN, COMMITTED_KEEP, COMMITTED_AGE_MS, type VosPoolOptions } from './pool.js';
export { BLOCK_SIZE } from './alloc.js';
