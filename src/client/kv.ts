/**
 * The KV API (reference data-plane.md 6.5): a key-value store on an ordinary
 * object. A value is a single value whose dkey is the key and whose akey is
 * today's fixed one-byte "0" (v0.8 repeated the key there; the fixed akey
 * keeps one dkey per key and makes remove a plain dkey punch).
 */
import { DaosError, DER } from '../daos/errors.js';
import type { DaosObject, IoOptions } from './object.js';
import { ANCHOR_START, IodType, type ListAnchor } from './object.js';

const AKEY = Buffer.from('0');

function keyBuf(key: string | Buffer): Buffer {
  const b = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (b.length === 0) throw new DaosError(-DER.INVAL, 'a KV key cannot be empty');
  return b;
}

export class KeyValue {
  constructor(readonly obj: DaosObject) {}

  get oid() {
    return this.obj.oid;
  }

  /** Store `value` under `key` (replacing what was there). */
  async put(key: string | Buffer, value: Buffer | string): Promise<void> {
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (v.length === 0) throw new DaosError(-DER.INVAL, `the value of key "${String(key)}" is empty; use remove() to delete a key`);
    await this.obj.update(keyBuf(key), [{ akey: AKEY, type: IodType.SINGLE, size: v.length, recxs: [] }], [v]);
  }

  /** The value of `key`, or undefined when the key does not exist (at `opts.epoch`, default latest). */
  async get(key: string | Buffer, opts: IoOptions = {}): Promise<Buffer | undefined> {
    const [r] = await this.obj.fetch(keyBuf(key), [{ akey: AKEY, type: IodType.SINGLE, size: 0, recxs: [] }], opts);
    return r.size === 0 ? undefined : r.data;
  }

  /** Delete `key` (a punch: reads at earlier snapshots still see the old value). */
  async remove(key: string | Buffer): Promise<void> {
    await this.obj.punchDkeys([keyBuf(key)]);
  }

  /** One page of keys; pass the returned anchor back until `anchor.eof`. */
  listPage(anchor: ListAnchor = ANCHOR_START, max = 1024, opts: IoOptions = {}): Promise<{ keys: Buffer[]; anchor: ListAnchor }> {
    return this.obj.listDkeys(anchor, max, opts);
  }

  /** Every key. */
  async list(opts: IoOptions = {}): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for await (const k of this.obj.dkeys(opts)) out.push(k);
    return out;
  }

  /** Punch the whole object. */
  async destroy(): Promise<void> {
    await this.obj.punch();
  }
}
