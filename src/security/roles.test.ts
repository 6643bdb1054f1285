import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DescService } from '@bufbuild/protobuf';
import { MgmtCtl } from '../proto/ctl/control_pb.js';
import { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import { RPC_ROLES, roleAuthorizer } from './roles.js';
import { Fault } from '../fault/fault.js';
import type { CallContext } from '../lib/grpc/service.js';

const services = [MgmtCtl, MgmtSvc] as unknown as DescService[];
const paths = services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));

test('every RPC of every service has its roles in the table', () => {
  const missing = paths.filter((p) => !(p in RPC_ROLES));
  assert.deepEqual(missing, [], `add these RPCs to RPC_ROLES in src/security/roles.ts: ${missing.join(', ')}`);
  const stale = Object.keys(RPC_ROLES).filter((p) => !paths.includes(p));
  assert.deepEqual(stale, [], 'the table names RPCs that do not exist');
});

const ctx = (method: string, peerCN?: string) => ({ method, peerCN, peer: '1.2.3.4:5', signal: new AbortController().signal }) as unknown as CallContext;

const cases: Record<string, { method: string; cn?: string; ok: boolean }> = {
  'admin may scan storage': { method: '/ctl.MgmtCtl/StorageScan', cn: 'admin', ok: true },
  'agent may not scan storage': { method: '/ctl.MgmtCtl/StorageScan', cn: 'agent', ok: false },
  'server may not format storage': { method: '/ctl.MgmtCtl/StorageFormat', cn: 'server', ok: false },
  'server may join': { method: '/mgmt.MgmtSvc/Join', cn: 'server', ok: true },
  'admin may not join': { method: '/mgmt.MgmtSvc/Join', cn: 'admin', ok: false },
  'agent may get attach info': { method: '/mgmt.MgmtSvc/GetAttachInfo', cn: 'agent', ok: true },
  'admin may not get attach info': { method: '/mgmt.MgmtSvc/GetAttachInfo', cn: 'admin', ok: false },
  'server may forward a system query': { method: '/ctl.MgmtCtl/SystemQuery', cn: 'server', ok: true },
  'an unknown common name is refused': { method: '/ctl.MgmtCtl/SystemQuery', cn: 'mallory', ok: false },
  'no certificate is refused': { method: '/ctl.MgmtCtl/SystemQuery', ok: false },
  'an unknown method is refused': { method: '/ctl.MgmtCtl/Nope', cn: 'admin', ok: false },
};
for (const [name, tc] of Object.entries(cases)) {
  test(name, () => {
    const auth = roleAuthorizer(true)!;
    if (tc.ok) auth(ctx(tc.method, tc.cn));
    else assert.throws(() => auth(ctx(tc.method, tc.cn)), (e: unknown) => e instanceof Fault && /does not have permission to call/.test(e.description));
  });
}

test('insecure mode has no authorizer', () => {
  assert.equal(roleAuthorizer(false), undefined);
});
