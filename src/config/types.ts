/**
 * The validated, defaulted configuration types used by the programs. The YAML
 * keys (snake_case, as in the original daos_server.yml) map onto these fields;
 * see server.ts for the schema and docs/configuration.md for the reference.
 */
import type { LogLevel } from '../logging/logger.js';

/** SCM classes: `ram` (tmpfs), `dcpm` (pmem + ext4 dax), `dir` (ours: an existing directory, development only). */
export type ScmClass = 'ram' | 'dcpm' | 'dir';
/** Block device classes, as in the original. */
export type BdevClass = 'nvme' | 'malloc' | 'kdev' | 'file';

/** transport_config: certificates for the gRPC channels. */
export interface TransportConfig {
  allowInsecure: boolean;
  /** Server name the clients verify in the server certificate. */
  serverName: string;
  /** Directory holding the agent certificates (servers only). */
  clientCertDir: string;
  caCert: string;
  cert: string;
  key: string;
}

/** SCM settings of one I/O server instance. */
export interface ScmConfig {
  mountPoint: string;
  class: ScmClass;
  /** tmpfs size in GB (ram class); 0 only for classes that ignore it. */
  ramSizeGB: number;
  /** pmem device paths (dcpm class: exactly one). */
  deviceList: string[];
}

/** Block device settings of one I/O server instance. */
export interface BdevConfig {
  class: BdevClass;
  /** PCI addresses (nvme), device paths (kdev) or absolute file paths (file). */
  deviceList: string[];
  /** GB: file size (file) or LUN size (malloc). */
  sizeGB: number;
  /** LUN count (malloc). */
  number: number;
}

/** One entry of `servers:`, after top-level values were pushed down. */
export interface IOServerConfig {
  /** Position in `servers:` (0-based), the instance index. */
  index: number;
  /** Fixed rank requested in the config, if any. */
  rank?: number;
  targets: number;
  nrXsHelpers: number;
  firstCore: number;
  fabricIface: string;
  fabricIfacePort: number;
  provider: string;
  pinnedNumaNode?: number;
  logMask: string;
  logFile: string;
  /** `KEY=VALUE` strings; values may contain `=`. */
  envVars: string[];
  scm: ScmConfig;
  bdev: BdevConfig;
  /** Pushed down from the top level. */
  systemName: string;
  socketDir: string;
  modules?: string;
}

export interface ServerConfig {
  /** Absolute path of the file the config was loaded from. */
  path: string;
  name: string;
  /** Normalised `host:port` strings; exactly one in this release. */
  accessPoints: string[];
  port: number;
  provider: string;
  fabricIface?: string;
  fabricIfacePort?: number;
  socketDir: string;
  transport: TransportConfig;
  controlLogMask: LogLevel;
  controlLogFile: string;
  controlLogJson: boolean;
  helperLogFile: string;
  nrHugepages: number;
  bdevInclude: string[];
  bdevExclude: string[];
  userName: string;
  groupName: string;
  recreateSuperblocks: boolean;
  /** Parsed for compatibility with v0.8 configs; unused. */
  faultPath: string;
  faultCb: string;
  hyperthreads: boolean;
  /** I/O server module list (`modules`, `-m`), pushed down to every server; unset when absent. */
  modules?: string;
  servers: IOServerConfig[];
}

/** Command-line overrides of `daos_server start`. */
export interface ServerOverrides {
  port?: number;
  /** scm_mount of servers[0] only (as the original). */
  storage?: string;
  modules?: string;
  targets?: number;
  xsHelpers?: number;
  firstCore?: number;
  group?: string;
  socketDir?: string;
  insecure?: boolean;
  recreateSuperblocks?: boolean;
}

/** Client config shared by dmg (daos_control.yml / daos.yml) and daos_agent (daos_agent.yml). */
export interface ClientConfig {
  /** Path the config was loaded from, or '' when defaults are used. */
  path: string;
  name: string;
  accessPoints: string[];
  port: number;
  hostlist: string[];
  /** Whether the file sets 'hostlist' (dmg: else the system and pool commands go to 'access_points'). */
  hostlistGiven: boolean;
  runtimeDir: string;
  logFile: string;
  transport: TransportConfig;
}
