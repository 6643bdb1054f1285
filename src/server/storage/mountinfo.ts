/**
 * Mount state from /proc/self/mountinfo (proc(5)): one line per mount,
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * with zero or more optional fields (7) ended by a lone "-". Paths escape
 * space, tab, newline and backslash as 3-digit octal (\040 \011 \012 \134).
 * The file path is injectable so tests can use a fake table.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface MountEntry {
  mountId: number;
  parentId: number;
  /** major:minor of st_dev. */
  device: string;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  mountOptions: string;
  optionalFields: string[];
  fsType: string;
  /** Filesystem-specific source, e.g. /dev/pmem0 or tmpfs. */
  source: string;
  superOptions: string;
}

/** Undo the kernel's octal escapes (\ooo) in a mountinfo path field. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse mountinfo text; throws on a malformed line, naming it. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0 || f.length < sep + 3) {
      throw new Error(`malformed mountinfo line ${i + 1}: ${JSON.stringify(line)}`);
    }
    out.push({
      mountId: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2]!,
      root: unescapeMountField(f[3]!),
      mountPoint: unescapeMountField(f[4]!),
      mountOptions: f[5]!,
      optionalFields: f.slice(6, sep),
      fsType: f[sep + 1]!,
      source: unescapeMountField(f[sep + 2]!),
      superOptions: f.slice(sep + 3).join(' '),
    });
  }
  return out;
}

/**
 * A path as the kernel shows it in mountinfo: absolute, normalised, and with
 * symlinks of its existing part resolved (/var/run/x is listed as /run/x).
 */
export async function canonicalPath(p: string): Promise<string> {
  let abs = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await fs.realpath(abs);
      return tail.length ? path.join(real, ...tail.reverse()) : real;
    } catch {
      const parent = path.dirname(abs);
      if (parent === abs) return path.resolve(p);
      tail.push(path.basename(abs));
      abs = parent;
    }
  }
}

/** The mount table, read fresh on every query. */
export class MountTable {
  constructor(readonly file: string = '/proc/self/mountinfo') {}

  async entries(): Promise<MountEntry[]> {
    return parseMountinfo(await fs.readFile(this.file, 'utf8'));
  }

  /** The topmost mount at exactly this path, if any. */
  async at(mountPoint: string): Promise<MountEntry | undefined> {
    const p = await canonicalPath(mountPoint);
    const all = await this.entries();
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.mountPoint === p) return all[i];
    return undefined;
  }

  /** Mounts whose source is this device (or, with partitions, one of its partitions). */
  async ofDevice(device: string, partitions = false): Promise<MountEntry[]> {
    const dev = await canonicalPath(device);
    // NB: partitions of a name ending in a digit take a "p" (nvme0n1p1, not nvme0n11).
    const part = new RegExp(`^${escapeRe(dev)}${/\d$/.test(dev) ? 'p' : ''}\\d+$`);
    return (await this.entries()).filter((e) => e.source === dev || e.source === device || (partitions && part.test(e.source)));
  }

  /** Mounts strictly below a directory. */
  async below(dir: string): Promise<MountEntry[]> {
    const d = await canonicalPath(dir);
    const prefix = d.endsWith('/') ? d : d + '/';
    return (await this.entries()).filter((e) => e.mountPoint.startsWith(prefix));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
