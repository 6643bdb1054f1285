export {
  HostList,
  HostListError,
  HostSet,
  MAX_RANGE_SPAN,
  compressHosts,
  countHosts,
  createHostList,
  createHostSet,
  expandHosts,
  type HostSpec,
} from './hostlist.js';
export { flattenHostAddrs } from './addrs.js';
export { HostGroups, groupByValue, renderGroupBlocks } from './hostgroups.js';
export { compareBytes } from './compare.js';
