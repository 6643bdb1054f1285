/**
 * The system database of the management service: members, the next rank to
 * hand out, and the map version. The default store is embedded LMDB on the
 * access point (DESIGN decision 3); the interface is what a replicated store
 * (etcd, for several access points) will implement.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { open, type RootDatabase } from 'lmdb';
import type { Member } from './membership.js';

/**
 * The key-value view of the system database that the pool and container
 * records are kept in (string keys; values are plain objects, Buffers and
 * bigints). A replicated store implements the same.
 */
export interface KvStore {
  kvGet<T>(key: string): T | undefined;
  /** Entries whose key starts with prefix, in key order. */
  kvRange<T>(prefix: string): { key: string; value: T }[];
  /** Apply puts (value) and deletes (undefined) atomically and durably. */
  kvWrite(ops: { key: string; value: unknown }[]): void;
}

export interface SystemDatabase extends KvStore {
  readonly systemName: string;
  readonly systemUuid: string;
  /** The key the MS signs pool and container handles with (created with the database). */
  readonly handleKey: Buffer;
  members(): Member[];
  memberByRank(rank: number): Member | undefined;
  memberByUuid(uuid: string): Member | undefined;
  /** Insert or replace a member and bump the map version, atomically. */
  putMember(m: Member): number;
  /** Allocate the lowest free rank at or above the persisted cursor; never reuses a member's rank. */
  allocateRank(): number;
  mapVersion(): number;
  close(): Promise<void>;
}

interface Meta {
  systemName: string;
  systemUuid: string;
  rankNext: number;
  mapVersion: number;
  handleKey?: Buffer;
}

const META = 'meta';
const MEMBER_PREFIX = 'member/';
const KV_PREFIX = 'kv/';

function memberKey(rank: number): string {
  return MEMBER_PREFIX + String(rank).padStart(10, '0');
}

/** LMDB-backed system database, one file under the MS replica's SCM mount. */
export class LmdbSystemDatabase implements SystemDatabase {
  private readonly db: RootDatabase;
  private meta: Meta;

  private constructor(db: RootDatabase, meta: Meta) {
    this.db = db;
    this.meta = meta;
  }

  /** Open (or create, when `create` is set) the database file at `file`. */
  static openAt(file: string, opts: { create: boolean; systemName: string; systemUuid: string }): LmdbSystemDatabase {
    const exists = fs.existsSync(file);
    if (!exists && !opts.create) {
      throw new Error(`system database ${file} does not exist`);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = open({ path: file, compression: false, encoding: 'msgpack' });
    let meta = db.get(META) as Meta | undefined;
    if (!meta) {
      meta = { systemName: opts.systemName, systemUuid: opts.systemUuid, rankNext: 0, mapVersion: 1, handleKey: crypto.randomBytes(32) };
      db.putSync(META, meta);
    }
    if (!meta.handleKey) {
      meta = { ...meta, handleKey: crypto.randomBytes(32) };
      db.putSync(META, meta);
    }
    return new LmdbSystemDatabase(db, meta);
  }

  get systemName(): string {
    return this.meta.systemName;
  }

  get systemUuid(): string {
    return this.meta.systemUuid;
  }

  get handleKey(): Buffer {
    return Buffer.from(this.meta.handleKey!);
  }

  kvGet<T>(key: string): T | undefined {
    return this.db.get(KV_PREFIX + key) as T | undefined;
  }

  kvRange<T>(prefix: string): { key: string; value: T }[] {
    const out: { key: string; value: T }[] = [];
    for (const { key, value } of this.db.getRange({ start: KV_PREFIX + prefix, end: KV_PREFIX + prefix + '\uffff' })) {
      out.push({ key: (key as string).slice(KV_PREFIX.length), value: value as T });
    }
    return out;
  }

  kvWrite(ops: { key: string; value: unknown }[]): void {
    this.db.transactionSync(() => {
      for (const op of ops) {
        if (op.value === undefined) this.db.removeSync(KV_PREFIX + op.key);
        else this.db.putSync(KV_PREFIX + op.key, op.value);
      }
    });
  }

  members(): Member[] {
    const out: Member[] = [];
    for (const { value } of this.db.getRange({ start: MEMBER_PREFIX, end: MEMBER_PREFIX + '~' })) {
      out.push(value as Member);
    }
    return out;
  }

  memberByRank(rank: number): Member | undefined {
    return this.db.get(memberKey(rank)) as Member | undefined;
  }

  memberByUuid(uuid: string): Member | undefined {
    return this.members().find((m) => m.uuid === uuid);
  }

  putMember(m: Member): number {
    const meta: Meta = { ...this.meta, mapVersion: this.meta.mapVersion + 1 };
    this.db.transactionSync(() => {
      this.db.putSync(memberKey(m.rank), m);
      this.db.putSync(META, meta);
    });
    this.meta = meta;
    return meta.mapVersion;
  }

  allocateRank(): number {
    let r = this.meta.rankNext;
    while (this.memberByRank(r)) r++;
    const meta: Meta = { ...this.meta, rankNext: r + 1 };
    this.db.putSync(META, meta);
    this.meta = meta;
    return r;
  }

  mapVersion(): number {
    return this.meta.mapVersion;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** In-memory database for tests. */
export class MemorySystemDatabase implements SystemDatabase {
  private readonly byRank = new Map<number, Member>();
  private readonly kv = new Map<string, unknown>();
  private rankNext = 0;
  private version = 1;
  readonly handleKey = crypto.randomBytes(32);
  constructor(
    readonly systemName = 'daos_server',
    readonly systemUuid = '00000000-0000-4000-8000-000000000000',
  ) {}
  kvGet<T>(key: string): T | undefined {
    const v = this.kv.get(key);
    return v === undefined ? undefined : (structuredClone(v) as T);
  }
  kvRange<T>(prefix: string): { key: string; value: T }[] {
    return [...this.kv.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, value: structuredClone(this.kv.get(key)) as T }));
  }
  kvWrite(ops: { key: string; value: unknown }[]): void {
    for (const op of ops) {
      if (op.value === undefined) this.kv.delete(op.key);
      else this.kv.set(op.key, structuredClone(op.value));
    }
  }
  members(): Member[] {
    return [...this.byRank.values()].map((m) => ({ ...m }));
  }
  memberByRank(rank: number): Member | undefined {
    const m = this.byRank.get(rank);
    return m && { ...m };
  }
  memberByUuid(uuid: string): Member | undefined {
    return this.members().find((m) => m.uuid === uuid);
  }
  putMember(m: Member): number {
    this.byRank.set(m.rank, { ...m });
    return ++this.version;
  }
  allocateRank(): number {
    let r = this.rankNext;
    while (this.byRank.has(r)) r++;
    this.rankNext = r + 1;
    return r;
  }
  mapVersion(): number {
    return this.version;
  }
  async close(): Promise<void> {}
}
