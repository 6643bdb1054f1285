/**
 * Parsing of ipmctl's text output (ipmctl 02.x/03.x).
 *
 * We use ipmctl's "detailed" text form, which every version prints for
 * `-d <attributes>`: a header line per object, then one `Key=Value` line per
 * attribute, indented:
 *
 *   ---DimmID=0x0001---
 *      PhysicalID=0x001e
 *      Capacity=539661172736 B
 *      SocketID=0x0000
 *      ...
 *
 * Modules come from `ipmctl show -u B -d <attrs> -dimm` (capacities in bytes,
 * though other units are understood too); the SCM state from `ipmctl show -d
 * PersistentMemoryType,FreeCapacity -region`, as the original does. The XML
 * form (`-o nvmxml`) would be more regular but is not built into every
 * distribution's ipmctl.
 */
import type { ScmModule, ScmState } from './types.js';
import { ScmToolOutput } from './faults.js';

export const IPMCTL_DIMM_ARGS = [
  'show',
  '-u',
  'B',
  '-d',
  'PhysicalID,Capacity,SocketID,MemControllerID,ChannelID,ChannelPos',
  '-dimm',
];
export const IPMCTL_REGION_ARGS = ['show', '-d', 'PersistentMemoryType,FreeCapacity', '-region'];
export const IPMCTL_DELETE_GOAL_ARGS = ['delete', '-goal'];
export const IPMCTL_CREATE_APPDIRECT_GOAL_ARGS = ['create', '-f', '-goal', 'PersistentMemoryType=AppDirect'];
export const IPMCTL_CREATE_MEMORYMODE_GOAL_ARGS = ['create', '-f', '-goal', 'MemoryMode=100'];

export interface IpmctlBlock {
  /** Header attribute, e.g. { key: 'DimmID', value: '0x0001' }. */
  key: string;
  value: string;
  props: Record<string, string>;
}

/** Split detailed output into `---Key=Value---` blocks of `Key=Value` lines. */
export function parseIpmctlBlocks(text: string): IpmctlBlock[] {
  const blocks: IpmctlBlock[] = [];
  let cur: IpmctlBlock | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const h = /^---\s*([A-Za-z]+)\s*=\s*(.*?)\s*---$/.exec(line);
    if (h) {
      cur = { key: h[1]!, value: h[2]!, props: {} };
      blocks.push(cur);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
    if (kv && cur) cur.props[kv[1]!] = kv[2]!.trim();
  }
  return blocks;
}

/** Whether ipmctl said there are no persistent memory modules (it exits non-zero then). */
export function ipmctlSaysNoModules(output: string): boolean {
  return /\bno\b[^\n]*\b(pmem modules?|dcpmms?|dimms?|persistent memory modules?)\b[^\n]*\bin the system\b/i.test(output);
}

/** "There are no Regions defined in the system." */
export function ipmctlSaysNoRegions(output: string): boolean {
  return /there are no regions defined in the system/i.test(output);
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "539661172736 B", "502.599 GiB", "0.0 GiB" → bytes (rounded). */
export function parseIpmctlCapacity(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$/.exec(s.trim());
  const unit = m ? UNITS[(m[2] || 'B').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw ScmToolOutput('ipmctl', `capacity ${JSON.stringify(s)} not understood`);
  return Math.round(Number(m[1]) * unit);
}

function parseId(s: string | undefined, what: string): number {
  if (s === undefined) throw ScmToolOutput('ipmctl', `module attribute ${what} missing`);
  const t = s.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
  if (Number.isNaN(n)) throw ScmToolOutput('ipmctl', `module attribute ${what}=${JSON.stringify(s)} is not a number`);
  return n;
}

/** Modules from `ipmctl show -u B -d ... -dimm`, sorted by physical id. */
export function parseIpmctlDimms(text: string): ScmModule[] {
  if (ipmctlSaysNoModules(text)) return [];
  const mods = parseIpmctlBlocks(text)
    .filter((b) => b.key === 'DimmID')
    .map((b) => ({
      physicalId: parseId(b.props.PhysicalID, 'PhysicalID'),
      capacity: parseIpmctlCapacity(b.props.Capacity ?? ''),
      socketId: parseId(b.props.SocketID, 'SocketID'),
      controllerId: parseId(b.props.MemControllerID, 'MemControllerID'),
      channelId: parseId(b.props.ChannelID, 'ChannelID'),
      channelPosition: parseId(b.props.ChannelPos, 'ChannelPos'),
    }));
  if (mods.length === 0 && text.trim() !== '') {
    throw ScmToolOutput('ipmctl', `no modules in ${JSON.stringify(text.trim().slice(0, 200))}`);
  }
  return mods.sort((a, b) => a.physicalId - b.physicalId);
}

/**
 * SCM state from `ipmctl show -d PersistentMemoryType,FreeCapacity -region`:
 * no regions → 'no-regions'; an AppDirect region with free capacity →
 * 'free-capacity' (a namespace can be created in it); else 'no-capacity'.
 */
export function parseIpmctlRegions(text: string): ScmState {
  if (ipmctlSaysNoRegions(text)) return 'no-regions';
  const regions = parseIpmctlBlocks(text).filter((b) => b.props.PersistentMemoryType !== undefined && b.props.FreeCapacity !== undefined);
  if (regions.length === 0) {
    throw ScmToolOutput('ipmctl', `no regions with PersistentMemoryType and FreeCapacity in ${JSON.stringify(text.trim().slice(0, 200))}`);
  }
  const free = regions.some((r) => /appdirect/i.test(r.props.PersistentMemoryType!) && parseIpmctlCapacity(r.props.FreeCapacity!) > 0);
  return free ? 'free-capacity' : 'no-capacity';
}
