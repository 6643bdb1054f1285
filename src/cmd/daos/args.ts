/**
 * Argument handling of the daos tool: v0.8's long options beside today's
 * positional pool and container, object IDs, object classes, sizes, epochs
 * and container properties. Pure functions, tested in args.test.ts.
 */
import { parseOid, generateOid, oidClass, formatOid, type Oid } from '../../daos/oid.js';
import { classById, classByName, objectClasses, type ObjectClass } from '../../daos/oclass.js';
import { DaosError } from '../../daos/errors.js';
import { parseContProps, type ContProps, CONT_PROP_NAMES } from '../../daos/props.js';
import { parseSize, SizeParseError } from '../../lib/units/parse.js';
import { usage } from './ctx.js';

/**
 * v0.8 parsed with getopt_long: `--chunk_size` is spelled with an underscore
 * and any unambiguous prefix of a long option is that option (`--sys=` is
 * `--sys-name=`, `--chunk=` is `--chunk_size=`). Rewrite such tokens to the
 * names the parser knows; an ambiguous prefix is an error naming the
 * candidates. Tokens after `--` are left alone.
 */
export function normalizeArgv(argv: readonly string[], longOptions: readonly string[]): string[] {
  const known = new Set(longOptions);
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || !a.startsWith('--') || a === '--') {
      if (a === '--') rest = true;
      out.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq < 0 ? a.slice(2) : a.slice(2, eq)).replaceAll('_', '-');
    const value = eq < 0 ? '' : a.slice(eq);
    if (known.has(name)) {
      out.push(`--${name}${value}`);
      continue;
    }
    const cands = [...known].filter((k) => k.startsWith(name));
    if (cands.length === 1) out.push(`--${cands[0]}${value}`);
    else if (cands.length > 1) {
      throw usage(`option --${name} is ambiguous: it could be ${cands.sort().map((c) => `--${c}`).join(', ')}`, 'spell more of the option name');
    } else out.push(a);
  }
  return out;
}

export interface Ids {
  pool: string;
  cont?: string;
  /** Positional arguments left after the pool (and container). */
  rest: string[];
}

/**
 * The pool and container of a command: `--pool`/`--cont` (v0.8) or the first
 * positional arguments (today), by label or UUID. With `--pool` given, the
 * first positional argument is the container, and so on.
 */
export function takeIds(positionals: readonly (string | undefined)[], o: { pool?: string; cont?: string }, needCont: boolean): Ids {
  const rest = positionals.filter((x): x is string => x !== undefined);
  const pool = o.pool ?? rest.shift();
  if (!pool) throw usage('the pool is required', 'give the pool label or UUID as the first argument, or with --pool=<pool>');
  if (!needCont) return { pool, rest };
  const cont = o.cont ?? rest.shift();
  if (!cont) throw usage('the container is required', 'give the container label or UUID after the pool, or with --cont=<cont>');
  return { pool, cont, rest };
}

/** Refuse positional arguments nobody asked for. */
export function noMore(rest: readonly string[], what: string): void {
  if (rest.length) throw usage(`unexpected argument${rest.length > 1 ? 's' : ''} ${rest.map((r) => JSON.stringify(r)).join(' ')}`, `usage: ${what}`);
}

/**
 * An object class by name: the exact name, else v0.8's rule (the first class
 * in table order whose name starts with the text, so `RP_3` is RP_3G1).
 * Unknown names fail with the list of valid ones.
 */
export function parseOclass(name: string): ObjectClass {
  const t = name.trim();
  if (!t) throw usage('the object class is empty', `give one of ${objectClasses().map((c) => c.name).join(', ')}`);
  try {
    return classByName(t);
  } catch (e) {
    if (!(e instanceof DaosError)) throw e;
    try {
      return classByName(t, { prefix: true });
    } catch {
      throw usage(`unknown object class: ${e.detail ?? t}`, 'give --oclass one of the valid class names listed (names are case-sensitive)');
    }
  }
}

/**
 * An object ID `hi.lo` (two decimal unsigned 64-bit numbers). When the top 32
 * bits of hi are zero the ID carries no class yet, so `hi.lo` are taken as
 * the user bits and the class (from --oclass, else `defaultClass`) is encoded
 * in: `--oid 0.7 --oclass S1` names the same object as the full ID printed
 * by the tool. An ID that already carries a class must agree with --oclass.
 */
export function parseOidArg(s: string | undefined, oclass: string | undefined, defaultClass: string, features = 0): Oid {
  if (s === undefined || s === '') throw usage('the object ID is required', 'give it as --oid=<hi>.<lo> (two decimal numbers, as printed by daos)');
  let oid: Oid;
  try {
    oid = parseOid(s.trim());
  } catch (e) {
    if (e instanceof DaosError) throw usage(`bad object ID: ${e.detail}`, 'oid format should be oid_hi.oid_lo: two decimal numbers, the full ID printed by daos, or user bits with a class (e.g. --oid=0.7 --oclass=S1)');
    throw e;
  }
  if (oid.hi >> 32n === 0n) {
    const cls = parseOclass(oclass ?? defaultClass);
    return generateOid({ hi32: oid.hi, lo: oid.lo }, cls.id, features);
  }
  let cls: ObjectClass;
  try {
    cls = classById(oidClass(oid));
  } catch {
    throw usage(
      `bad object ID ${s}: its class id ${oidClass(oid)} is not a registered object class`,
      'give an object ID printed by daos, or give only the user bits (e.g. --oid=0.7) with --oclass=<class>',
    );
  }
  if (oclass !== undefined && parseOclass(oclass).id !== cls.id) {
    throw usage(`object ID ${formatOid(oid)} is of class ${cls.name}, not ${oclass}`, 'drop --oclass: a full object ID already carries its class');
  }
  return oid;
}

/**
 * A chunk size in bytes: v0.8's form (an integer, base from its prefix, with
 * an optional binary suffix b k m g t p e, optionally followed by b) or
 * today's (`1MiB`, `1.5M`). Zero and junk are refused.
 */
export function parseChunkSize(s: string): number {
  const t = s.trim();
  const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)([bkmgtpe]?)b?$/i.exec(t);
  let v: number | undefined;
  if (m) {
    const n = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1].slice(2), 16) : m[1].length > 1 && m[1].startsWith('0') ? parseInt(m[1], 8) : Number(m[1]);
    const shift = 'bkmgtpe'.indexOf((m[2] || 'b').toLowerCase());
    v = n * 2 ** (10 * shift);
  } else {
    try {
      v = parseSize(t);
    } catch (e) {
      if (!(e instanceof SizeParseError)) throw e;
    }
  }
  if (v === undefined || !Number.isSafeInteger(v) || v <= 0) {
    throw usage(`failed to parse chunk size: ${JSON.stringify(s)}`, 'give a positive size in bytes with an optional binary unit, e.g. --chunk-size=1M, 4MiB, 65536');
  }
  return v;
}

/** A snapshot epoch (decimal, non-zero). */
export function parseEpoch(s: string): bigint {
  const t = s.trim();
  if (!/^[0-9]+$/.test(t) || BigInt(t) === 0n || BigInt(t) > 0xffffffffffffffffn) {
    throw usage(`failed to parse epc: ${JSON.stringify(s)}`, 'give the epoch of a snapshot as a decimal number (daos container list-snaps shows them)');
  }
  return BigInt(t);
}

/** `A-B`: two epochs, A <= B. */
export function parseEpochRange(s: string): { lo: bigint; hi: bigint } {
  const m = /^\s*([0-9]+)-([0-9]+)\s*$/.exec(s);
  if (!m) throw usage(`epcrange=${s} must be in A-B form`, 'give two decimal epochs separated by -, e.g. --epcrange=100-200');
  const lo = BigInt(m[1]);
  const hi = BigInt(m[2]);
  if (lo > hi) throw usage(`epcrange=${s}: the first epoch is above the second`, 'give the lower epoch first');
  return { lo, hi };
}

/** The `name: value` strings the management service stores, from typed container properties. */
export function contPropsToStrings(p: Partial<ContProps>): Record<string, string> {
  const out: Record<string, string> = {};
  const layout = ['unknown', 'POSIX', 'HDF5'];
  const csum = ['off', 'crc16', 'crc32', 'crc64', 'sha1'];
  if (p.layoutType !== undefined) out.layout_type = layout[p.layoutType] ?? String(p.layoutType);
  if (p.layoutVer !== undefined) out.layout_version = String(p.layoutVer);
  if (p.csum !== undefined) out.cksum = csum[p.csum] ?? String(p.csum);
  if (p.csumChunkSize !== undefined) out.cksum_size = String(p.csumChunkSize);
  if (p.csumServerVerify !== undefined) out.srv_cksum = p.csumServerVerify ? 'on' : 'off';
  if (p.redunFac !== undefined) out.rf = String(p.redunFac);
  if (p.redunLvl !== undefined) out.rf_lvl = p.redunLvl === 1 ? 'node' : 'rack';
  if (p.snapshotMax !== undefined) out.max_snapshot = String(p.snapshotMax);
  if (p.compress !== undefined) out.compression = 'off';
  if (p.encrypt !== undefined) out.encryption = 'off';
  return out;
}

export interface CreateSpec {
  label?: string;
  uuid?: string;
  props: Record<string, string>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/**
 * What `container create` sends: the label (positional, --label, or
 * label:<x> in --properties), the UUID (v0.8's --cont=<uuid>), and the
 * properties: --properties (v1.0 syntax), --type (the layout type), and
 * --oclass / --chunk-size, kept as the container's `oclass` and `chunk_size`
 * (the defaults of `daos array import` into it).
 */
export function containerCreateSpec(o: { label?: string; cont?: string; properties?: string; type?: string; oclass?: string; chunkSize?: string }, positionalLabel?: string): CreateSpec {
  let props: Partial<ContProps> = {};
  if (o.properties !== undefined) {
    try {
      props = parseContProps(o.properties);
    } catch (e) {
      if (e instanceof DaosError) throw usage(`bad --properties: ${e.detail}`, e.hint ?? `valid properties: ${CONT_PROP_NAMES.join(', ')}`);
      throw e;
    }
  }
  const labels = [positionalLabel, o.label, props.label].filter((x): x is string => x !== undefined);
  let uuid: string | undefined;
  if (o.cont !== undefined) {
    if (isUuid(o.cont)) uuid = o.cont.toLowerCase();
    else labels.push(o.cont);
  }
  if (new Set(labels).size > 1) throw usage(`the container label is given twice (${labels.join(' and ')})`, 'give the label once');
  const label = labels[0];
  if (label !== undefined && isUuid(label)) throw usage(`the label ${label} is a UUID`, 'to create a container with this UUID use --cont=<uuid>; a label must not be a UUID');
  const out = contPropsToStrings(props);
  if (o.type !== undefined) {
    const t = o.type.toUpperCase();
    if (t !== 'POSIX' && t !== 'HDF5') throw usage(`unknown container type ${o.type}`, 'give --type=POSIX or --type=HDF5');
    out.layout_type = t;
  }
  if (o.oclass !== undefined) out.oclass = parseOclass(o.oclass).name;
  if (o.chunkSize !== undefined) out.chunk_size = String(parseChunkSize(o.chunkSize));
  return { ...(label !== undefined ? { label } : {}), ...(uuid ? { uuid } : {}), props: out };
}
