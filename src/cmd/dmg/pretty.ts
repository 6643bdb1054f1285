/**
 * dmg's text output: grouped host results, scan tables, format results,
 * network scan blocks and system tables, in the layouts of the deployment
 * guide and the original dmg (with the improvements noted inline).
 */
import { HostGroups, createHostSet, renderGroupBlocks } from '../../lib/hostlist/index.js';
import { formatTable } from '../../lib/txtfmt/index.js';
import { formatBytes, formatNvmeCapacity } from '../../lib/units/index.js';
import { rankSetFromRanks } from '../../lib/ranklist/index.js';
import type { HostResult } from '../../lib/control/fanout.js';
import type { HostProblem } from '../../lib/control/invoker.js';
import { describeRpcError } from '../../lib/control/fanout.js';
import { errorMessage } from '../../fault/fault.js';
import type {
  FabricInfo,
  HostFormat,
  HostPrepare,
  HostStorage,
  RankActionResult,
  SystemMemberInfo,
} from '../../lib/control/types.js';

/** `host:port` → `host` (the original strips ports in result groups). */
export function stripPort(addr: string): string {
  const i = addr.lastIndexOf(':');
  return i > 0 ? addr.slice(0, i) : addr;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Connection lines: `wolf-[71-72]:10001: connected`, errors grouped likewise. */
export function renderConnections(probe: Map<string, HostProblem | undefined>): string {
  const g = new HostGroups();
  for (const [host, problem] of probe) g.add(host, problem?.reason ?? 'connected');
  return g.toString();
}

/** Group per-host errors: `node[4-5]:10001: connection refused`. */
export function renderHostErrors(results: HostResult<unknown>[]): string {
  const g = new HostGroups();
  for (const r of results) if (r.error) g.add(r.host, hostErrorText(r.error));
  return g.size ? g.toString() : '';
}

export function hostErrorText(e: Error): string {
  return describeRpcError(e) || errorMessage(e);
}

// ---- storage scan ---------------------------------------------------------------

function scmSummary(h: HostStorage): string {
  if (h.scmError) return `Error: ${h.scmError}`;
  if (h.scmNamespaces.length) {
    const total = h.scmNamespaces.reduce((s, n) => s + n.size, 0);
    return `${formatBytes(total)} (${plural(h.scmNamespaces.length, 'namespace')})`;
  }
  const total = h.scmModules.reduce((s, m) => s + m.capacity, 0);
  return `${formatBytes(total)} (${plural(h.scmModules.length, 'module')})`;
}

function nvmeSummary(h: HostStorage): string {
  if (h.nvmeError) return `Error: ${h.nvmeError}`;
  const gb = h.nvme.reduce((s, c) => s + c.capacityGB, 0);
  return `${formatNvmeCapacity(gb * 1e9)} (${plural(h.nvme.length, 'controller')})`;
}

/** Default scan output: one row per group of hosts with identical totals. */
export function renderScanSummary(ok: HostResult<HostStorage>[]): string {
  const g = new HostGroups();
  for (const r of ok) if (r.value) g.add(stripPort(r.host), `${scmSummary(r.value)}\u0000${nvmeSummary(r.value)}`);
  if (g.size === 0) return 'no hosts found\n';
  const rows = g.entries().map(([k, hs]) => {
    const [scm, nvme] = k.split('\u0000');
    return [hs.toString(), scm, nvme];
  });
  return formatTable(['Hosts', 'SCM Total', 'NVMe Total'], rows);
}

/** Verbose scan text of one host: SCM table, blank line, NVMe table. */
export function scanDetail(h: HostStorage): string {
  let scm: string;
  if (h.scmError) scm = `SCM Error: ${h.scmError}\n`;
  else if (h.scmNamespaces.length) {
    const ns = [...h.scmNamespaces].sort((a, b) => (a.blockDevice < b.blockDevice ? -1 : 1));
    scm = formatTable(['SCM Namespace', 'Socket ID', 'Capacity'], ns.map((n) => [n.blockDevice, String(n.numaNode), formatBytes(n.size)]));
  } else if (h.scmModules.length) {
    const ms = [...h.scmModules].sort((a, b) => a.physicalId - b.physicalId);
    scm = formatTable(
      ['SCM Module ID', 'Socket ID', 'Memory Ctrlr ID', 'Channel ID', 'Channel Slot', 'Capacity'],
      ms.map((m) => [String(m.physicalId), String(m.socketId), String(m.controllerId), String(m.channelId), String(m.channelPosition), formatBytes(m.capacity)]),
    );
  } else scm = 'No SCM modules or namespaces found\n';
  let nvme: string;
  if (h.nvmeError) nvme = `NVMe Error: ${h.nvmeError}\n`;
  else if (h.nvme.length) {
    const cs = [...h.nvme].sort((a, b) => (a.pciAddr < b.pciAddr ? -1 : 1));
    nvme = formatTable(
      ['NVMe PCI', 'Model', 'FW Revision', 'Socket ID', 'Capacity'],
      cs.map((c) => [c.pciAddr, c.model, c.firmware, String(c.socketId), formatNvmeCapacity(c.capacityGB * 1e9)]),
    );
  } else nvme = 'No NVMe controllers found\n';
  return `${scm}\n${nvme}`;
}

export function renderScanVerbose(ok: HostResult<HostStorage>[]): string {
  const g = new HostGroups();
  for (const r of ok) if (r.value) g.add(stripPort(r.host), scanDetail(r.value));
  return renderGroupBlocks(g);
}

// ---- storage format ---------------------------------------------------------------

function resultCell(r: { status: string; error?: string; info?: string }): string {
  let s = r.status;
  if (r.error) s += `: ${r.error}`;
  if (r.info) s += ` (${r.info})`;
  return s;
}

/**
 * Format output: hosts whose format went well (or whose request failed) as
 * one-line groups, then tables for hosts with device errors (or all, -v).
 */
export function renderFormat(results: HostResult<HostFormat>[], verbose: boolean): string {
  const plain = new HostGroups();
  const mixed = new HostGroups();
  for (const r of results) {
    const host = stripPort(r.host);
    if (r.error) {
      plain.add(host, hostErrorText(r.error));
      continue;
    }
    const f = r.value!;
    if (f.scm.length === 0 && f.nvme.length === 0) {
      // A server always reports its SCM per instance: none means its config lists no I/O server instances.
      plain.add(host, "nothing to format: its daos_server.yml lists no I/O server instances (add entries under 'servers:' and restart daos_server)");
      continue;
    }
    const failed = [...f.scm, ...f.nvme].some((d) => !d.ok);
    if (!failed && !verbose) {
      plain.add(host, 'storage format ok');
      continue;
    }
    const scm = formatTable(['SCM Mount', 'Format Result'], f.scm.map((d) => [d.device, resultCell(d)]));
    const nvme = f.nvme.length ? formatTable(['Block Device', 'Format Result'], f.nvme.map((d) => [d.device, resultCell(d)])) : 'No block devices formatted\n';
    mixed.add(host, `${scm}\n${nvme}\n`);
  }
  let out = '';
  if (plain.size) out += `\n${plain.toString()}\n`;
  out += renderGroupBlocks(mixed);
  return out;
}

export function formatFailed(results: HostResult<HostFormat>[]): boolean {
  return results.some((r) => r.error || [...(r.value?.scm ?? []), ...(r.value?.nvme ?? [])].some((d) => !d.ok));
}

// ---- storage prepare --------------------------------------------------------------

const REBOOT_REQUIRED = 'A reboot is required to process new memory allocation goals.';

export function renderPrepare(results: HostResult<HostPrepare>[]): string {
  const g = new HostGroups();
  for (const r of results) {
    if (r.error) {
      g.add(stripPort(r.host), `error: ${hostErrorText(r.error)}\n`);
      continue;
    }
    const p = r.value!;
    let text = '';
    if (p.nvme) {
      if (!p.nvme.ok) text += `NVMe: ${p.nvme.error}${p.nvme.info ? `\n  ${p.nvme.info}` : ''}\n`;
      else text += p.nvme.info ? p.nvme.info.split('\n').map((l) => `NVMe: ${l}\n`).join('') : 'NVMe: prepared\n';
    }
    if (p.scm) {
      if (!p.scm.ok) text += `SCM: ${p.scm.error}${p.scm.info ? `\n  ${p.scm.info}` : ''}\n`;
      else {
        const lines = p.scm.info ? p.scm.info.split('\n') : [];
        text += lines.map((l) => `SCM: ${l}\n`).join('');
        // NB: the server's messages usually carry the reboot notice already; print it once.
        if (p.scm.rebootRequired) {
          if (!lines.includes(REBOOT_REQUIRED)) text += `SCM: ${REBOOT_REQUIRED}\n`;
        } else if (p.scm.namespaces.length)
          text += `SCM: persistent memory kernel devices: ${p.scm.namespaces.map((n) => `${n.blockDevice} (${n.name}, numa ${n.numaNode}, ${formatBytes(n.size)})`).join(', ')}\n`;
      }
    }
    g.add(stripPort(r.host), text || 'nothing to do\n');
  }
  return `NVMe & SCM preparation:\n${renderGroupBlocks(g)}`;
}

// ---- network ----------------------------------------------------------------------

export function fabricBlock(devs: FabricInfo[]): string {
  if (devs.length === 0) return '\tno fabric interfaces found\n';
  return devs.map((d) => `\n\tfabric_iface: ${d.device}\n\tprovider: ${d.provider}\n\tpinned_numa_node: ${d.numaNode}\n`).join('') + '\n';
}

export function renderNetworkScan(results: HostResult<FabricInfo[]>[]): string {
  const g = new HostGroups();
  for (const r of results) if (r.value) g.add(stripPort(r.host), fabricBlock(r.value));
  return renderGroupBlocks(g);
}

export function renderNetworkList(results: HostResult<string[]>[]): string {
  const g = new HostGroups();
  for (const r of results) if (r.value) g.add(stripPort(r.host), `Supported providers:\n\t${r.value.join(', ')}\n`);
  return renderGroupBlocks(g);
}

// ---- system -----------------------------------------------------------------------

/** Ranks grouped by state (`[0-2] Joined`), or one row per rank with -v. */
export function renderSystemQuery(members: SystemMemberInfo[], verbose: boolean): string {
  if (members.length === 0) return 'Query matches no members in system.\n';
  if (verbose) {
    return formatTable(
      ['Rank', 'UUID', 'Control Address', 'Fault Domain', 'State', 'Reason'],
      members.map((m) => [String(m.rank), m.uuid, m.addr, m.faultDomain, m.state, m.info]),
    );
  }
  const byState = new Map<string, number[]>();
  for (const m of members) {
    const k = m.state + (m.info ? `\u0000${m.info}` : '');
    byState.set(k, [...(byState.get(k) ?? []), m.rank]);
  }
  const rows = [...byState].map(([k, ranks]) => {
    const [state, info] = k.split('\u0000');
    return [rankSetFromRanks(ranks).toBracketString(), state, info ?? ''];
  });
  rows.sort((a, b) => firstRank(a[0]) - firstRank(b[0]));
  const hasReason = rows.some((r) => r[2]);
  return formatTable(hasReason ? ['Rank', 'State', 'Reason'] : ['Rank', 'State'], hasReason ? rows : rows.map((r) => r.slice(0, 2)));
}

function firstRank(s: string): number {
  return Number(/\d+/.exec(s)?.[0] ?? 0);
}

/** `Rank Operation Result` with ranks grouped by identical outcome. */
export function renderRankResults(results: RankActionResult[]): string {
  if (results.length === 0) return 'No ranks to act on.\n';
  const by = new Map<string, number[]>();
  for (const r of results) {
    const k = `${r.action}\u0000${r.errored ? r.msg || 'failed' : r.msg ? `OK (${r.msg})` : 'OK'}`;
    by.set(k, [...(by.get(k) ?? []), r.rank]);
  }
  const rows = [...by].map(([k, ranks]) => {
    const [op, res] = k.split('\u0000');
    return [rankSetFromRanks(ranks).toBracketString(), op, res];
  });
  rows.sort((a, b) => firstRank(a[0]) - firstRank(b[0]));
  return formatTable(['Rank', 'Operation', 'Result'], rows);
}

/** Compress a host list for JSON keys and messages. */
export function hostSetString(hosts: string[]): string {
  return createHostSet(hosts.join(',')).toString();
}
