/**
 * Text layouts of the daos tool. Where v0.8 (or v1.0, for commands v0.8 did
 * not implement) printed a layout, it is kept line for line; extras go after it.
 */
import type { PoolInfo } from '../../client/pool.js';
import type { ContInfo } from '../../client/container.js';
import type { Layout } from '../../daos/placement.js';
import { replicasOf } from '../../daos/placement.js';
import { formatOid, oidClass, oidFeatures, OidFeature, type Oid } from '../../daos/oid.js';
import { className } from '../../daos/oclass.js';
import { formatTable } from '../../lib/txtfmt/table.js';

type Prop = { name: string; value: string; acl: string[] };

function usageLines(name: string, u: PoolInfo['scm']): string {
  return `- ${name}:\n  Total size: ${u.total}\n  Free: ${u.free}, min:${u.min}, max:${u.max}, mean:${u.mean}\n`;
}

/** v0.8's `daos pool query` block, sizes in raw bytes. */
export function renderPoolQuery(q: PoolInfo): string {
  let s = `Pool ${q.uuid}, ntarget=${q.ntargets}, disabled=${q.disabled}\n`;
  s += 'Pool space info:\n';
  s += `- Target(VOS) count:${q.activeTargets}\n`;
  s += usageLines('SCM', q.scm);
  s += usageLines('NVMe', q.nvme);
  // NB: the client library reports the rebuild state only; the object and record counts of a
  // rebuild are not carried, and are 0 when the pool was never rebuilt (idle).
  s += q.rebuild === 'idle' ? 'Rebuild idle, 0 objs, 0 recs\n' : `Rebuild ${q.rebuild}\n`;
  return s;
}

export function poolQueryJSON(q: PoolInfo): Record<string, unknown> {
  return {
    uuid: q.uuid,
    label: q.label,
    ntargets: q.ntargets,
    disabled: q.disabled,
    active_targets: q.activeTargets,
    map_version: q.mapVersion,
    scm: q.scm,
    nvme: q.nvme,
    rebuild: q.rebuild,
    leader: q.leader,
    svc_reps: q.svcReps,
    ranks: q.ranks,
  };
}

/** v0.8's `daos container query` lines (TAB after the UUID labels), then today's label and handle count. */
export function renderContQuery(poolUuid: string, q: ContInfo): string {
  return (
    `Pool UUID:\t${poolUuid}\n` +
    `Container UUID:\t${q.uuid}\n` +
    `Number of snapshots: ${q.nsnapshots}\n` +
    `Latest Persistent Snapshot: ${q.latestSnapshot}\n` +
    `Highest Aggregated Epoch: ${q.hae}\n` +
    `Container Label:\t${q.label || '(none)'}\n` +
    `Open handles: ${q.nhandles}\n`
  );
}

export function contQueryJSON(poolUuid: string, q: ContInfo): Record<string, unknown> {
  return {
    pool_uuid: poolUuid,
    uuid: q.uuid,
    label: q.label,
    nsnapshots: q.nsnapshots,
    latest_snapshot: q.latestSnapshot,
    hae: q.hae,
    nhandles: q.nhandles,
    props: propsJSON(q.props),
  };
}

function aclLines(acl: string[]): string[] {
  return acl.length ? ['# Entries:', ...acl] : ['# Entries:', '#   None'];
}

/** v1.0's `Pool properties :` block. */
export function renderPoolProps(props: Prop[]): string {
  const get = (n: string) => props.find((p) => p.name === n);
  const lines = ['Pool properties :'];
  lines.push(`label -> ${get('label')?.value || 'pool label not set'}`);
  lines.push(`rebuild space ratio -> ${get('space_rb')?.value ?? '0'}`);
  lines.push(`self-heal -> ${get('self_heal')?.value ?? ''}`);
  lines.push(`reclaim -> ${get('reclaim')?.value ?? ''}`);
  lines.push('acl ->', ...aclLines(get('acl')?.acl ?? []));
  lines.push(`owner -> ${get('owner')?.value ?? ''}`);
  lines.push(`owner-group -> ${get('owner_group')?.value ?? ''}`);
  return lines.join('\n') + '\n';
}

const CONT_PROP_TITLES: [string, string, string][] = [
  // [stored name, v1.0 title, value when unset]
  ['label', 'label', 'container label not set'],
  ['layout_type', 'layout type', 'unknown'],
  ['layout_version', 'layout version', '1'],
  ['cksum', 'checksum type', 'off'],
  ['cksum_size', 'checksum chunk-size', '32768'],
  ['srv_cksum', 'checksum verification on server', 'off'],
  ['rf', 'redundancy factor', '1'],
  ['rf_lvl', 'redundancy level', 'rack'],
  ['max_snapshot', 'max snapshots', '0'],
  ['compression', 'compression type', 'off'],
  ['encryption', 'encryption type', 'off'],
];

const LAYOUT_NUM: Record<string, number> = { unknown: 0, POSIX: 1, HDF5: 2 };

/** v1.0's `Container properties :` block, then the properties v1.0 did not have (oclass, chunk_size, owner). */
export function renderContProps(props: Prop[]): string {
  const get = (n: string) => props.find((p) => p.name === n);
  const lines = ['Container properties :'];
  for (const [name, title, dflt] of CONT_PROP_TITLES) {
    let v = get(name)?.value || dflt;
    if (name === 'layout_type') v = `${LAYOUT_NUM[v] ?? v}/${v in LAYOUT_NUM ? v : 'unknown'}`;
    lines.push(`${title} -> ${v}`);
    if (name === 'max_snapshot') lines.push('acl ->', ...aclLines(get('acl')?.acl ?? []));
  }
  const known = new Set([...CONT_PROP_TITLES.map((t) => t[0]), 'acl']);
  for (const p of props) {
    if (known.has(p.name)) continue;
    const title = p.name === 'owner_group' ? 'owner-group' : p.name === 'chunk_size' ? 'chunk size' : p.name === 'oclass' ? 'object class' : p.name;
    lines.push(`${title} -> ${p.value}`);
  }
  return lines.join('\n') + '\n';
}

export function propsJSON(props: Prop[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of props) out[p.name] = p.name === 'acl' ? p.acl : p.value;
  return out;
}

/** `Pool attributes:` / `Container attributes:` then one name per line (with -v, `name: value`), or `No attributes`. */
export function renderAttrList(kind: 'Pool' | 'Container', attrs: Map<string, Buffer>, verbose: boolean): string {
  if (attrs.size === 0) return 'No attributes\n';
  const names = [...attrs.keys()].sort();
  return `${kind} attributes:\n` + names.map((n) => (verbose ? `${n}: ${printable(attrs.get(n)!)}\n` : `${n}\n`)).join('');
}

/** An attribute or key as text when it is printable UTF-8, else as 0x hex. */
export function printable(b: Buffer): string {
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (Buffer.from(s, 'utf8').equals(b) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return s;
  return `0x${b.toString('hex')}`;
}

/** For -j: the value as UTF-8 when it is valid UTF-8, always as base64. */
export function bytesJSON(b: Buffer): { value?: string; value_base64: string; size: number } {
  const s = b.toString('utf8');
  return { ...(Buffer.from(s, 'utf8').equals(b) ? { value: s } : {}), value_base64: b.toString('base64'), size: b.length };
}

/** v1.0's `Container's snapshots :` header, then `<epoch>` or `<epoch> <name>` per line; `no snapshots` when none. */
export function renderSnaps(snaps: { epoch: bigint; name: string }[]): string {
  if (snaps.length === 0) return 'no snapshots\n';
  return "Container's snapshots :\n" + snaps.map((s) => (s.name ? `${s.epoch} ${s.name}\n` : `${s.epoch}\n`)).join('');
}

export function renderContList(conts: { uuid: string; label: string }[]): string {
  if (conts.length === 0) return 'No containers.\n';
  return formatTable(['UUID', 'Label'], conts.map((c) => ({ UUID: c.uuid, Label: c.label || '-' })));
}

const FEATURE_NAMES: [number, string][] = [
  [OidFeature.DKEY_UINT64, 'DKEY_UINT64'],
  [OidFeature.DKEY_LEXICAL, 'DKEY_LEXICAL'],
  [OidFeature.AKEY_UINT64, 'AKEY_UINT64'],
  [OidFeature.AKEY_LEXICAL, 'AKEY_LEXICAL'],
  [OidFeature.KV_FLAT, 'KV_FLAT'],
  [OidFeature.ARRAY, 'ARRAY'],
  [OidFeature.ARRAY_MD, 'ARRAY_MD'],
  [OidFeature.ECHO, 'ECHO'],
];

export function featureNames(oid: Oid): string[] {
  const f = oidFeatures(oid);
  return FEATURE_NAMES.filter(([bit]) => (f & bit) === bit).map(([, n]) => n);
}

/**
 * v0.8's `daos object query` lines (`oid: <hi>.<lo> ver <v> grp_nr: <n>`, `grp: <i>`, `replica <j> <rank>`),
 * each replica line followed by its shard and target; an `object class:` line after the first.
 */
export function renderLayout(oid: Oid, layout: Layout): string {
  const feats = featureNames(oid);
  const lines = [
    `oid: ${formatOid(oid)} ver ${layout.ver} grp_nr: ${layout.grpNr}`,
    `object class: ${className(oidClass(oid)) ?? oidClass(oid)}, ${layout.grpNr} group${layout.grpNr === 1 ? '' : 's'} of ${layout.grpSize}${feats.length ? `, features: ${feats.join(' ')}` : ''}`,
  ];
  for (let g = 0; g < layout.grpNr; g++) {
    lines.push(`grp: ${g}`);
    replicasOf(layout, g).forEach((s, j) => lines.push(`replica ${j} ${s.rank} (shard ${s.shard}, target ${s.targetIndex}${s.rebuilding ? ', rebuilding' : ''}${s.target < 0 ? ', no target' : ''})`));
  }
  return lines.join('\n') + '\n';
}

export function layoutJSON(oid: Oid, layout: Layout): Record<string, unknown> {
  return {
    oid: formatOid(oid),
    class: className(oidClass(oid)) ?? null,
    class_id: oidClass(oid),
    features: featureNames(oid),
    version: layout.ver,
    grp_nr: layout.grpNr,
    grp_size: layout.grpSize,
    groups: Array.from({ length: layout.grpNr }, (_, g) => ({
      group: g,
      shards: replicasOf(layout, g).map((s) => ({ shard: s.shard, rank: s.rank, target: s.targetIndex, pool_target_id: s.target, rebuilding: s.rebuilding })),
    })),
  };
}
