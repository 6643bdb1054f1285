/**
 * Pool and container properties (data-plane §7.1–7.3): the v0.8 type numbers, typed maps with
 * defaults, the entry-list form that goes on the wire, the daos tool's `name:value` syntax and its
 * `get-prop` rendering.
 *
 * NB: labels follow today's rule (1–127 of [A-Za-z0-9_.:-], not a UUID), not v0.8's free text up
 * to 256; an unset label is absent and prints as v0.8's default text.
 */

import { type Acl, defaultContAcl, defaultPoolAcl, formatAclBlock, makeAcl, principalNameProblem } from './acl.js';
import { DaosError, DER } from './errors.js';

/** Pool property types (DAOS_PROP_PO_*, v0.8 numbering). */
export const PoolProp = { MIN: 0, LABEL: 1, ACL: 2, SPACE_RB: 3, SELF_HEAL: 4, RECLAIM: 5, OWNER: 6, OWNER_GROUP: 7, MAX: 8 } as const;
/** Container property types (DAOS_PROP_CO_*, v0.8 numbering). */
export const ContProp = {
  MIN: 0x1000, LABEL: 0x1001, LAYOUT_TYPE: 0x1002, LAYOUT_VER: 0x1003, CSUM: 0x1004, CSUM_CHUNK_SIZE: 0x1005,
  CSUM_SERVER_VERIFY: 0x1006, REDUN_FAC: 0x1007, REDUN_LVL: 0x1008, SNAPSHOT_MAX: 0x1009, ACL: 0x100a, COMPRESS: 0x100b,
  ENCRYPT: 0x100c, MAX: 0x100d,
} as const;

export const SelfHeal = { AUTO_EXCLUDE: 1, AUTO_REBUILD: 2 } as const;
export const Reclaim = { SNAPSHOT: 0, BATCH: 1, TIME: 2 } as const;
export const LayoutType = { UNKNOWN: 0, POSIX: 1, HDF5: 2 } as const;
export const Csum = { OFF: 0, CRC16: 1, CRC32: 2, CRC64: 3, SHA1: 4 } as const;
export const RedunLvl = { RACK: 0, NODE: 1 } as const;

/** At most this many entries in one property list (DAOS_PROP_ENTRIES_MAX_NR). */
export const PROP_ENTRIES_MAX = 128;
export const LABEL_MAX = 127;
export const OWNER_MAX = 255;

export interface PoolProps {
  label?: string;
  acl: Acl;
  /** Percent of space kept for rebuild, 0..100. */
  spaceRb: number;
  /** SelfHeal bits. */
  selfHeal: number;
  reclaim: number;
  owner: string;
  ownerGroup: string;
}

export interface ContProps {
  label?: string;
  layoutType: number;
  layoutVer: number;
  csum: number;
  csumChunkSize: number;
  /** 0 off, 1 on. */
  csumServerVerify: number;
  /**
   * Failures tolerated, 0..4 (the `rf` values of the daos tool). NB: v0.8's enum numbered its two
   * values RF1=0 and RF3=1; we store the count, and the default stays "RF1".
   */
  redunFac: number;
  redunLvl: number;
  /** 0 = unlimited. */
  snapshotMax: number;
  acl: Acl;
  compress: number;
  encrypt: number;
}

export function defaultPoolProps(): PoolProps {
  return { acl: defaultPoolAcl(), spaceRb: 0, selfHeal: SelfHeal.AUTO_EXCLUDE | SelfHeal.AUTO_REBUILD, reclaim: Reclaim.SNAPSHOT, owner: 'nobody@', ownerGroup: 'nobody@' };
}

export function defaultContProps(): ContProps {
  return {
    layoutType: LayoutType.UNKNOWN, layoutVer: 1, csum: Csum.OFF, csumChunkSize: 32768, csumServerVerify: 0, redunFac: 1,
    redunLvl: RedunLvl.RACK, snapshotMax: 0, acl: defaultContAcl(), compress: 0, encrypt: 0,
  };
}

function inval(detail: string, hint: string): DaosError {
  return new DaosError(-DER.INVAL, detail, { hint });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL_RE = /^[A-Za-z0-9_.:-]+$/;

/** Why a label is not valid (today's rule), or undefined. */
export function labelProblem(label: string): string | undefined {
  if (label.length === 0) return 'the label is empty';
  if (label.length > LABEL_MAX) return `the label is ${label.length} characters long, the limit is ${LABEL_MAX}`;
  const badChar = [...label].find((c) => !LABEL_RE.test(c));
  if (badChar !== undefined) return `label ${JSON.stringify(label)} contains ${JSON.stringify(badChar)}; only letters, digits and _ . : - are allowed`;
  if (UUID_RE.test(label)) return `label ${JSON.stringify(label)} is a UUID, which would be ambiguous`;
  return undefined;
}

export function validateLabel(label: string): string {
  const p = labelProblem(label);
  if (p) throw inval(p, 'choose a label of 1-127 letters, digits, _ . : - that is not a UUID');
  return label;
}

function validateOwner(what: string, s: string): string {
  const p = principalNameProblem(s);
  if (p) throw inval(`${what}: ${p}`, `give the ${what} as name@ or name@domain`);
  return s;
}

function intIn(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw inval(`${what} ${v} is outside ${lo}..${hi}`, `give ${what} as an integer from ${lo} to ${hi}`);
  return v;
}

function oneOf(what: string, v: number, values: Record<string, number>): number {
  if (!Object.values(values).includes(v)) {
    throw inval(`${what} ${v} is not one of ${Object.entries(values).map(([k, n]) => `${n} (${k})`).join(', ')}`, `give one of the listed ${what} values`);
  }
  return v;
}

/** Check every field of pool properties; returns them. */
export function validatePoolProps(p: PoolProps): PoolProps {
  if (p.label !== undefined) validateLabel(p.label);
  makeAcl(p.acl);
  intIn('space_rb', p.spaceRb, 0, 100);
  intIn('self_heal', p.selfHeal, 0, 3);
  oneOf('reclaim', p.reclaim, Reclaim);
  validateOwner('owner', p.owner);
  validateOwner('owner-group', p.ownerGroup);
  return p;
}

/** Check every field of container properties; returns them. */
export function validateContProps(p: ContProps): ContProps {
  if (p.label !== undefined) validateLabel(p.label);
  oneOf('layout_type', p.layoutType, LayoutType);
  intIn('layout_version', p.layoutVer, 0, Number.MAX_SAFE_INTEGER);
  if (p.csum === Csum.SHA1) throw inval('checksum type sha1 is not supported', 'use off, crc16, crc32 or crc64');
  oneOf('cksum', p.csum, Csum);
  intIn('cksum_size', p.csumChunkSize, 0, 0xffffffff);
  intIn('srv_cksum', p.csumServerVerify, 0, 1);
  intIn('rf', p.redunFac, 0, 4);
  oneOf('rf_lvl', p.redunLvl, RedunLvl);
  intIn('max_snapshot', p.snapshotMax, 0, Number.MAX_SAFE_INTEGER);
  makeAcl(p.acl);
  intIn('compression', p.compress, 0, 0);
  intIn('encryption', p.encrypt, 0, 0);
  return p;
}

// ---------------------------------------------------------------------------------------------
// The daos tool's `--properties=name:value,...`

/** An integer with its base taken from the prefix (0x hex, leading 0 octal), as strtoull(…, 0). */
function parseAutoInt(what: string, s: string): number {
  const t = s.trim();
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[0-7]+$/.test(t)) v = parseInt(t.slice(1), 8);
  else if (/^[0-9]+$/.test(t)) v = Number(t);
  else throw inval(`${what} value ${JSON.stringify(s)} is not an integer`, `give ${what} as a number (decimal, 0x hex or 0 octal)`);
  if (!Number.isSafeInteger(v)) throw inval(`${what} value ${JSON.stringify(s)} is too large`, `give a smaller ${what}`);
  return v;
}

function named(what: string, s: string, table: Record<string, number>): number {
  const v = table[s.toLowerCase()];
  if (v === undefined || !Object.hasOwn(table, s.toLowerCase())) {
    throw inval(`${what} value ${JSON.stringify(s)} is not one of ${Object.keys(table).join(', ')}`, `give one of the listed ${what} values`);
  }
  return v;
}

type Setter<P> = (p: Partial<P>, v: string) => void;

const POOL_SETTERS: Record<string, Setter<PoolProps>> = {
  label: (p, v) => void (p.label = validateLabel(v)),
  space_rb: (p, v) => void (p.spaceRb = intIn('space_rb', parseAutoInt('space_rb', v), 0, 100)),
  self_heal: (p, v) => {
    if (/^[0-9]/.test(v)) p.selfHeal = intIn('self_heal', parseAutoInt('self_heal', v), 0, 3);
    else p.selfHeal = v === 'none' ? 0 : v.split(';').reduce((bits, f) => bits | named('self_heal', f, { exclude: SelfHeal.AUTO_EXCLUDE, rebuild: SelfHeal.AUTO_REBUILD }), 0);
  },
  reclaim: (p, v) => void (p.reclaim = named('reclaim', v, { snapshot: Reclaim.SNAPSHOT, batch: Reclaim.BATCH, time: Reclaim.TIME })),
  owner: (p, v) => void (p.owner = validateOwner('owner', v)),
  owner_group: (p, v) => void (p.ownerGroup = validateOwner('owner-group', v)),
};

const CONT_SETTERS: Record<string, Setter<ContProps>> = {
  label: (p, v) => void (p.label = validateLabel(v)),
  layout_type: (p, v) => void (p.layoutType = named('layout_type', v, { unknown: LayoutType.UNKNOWN, posix: LayoutType.POSIX, hdf5: LayoutType.HDF5 })),
  layout_version: (p, v) => void (p.layoutVer = parseAutoInt('layout_version', v)),
  cksum: (p, v) => {
    if (v.toLowerCase() === 'sha1') throw inval('checksum type sha1 is not supported', 'use cksum:off, crc16, crc32 or crc64');
    p.csum = named('cksum', v, { off: Csum.OFF, crc16: Csum.CRC16, crc32: Csum.CRC32, crc64: Csum.CRC64 });
  },
  cksum_size: (p, v) => void (p.csumChunkSize = intIn('cksum_size', parseAutoInt('cksum_size', v), 0, 0xffffffff)),
  srv_cksum: (p, v) => void (p.csumServerVerify = named('srv_cksum', v, { off: 0, on: 1 })),
  rf: (p, v) => void (p.redunFac = intIn('rf', parseAutoInt('rf', v), 0, 4)),
  rf_lvl: (p, v) => void (p.redunLvl = named('rf_lvl', v, { rack: RedunLvl.RACK, node: RedunLvl.NODE })),
  max_snapshot: (p, v) => void (p.snapshotMax = parseAutoInt('max_snapshot', v)),
  compression: (p, v) => void (p.compress = named('compression', v, { off: 0 })),
  encryption: (p, v) => void (p.encrypt = named('encryption', v, { off: 0 })),
};

/** Property names the daos tool accepts, for help texts. */
export const POOL_PROP_NAMES = Object.freeze(Object.keys(POOL_SETTERS));
export const CONT_PROP_NAMES = Object.freeze(Object.keys(CONT_SETTERS));

function parsePairs<P>(kind: string, spec: string, setters: Record<string, Setter<P>>): Partial<P> {
  const out: Partial<P> = {};
  const seen = new Set<string>();
  for (const pair of spec.split(',')) {
    const i = pair.indexOf(':');
    if (i < 0) throw inval(`wrong format for properties: ${JSON.stringify(pair)} has no ':'`, 'write properties as name:value pairs separated by commas, e.g. label:mycont,cksum:crc32');
    // NB: split at the first ':' only: labels may contain ':'.
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const set = Object.hasOwn(setters, name) ? setters[name] : undefined;
    if (!set) throw inval(`unknown ${kind} property ${JSON.stringify(name)}`, `valid ${kind} properties: ${Object.keys(setters).join(', ')}`);
    if (seen.has(name)) throw inval(`${kind} property ${name} is given twice`, 'give each property once');
    seen.add(name);
    try {
      set(out, value);
    } catch (e) {
      if (e instanceof DaosError) throw new DaosError(e.rc, `property ${name}: ${e.detail}`, { cause: e, ...(e.hint ? { hint: e.hint } : {}) });
      throw e;
    }
  }
  return out;
}

/** `label:foo,cksum:crc32,...` → the container properties given (the daos tool's --properties). */
export function parseContProps(spec: string): Partial<ContProps> {
  return parsePairs('container', spec, CONT_SETTERS);
}

/** `label:foo,space_rb:10,...` → the pool properties given. */
export function parsePoolProps(spec: string): Partial<PoolProps> {
  return parsePairs('pool', spec, POOL_SETTERS);
}

// ---------------------------------------------------------------------------------------------
// get-prop rendering (the v1.0 daos tool's layout)

const LAYOUT_NAMES: Record<number, string> = { [LayoutType.POSIX]: 'POSIX', [LayoutType.HDF5]: 'HDF5' };

function aclLines(acl: Acl): string[] {
  return formatAclBlock(acl).trimEnd().split('\n');
}

/** `Pool properties :` and one `name -> value` line per property. */
export function formatPoolProps(p: PoolProps): string {
  return [
    'Pool properties :',
    `label -> ${p.label ?? 'pool label not set'}`,
    `rebuild space ratio -> ${p.spaceRb}`,
    `self-heal -> ${p.selfHeal}`,
    `reclaim -> ${p.reclaim}`,
    'acl ->',
    ...aclLines(p.acl),
    `owner -> ${p.owner}`,
    `owner-group -> ${p.ownerGroup}`,
  ].join('\n') + '\n';
}

/** `Container properties :` and one `name -> value` line per property. */
export function formatContProps(p: ContProps): string {
  return [
    'Container properties :',
    `label -> ${p.label ?? 'container label not set'}`,
    `layout type -> ${p.layoutType}/${LAYOUT_NAMES[p.layoutType] ?? 'unknown'}`,
    `layout version -> ${p.layoutVer}`,
    `checksum type -> ${p.csum}`,
    `checksum chunk-size -> ${p.csumChunkSize}`,
    `checksum verification on server -> ${p.csumServerVerify}`,
    `redundancy factor -> ${p.redunFac}`,
    `redundancy level -> ${p.redunLvl}`,
    `max snapshots -> ${p.snapshotMax}`,
    'acl ->',
    ...aclLines(p.acl),
    `compression type -> ${p.compress}`,
    `encryption type -> ${p.encrypt}`,
  ].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Entry lists (daos_prop_t): what RPCs carry

export type PropValue = bigint | string | Acl;
export interface PropEntry {
  type: number;
  value: PropValue;
}

type Field<P> = { type: number; key: keyof P; kind: 'num' | 'str' | 'acl' };

const POOL_FIELDS: Field<PoolProps>[] = [
  { type: PoolProp.LABEL, key: 'label', kind: 'str' },
  { type: PoolProp.ACL, key: 'acl', kind: 'acl' },
  { type: PoolProp.SPACE_RB, key: 'spaceRb', kind: 'num' },
  { type: PoolProp.SELF_HEAL, key: 'selfHeal', kind: 'num' },
  { type: PoolProp.RECLAIM, key: 'reclaim', kind: 'num' },
  { type: PoolProp.OWNER, key: 'owner', kind: 'str' },
  { type: PoolProp.OWNER_GROUP, key: 'ownerGroup', kind: 'str' },
];
const CONT_FIELDS: Field<ContProps>[] = [
  { type: ContProp.LABEL, key: 'label', kind: 'str' },
  { type: ContProp.LAYOUT_TYPE, key: 'layoutType', kind: 'num' },
  { type: ContProp.LAYOUT_VER, key: 'layoutVer', kind: 'num' },
  { type: ContProp.CSUM, key: 'csum', kind: 'num' },
  { type: ContProp.CSUM_CHUNK_SIZE, key: 'csumChunkSize', kind: 'num' },
  { type: ContProp.CSUM_SERVER_VERIFY, key: 'csumServerVerify', kind: 'num' },
  { type: ContProp.REDUN_FAC, key: 'redunFac', kind: 'num' },
  { type: ContProp.REDUN_LVL, key: 'redunLvl', kind: 'num' },
  { type: ContProp.SNAPSHOT_MAX, key: 'snapshotMax', kind: 'num' },
  { type: ContProp.ACL, key: 'acl', kind: 'acl' },
  { type: ContProp.COMPRESS, key: 'compress', kind: 'num' },
  { type: ContProp.ENCRYPT, key: 'encrypt', kind: 'num' },
];

function toEntries<P>(fields: Field<P>[], p: Partial<P>): PropEntry[] {
  const out: PropEntry[] = [];
  for (const f of fields) {
    const v = p[f.key];
    if (v === undefined) continue;
    out.push({ type: f.type, value: f.kind === 'num' ? BigInt(v as number) : (v as string | Acl) });
  }
  return out;
}

function fromEntries<P>(kind: string, fields: Field<P>[], entries: readonly PropEntry[], min: number, max: number): Partial<P> {
  if (entries.length > PROP_ENTRIES_MAX) throw inval(`${entries.length} ${kind} properties, at most ${PROP_ENTRIES_MAX} are allowed`, 'send fewer properties');
  const out: Partial<P> = {};
  const seen = new Set<number>();
  for (const e of entries) {
    if (!(e.type > min && e.type < max)) throw inval(`property type 0x${e.type.toString(16)} is not a ${kind} property`, `use ${kind} property types ${min + 1}..${max - 1}`);
    if (seen.has(e.type)) throw inval(`${kind} property type 0x${e.type.toString(16)} appears twice`, 'give each property once');
    seen.add(e.type);
    const f = fields.find((x) => x.type === e.type)!;
    const bad = () => inval(`${kind} property ${String(f.key)} has a value of the wrong kind`, `give ${String(f.key)} a ${f.kind === 'num' ? 'number' : f.kind === 'str' ? 'non-empty string' : 'ACL'}`);
    if (f.kind === 'num') {
      if (typeof e.value !== 'bigint' || e.value < 0n || e.value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad();
      (out as Record<string, unknown>)[f.key as string] = Number(e.value);
    } else if (f.kind === 'str') {
      if (typeof e.value !== 'string' || e.value.length === 0) throw bad();
      (out as Record<string, unknown>)[f.key as string] = e.value;
    } else {
      if (!Array.isArray(e.value)) throw bad();
      (out as Record<string, unknown>)[f.key as string] = makeAcl(e.value);
    }
  }
  return out;
}

export function poolPropsToEntries(p: Partial<PoolProps>): PropEntry[] {
  return toEntries(POOL_FIELDS, p);
}

/** Entries → pool properties; types must lie strictly between PO_MIN and PO_MAX, each once. */
export function poolPropsFromEntries(entries: readonly PropEntry[]): Partial<PoolProps> {
  return fromEntries('pool', POOL_FIELDS, entries, PoolProp.MIN, PoolProp.MAX);
}

export function contPropsToEntries(p: Partial<ContProps>): PropEntry[] {
  return toEntries(CONT_FIELDS, p);
}

/** Entries → container properties; types must lie strictly between CO_MIN and CO_MAX, each once. */
export function contPropsFromEntries(entries: readonly PropEntry[]): Partial<ContProps> {
  return fromEntries('container', CONT_FIELDS, entries, ContProp.MIN, ContProp.MAX);
}

/** Defaults overlaid with the given properties, validated. */
export function poolPropsWith(given: Partial<PoolProps>): PoolProps {
  return validatePoolProps({ ...defaultPoolProps(), ...given });
}

export function contPropsWith(given: Partial<ContProps>): ContProps {
  return validateContProps({ ...defaultContProps(), ...given });
}
