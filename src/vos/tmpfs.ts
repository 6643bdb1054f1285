/**
 * Whether a file lives on a memory file system (tmpfs, ramfs), where the
 * page cache is the storage: fsync, fdatasync and msync have nothing to
 * write, and what a process wrote survives that process being killed (and
 * nothing survives a reboot). VOS then skips its flushes (see README.md,
 * "Durability on tmpfs").
 */
import fs from 'node:fs';
import path from 'node:path';

/** statfs f_type of tmpfs (TMPFS_MAGIC in linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;
/** statfs f_type of ramfs (RAMFS_MAGIC). */
export const RAMFS_MAGIC = 0x858458f6;

export type StatFs = (p: string) => { type: number };

/**
 * True when p (or, when p does not exist yet, its nearest existing parent)
 * is on tmpfs or ramfs. A block device node is never: its data lives on the
 * device, whatever file system holds the node.
 */
export function onMemoryFs(p: string, statfs: StatFs = fs.statfsSync, stat: (p: string) => fs.Stats | undefined = statOrUndefined): boolean {
  let at = path.resolve(p);
  for (;;) {
    const st = stat(at);
    if (st) {
      if (st.isBlockDevice() || st.isCharacterDevice()) return false;
      const type = statfs(at).type;
      return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
    }
    const up = path.dirname(at);
    if (up === at) return false;
    at = up;
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
