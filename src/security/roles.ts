/**
 * Which certificate role may call which RPC. The peer certificate's common
 * name is the role; a call from any other role is refused. In insecure mode
 * there are no certificates and no checks (the administrator chose that).
 *
 * NB: every method of every service must be listed; a test fails otherwise,
 * so a new RPC cannot be added without deciding who may call it.
 */
import type { Authorizer, CallContext } from '../lib/grpc/service.js';
import type { Role } from './certs.js';
import { securityFaults } from './faults.js';

const admin: readonly Role[] = ['admin'];
const server: readonly Role[] = ['server'];
const adminOrServer: readonly Role[] = ['admin', 'server'];
const agent: readonly Role[] = ['agent'];

export const RPC_ROLES: Readonly<Record<string, readonly Role[]>> = {
  // Per-host control: dmg only.
  '/ctl.MgmtCtl/StoragePrepare': admin,
  '/ctl.MgmtCtl/StorageScan': admin,
  '/ctl.MgmtCtl/StorageFormat': admin,
  '/ctl.MgmtCtl/NetworkListProviders': admin,
  '/ctl.MgmtCtl/NetworkScanDevices': admin,
  // System requests: dmg, and daos_server forwarding them to the MS leader.
  '/ctl.MgmtCtl/SystemMemberQuery': adminOrServer,
  '/ctl.MgmtCtl/SystemQuery': adminOrServer,
  '/ctl.MgmtCtl/SystemStop': adminOrServer,
  '/ctl.MgmtCtl/SystemStart': adminOrServer,
  // Membership and rank control between servers.
  '/mgmt.MgmtSvc/Join': server,
  '/mgmt.MgmtSvc/ClusterEvent': server,
  '/mgmt.MgmtSvc/StopRanks': server,
  '/mgmt.MgmtSvc/StartRanks': server,
  '/mgmt.MgmtSvc/PingRanks': server,
  '/mgmt.MgmtSvc/KillRank': server,
  '/mgmt.MgmtSvc/PrepShutdown': server,
  // Client attach info: daos_agent.
  '/mgmt.MgmtSvc/GetAttachInfo': agent,
  // Administration through the MS: dmg.
  '/mgmt.MgmtSvc/LeaderQuery': admin,
  '/mgmt.MgmtSvc/PoolCreate': admin,
  '/mgmt.MgmtSvc/PoolDestroy': admin,
  '/mgmt.MgmtSvc/PoolGetACL': admin,
  '/mgmt.MgmtSvc/PoolOverwriteACL': admin,
  '/mgmt.MgmtSvc/PoolUpdateACL': admin,
  '/mgmt.MgmtSvc/PoolDeleteACL': admin,
  '/mgmt.MgmtSvc/ListPools': admin,
  '/mgmt.MgmtSvc/BioHealthQuery': admin,
  '/mgmt.MgmtSvc/SmdListDevs': admin,
  '/mgmt.MgmtSvc/SmdListPools': admin,
};

/** The component a certificate common name stands for. */
export function componentOf(cn: string | undefined): Role | 'undefined' {
  return cn === 'admin' || cn === 'agent' || cn === 'server' ? cn : 'undefined';
}

/** An authorizer enforcing RPC_ROLES; `secure` false disables it (insecure mode). */
export function roleAuthorizer(secure: boolean, table: Readonly<Record<string, readonly Role[]>> = RPC_ROLES): Authorizer | undefined {
  if (!secure) return undefined;
  return (ctx: CallContext) => {
    const comp = componentOf(ctx.peerCN);
    const allowed = table[ctx.method];
    if (!allowed || comp === 'undefined' || !allowed.includes(comp)) {
      throw securityFaults.permissionDenied(comp, ctx.method);
    }
  };
}
