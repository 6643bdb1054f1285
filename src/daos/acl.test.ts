import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Ace, aclPackedSize, ACL_MAX_ACE_LEN, AccessFlag, AccessType, checkAccess, CONT_ALL, defaultContAcl, defaultPoolAcl, deleteAce,
  formatAce, formatAcl, formatAclBlock, grantedPerms, makeAcl, parseAce, parseAcl, parsePerms, parsePrincipal, Perm, permsForPoolConnect,
  POOL_ALL, PoolConnect, PrincipalType, updateAcl,
} from './acl.js';
import { DaosError, DER } from './errors.js';

function isInval(re?: RegExp) {
  return (e: unknown) => e instanceof DaosError && e.rc === -DER.INVAL && (!re || re.test(e.message));
}

// pools-tools-tests §3.4 valid examples, verbatim, with the canonical text the server writes back.
const valid: Record<string, { canonical?: string; principalType: PrincipalType; allow: number }> = {
  'A::OWNER@:rw': { principalType: PrincipalType.OWNER, allow: 3 },
  'A:G:GROUP@:rw': { principalType: PrincipalType.OWNER_GROUP, allow: 3 },
  'A::EVERYONE@:r': { principalType: PrincipalType.EVERYONE, allow: 1 },
  'A::daos_user@:rw': { principalType: PrincipalType.USER, allow: 3 },
  'A:G:project_users@:r': { principalType: PrincipalType.GROUP, allow: 1 },
  'A::niceuser@domain:r': { principalType: PrincipalType.USER, allow: 1 },
  'A::someuser@:': { principalType: PrincipalType.USER, allow: 0 },
  'U:S:OWNER@:w': { principalType: PrincipalType.OWNER, allow: 0 },
  'UL:F:EVERYONE@:rw': { principalType: PrincipalType.EVERYONE, allow: 0 },
  // §3.2 and §7.4 examples.
  'U:S:someuser@:rw': { principalType: PrincipalType.USER, allow: 0 },
  'L:S:someuser@:rw': { principalType: PrincipalType.USER, allow: 0 },
  'ALU:S:someuser@:rw': { canonical: 'AUL:S:someuser@:rw', principalType: PrincipalType.USER, allow: 3 },
  'U:SFGP:somegrp@:rw': { canonical: 'U:GSFP:somegrp@:rw', principalType: PrincipalType.GROUP, allow: 0 },
  'LUA:SG:somegroup@somedomain:wr': { canonical: 'AUL:GS:somegroup@somedomain:rw', principalType: PrincipalType.GROUP, allow: 3 },
  'A::bob@:r': { principalType: PrincipalType.USER, allow: 1 },
  'A:G:staff@:rw': { principalType: PrincipalType.GROUP, allow: 3 },
  'AU:S:EVERYONE@:r': { principalType: PrincipalType.EVERYONE, allow: 1 },
  // Today's permission letters, printed in bit order; repeats are harmless.
  'A::OWNER@:oAaTtdcwr': { canonical: 'A::OWNER@:rwcdtTaAo', principalType: PrincipalType.OWNER, allow: 0x1ff },
  'AA:GG:GROUP@:rrw': { canonical: 'A:G:GROUP@:rw', principalType: PrincipalType.OWNER_GROUP, allow: 3 },
  'A:P:OWNER@:r': { principalType: PrincipalType.OWNER, allow: 1 },
  '::nobody@:': { principalType: PrincipalType.USER, allow: 0 },
};
for (const [text, tc] of Object.entries(valid)) {
  test(`valid ACE ${text}`, () => {
    const ace = parseAce(text);
    assert.equal(ace.principalType, tc.principalType);
    assert.equal(ace.allow, tc.allow);
    const canon = formatAce(ace);
    assert.equal(canon, tc.canonical ?? text);
    assert.deepEqual(parseAce(canon), ace, 'the canonical form parses back to the same ACE');
  });
}

// pools-tools-tests §3.4 invalid examples (the server returns -1003), plus §3.2/§3.3 rules.
const invalid: Record<string, RegExp> = {
  'A::GROUP@:rw': /GROUP@ is a group: the G flag is required/,
  'A:G:OWNER@:rw': /OWNER@ is not a group: the G flag is not allowed/,
  'A:G:EVERYONE@:rw': /EVERYONE@ is not a group/,
  'A::someuser@': /3 fields, exactly 4 are needed/,
  'A::someuser@:rw:r': /5 fields, exactly 4 are needed/,
  'A::someuser:rw': /has no '@'/,
  'A::@domain:rw': /empty name before '@'/,
  'A::a@b@c:rw': /has 2 '@', exactly one is allowed/,
  '': /empty/,
  'Ux:S:someuser@:rw': /unknown access type letter "x"/,
  'A::someuser@:rz': /unknown permission letter "z"/,
  'a::OWNER@:rw': /unknown access type letter "a".*case-sensitive/,
  'U::user@:r': /need the S or F flag/,
  'A:S:user@:r': /S and F flags are only for audit/,
  'A:SFbG:user@:r': /unknown flag letter "b"/,
  'A::OWNER@:R': /unknown permission letter "R"/,
  'A::OWNER@:W': /unknown permission letter "W"/,
  '::someuser@:rw': /permissions given without an access type/,
  'A:::rw': /principal is empty/,
  'A::owner@x@:rw': /2 '@'/,
  'A::Owner@:rw:': /5 fields/,
  'A::OWNER@:m': /unknown permission letter "m"/,
  'A:D:OWNER@:r': /unknown flag letter "D"/,
  [`A::${'u'.repeat(299)}@:r`]: /principal is 300 bytes long, the limit is 255/,
  [`A::${'v'.repeat(314)}@:r`]: /320 characters long, the limit is 319/,
};
for (const [text, want] of Object.entries(invalid)) {
  test(`invalid ACE ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)}`, () => {
    assert.throws(() => parseAce(text), (e: unknown) => isInval(want)(e) && (e as DaosError).message.includes('ACE "'));
  });
}

test('a principal of exactly 255 bytes is accepted, 256 refused', () => {
  assert.equal(parseAce(`A::${'u'.repeat(254)}@:r`).principal.length, 255);
  assert.throws(() => parseAce(`A::${'u'.repeat(255)}@:r`), isInval(/256 bytes long, the limit is 255/));
});

test('printing fails when the access types carry different permissions', () => {
  const ace: Ace = { types: AccessType.ALLOW | AccessType.AUDIT, flags: AccessFlag.ACCESS_SUCCESS, principalType: PrincipalType.OWNER, principal: '', allow: 3, audit: 1, alarm: 0 };
  assert.throws(() => formatAce(ace), isInval(/different permissions/));
});

const badAces: Record<string, { ace: Partial<Ace>; want: RegExp }> = {
  'unknown type bit': { ace: { types: 8 }, want: /unknown access type bits/ },
  'allow bits without A': { ace: { types: AccessType.AUDIT, flags: AccessFlag.ACCESS_FAIL, allow: 1 }, want: /allow permissions without the A type/ },
  'name on a special principal': { ace: { principal: 'x@' }, want: /OWNER@ takes no name/ },
  'unknown permission bit': { ace: { allow: 0x200 }, want: /unknown allow permission bits/ },
};
for (const [name, tc] of Object.entries(badAces)) {
  test(`makeAcl refuses an invalid ACE: ${name}`, () => {
    const base: Ace = { types: AccessType.ALLOW, flags: 0, principalType: PrincipalType.OWNER, principal: '', allow: 1, audit: 0, alarm: 0 };
    assert.throws(() => makeAcl([{ ...base, ...tc.ace }]), isInval(tc.want));
  });
}

test('parseAcl: trims, skips blank and # lines, sorts by principal type, keeps named order', () => {
  const acl = parseAcl([
    '# Entries:',
    '  A::EVERYONE@:r  ',
    '',
    'A:G:staff@:rw',
    '   # Everyone should be allowed to read',
    'A::zed@:r',
    'A:G:GROUP@:rw',
    'A::amy@:rw',
    'A::OWNER@:rw',
  ]);
  assert.deepEqual(formatAcl(acl), ['A::OWNER@:rw', 'A::zed@:r', 'A::amy@:rw', 'A:G:GROUP@:rw', 'A:G:staff@:rw', 'A::EVERYONE@:r']);
});

test('the admin guide sample file parses; get-acl output is itself a valid ACL file', () => {
  const file = '# Entries:\nA::OWNER@:rw\nA:G:GROUP@:rw\n# Everyone should be allowed to read\nA::EVERYONE@:r\n';
  const acl = parseAcl(file);
  assert.equal(formatAclBlock(acl), '# Entries:\nA::OWNER@:rw\nA:G:GROUP@:rw\nA::EVERYONE@:r\n');
  assert.deepEqual(parseAcl(formatAclBlock(acl)), acl);
  assert.equal(formatAclBlock([]), '# Entries:\n#   None\n');
  assert.deepEqual(parseAcl(formatAclBlock([])), []);
});

const badAcls: Record<string, { lines: string[]; want: RegExp }> = {
  'duplicate user': { lines: ['A::bob@:r', 'A::bob@:rw'], want: /principal bob@ appears more than once/ },
  'duplicate owner': { lines: ['A::OWNER@:r', 'U:F:OWNER@:rw'], want: /principal OWNER@ appears more than once/ },
  'bad line named by number': { lines: ['A::OWNER@:rw', '', 'A::GROUP@:rw'], want: /line 3: ACE "A::GROUP@:rw": GROUP@ is a group/ },
  'inline comment is not a comment': { lines: ['A::OWNER@:rw # x'], want: /unknown permission letter " "/ },
};
for (const [name, tc] of Object.entries(badAcls)) {
  test(`parseAcl refuses: ${name}`, () => assert.throws(() => parseAcl(tc.lines), isInval(tc.want)));
}

test('a user and a group of the same name are different principals', () => {
  assert.deepEqual(formatAcl(parseAcl(['A:G:bob@:r', 'A::bob@:rw'])), ['A::bob@:rw', 'A:G:bob@:r']);
});

test('packed size: 32 bytes per ACE, names + NUL rounded up to 8; over 64 KiB is refused', () => {
  assert.equal(aclPackedSize(parseAcl(['A::OWNER@:rw', 'A::bob@:r', 'A:G:abcdefg@:r'])), 32 + (32 + 8) + (32 + 16));
  const many = Array.from({ length: 1000 }, (_, i) => `A::user${String(i).padStart(20, '0')}@:r`);
  assert.equal(aclPackedSize(parseAcl(many.slice(0, 100))), 100 * (32 + 32));
  assert.equal(aclPackedSize(parseAcl(many)), 64000, 'just under the limit');
  assert.equal(ACL_MAX_ACE_LEN, 65536);
  const over = Array.from({ length: 1100 }, (_, i) => `A::user${String(i).padStart(20, '0')}@:r`);
  assert.throws(() => parseAcl(over), isInval(/1100 entries pack to 70400 bytes, the limit is 65536/));
});

const updates: Record<string, { acl: string[]; add: string[]; want: string[] }> = {
  'adds a new principal in order': { acl: ['A::OWNER@:rw', 'A::EVERYONE@:r'], add: ['A:G:staff@:r'], want: ['A::OWNER@:rw', 'A:G:staff@:r', 'A::EVERYONE@:r'] },
  'replaces the same principal in place': { acl: ['A::OWNER@:rw', 'A::bob@:r', 'A::amy@:r'], add: ['A::bob@:rw'], want: ['A::OWNER@:rw', 'A::bob@:rw', 'A::amy@:r'] },
  'replaces a special principal': { acl: ['A::OWNER@:rw', 'A:G:GROUP@:rw'], add: ['A:G:GROUP@:r'], want: ['A::OWNER@:rw', 'A:G:GROUP@:r'] },
  'several at once, the last of one principal wins': { acl: [], add: ['A::EVERYONE@:r', 'A::OWNER@:r', 'A::OWNER@:rw'], want: ['A::OWNER@:rw', 'A::EVERYONE@:r'] },
};
for (const [name, tc] of Object.entries(updates)) {
  test(`updateAcl ${name}`, () => assert.deepEqual(formatAcl(updateAcl(parseAcl(tc.acl), tc.add)), tc.want));
}

const deletes: Record<string, { acl: string[]; principal: string; want: string[] | RegExp; rc?: number }> = {
  'named user': { acl: ['A::OWNER@:rw', 'A::bob@:r', 'A:G:bob@:r'], principal: 'u:bob@', want: ['A::OWNER@:rw', 'A:G:bob@:r'] },
  'named group': { acl: ['A::bob@:r', 'A:G:bob@:r'], principal: 'g:bob@', want: ['A::bob@:r'] },
  'OWNER@': { acl: ['A::OWNER@:rw', 'A:G:GROUP@:rw'], principal: 'OWNER@', want: ['A:G:GROUP@:rw'] },
  'GROUP@': { acl: ['A::OWNER@:rw', 'A:G:GROUP@:rw'], principal: 'GROUP@', want: ['A::OWNER@:rw'] },
  'EVERYONE@': { acl: ['A::EVERYONE@:r'], principal: 'EVERYONE@', want: [] },
  'absent principal': { acl: ['A::OWNER@:rw'], principal: 'u:bob@', want: /no entry for u:bob@/, rc: -DER.NONEXIST },
  'absent group': { acl: ['A::bob@:rw'], principal: 'g:bob@', want: /no entry for g:bob@/, rc: -DER.NONEXIST },
  'no prefix': { acl: ['A::bob@:rw'], principal: 'bob@', want: /needs a u: or g: prefix/, rc: -DER.INVAL },
  'empty': { acl: ['A::bob@:rw'], principal: '', want: /no principal given/, rc: -DER.INVAL },
  'bad name': { acl: ['A::bob@:rw'], principal: 'u:bob', want: /has no '@'/, rc: -DER.INVAL },
  'lower-case special': { acl: ['A::OWNER@:rw'], principal: 'owner@', want: /needs a u: or g: prefix/, rc: -DER.INVAL },
};
for (const [name, tc] of Object.entries(deletes)) {
  test(`deleteAce ${name}`, () => {
    const acl = parseAcl(tc.acl);
    if (Array.isArray(tc.want)) assert.deepEqual(formatAcl(deleteAce(acl, tc.principal)), tc.want);
    else {
      const re = tc.want;
      assert.throws(() => deleteAce(acl, tc.principal), (e: unknown) => e instanceof DaosError && e.rc === tc.rc && re.test(e.message));
    }
  });
}

test('parsePrincipal', () => {
  assert.deepEqual(parsePrincipal('u:alice@lab'), { principalType: PrincipalType.USER, principal: 'alice@lab' });
  assert.deepEqual(parsePrincipal('GROUP@'), { principalType: PrincipalType.OWNER_GROUP, principal: '' });
});

test('default ACLs keep the v0.8 pool meaning and the v1.0 container entries', () => {
  assert.deepEqual(formatAcl(defaultPoolAcl()), ['A::OWNER@:rw', 'A:G:GROUP@:rw']);
  assert.deepEqual(formatAcl(defaultContAcl()), ['A::OWNER@:rwdtTaAo', 'A:G:GROUP@:rwtT']);
  assert.equal(defaultContAcl()[0]!.allow, CONT_ALL);
  assert.equal(formatAce({ ...parseAce('A::OWNER@:'), allow: POOL_ALL }), 'A::OWNER@:rwcdt');
  assert.equal(parsePerms('rwcdtTaAo'), 0x1ff);
  assert.equal(Perm.SET_OWNER, 256);
});

// Access check, pools-tools-tests §3.5 / data-plane §7.4, category by category.
const OWNER = 'alice@';
const OGROUP = 'proj@';
const RW = Perm.READ | Perm.WRITE;
const R = Perm.READ;
const access: Record<string, { acl: string[]; cred: { user: string; group: string; groups?: string[] }; wanted: number; want: boolean }> = {
  'owner: OWNER@ decides': { acl: ['A::OWNER@:rw'], cred: { user: OWNER, group: 'x@' }, wanted: RW, want: true },
  'owner lacking w is denied even if a group grants it': { acl: ['A::OWNER@:r', 'A:G:GROUP@:rw'], cred: { user: OWNER, group: OGROUP }, wanted: RW, want: false },
  'owner without an OWNER@ entry falls to the user entry': { acl: ['A::alice@:rw'], cred: { user: OWNER, group: 'x@' }, wanted: RW, want: true },
  'owner without OWNER@ or user entry falls to groups': { acl: ['A:G:GROUP@:r'], cred: { user: OWNER, group: OGROUP }, wanted: R, want: true },
  'named user decides': { acl: ['A::OWNER@:rw', 'A::bob@:rw'], cred: { user: 'bob@', group: 'x@' }, wanted: RW, want: true },
  'named user with only r blocks rw even if a group grants rw': { acl: ['A::bob@:r', 'A:G:staff@:rw'], cred: { user: 'bob@', group: 'staff@' }, wanted: RW, want: false },
  'OWNER@ does not apply to others': { acl: ['A::OWNER@:rw'], cred: { user: 'bob@', group: OGROUP }, wanted: R, want: false },
  'owner-group via the primary group': { acl: ['A:G:GROUP@:rw'], cred: { user: 'bob@', group: OGROUP }, wanted: RW, want: true },
  'owner-group via a supplementary group': { acl: ['A:G:GROUP@:rw'], cred: { user: 'bob@', group: 'x@', groups: ['y@', OGROUP] }, wanted: RW, want: true },
  'groups union: r from one, w from another': { acl: ['A:G:readers@:r', 'A:G:writers@:w'], cred: { user: 'bob@', group: 'readers@', groups: ['writers@'] }, wanted: RW, want: true },
  'groups union with GROUP@': { acl: ['A:G:GROUP@:r', 'A:G:writers@:w'], cred: { user: 'bob@', group: OGROUP, groups: ['writers@'] }, wanted: RW, want: true },
  'a matching group without w is a denial, not a fall-through to EVERYONE@': { acl: ['A:G:staff@:r', 'A::EVERYONE@:rw'], cred: { user: 'bob@', group: 'staff@' }, wanted: RW, want: false },
  'a group entry with no permissions still decides': { acl: ['A:G:staff@:', 'A::EVERYONE@:rw'], cred: { user: 'bob@', group: 'x@', groups: ['staff@'] }, wanted: R, want: false },
  'everyone decides when nothing else matches': { acl: ['A::OWNER@:rw', 'A:G:staff@:rw', 'A::EVERYONE@:r'], cred: { user: 'bob@', group: 'x@' }, wanted: R, want: true },
  'everyone lacking w': { acl: ['A::EVERYONE@:r'], cred: { user: 'bob@', group: 'x@' }, wanted: RW, want: false },
  'no match is a denial': { acl: ['A::OWNER@:rw', 'A:G:GROUP@:rw'], cred: { user: 'bob@', group: 'x@' }, wanted: R, want: false },
  'empty ACL denies': { acl: [], cred: { user: OWNER, group: OGROUP }, wanted: R, want: false },
  'audit entries grant nothing': { acl: ['U:S:OWNER@:rw'], cred: { user: OWNER, group: 'x@' }, wanted: R, want: false },
  'asking for nothing is allowed once a category matches': { acl: ['A::bob@:'], cred: { user: 'bob@', group: 'x@' }, wanted: 0, want: true },
  'container permissions': { acl: ['A::OWNER@:rwdtTaAo'], cred: { user: OWNER, group: 'x@' }, wanted: Perm.SET_ACL | Perm.DEL_CONT, want: true },
};
for (const [name, tc] of Object.entries(access)) {
  test(`checkAccess: ${name}`, () => {
    assert.equal(checkAccess(parseAcl(tc.acl), OWNER, OGROUP, tc.cred, tc.wanted), tc.want);
  });
}

test('default pool ACL: owner and owner-group connect read-write, others are denied', () => {
  const acl = defaultPoolAcl();
  const rw = permsForPoolConnect(PoolConnect.RW);
  assert.equal(rw, RW);
  assert.equal(permsForPoolConnect(PoolConnect.RO), R);
  assert.equal(permsForPoolConnect(PoolConnect.EX), RW);
  assert.ok(checkAccess(acl, OWNER, OGROUP, { user: OWNER, group: 'users@' }, rw));
  assert.ok(checkAccess(acl, OWNER, OGROUP, { user: 'bob@', group: OGROUP }, rw));
  assert.ok(!checkAccess(acl, OWNER, OGROUP, { user: 'bob@', group: 'users@' }, R));
  assert.equal(grantedPerms(acl, OWNER, OGROUP, { user: 'bob@', group: 'users@' }), 0);
});
