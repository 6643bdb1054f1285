/** user_name / group_name: resolved at start, refused with the key and the fix when they cannot be honoured. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fault } from '../fault/fault.js';
import { resolveOwner, type OwnerSeams } from './owner.js';

function seams(euid: number, egid = euid): OwnerSeams {
  const users: Record<string, { uid: number; gid: number }> = { daos: { uid: 1001, gid: 1001 }, root: { uid: 0, gid: 0 } };
  const groups: Record<string, number> = { daos: 1001, disk: 6, root: 0 };
  return { user: (n) => users[n], group: (n) => groups[n], euid, egid };
}

const cases: Record<string, { user?: string; group?: string; euid: number; want?: { uid: number; gid: number } | undefined; refused?: RegExp }> = {
  'neither set': { euid: 0, want: undefined },
  'user: its primary group': { user: 'daos', euid: 0, want: { uid: 1001, gid: 1001 } },
  'user and group': { user: 'daos', group: 'disk', euid: 0, want: { uid: 1001, gid: 6 } },
  'group only keeps the user': { group: 'disk', euid: 0, want: { uid: 0, gid: 6 } },
  'root asking for root: nothing to do': { user: 'root', euid: 0, want: undefined },
  'unknown user': { user: 'nosuchuser', euid: 0, refused: /'user_name' "nosuchuser" is not a user or group of this host/ },
  'unknown group': { user: 'daos', group: 'nosuchgroup', euid: 0, refused: /'group_name' "nosuchgroup"/ },
  'not root': { user: 'daos', euid: 1000, refused: /ask for daos:gid 1001 but daos_server runs as uid 1000 gid 1000, not root/ },
  'not root, naming itself': { user: 'daos', euid: 1001, want: undefined },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`owner: ${name}`, () => {
    const cfg = { userName: tc.user ?? '', groupName: tc.group ?? '', path: '/etc/daos/daos_server.yml' };
    if (tc.refused) {
      assert.throws(
        () => resolveOwner(cfg, seams(tc.euid)),
        (e: unknown) => e instanceof Fault && e.domain === 'config' && tc.refused!.test(e.description) && /daos_server\.yml/.test(e.resolution),
      );
      return;
    }
    const o = resolveOwner(cfg, seams(tc.euid));
    assert.deepEqual(o && { uid: o.uid, gid: o.gid }, tc.want);
  });
}
