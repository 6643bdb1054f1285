/**
 * dRPC module and method numbers: the original's, kept so the bodies stay the
 * original's `drpc.Call` / `drpc.Response` messages.
 */
export const Module = {
  test: 0,
  /** Served by daos_agent for the client library. */
  securityAgent: 1,
  /** Served by the I/O server, called by daos_server. */
  mgmt: 2,
  /** Served by daos_server, called by its I/O servers. */
  srv: 3,
  /** Served by daos_server: credential validation for the I/O servers. */
  security: 4,
} as const;

export const Method = {
  // security agent
  requestCredentials: 101,
  // mgmt (I/O server)
  killRank: 201,
  setRank: 202,
  createMs: 203,
  startMs: 204,
  join: 205,
  getAttachInfo: 206,
  poolCreate: 207,
  poolDestroy: 208,
  setUp: 209,
  bioHealthQuery: 210,
  smdListDevs: 211,
  smdListPools: 212,
  poolGetAcl: 213,
  listPools: 214,
  poolOverwriteAcl: 215,
  poolUpdateAcl: 216,
  poolDeleteAcl: 217,
  prepShutdown: 218,
  /** Ours: liveness check of an I/O server. */
  ping: 219,
  /** Ours: pool and container target operations from the management service. */
  poolQueryTargets: 230,
  contDestroy: 231,
  poolMapUpdate: 232,
  contRollback: 233,
  handleRevoke: 234,
  /** Ours: a client metadata request for the MS, through daos_agent. */
  clientCall: 240,
  // srv (daos_server)
  notifyReady: 301,
  bioError: 302,
  // security (daos_server)
  validateCredentials: 401,
} as const;

/** Test module methods. */
export const TestMethod = {
  echo: 1,
} as const;
