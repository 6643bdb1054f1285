/**
 * The device seam: what kind of file a path is, whether a device holds an
 * ext2/3/4 filesystem, and wiping a device's first bytes. Tests replace it
 * (a regular file in a temp dir can play a block device).
 */
import fs from 'node:fs/promises';

export type PathKind = 'missing' | 'block' | 'char' | 'file' | 'dir' | 'other';

export interface DeviceProbe {
  /** Kind of the file at p, following symlinks (/dev/disk/by-id/...). */
  kind(p: string): Promise<PathKind>;
  /** Whether the device starts with an ext2/3/4 superblock. */
  hasExt4(dev: string): Promise<boolean>;
  /** Overwrite the first `bytes` bytes with zeros and flush them. */
  zeroHead(dev: string, bytes: number): Promise<void>;
}

/** The ext superblock starts at byte 1024; its magic (0xEF53, little endian) is at offset 56 in it. */
const EXT_MAGIC_OFFSET = 1024 + 56;
const EXT_MAGIC = 0xef53;

export class RealDeviceProbe implements DeviceProbe {
  async kind(p: string): Promise<PathKind> {
    try {
      const st = await fs.stat(p);
      if (st.isBlockDevice()) return 'block';
      if (st.isCharacterDevice()) return 'char';
      if (st.isFile()) return 'file';
      if (st.isDirectory()) return 'dir';
      return 'other';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
      throw e;
    }
  }

  async hasExt4(dev: string): Promise<boolean> {
    const fh = await fs.open(dev, 'r');
    try {
      const buf = Buffer.alloc(2);
      const { bytesRead } = await fh.read(buf, 0, 2, EXT_MAGIC_OFFSET);
      return bytesRead === 2 && buf.readUInt16LE(0) === EXT_MAGIC;
    } finally {
      await fh.close();
    }
  }

  async zeroHead(dev: string, bytes: number): Promise<void> {
    const fh = await fs.open(dev, 'r+');
    try {
      const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
      for (let off = 0; off < bytes; off += chunk.length) {
        await fh.write(chunk, 0, Math.min(chunk.length, bytes - off), off);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
