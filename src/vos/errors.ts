/**
 * Errors of the versioned object store. Each carries `rc`, the negative DER
 * code the engine puts on the wire unchanged (reference data-plane.md section
 * 9), and a lowercase message that names the entity (pool file, container,
 * object, key, device) it is about.
 */

/** The DER codes VOS answers with, as negative numbers (the convention of the wire). */
export const VosRc = {
  NO_HDL: -1002,
  INVAL: -1003,
  EXIST: -1004,
  NONEXIST: -1005,
  NOSPACE: -1007,
  IO: -2001,
  KEY2BIG: -2012,
  REC2BIG: -2013,
  INPROGRESS: -2018,
} as const;

export type VosRcName = keyof typeof VosRc;

const NAMES = new Map<number, string>(Object.entries(VosRc).map(([k, v]) => [v, `DER_${k}`]));

export interface VosErrorDetail {
  /** REC2BIG on fetch: the size actually stored, so the caller can retry with a big enough buffer. */
  size?: number;
}

export class VosError extends Error {
  readonly rc: number;
  readonly detail: VosErrorDetail;

  constructor(rc: number, message: string, opts?: { cause?: unknown; detail?: VosErrorDetail }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VosError';
    this.rc = rc;
    this.detail = opts?.detail ?? {};
  }

  /** The symbolic name of the code, as the original prints it (`DER_NONEXIST`). */
  get errstr(): string {
    return NAMES.get(this.rc) ?? `DER_UNKNOWN(${this.rc})`;
  }
}

export function isVosError(e: unknown): e is VosError {
  return e instanceof VosError;
}

/** Shorthand constructors, one per code. */
export const vosErr = {
  inval: (msg: string): VosError => new VosError(VosRc.INVAL, msg),
  nonexist: (msg: string): VosError => new VosError(VosRc.NONEXIST, msg),
  exist: (msg: string): VosError => new VosError(VosRc.EXIST, msg),
  nospace: (msg: string): VosError => new VosError(VosRc.NOSPACE, msg),
  noHdl: (msg: string): VosError => new VosError(VosRc.NO_HDL, msg),
  io: (msg: string, cause?: unknown): VosError => new VosError(VosRc.IO, msg, { cause }),
  key2big: (msg: string): VosError => new VosError(VosRc.KEY2BIG, msg),
  rec2big: (msg: string, size: number): VosError => new VosError(VosRc.REC2BIG, msg, { detail: { size } }),
  inprogress: (msg: string): VosError => new VosError(VosRc.INPROGRESS, msg),
};
