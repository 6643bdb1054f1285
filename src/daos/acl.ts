/**
 * Access control lists (data-plane §7.4, pools-tools-tests §3): ACEs, their text form
 * `TYPES:FLAGS:PRINCIPAL:PERMS`, ACL ordering and the first-match access check.
 *
 * NB: permissions use today's letters (r w c d t T a A o, the bits v1.0 defined), not v0.8's r/w
 * only; r and w keep their v0.8 bits, so v0.8 ACL text parses to the same meaning.
 */

import { DaosError, DER } from './errors.js';

export const AccessType = { ALLOW: 1, AUDIT: 2, ALARM: 4 } as const;
export const AccessFlag = { GROUP: 1, POOL_INHERIT: 2, ACCESS_FAIL: 4, ACCESS_SUCCESS: 8 } as const;

/** In ACL order: owner, named users, owner-group, named groups, everyone. */
export const PrincipalType = { OWNER: 0, USER: 1, OWNER_GROUP: 2, GROUP: 3, EVERYONE: 4 } as const;
export type PrincipalType = (typeof PrincipalType)[keyof typeof PrincipalType];

export const Perm = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  CREATE_CONT: 1 << 2,
  DEL_CONT: 1 << 3,
  GET_PROP: 1 << 4,
  SET_PROP: 1 << 5,
  GET_ACL: 1 << 6,
  SET_ACL: 1 << 7,
  SET_OWNER: 1 << 8,
} as const;

/** Every permission on a pool: r w c d t. */
export const POOL_ALL = Perm.READ | Perm.WRITE | Perm.CREATE_CONT | Perm.DEL_CONT | Perm.GET_PROP;
/** Every permission on a container: r w d t T a A o. */
export const CONT_ALL = Perm.READ | Perm.WRITE | Perm.DEL_CONT | Perm.GET_PROP | Perm.SET_PROP | Perm.GET_ACL | Perm.SET_ACL | Perm.SET_OWNER;

// Letters in printing order (bit order for permissions).
const TYPE_LETTERS: readonly [string, number][] = [['A', AccessType.ALLOW], ['U', AccessType.AUDIT], ['L', AccessType.ALARM]];
const FLAG_LETTERS: readonly [string, number][] = [
  ['G', AccessFlag.GROUP], ['S', AccessFlag.ACCESS_SUCCESS], ['F', AccessFlag.ACCESS_FAIL], ['P', AccessFlag.POOL_INHERIT],
];
const PERM_LETTERS: readonly [string, number][] = [
  ['r', Perm.READ], ['w', Perm.WRITE], ['c', Perm.CREATE_CONT], ['d', Perm.DEL_CONT], ['t', Perm.GET_PROP],
  ['T', Perm.SET_PROP], ['a', Perm.GET_ACL], ['A', Perm.SET_ACL], ['o', Perm.SET_OWNER],
];
const ALL_TYPES = 7;
const ALL_FLAGS = 15;
const ALL_PERMS = 0x1ff;

/** Longest principal name (name@domain), in bytes. */
export const PRINCIPAL_MAX = 255;
/** Longest ACE text: 255 + 64. */
export const ACE_STR_MAX = PRINCIPAL_MAX + 64;
/** Largest packed ACE list in bytes (DAOS_ACL_MAX_ACE_LEN from v1.0; v0.8 had 8192). */
export const ACL_MAX_ACE_LEN = 65536;
/** Packed ACE header. */
const ACE_HEADER = 32;

export interface Ace {
  /** AccessType bits. */
  readonly types: number;
  /** AccessFlag bits. */
  readonly flags: number;
  readonly principalType: PrincipalType;
  /** `name@domain` for USER and GROUP, '' for the special principals. */
  readonly principal: string;
  readonly allow: number;
  readonly audit: number;
  readonly alarm: number;
}

export type Acl = readonly Ace[];

const SPECIAL = new Map<string, PrincipalType>([['OWNER@', PrincipalType.OWNER], ['GROUP@', PrincipalType.OWNER_GROUP], ['EVERYONE@', PrincipalType.EVERYONE]]);
const SPECIAL_NAME: Record<number, string> = { [PrincipalType.OWNER]: 'OWNER@', [PrincipalType.OWNER_GROUP]: 'GROUP@', [PrincipalType.EVERYONE]: 'EVERYONE@' };

function bad(what: string, why: string, hint?: string): DaosError {
  return new DaosError(-DER.INVAL, `${what}: ${why}`, {
    hint: hint ?? 'an ACE is TYPES:FLAGS:PRINCIPAL:PERMS, e.g. A::OWNER@:rw or A:G:GROUP@:r (see dmg pool get-acl for examples)',
  });
}

/** Why a `name@[domain]` principal is malformed, or undefined when it is fine. */
export function principalNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the principal is empty';
  if (Buffer.byteLength(name) > PRINCIPAL_MAX) return `the principal is ${Buffer.byteLength(name)} bytes long, the limit is ${PRINCIPAL_MAX}`;
  if (name.includes('\0')) return 'the principal contains a NUL character';
  const at = name.split('@').length - 1;
  if (at === 0) return `principal ${JSON.stringify(name)} has no '@' (write name@ or name@domain)`;
  if (at > 1) return `principal ${JSON.stringify(name)} has ${at} '@', exactly one is allowed`;
  if (name.startsWith('@')) return `principal ${JSON.stringify(name)} has an empty name before '@'`;
  return undefined;
}

function letters(field: string, table: readonly [string, number][], what: string, kind: string): number {
  let bits = 0;
  for (const ch of field) {
    const e = table.find(([l]) => l === ch);
    if (!e) throw bad(what, `unknown ${kind} letter ${JSON.stringify(ch)} (valid: ${table.map(([l]) => l).join(' ')}; letters are case-sensitive)`);
    bits |= e[1];
  }
  return bits;
}

function printLetters(bits: number, table: readonly [string, number][]): string {
  return table.filter(([, b]) => bits & b).map(([l]) => l).join('');
}

/** The principal as the text form writes it: OWNER@, GROUP@, EVERYONE@ or the name. */
export function acePrincipalText(ace: Ace): string {
  return SPECIAL_NAME[ace.principalType] ?? ace.principal;
}

/** Why an ACE is invalid (§7.4 "ACE validity"), or undefined. */
export function aceProblem(ace: Ace): string | undefined {
  if (ace.types & ~ALL_TYPES) return `unknown access type bits 0x${ace.types.toString(16)}`;
  if (ace.flags & ~ALL_FLAGS) return `unknown flag bits 0x${ace.flags.toString(16)}`;
  for (const [n, p] of [['allow', ace.allow], ['audit', ace.audit], ['alarm', ace.alarm]] as const) {
    if (!Number.isInteger(p) || p < 0 || p & ~ALL_PERMS) return `unknown ${n} permission bits 0x${p.toString(16)}`;
  }
  const named = ace.principalType === PrincipalType.USER || ace.principalType === PrincipalType.GROUP;
  if (!Object.hasOwn(SPECIAL_NAME, ace.principalType) && !named) return `unknown principal type ${ace.principalType}`;
  if (named) {
    const p = principalNameProblem(ace.principal);
    if (p) return p;
  } else if (ace.principal !== '') return `${SPECIAL_NAME[ace.principalType]} takes no name`;
  const isGroup = ace.principalType === PrincipalType.GROUP || ace.principalType === PrincipalType.OWNER_GROUP;
  const g = (ace.flags & AccessFlag.GROUP) !== 0;
  if (isGroup && !g) return `${acePrincipalText(ace)} is a group: the G flag is required`;
  if (!isGroup && g) return `${acePrincipalText(ace)} is not a group: the G flag is not allowed`;
  if (ace.allow && !(ace.types & AccessType.ALLOW)) return 'allow permissions without the A type';
  if (ace.audit && !(ace.types & AccessType.AUDIT)) return 'audit permissions without the U type';
  if (ace.alarm && !(ace.types & AccessType.ALARM)) return 'alarm permissions without the L type';
  const logs = (ace.types & (AccessType.AUDIT | AccessType.ALARM)) !== 0;
  const sf = (ace.flags & (AccessFlag.ACCESS_SUCCESS | AccessFlag.ACCESS_FAIL)) !== 0;
  if (logs && !sf) return 'audit (U) and alarm (L) entries need the S or F flag to say when to log';
  if (!logs && sf) return 'the S and F flags are only for audit (U) and alarm (L) entries';
  return undefined;
}

/** Parse one ACE (daos_ace_from_str); DaosError(-DER_INVAL) naming the ACE and what is wrong. */
export function parseAce(text: string): Ace {
  const what = `ACE ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text)}`;
  if (text.length === 0) throw bad(what, 'empty');
  if (text.length > ACE_STR_MAX) throw bad(what, `${text.length} characters long, the limit is ${ACE_STR_MAX}`);
  const fields = text.split(':');
  if (fields.length !== 4) throw bad(what, `${fields.length} field${fields.length === 1 ? '' : 's'}, exactly 4 are needed (TYPES:FLAGS:PRINCIPAL:PERMS)`);
  const [tf, ff, pf, mf] = fields as [string, string, string, string];
  const types = letters(tf, TYPE_LETTERS, what, 'access type');
  const flags = letters(ff, FLAG_LETTERS, what, 'flag');
  const perms = letters(mf, PERM_LETTERS, what, 'permission');
  if (types === 0 && perms !== 0) throw bad(what, 'permissions given without an access type (A, U or L)');
  let principalType: PrincipalType;
  let principal = '';
  const special = SPECIAL.get(pf);
  if (special !== undefined) principalType = special;
  else {
    const p = principalNameProblem(pf);
    if (p) throw bad(what, p);
    principalType = flags & AccessFlag.GROUP ? PrincipalType.GROUP : PrincipalType.USER;
    principal = pf;
  }
  const ace: Ace = {
    types, flags, principalType, principal,
    allow: types & AccessType.ALLOW ? perms : 0,
    audit: types & AccessType.AUDIT ? perms : 0,
    alarm: types & AccessType.ALARM ? perms : 0,
  };
  const p = aceProblem(ace);
  if (p) throw bad(what, p);
  return ace;
}

/** The canonical text of an ACE: types A,U,L; flags G,S,F,P; permissions in bit order. */
export function formatAce(ace: Ace): string {
  const p = aceProblem(ace);
  if (p) throw bad(`ACE for ${acePrincipalText(ace) || 'an unnamed principal'}`, p);
  const sets = [[AccessType.ALLOW, ace.allow], [AccessType.AUDIT, ace.audit], [AccessType.ALARM, ace.alarm]].filter(([t]) => ace.types & t!).map(([, s]) => s!);
  if (sets.some((s) => s !== sets[0])) {
    throw bad(`ACE for ${acePrincipalText(ace)}`, 'its access types carry different permissions, which the text form cannot show');
  }
  return `${printLetters(ace.types, TYPE_LETTERS)}:${printLetters(ace.flags, FLAG_LETTERS)}:${acePrincipalText(ace)}:${printLetters(sets[0] ?? 0, PERM_LETTERS)}`;
}

/** Permission bits for letters like 'rw' (for callers building requests). */
export function parsePerms(s: string): number {
  return letters(s, PERM_LETTERS, `permissions ${JSON.stringify(s)}`, 'permission');
}

export function formatPerms(bits: number): string {
  return printLetters(bits, PERM_LETTERS);
}

// ---------------------------------------------------------------------------------------------
// ACLs

function samePrincipal(a: Ace, b: { principalType: PrincipalType; principal: string }): boolean {
  return a.principalType === b.principalType && a.principal === b.principal;
}

/** Packed size of the ACE list: a 32-byte header per ACE plus, for named principals, name + NUL rounded up to 8. */
export function aclPackedSize(acl: Acl): number {
  let n = 0;
  for (const a of acl) n += ACE_HEADER + (a.principal ? (Buffer.byteLength(a.principal) + 1 + 7) & ~7 : 0);
  return n;
}

/**
 * Check and order an ACL: every ACE valid, no principal twice, sorted by principal type (stable, so
 * named users keep their order among themselves), packed size within ACL_MAX_ACE_LEN.
 */
export function makeAcl(aces: readonly Ace[]): Acl {
  for (const a of aces) {
    const p = aceProblem(a);
    if (p) throw bad(`ACE for ${acePrincipalText(a) || 'an unnamed principal'}`, p);
  }
  const sorted = [...aces].sort((a, b) => a.principalType - b.principalType);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted.slice(0, i).some((x) => samePrincipal(x, sorted[i]!))) {
      throw bad('ACL', `principal ${acePrincipalText(sorted[i]!)}${sorted[i]!.principalType === PrincipalType.GROUP ? ' (group)' : ''} appears more than once`,
        'keep one entry per principal; update-acl replaces an existing entry');
    }
  }
  const size = aclPackedSize(sorted);
  if (size > ACL_MAX_ACE_LEN) throw bad('ACL', `${sorted.length} entries pack to ${size} bytes, the limit is ${ACL_MAX_ACE_LEN}`, 'remove entries, or use groups instead of many users');
  return Object.freeze(sorted.map((a) => Object.freeze({ ...a })));
}

/**
 * Parse ACL file lines: each is trimmed; blank lines and lines starting with '#' are skipped (no
 * inline comments, as the original). An error names the line number and the ACE.
 */
export function parseAcl(lines: readonly string[] | string): Acl {
  const list = typeof lines === 'string' ? lines.split('\n') : lines;
  const aces: Ace[] = [];
  for (const [i, raw] of list.entries()) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    try {
      aces.push(parseAce(l));
    } catch (e) {
      if (e instanceof DaosError) throw new DaosError(e.rc, `line ${i + 1}: ${e.detail}`, { cause: e, ...(e.hint ? { hint: e.hint } : {}) });
      throw e;
    }
  }
  return makeAcl(aces);
}

/** The canonical ACE lines of an ACL, in ACL order. */
export function formatAcl(acl: Acl): string[] {
  return acl.map(formatAce);
}

/** dmg's ACL block: `# Entries:` and one ACE per line, or `#   None`; valid as an ACL file. */
export function formatAclBlock(acl: Acl): string {
  return acl.length === 0 ? '# Entries:\n#   None\n' : `# Entries:\n${formatAcl(acl).map((l) => l + '\n').join('')}`;
}

/** Add each ACE, replacing the existing entry of the same principal (POOL_ACL_UPDATE). */
export function updateAcl(acl: Acl, aces: readonly (Ace | string)[]): Acl {
  let out = [...acl];
  for (const x of aces) {
    const a = typeof x === 'string' ? parseAce(x) : x;
    const i = out.findIndex((o) => samePrincipal(o, a));
    if (i >= 0) out[i] = a;
    else out = [...out, a];
  }
  return makeAcl(out);
}

export interface Principal {
  principalType: PrincipalType;
  principal: string;
}

/**
 * A principal as delete-acl names it: `u:name@[domain]`, `g:name@[domain]`, `OWNER@`, `GROUP@` or
 * `EVERYONE@`. Anything else is DaosError(-DER_INVAL).
 */
export function parsePrincipal(s: string): Principal {
  const what = `principal ${JSON.stringify(s)}`;
  const hint = 'write u:name@ for a user, g:name@ for a group, or OWNER@, GROUP@, EVERYONE@';
  const special = SPECIAL.get(s);
  if (special !== undefined) return { principalType: special, principal: '' };
  const m = /^([ug]):(.*)$/s.exec(s);
  if (!m) throw bad(what, s.length === 0 ? 'no principal given' : 'a named principal needs a u: or g: prefix', hint);
  const p = principalNameProblem(m[2]!);
  if (p) throw bad(what, p, hint);
  return { principalType: m[1] === 'u' ? PrincipalType.USER : PrincipalType.GROUP, principal: m[2]! };
}

/** Remove the principal's entry (POOL_ACL_DELETE); DaosError(-DER_NONEXIST) when it has none. */
export function deleteAce(acl: Acl, principal: string | Principal): Acl {
  const p = typeof principal === 'string' ? parsePrincipal(principal) : principal;
  const i = acl.findIndex((a) => samePrincipal(a, p));
  if (i < 0) {
    const name = SPECIAL_NAME[p.principalType] ?? `${p.principalType === PrincipalType.GROUP ? 'g' : 'u'}:${p.principal}`;
    throw new DaosError(-DER.NONEXIST, `the ACL has no entry for ${name}`, { hint: 'list the entries with dmg pool get-acl' });
  }
  return makeAcl(acl.filter((_, j) => j !== i));
}

/** v0.8's default pool ACL: owner and owner-group may connect read-write. */
export function defaultPoolAcl(): Acl {
  return parseAcl(['A::OWNER@:rw', 'A:G:GROUP@:rw']);
}

/** The default container ACL (v1.0+): the owner may do everything, the owner-group read, write and use properties. */
export function defaultContAcl(): Acl {
  return parseAcl(['A::OWNER@:rwdtTaAo', 'A:G:GROUP@:rwtT']);
}

// ---------------------------------------------------------------------------------------------
// Access check

/** An AUTH_SYS credential's identities, as principal strings ('alice@', 'users@'). */
export interface Credential {
  user: string;
  group: string;
  groups?: readonly string[];
}

/**
 * The permissions the deciding category grants (ds_sec_check_pool_access), first match wins:
 * OWNER@ if the user is the owner; else the user's own entry; else the union of every group entry
 * that applies (GROUP@ when the primary or a supplementary group is the owner-group, plus named
 * groups); else EVERYONE@; else nothing. Only allow permissions count.
 */
export function grantedPerms(acl: Acl, owner: string, ownerGroup: string, cred: Credential): number {
  const allow = (a: Ace | undefined) => a?.allow ?? 0;
  if (cred.user === owner) {
    const o = acl.find((a) => a.principalType === PrincipalType.OWNER);
    if (o) return allow(o);
  }
  const u = acl.find((a) => a.principalType === PrincipalType.USER && a.principal === cred.user);
  if (u) return allow(u);
  const groups = new Set([cred.group, ...(cred.groups ?? [])]);
  let found = false;
  let union = 0;
  for (const a of acl) {
    const applies =
      (a.principalType === PrincipalType.OWNER_GROUP && groups.has(ownerGroup)) ||
      (a.principalType === PrincipalType.GROUP && groups.has(a.principal));
    if (applies) {
      found = true;
      union |= a.allow;
    }
  }
  if (found) return union;
  return allow(acl.find((a) => a.principalType === PrincipalType.EVERYONE));
}

/**
 * Whether the credential has every bit of `wanted`. The deciding category lacking a bit is a denial,
 * not a fall-through to the next category.
 */
export function checkAccess(acl: Acl, owner: string, ownerGroup: string, cred: Credential, wanted: number): boolean {
  return (grantedPerms(acl, owner, ownerGroup, cred) & wanted) === wanted;
}

/** Pool connect flags (DAOS_PC_*) and the permissions each needs: RO needs r, RW and EX need r and w. */
export const PoolConnect = { RO: 1, RW: 2, EX: 4 } as const;

export function permsForPoolConnect(flags: number): number {
  return flags & (PoolConnect.RW | PoolConnect.EX) ? Perm.READ | Perm.WRITE : Perm.READ;
}
