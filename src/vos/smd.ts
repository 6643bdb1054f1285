/**
 * SMD (server metadata): per I/O server instance, which region of which block
 * device belongs to which (pool, target), kept in an LMDB file on SCM so that
 * the regions are found again at restart (reference data-plane.md 5.1).
 *
 * Regions are 4 KiB aligned. Target t of a pool prefers device t mod N (the
 * original binds each target's xstream to one device), and takes any other
 * device with room when that one is full. Allocation is all or nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { BlobRef, BlockDevice } from './bdev.js';
import { vosErr } from './errors.js';
import { BLOCK_SIZE } from './alloc.js';

interface RegionRecord {
  dev: string;
  off: number;
  size: number;
}

const REGION = 'region/';

function regionKey(pool: string, target: number): string {
  return `${REGION}${pool}/${String(target).padStart(6, '0')}`;
}

function alignDown(n: number): number {
  return Math.floor(n / BLOCK_SIZE) * BLOCK_SIZE;
}

function alignUp(n: number): number {
  return Math.ceil(n / BLOCK_SIZE) * BLOCK_SIZE;
}

export class Smd {
  private closed = false;

  private constructor(
    private readonly file: string,
    private readonly db: RootDatabase<RegionRecord, string>,
    private readonly devices: Map<string, BlockDevice>,
  ) {}

  static async open(file: string, devices: BlockDevice[]): Promise<Smd> {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const byPath = new Map<string, BlockDevice>();
    for (const d of devices) {
      if (byPath.has(d.path)) throw vosErr.inval(`block device ${d.path} is listed twice`);
      byPath.set(d.path, d);
    }
    let db: RootDatabase<RegionRecord, string>;
    try {
      db = open<RegionRecord, string>({ path: file, noSubdir: true, encoding: 'msgpack', compression: false, overlappingSync: false });
    } catch (e) {
      throw vosErr.io(`cannot open the server metadata file ${file}: ${(e as Error).message}`, e);
    }
    return new Smd(file, db, byPath);
  }

  private check(): void {
    if (this.closed) throw vosErr.noHdl(`server metadata ${this.file} is closed`);
  }

  private all(): { key: string; rec: RegionRecord }[] {
    const out: { key: string; rec: RegionRecord }[] = [];
    for (const { key, value } of this.db.getRange({ start: REGION, end: REGION + '\uffff' })) out.push({ key, rec: value });
    return out;
  }

  /** Free gaps of each device, as [start, end) byte ranges in order. */
  private gaps(): Map<string, [number, number][]> {
    const used = new Map<string, [number, number][]>();
    for (const { rec } of this.all()) {
      const l = used.get(rec.dev) ?? [];
      l.push([rec.off, rec.off + rec.size]);
      used.set(rec.dev, l);
    }
    const out = new Map<string, [number, number][]>();
    for (const [p, d] of this.devices) {
      const l = (used.get(p) ?? []).sort((a, b) => a[0] - b[0]);
      const g: [number, number][] = [];
      let at = 0;
      const end = alignDown(d.size);
      for (const [s, e] of l) {
        if (s > at) g.push([at, s]);
        at = Math.max(at, e);
      }
      if (end > at) g.push([at, end]);
      out.set(p, g);
    }
    return out;
  }

  /** One region of bytesPerTarget (rounded up to 4 KiB) per target; all or nothing. */
  allocRegions(pool: string, targets: number, bytesPerTarget: number): BlobRef[] {
    this.check();
    if (!Number.isInteger(targets) || targets < 1) throw vosErr.inval(`target count ${targets} is not valid`);
    if (!Number.isSafeInteger(bytesPerTarget) || bytesPerTarget < 2 * BLOCK_SIZE) {
      throw vosErr.inval(`block-device size per target ${bytesPerTarget} is too small: at least ${2 * BLOCK_SIZE} bytes`);
    }
    if (this.db.get(regionKey(pool, 0)) !== undefined) throw vosErr.exist(`pool ${pool} already has block-device regions`);
    if (this.devices.size === 0) throw vosErr.nospace(`no block devices to hold ${targets} regions of ${bytesPerTarget} bytes for pool ${pool}`);
    const size = alignUp(bytesPerTarget);
    const gaps = this.gaps();
    const devs = [...this.devices.keys()];
    const placed: RegionRecord[] = [];
    for (let t = 0; t < targets; t++) {
      let rec: RegionRecord | undefined;
      for (let k = 0; k < devs.length && !rec; k++) {
        const dev = devs[(t + k) % devs.length]!;
        const g = gaps.get(dev)!;
        const i = g.findIndex(([s, e]) => e - s >= size);
        if (i < 0) continue;
        const [s] = g[i]!;
        rec = { dev, off: s, size };
        if (g[i]![1] - s === size) g.splice(i, 1);
        else g[i] = [s + size, g[i]![1]];
      }
      if (!rec) {
        const free = [...this.gaps()].map(([dev, g]) => `${dev} ${g.reduce((n, [s, e]) => n + e - s, 0)} bytes free`).join(', ');
        throw vosErr.nospace(`not enough block-device space for pool ${pool}: ${targets} regions of ${size} bytes do not fit (${free})`);
      }
      placed.push(rec);
    }
    this.db.transactionSync(() => {
      placed.forEach((rec, t) => this.db.putSync(regionKey(pool, t), rec));
    });
    return placed.map((r) => this.ref(pool, r));
  }

  private ref(pool: string, r: RegionRecord): BlobRef {
    const device = this.devices.get(r.dev);
    if (!device) throw vosErr.nonexist(`block device ${r.dev} holding a region of pool ${pool} is not configured`);
    return { device, offset: r.off, size: r.size };
  }

  /** The pool's regions, by target index; empty when it has none. */
  regions(pool: string): BlobRef[] {
    this.check();
    const prefix = `${REGION}${pool}/`;
    const out: BlobRef[] = [];
    for (const { value } of this.db.getRange({ start: prefix, end: prefix + '\uffff' })) out.push(this.ref(pool, value));
    return out;
  }

  freeRegions(pool: string): void {
    this.check();
    const prefix = `${REGION}${pool}/`;
    const keys = [...this.db.getKeys({ start: prefix, end: prefix + '\uffff' })];
    if (keys.length === 0) return;
    this.db.transactionSync(() => {
      for (const k of keys) this.db.removeSync(k);
    });
  }

  totalBytes(): number {
    this.check();
    let n = 0;
    for (const d of this.devices.values()) n += alignDown(d.size);
    return n;
  }

  freeBytes(): number {
    this.check();
    let n = 0;
    for (const g of this.gaps().values()) for (const [s, e] of g) n += e - s;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
