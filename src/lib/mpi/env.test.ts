import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupEnv, parentJobKey } from './env.js';

const proc = { ppid: 4242, host: 'node1' };

const cases: Record<string, { env: NodeJS.ProcessEnv; want?: object; err?: RegExp }> = {
  'no variables: a group of one': { env: {}, want: { source: 'singleton', rank: 0, size: 1, dir: '', job: '' } },
  'our launcher': {
    env: { DAOS_PG_RANK: '2', DAOS_PG_SIZE: '4', DAOS_PG_DIR: '/tmp/daos-pg-abc', DAOS_PG_JOB: 'j1' },
    want: { source: 'launcher', rank: 2, size: 4, dir: '/tmp/daos-pg-abc', job: 'j1' },
  },
  'our launcher wins over Open MPI': {
    env: { DAOS_PG_RANK: '0', DAOS_PG_SIZE: '1', DAOS_PG_DIR: '/d', OMPI_COMM_WORLD_RANK: '3', OMPI_COMM_WORLD_SIZE: '4' },
    want: { source: 'launcher', rank: 0, size: 1, dir: '/d', job: 'd' },
  },
  'Open MPI 3 job id': {
    env: { OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '3', OMPI_MCA_orte_ess_jobid: '123', TMPDIR: '/scratch' },
    want: { source: 'openmpi', rank: 1, size: 3, dir: '/scratch/daos-pg-123', job: '123' },
  },
  'Open MPI 4 job id': {
    env: { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_LOCAL_SIZE: '2', OMPI_MCA_ess_base_jobid: '1506607105', TMPDIR: '/t' },
    want: { source: 'openmpi', rank: 0, size: 2, dir: '/t/daos-pg-1506607105', job: '1506607105' },
  },
  'Open MPI without a job id: parent pid and host': {
    env: { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2', TMPDIR: '/t' },
    want: { source: 'openmpi', rank: 0, size: 2, dir: `/t/daos-pg-${parentJobKey(4242, 'node1')}`, job: parentJobKey(4242, 'node1') },
  },
  'DAOS_PG_DIR overrides the Open MPI directory': {
    env: { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2', OMPI_MCA_ess_base_jobid: '9', DAOS_PG_DIR: '/mine' },
    want: { source: 'openmpi', rank: 0, size: 2, dir: '/mine', job: '9' },
  },
  'ranks on several hosts are refused': {
    env: { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_LOCAL_SIZE: '2' },
    err: /4 ranks but only 2 on this host/,
  },
  'rank not below size': { env: { DAOS_PG_RANK: '4', DAOS_PG_SIZE: '4', DAOS_PG_DIR: '/d' }, err: /DAOS_PG_RANK=4 is not below DAOS_PG_SIZE=4/ },
  'size not a number': { env: { DAOS_PG_RANK: '0', DAOS_PG_SIZE: 'x', DAOS_PG_DIR: '/d' }, err: /DAOS_PG_SIZE="x" is not a whole number/ },
  'launcher without a directory': { env: { DAOS_PG_RANK: '0', DAOS_PG_SIZE: '2' }, err: /DAOS_PG_DIR is not set/ },
  'Open MPI without a size': { env: { OMPI_COMM_WORLD_RANK: '0' }, err: /OMPI_COMM_WORLD_SIZE is not set/ },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`group environment: ${name}`, () => {
    if (tc.err) assert.throws(() => groupEnv(tc.env, proc), tc.err);
    else assert.deepEqual(groupEnv(tc.env, proc), tc.want);
  });
}

test('the parent job key differs by parent and by host', () => {
  assert.notEqual(parentJobKey(1, 'a'), parentJobKey(2, 'a'));
  assert.notEqual(parentJobKey(1, 'a'), parentJobKey(1, 'b'));
  assert.match(parentJobKey(1, 'a'), /^[0-9a-f]{16}$/);
});
