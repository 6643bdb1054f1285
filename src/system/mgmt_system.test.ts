import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagementService, type JoinRequest, type RankController } from './mgmt_system.js';
import { LmdbSystemDatabase, MemorySystemDatabase } from './database.js';
import { MemberState, NIL_RANK, checkTransition } from './membership.js';
import { nullLogger } from '../logging/logger.js';
import { Fault } from '../fault/fault.js';

const noController: RankController = {
  stopRanks: async () => [],
  startRanks: async () => [],
};

function jr(uuid: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    uuid,
    rank: NIL_RANK,
    fabricUri: `ofi+sockets://10.0.0.${uuid.length}:31416`,
    nctxs: 9,
    addr: '10.0.0.1:10001',
    hostname: 'node1',
    faultDomain: '/node1',
    instanceIdx: 0,
    system: 'daos_server',
    ...over,
  };
}

function ms(opts: { now?: () => number; controller?: RankController } = {}): ManagementService {
  return new ManagementService({
    db: new MemorySystemDatabase(),
    log: nullLogger(),
    controller: opts.controller ?? noController,
    leader: 'node1:10001',
    replicas: ['node1:10001'],
    heartbeatTimeoutMs: 5000,
    now: opts.now,
  });
}

test('ranks are handed out in order and kept by uuid', () => {
  const s = ms();
  assert.equal(s.join(jr('a')).rank, 0);
  assert.equal(s.join(jr('b', { addr: '10.0.0.2:10001' })).rank, 1);
  assert.equal(s.join(jr('c', { addr: '10.0.0.3:10001' })).rank, 2);
  // Restart of b: same uuid, its stored rank.
  assert.equal(s.join(jr('b', { rank: 1, addr: '10.0.0.2:10001' })).rank, 1);
  assert.equal(s.join(jr('b', { addr: '10.0.0.2:10001' })).rank, 1);
  const q = s.query();
  assert.deepEqual(q.members.map((m) => [m.rank, m.uuid, m.state]), [[0, 'a', 'Joined'], [1, 'b', 'Joined'], [2, 'c', 'Joined']]);
  assert.equal(q.members[1].incarnation, 3);
});

const joinErrors: Record<string, { setup: (s: ManagementService) => void; req: JoinRequest; code: number; text: RegExp }> = {
  'explicit rank already taken': { setup: (s) => s.join(jr('a', { rank: 3 })), req: jr('b', { rank: 3 }), code: 502, text: /rank 3 is already held by I\/O server a/ },
  'known uuid asks another rank': { setup: (s) => s.join(jr('a')), req: jr('a', { rank: 5 }), code: 503, text: /holds rank 0 but asked to join as rank 5/ },
  'wrong system name': { setup: () => {}, req: jr('a', { system: 'other' }), code: 501, text: /system "other"/ },
  'rank out of range': { setup: () => {}, req: jr('a', { rank: -2 }), code: 508, text: /out of range/ },
};
for (const [name, tc] of Object.entries(joinErrors)) {
  test(`join refused: ${name}`, () => {
    const s = ms();
    tc.setup(s);
    assert.throws(() => s.join(tc.req), (e: unknown) => e instanceof Fault && e.code === tc.code && tc.text.test(e.description) && e.resolution.length > 0);
  });
}

test('a re-created superblock takes back the rank of its host and instance: no ghost member', () => {
  const s = ms();
  s.join(jr('old0'));
  s.join(jr('old1', { instanceIdx: 1 }));
  s.join(jr('other', { addr: '10.0.0.2:10001', hostname: 'node2' }));
  s.report('10.0.0.1:10001', [
    { rank: 0, uuid: 'old0', state: 'Stopped', info: '' },
    { rank: 1, uuid: 'old1', state: 'Stopped', info: '' },
  ]);
  // Instance 1 of node1 comes back with a new identity and asks for its old place.
  assert.equal(s.join(jr('new1', { instanceIdx: 1, replace: true })).rank, 1);
  const q = s.query();
  assert.deepEqual(q.members.map((m) => [m.rank, m.uuid, m.state]), [[0, 'old0', 'Stopped'], [1, 'new1', 'Joined'], [2, 'other', 'Joined']]);
  assert.equal(q.members[1].incarnation, 2, 'an incarnation of the same member');
  // Without the flag (a reformat), or when the old member still runs, a new rank is handed out.
  assert.equal(s.join(jr('fresh0')).rank, 3);
  assert.equal(s.join(jr('new2', { addr: '10.0.0.2:10001', hostname: 'node2', replace: true })).rank, 4);
});

test('an explicit free rank is honoured and the cursor skips it', () => {
  const s = ms();
  assert.equal(s.join(jr('a', { rank: 1 })).rank, 1);
  assert.equal(s.join(jr('b')).rank, 0);
  assert.equal(s.join(jr('c')).rank, 2);
});

test('reports change states; a silent host becomes unresponsive; heartbeats bring it back', () => {
  let now = 1000;
  const s = ms({ now: () => now });
  s.join(jr('a'));
  s.join(jr('b', { addr: '10.0.0.2:10001', hostname: 'node2' }));
  s.report('10.0.0.2:10001', [{ rank: 1, uuid: 'b', state: 'Errored', info: 'exited with signal SIGKILL' }]);
  assert.equal(s.query([1]).members[0].state, MemberState.Errored);
  assert.equal(s.query([1]).members[0].info, 'exited with signal SIGKILL');
  // a report for a uuid that does not hold the rank is ignored
  s.report('10.0.0.2:10001', [{ rank: 0, uuid: 'zzz', state: 'Stopped', info: '' }]);
  assert.equal(s.query([0]).members[0].state, MemberState.Joined);
  now += 4000;
  s.report('10.0.0.1:10001', [{ rank: 0, uuid: 'a', state: 'Joined', info: '' }]);
  now += 3000;
  s.checkLiveness();
  assert.equal(s.query([0]).members[0].state, MemberState.Joined);
  assert.equal(s.query([1]).members[0].state, MemberState.Unresponsive);
  s.report('10.0.0.2:10001', [{ rank: 1, uuid: 'b', state: 'Joined', info: '' }]);
  assert.equal(s.query([1]).members[0].state, MemberState.Joined);
});

test('stop and start go to each host once with its ranks, and record the outcome', async () => {
  const calls: string[] = [];
  const controller: RankController = {
    stopRanks: async (addr, ranks) => {
      calls.push(`stop ${addr} ${ranks.join(',')}`);
      if (addr.startsWith('10.0.0.3')) throw new Error('connection refused');
      return ranks.map((rank) => ({ rank, errored: false, msg: '', state: 'Stopped' }));
    },
    startRanks: async (addr, ranks) => {
      calls.push(`start ${addr} ${ranks.join(',')}`);
      return ranks.map((rank) => ({ rank, errored: false, msg: '', state: 'Joined' }));
    },
  };
  const s = ms({ controller });
  s.join(jr('a'));
  s.join(jr('a2', { instanceIdx: 1 }));
  s.join(jr('b', { addr: '10.0.0.2:10001' }));
  s.join(jr('c', { addr: '10.0.0.3:10001' }));
  const res = await s.stopRanks([], false);
  assert.deepEqual(calls.sort(), ['stop 10.0.0.1:10001 0,1', 'stop 10.0.0.2:10001 2', 'stop 10.0.0.3:10001 3']);
  assert.deepEqual(res.map((r) => [r.rank, r.errored, r.state]), [[0, false, 'Stopped'], [1, false, 'Stopped'], [2, false, 'Stopped'], [3, true, 'Stopping']]);
  assert.match(res[3].msg, /unable to stop ranks on 10.0.0.3:10001: connection refused/);
  calls.length = 0;
  const st = await s.startRanks([0, 2]);
  assert.deepEqual(calls.sort(), ['start 10.0.0.1:10001 0', 'start 10.0.0.2:10001 2']);
  assert.deepEqual(st.map((r) => [r.rank, r.state]), [[0, 'Joined'], [2, 'Joined']]);
  await assert.rejects(s.stopRanks([9], false), (e: unknown) => e instanceof Fault && /no such rank\(s\) in the system: 9/.test(e.description));
});

test('attach info lists joined ranks only and the map version moves', () => {
  const s = ms();
  s.join(jr('a'));
  const v1 = s.attachInfo().mapVersion;
  s.join(jr('b', { addr: '10.0.0.2:10001', fabricUri: 'ofi+sockets://10.0.0.2:31416' }));
  s.report('10.0.0.1:10001', [{ rank: 0, uuid: 'a', state: 'Stopped', info: '' }]);
  const ai = s.attachInfo();
  assert.deepEqual(ai.psrs, [{ rank: 1, uri: 'ofi+sockets://10.0.0.2:31416' }]);
  assert.ok(ai.mapVersion > v1);
});

test('member state transitions are checked in one place', () => {
  assert.equal(checkTransition(MemberState.Joined, MemberState.Stopping), true);
  assert.equal(checkTransition(MemberState.Stopped, MemberState.Stopping), false);
  assert.equal(checkTransition(MemberState.Excluded, MemberState.Joined), false);
  assert.equal(checkTransition(MemberState.Unknown, MemberState.Joined), true);
});

test('the LMDB database keeps members, ranks and map version across reopen', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysdb-'));
  const file = path.join(dir, 'daos_system.mdb');
  assert.throws(() => LmdbSystemDatabase.openAt(file, { create: false, systemName: 'x', systemUuid: 'u' }), /does not exist/);
  let db = LmdbSystemDatabase.openAt(file, { create: true, systemName: 'daos_server', systemUuid: 'uuid-1' });
  let s = new ManagementService({ db, log: nullLogger(), controller: noController, leader: 'l', replicas: ['l'] });
  s.join(jr('a'));
  s.join(jr('b'));
  const v = db.mapVersion();
  await db.close();
  db = LmdbSystemDatabase.openAt(file, { create: false, systemName: 'ignored', systemUuid: 'ignored' });
  assert.equal(db.systemName, 'daos_server');
  assert.equal(db.systemUuid, 'uuid-1');
  assert.equal(db.mapVersion(), v);
  s = new ManagementService({ db, log: nullLogger(), controller: noController, leader: 'l', replicas: ['l'] });
  assert.equal(s.join(jr('b')).rank, 1);
  assert.equal(s.join(jr('c')).rank, 2);
  await db.close();
  fs.rmSync(dir, { recursive: true });
});
