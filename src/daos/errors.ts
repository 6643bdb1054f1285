/**
 * DER error codes: the numbers every data-plane call returns, negated (-1001 = DER_NO_PERM).
 *
 * The GURT range (1001–1036) and the DAOS range (2001–2024) are v0.8's complete sets; a few later
 * codes are added because this implementation raises them (HLC_SYNC, TX_RESTART, DATA_LOSS,
 * AGENT_COMM). Codes are stable: never renumber one, only add.
 *
 * NB: v0.8's d_errstr() gave only the symbolic name; derMessage() is the short description later
 * versions added (our wording), and derHint() is ours: what a person can do about it.
 */

import { constants as osConstants } from 'node:os';

/** Positive code constants, `DER.NO_PERM = 1001`. APIs carry them negated. */
export const DER = {
  SUCCESS: 0,
  // GURT range: transport and common errors.
  NO_PERM: 1001,
  NO_HDL: 1002,
  INVAL: 1003,
  EXIST: 1004,
  NONEXIST: 1005,
  UNREACH: 1006,
  NOSPACE: 1007,
  ALREADY: 1008,
  NOMEM: 1009,
  NOSYS: 1010,
  TIMEDOUT: 1011,
  BUSY: 1012,
  AGAIN: 1013,
  PROTO: 1014,
  UNINIT: 1015,
  TRUNC: 1016,
  OVERFLOW: 1017,
  CANCELED: 1018,
  OOG: 1019,
  HG: 1020,
  UNREG: 1021,
  ADDRSTR_GEN: 1022,
  PMIX: 1023,
  IVCB_FORWARD: 1024,
  MISC: 1025,
  BADPATH: 1026,
  NOTDIR: 1027,
  CORPC_INCOMPLETE: 1028,
  NO_RAS_RANK: 1029,
  NOTATTACH: 1030,
  MISMATCH: 1031,
  EVICTED: 1032,
  NOREPLY: 1033,
  DOS: 1034,
  BAD_TARGET: 1035,
  GRPVER: 1036,
  HLC_SYNC: 1037, // later (v1.2): clock skew over epsilon
  // DAOS range.
  IO: 2001,
  FREE_MEM: 2002,
  ENOENT: 2003,
  NOTYPE: 2004,
  NOSCHEMA: 2005,
  NOLOCAL: 2006,
  STALE: 2007,
  NOTLEADER: 2008,
  TGT_CREATE: 2009,
  EP_RO: 2010,
  EP_OLD: 2011,
  KEY2BIG: 2012,
  REC2BIG: 2013,
  IO_INVAL: 2014,
  EQ_BUSY: 2015,
  DOMAIN: 2016,
  SHUTDOWN: 2017,
  INPROGRESS: 2018,
  NOTAPPLICABLE: 2019,
  NOTREPLICA: 2020,
  CSUM: 2021,
  DF_INVAL: 2022,
  DF_INCOMPT: 2023,
  REC_SIZE: 2024,
  TX_RESTART: 2025, // later (v1.2)
  DATA_LOSS: 2026, // later (v1.2)
  AGENT_COMM: 2034, // later (v2.x)
  /** What an unknown code is reported as (GURT base + 500000, as the original). */
  UNKNOWN: 501000,
} as const;

export type DerName = keyof typeof DER;

interface DerInfo {
  message: string;
  hint?: string;
}

// NB: messages are lowercase and short; a hint names the command or setting to look at.
const INFO: Record<DerName, DerInfo> = {
  SUCCESS: { message: 'success' },
  NO_PERM: {
    message: 'operation not permitted',
    hint: 'check the pool/container ACL (dmg pool get-acl) and that you use the right user; writes need a read-write handle',
  },
  NO_HDL: { message: 'invalid handle', hint: 'the handle is closed or unknown; connect to the pool or open the container again' },
  INVAL: { message: 'invalid parameters', hint: 'correct the value named in the message' },
  EXIST: { message: 'entity already exists', hint: 'use another UUID or label, or destroy the existing one first' },
  NONEXIST: {
    message: 'the specified entity does not exist',
    hint: 'check the UUID or label (dmg system list-pools); for object I/O, no healthy replica is left (dmg pool query)',
  },
  UNREACH: { message: 'unreachable node', hint: 'check that the server rank is up (dmg system query) and the network between the hosts' },
  NOSPACE: {
    message: 'no space on storage target',
    hint: 'the pool is full on some target; dmg pool query shows free space per target; add space or delete data',
  },
  ALREADY: { message: 'operation already performed' },
  NOMEM: { message: 'out of memory', hint: 'reduce the load on this process or give the host more memory' },
  NOSYS: { message: 'function not implemented', hint: 'this operation is not available in this version' },
  TIMEDOUT: { message: 'time out', hint: 'retried automatically for object I/O; otherwise check the server rank is up (dmg system query)' },
  BUSY: { message: 'device or resource busy', hint: 'close the open handles first (or use --force where offered), then retry' },
  AGAIN: { message: 'try again', hint: 'retry the operation' },
  PROTO: { message: 'incompatible protocol', hint: 'use a client and servers of the same version and a supported credential flavor' },
  UNINIT: { message: 'device or resource not initialized', hint: 'initialise first (daos_init / format the storage with dmg storage format)' },
  TRUNC: { message: 'buffer too short', hint: 'retry with the size returned in the reply' },
  OVERFLOW: { message: 'data too long for defined data type or buffer size', hint: 'use a smaller value (an epoch below DAOS_EPOCH_MAX)' },
  CANCELED: { message: 'operation canceled', hint: 'retried automatically when the cause was a network failure' },
  OOG: { message: 'out of group or member list', hint: 'the rank is not a member of the system; check dmg system query' },
  HG: { message: 'transport layer error', hint: 'retried automatically; if it persists check the fabric provider and interface in daos_server.yml' },
  UNREG: { message: 'rpc or protocol version not registered', hint: 'use a client and servers of the same version' },
  ADDRSTR_GEN: { message: 'failed to generate an address string', hint: 'check the fabric interface in daos_server.yml' },
  PMIX: { message: 'pmix layer error' },
  IVCB_FORWARD: { message: 'incast variable unavailable locally, must forward' },
  MISC: { message: 'miscellaneous error' },
  BADPATH: { message: 'bad path name', hint: 'check the path exists and is spelled correctly' },
  NOTDIR: { message: 'not a directory', hint: 'give a directory path' },
  CORPC_INCOMPLETE: { message: 'collective rpc failed', hint: 'some ranks did not answer; check dmg system query' },
  NO_RAS_RANK: { message: 'no rank is subscribed to ras' },
  NOTATTACH: { message: 'service group not attached', hint: 'check daos_agent is running and its access points reach the servers' },
  MISMATCH: { message: 'version mismatch', hint: 'use a client and servers of the same version' },
  EVICTED: { message: 'rank has been evicted', hint: 'restart the I/O server on that rank (dmg system start)' },
  NOREPLY: { message: 'rpc handler did not send a reply', hint: 'retried automatically; check the server log of the target rank' },
  DOS: { message: 'denial of service' },
  BAD_TARGET: { message: 'incorrect target for the rpc' },
  GRPVER: { message: 'group versioning mismatch', hint: 'group membership changed; retried automatically' },
  HLC_SYNC: {
    message: 'hlc synchronization error',
    hint: 'the clocks of two hosts differ by more than the allowed skew; synchronise them (chrony/ntpd) and retry',
  },
  IO: { message: 'i/o error', hint: 'check the server log of the ranks involved and dmg storage query' },
  FREE_MEM: { message: 'memory free error' },
  ENOENT: { message: 'entity not found' },
  NOTYPE: { message: 'unknown object type' },
  NOSCHEMA: { message: 'unknown object schema', hint: 'use a registered object class (S1, RP_2G1, SX, ...)' },
  NOLOCAL: { message: 'object is not local' },
  STALE: { message: 'stale pool map version', hint: 'pool map changed; retried automatically' },
  NOTLEADER: { message: 'not service leader', hint: 'retried at the leader named in the reply' },
  TGT_CREATE: { message: 'target create error', hint: 'check the I/O server log and free SCM/NVMe space on that rank (dmg storage query)' },
  EP_RO: { message: 'epoch is read only', hint: 'write at a newer epoch or through a read-write handle' },
  EP_OLD: { message: 'epoch is too old, all data have been recycled', hint: 'read at a newer epoch or snapshot' },
  KEY2BIG: { message: 'key is too large', hint: 'give a larger key buffer; the size needed is in the first key descriptor' },
  REC2BIG: { message: 'record is too large', hint: 'give a larger buffer for the value' },
  IO_INVAL: { message: 'i/o buffers do not match object extents', hint: 'make the buffers as large as the extents described' },
  EQ_BUSY: { message: 'event queue is busy', hint: 'poll the event queue until it is empty before destroying it' },
  DOMAIN: { message: 'domain of cluster component do not match' },
  SHUTDOWN: { message: 'service should shut down' },
  INPROGRESS: { message: 'operation now in progress', hint: 'data under an uncommitted transaction; retried automatically' },
  NOTAPPLICABLE: { message: 'not applicable' },
  NOTREPLICA: { message: 'not a service replica', hint: 'send the request to a rank of the pool service (dmg pool query shows them)' },
  CSUM: { message: 'checksum error', hint: 'data was corrupted in flight or at rest; retry, and check the server log and dmg storage query' },
  DF_INVAL: { message: 'unsupported durable format', hint: 'the stored data was written by an incompatible version; reformat or use a matching version' },
  DF_INCOMPT: { message: 'incompatible durable format version', hint: 'the stored data was written by an incompatible version; use a matching version' },
  REC_SIZE: { message: 'record size error', hint: 'use the record size the array was written with' },
  TX_RESTART: { message: 'transaction should restart', hint: 'restart the transaction from the beginning' },
  DATA_LOSS: {
    message: 'data lost or not recoverable',
    hint: 'more replicas failed than the object class tolerates; restore the data from a copy',
  },
  AGENT_COMM: { message: 'agent communication error', hint: 'check daos_agent is running and its socket directory is accessible' },
  UNKNOWN: { message: 'unknown error code' },
};

const BY_CODE = new Map<number, DerName>();
for (const name of Object.keys(DER) as DerName[]) BY_CODE.set(DER[name], name);

/** Every known code, ascending (positive). */
export function allDerCodes(): number[] {
  return [...BY_CODE.keys()].sort((a, b) => a - b);
}

function lookup(code: number): DerName | undefined {
  return BY_CODE.get(Math.abs(code));
}

/** 'DER_NO_PERM' for 1001 or -1001; 'DER_UNKNOWN' for a code that is not in the table (as d_errstr). */
export function derName(code: number): string {
  return `DER_${lookup(code) ?? 'UNKNOWN'}`;
}

/** The short description of a code ('operation not permitted'). */
export function derMessage(code: number): string {
  const n = lookup(code);
  return n === undefined ? `unknown error code ${-Math.abs(code)}` : INFO[n].message;
}

/** What a person can do about the error, when there is something to do. */
export function derHint(code: number): string | undefined {
  const n = lookup(code);
  return n === undefined ? undefined : INFO[n].hint;
}

/** Normalise to the negative form the APIs return. */
function negative(code: number): number {
  return -Math.abs(code);
}

/** A DER error raised by the data plane. `rc` is negative, as APIs return it. */
/**
 * The detail without the DER message it may repeat. NB: an error reply
 * carries the server's message, itself `<der message>: <detail>`, and the
 * caller puts its context in front: without this, a clock skew would read
 * `hlc synchronization error: <node>: hlc synchronization error: remote hlc ...`.
 */
function withoutDerMessage(detail: string, msg: string): string | undefined {
  const prefix = `${msg}: `;
  let d = detail;
  while (d.startsWith(prefix)) d = d.slice(prefix.length);
  d = d.split(`: ${prefix}`).join(': ');
  if (d === msg) return undefined;
  if (d.endsWith(`: ${msg}`)) d = d.slice(0, -(msg.length + 2));
  return d || undefined;
}

export class DaosError extends Error {
  readonly rc: number;
  override readonly name: string;
  readonly detail?: string;
  readonly hint?: string;

  constructor(rc: number, detail?: string, options?: { cause?: unknown; hint?: string }) {
    const neg = negative(rc);
    detail = detail === undefined ? undefined : withoutDerMessage(detail, derMessage(neg));
    super(detail ? `${derMessage(neg)}: ${detail}` : derMessage(neg), options?.cause === undefined ? undefined : { cause: options.cause });
    this.rc = neg;
    this.name = derName(neg);
    if (detail) this.detail = detail;
    const hint = options?.hint ?? derHint(neg);
    if (hint) this.hint = hint;
  }

  /** `-1001 (DER_NO_PERM): operation not permitted: <detail>` */
  override toString(): string {
    return `${this.rc} (${this.name}): ${this.message}`;
  }

  /** The same error with `who` (a rank, a pool, a host) put in front of the detail; the cause is kept. */
  withContext(who: string): DaosError {
    const detail = this.detail ? `${who}: ${this.detail}` : who;
    return new DaosError(this.rc, detail, { cause: this, ...(this.hint ? { hint: this.hint } : {}) });
  }

  toJSON(): { rc: number; name: string; detail?: string; hint?: string } {
    return { rc: this.rc, name: this.name, ...(this.detail ? { detail: this.detail } : {}), ...(this.hint ? { hint: this.hint } : {}) };
  }

  /** The inverse of toJSON, so that an error raised on a server reaches the client as the same error. */
  static fromJSON(o: unknown): DaosError | undefined {
    if (typeof o !== 'object' || o === null) return undefined;
    const r = o as { rc?: unknown; detail?: unknown; hint?: unknown };
    if (typeof r.rc !== 'number' || !Number.isInteger(r.rc) || r.rc === 0) return undefined;
    const opts = typeof r.hint === 'string' ? { hint: r.hint } : undefined;
    return new DaosError(r.rc, typeof r.detail === 'string' ? r.detail : undefined, opts);
  }
}

export function isDaosError(e: unknown, rc?: number): e is DaosError {
  return e instanceof DaosError && (rc === undefined || e.rc === negative(rc));
}

const NETWORK = new Set<number>([DER.HG, DER.ADDRSTR_GEN, DER.PMIX, DER.UNREG, DER.UNREACH, DER.CANCELED, DER.NOREPLY]);
const RETRY_IO = new Set<number>([DER.TIMEDOUT, DER.STALE, DER.INPROGRESS, DER.GRPVER]);

/** The network class of errors (daos_crt_network_error). */
export function isNetworkError(rc: number): boolean {
  return NETWORK.has(Math.abs(rc));
}

/** Whether object I/O re-drives the operation after this error (§3.5): network errors plus TIMEDOUT, STALE, INPROGRESS, GRPVER. */
export function isRetryable(rc: number): boolean {
  const c = Math.abs(rc);
  return NETWORK.has(c) || RETRY_IO.has(c);
}

type ErrnoName = keyof typeof osConstants.errno;

// Kernel errno names per daos_der2errno; anything else is EIO.
const ERRNO: Partial<Record<DerName, ErrnoName>> = {
  NO_PERM: 'EPERM',
  EP_RO: 'EPERM',
  EP_OLD: 'EPERM',
  ENOENT: 'ENOENT',
  NONEXIST: 'ENOENT',
  INVAL: 'EINVAL',
  NOTYPE: 'EINVAL',
  NOSCHEMA: 'EINVAL',
  NOLOCAL: 'EINVAL',
  NO_HDL: 'EINVAL',
  IO_INVAL: 'EINVAL',
  KEY2BIG: 'E2BIG',
  REC2BIG: 'E2BIG',
  EXIST: 'EEXIST',
  UNREACH: 'EHOSTUNREACH',
  NOSPACE: 'ENOSPC',
  ALREADY: 'EALREADY',
  NOMEM: 'ENOMEM',
  TIMEDOUT: 'ETIMEDOUT',
  BUSY: 'EBUSY',
  EQ_BUSY: 'EBUSY',
  AGAIN: 'EAGAIN',
  PROTO: 'EPROTO',
  IO: 'EIO',
  CANCELED: 'ECANCELED',
  OVERFLOW: 'EOVERFLOW',
  BADPATH: 'ENOTDIR',
  NOTDIR: 'ENOTDIR',
  STALE: 'ESTALE',
};

/** The errno name a DER code maps to for POSIX callers (DFS); 0 maps to ''. */
export function der2errnoName(rc: number): string {
  if (rc === 0) return '';
  const n = lookup(rc);
  return (n && ERRNO[n]) ?? 'EIO';
}

/** The positive errno of this platform for a DER code (daos_der2errno); 0 for success. */
export function der2errno(rc: number): number {
  if (rc === 0) return 0;
  return osConstants.errno[der2errnoName(rc) as ErrnoName];
}

/** Throws `new DaosError(rc, detail)` unless rc is 0; for callers that carry return codes. */
export function check(rc: number, detail?: string): void {
  if (rc !== 0) throw new DaosError(rc, detail);
}
