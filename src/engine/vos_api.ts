/**
 * What the engine needs from the versioned object store (src/vos), as an
 * interface, so engine code and tests do not depend on its internals.
 */
export type Epoch = bigint;

export interface UnitOid {
  hi: bigint;
  lo: bigint;
  shard: number;
}

export interface VRecx {
  idx: bigint;
  nr: bigint;
}

export type VIodType = 'single' | 'array';

export interface VIod {
  akey: Buffer;
  type: VIodType;
  size: number;
  recxs?: VRecx[];
}

export interface VFetched {
  size: number;
  data: Buffer;
  found: VRecx[];
}

export type VosOp =
  | { kind: 'update'; oid: UnitOid; dkey: Buffer; iods: VIod[]; data: Buffer[] }
  | { kind: 'punchObject'; oid: UnitOid }
  | { kind: 'punchDkeys'; oid: UnitOid; dkeys: Buffer[] }
  | { kind: 'punchAkeys'; oid: UnitOid; dkey: Buffer; akeys: Buffer[] };

export interface VosStore {
  close(): Promise<void>;
  destroy(): Promise<void>;
  destroyContainer(cont: string): Promise<void>;
  /** Drop every version written after `above` (rollback to a snapshot). */
  discard(cont: string, above: Epoch): Promise<{ freedBytes: number }>;
  update(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, iods: VIod[], data: Buffer[]): Promise<void>;
  /** `alloc` supplies the buffers large values are read into (pooled by the I/O server). */
  fetch(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, iods: VIod[], alloc?: (n: number) => Buffer): Promise<VFetched[]>;
  punchObject(cont: string, oid: UnitOid, epoch: Epoch): Promise<void>;
  punchDkeys(cont: string, oid: UnitOid, epoch: Epoch, dkeys: Buffer[]): Promise<void>;
  punchAkeys(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, akeys: Buffer[]): Promise<void>;
  listDkeys(cont: string, oid: UnitOid, epoch: Epoch, anchor: Buffer | undefined, max: number): { keys: Buffer[]; anchor?: Buffer };
  listAkeys(cont: string, oid: UnitOid, epoch: Epoch, dkey: Buffer, anchor: Buffer | undefined, max: number): { keys: { key: Buffer; type: VIodType }[]; anchor?: Buffer };
  listRecx(
    cont: string,
    oid: UnitOid,
    epoch: Epoch,
    dkey: Buffer,
    akey: Buffer,
    anchor: Buffer | undefined,
    max: number,
  ): { recxs: { idx: bigint; nr: bigint; epoch: Epoch }[]; size: number; anchor?: Buffer };
  queryMax(cont: string, oid: UnitOid, epoch: Epoch, what: { dkey?: true; akey?: Buffer; recx?: { dkey: Buffer; akey: Buffer } }): { dkey?: Buffer; akey?: Buffer; recx?: VRecx };
  /** Every object shard stored in the container. */
  listObjects(cont: string): UnitOid[];
  prepare(dtx: Buffer, cont: string, epoch: Epoch, op: VosOp): Promise<void>;
  commit(dtxs: Buffer[]): Promise<void>;
  abort(dtxs: Buffer[]): Promise<void>;
  dtxStatus(dtx: Buffer): 'prepared' | 'committed' | 'unknown';
  prepared(): { dtx: Buffer; cont: string; epoch: Epoch; oid: UnitOid; dkey?: Buffer }[];
  pendingConflict(cont: string, oid: UnitOid, dkey: Buffer, epoch: Epoch): Buffer | undefined;
  space(): { scm: { total: number; free: number }; nvme: { total: number; free: number } };
}
