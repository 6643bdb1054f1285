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
const agentOrServer: readonly Role[] = ['agent', 'server'];

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
  // Administration through the MS: dmg (pool requests may be forwarded to the MS leader by a server).
  '/mgmt.MgmtSvc/LeaderQuery': admin,
  '/mgmt.MgmtSvc/PoolCreate': adminOrServer,
  '/mgmt.MgmtSvc/PoolDestroy': adminOrServer,
  '/mgmt.MgmtSvc/PoolGetACL': adminOrServer,
  '/mgmt.MgmtSvc/PoolOverwriteACL': adminOrServer,
  '/mgmt.MgmtSvc/PoolUpdateACL': adminOrServer,
  '/mgmt.MgmtSvc/PoolDeleteACL': adminOrServer,
  '/mgmt.MgmtSvc/ListPools': adminOrServer,
  '/mgmt.MgmtSvc/BioHealthQuery': admin,
  '/mgmt.MgmtSvc/SmdListDevs': admin,
  '/mgmt.MgmtSvc/SmdListPools': admin,
  '/mgmt.MgmtSvc/PoolQuery': adminOrServer,
  // Client metadata requests: daos_agent on behalf of its clients (or a server forwarding them to the MS).
  '/mgmt.MgmtSvc/ClientCall': agentOrServer,
  // The MS acting on the targets of other servers.
  '/mgmt.MgmtSvc/TargetsCall': server,
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
