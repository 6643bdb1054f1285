/**
 * Parsing of ndctl's JSON output. `ndctl list -N -v` prints nothing when
 * there are no namespaces, a single object for one namespace and an array for
 * several; `ndctl create-namespace` prints the created namespace as an object.
 * Fields used: dev, blockdev, uuid, numa_node, size, mode.
 */
import type { PmemNamespace } from './types.js';
import { ScmToolOutput } from './faults.js';

export const NDCTL_LIST_ARGS = ['list', '-N', '-v'];
export const NDCTL_CREATE_ARGS = ['create-namespace'];

/** A namespace as ndctl lists it (any mode; devdax namespaces have no blockdev). */
export interface NdctlNamespace {
  dev: string;
  blockdev?: string;
  uuid: string;
  numaNode: number;
  size: number;
  mode: string;
}

/** Parse `ndctl list -N -v` (or `create-namespace`) output. */
export function parseNdctlList(text: string): NdctlNamespace[] {
  if (text.trim() === '') return [];
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw ScmToolOutput('ndctl', `not JSON (${(e as Error).message})`);
  }
  const items = Array.isArray(j) ? j : [j];
  return items.map((o, i) => {
    if (typeof o !== 'object' || o === null) throw ScmToolOutput('ndctl', `entry ${i} is not an object`);
    const r = o as Record<string, unknown>;
    if (typeof r.dev !== 'string') throw ScmToolOutput('ndctl', `entry ${i} has no "dev"`);
    const numa = typeof r.numa_node === 'number' && r.numa_node >= 0 ? r.numa_node : 0;
    const ns: NdctlNamespace = {
      dev: r.dev,
      uuid: typeof r.uuid === 'string' ? r.uuid : '',
      numaNode: numa,
      size: typeof r.size === 'number' ? r.size : 0,
      mode: typeof r.mode === 'string' ? r.mode : '',
    };
    if (typeof r.blockdev === 'string') ns.blockdev = r.blockdev;
    return ns;
  });
}

/** The namespaces usable as SCM (those with a pmem block device), sorted by block device. */
export function parseNdctlNamespaces(text: string): PmemNamespace[] {
  return toPmemNamespaces(parseNdctlList(text));
}

export function toPmemNamespaces(list: NdctlNamespace[]): PmemNamespace[] {
  return list
    .filter((n) => n.blockdev !== undefined)
    .map((n) => ({ uuid: n.uuid, blockDevice: n.blockdev!, name: n.dev, numaNode: n.numaNode, size: n.size }))
    .sort((a, b) => a.blockDevice.localeCompare(b.blockDevice, 'en', { numeric: true }));
}
