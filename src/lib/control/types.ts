/**
 * Results of the control API, in our own types (protobuf stays below).
 */
export interface ScmModuleInfo {
  physicalId: number;
  capacity: number;
  socketId: number;
  controllerId: number;
  channelId: number;
  channelPosition: number;
}

export interface PmemInfo {
  uuid: string;
  blockDevice: string;
  name: string;
  numaNode: number;
  size: number;
}

export interface NvmeInfo {
  pciAddr: string;
  model: string;
  serial: string;
  firmware: string;
  socketId: number;
  /** Bytes, summed over namespaces. */
  capacity: number;
  /** The original's namespace size in decimal GB, for display. */
  capacityGB: number;
  namespaces: number;
}

export interface HostStorage {
  scmModules: ScmModuleInfo[];
  scmNamespaces: PmemInfo[];
  scmError?: string;
  nvme: NvmeInfo[];
  nvmeError?: string;
}

export type OpStatus = 'CTL_SUCCESS' | 'CTL_ERR_SCM' | 'CTL_ERR_NVME' | 'CTL_ERR_CONF' | 'CTL_ERR_APP' | 'CTL_ERR_UNKNOWN' | 'CTL_NO_IMPL' | string;

export interface DeviceResult {
  /** SCM mount point or block device. */
  device: string;
  status: OpStatus;
  ok: boolean;
  error?: string;
  info?: string;
}

export interface HostFormat {
  scm: DeviceResult[];
  nvme: DeviceResult[];
}

export interface HostPrepare {
  nvme?: DeviceResult;
  scm?: DeviceResult & { rebootRequired: boolean; namespaces: PmemInfo[] };
}

export interface FabricInfo {
  provider: string;
  device: string;
  numaNode: number;
  priority: number;
}

export interface SystemMemberInfo {
  rank: number;
  uuid: string;
  addr: string;
  state: string;
  info: string;
  fabricUri: string;
  faultDomain: string;
  incarnation: number;
}

export interface RankActionResult {
  rank: number;
  action: string;
  errored: boolean;
  msg: string;
  state: string;
  addr: string;
}
