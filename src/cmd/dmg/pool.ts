/**
 * dmg pool ... and dmg system list-pools: v0.8's commands and output, plus
 * today's `pool list` and `pool query`, labels, and a pool given by label or
 * UUID either with --pool or as the first argument.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import { DaosError } from '../../daos/errors.js';
import { parseSize, parseSizeV08, SizeParseError } from '../../lib/units/parse.js';
import { formatBytes } from '../../lib/units/format.js';
import { poolAcl, poolCreate, poolDestroy, poolList, poolQuery, type PoolQueryResult, type PoolListEntry } from '../../lib/control/pool.js';
import { formatTable } from '../../lib/txtfmt/table.js';
import { groupName, userName } from '../../security/peercred.js';
import { errorMessage } from '../../fault/fault.js';
import { jsonOut, parseRanks, type Ctx } from './ctx.js';

const MAX_SVC_REPLICAS = 13;

/** A command-line mistake: dmg prints it as `ERROR: dmg: <message>` and exits 1. */
export class DmgUsageError extends Error {
  override name = 'DmgUsageError';
}

function usage(msg: string): DmgUsageError {
  return new DmgUsageError(msg);
}

/**
 * A pool size: v0.8's strings first (`2G`, `512M`, `2gb`: binary), then
 * today's (`1.5GiB`, `1.5G`), all binary. Throws with what is accepted.
 */
export function parsePoolSize(s: string, what: 'scm' | 'nvme'): number {
  try {
    return parseSizeV08(s.trim());
  } catch (first) {
    try {
      return parseSize(s.trim());
    } catch {
      const why = first instanceof SizeParseError ? first.message : errorMessage(first);
      throw usage(`calculating pool storage sizes: illegal ${what} size: ${s}: ${why} (give a number and a binary unit, e.g. 512M, 16G, 1.5GiB)`);
    }
  }
}

/**
 * The v0.8 rendering of a size: auto binary unit, no decimals (`1GB`, `512MB`,
 * `0B`); sizes v0.8 could not take (`1.5G`) keep up to two decimals.
 */
export function sizeNoDecimals(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  let v = n;
  while (u < units.length - 1 && v >= 1024) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? v.toFixed(0) : String(Number(v.toFixed(2)));
  return `${text}${units[u]}`;
}

/** `user` → `user@`; a value that has an `@` is left as it is. */
function principal(s: string): string {
  return s.includes('@') ? s : `${s}@`;
}

/** ACEs of an ACL file: one per line, `#` comments and blank lines skipped. */
export function readAclFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw usage(`opening ACL file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${file}: no such file or directory` : errorMessage(e)}`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The pool from --pool or the first argument. */
function poolArg(pos: string | undefined, o: { pool?: string }): string {
  const p = o.pool ?? pos;
  if (!p) throw usage('the pool is required: give its label or UUID as --pool <pool> or as the first argument');
  if (o.pool && pos && o.pool !== pos) throw usage(`the pool is given twice (${pos} and --pool ${o.pool})`);
  return p;
}

export function renderAclBlock(r: { acl: string[]; owner?: string; ownerGroup?: string }, withOwner: boolean): string {
  const lines: string[] = [];
  if (withOwner && r.owner) lines.push(`# Owner: ${r.owner}`);
  if (withOwner && r.ownerGroup) lines.push(`# Owner Group: ${r.ownerGroup}`);
  lines.push('# Entries:');
  if (r.acl.length === 0) lines.push('#   None');
  else lines.push(...r.acl);
  return lines.join('\n') + '\n';
}

function usageLine(name: string, u: PoolQueryResult['scm']): string {
  return `- ${name}:\n  Total size: ${formatBytes(u.total)}\n  Free: ${formatBytes(u.free)}, min:${formatBytes(u.min)}, max:${formatBytes(u.max)}, mean:${formatBytes(u.mean)}\n`;
}

export function renderPoolQuery(q: PoolQueryResult): string {
  let s = `Pool ${q.uuid}, ntarget=${q.ntargets}, disabled=${q.disabled}, leader=${q.leader}, version=${q.mapVersion}\n`;
  if (q.label) s += `Pool label: ${q.label}\n`;
  s += 'Pool space info:\n';
  s += `- Target(VOS) count:${q.activeTargets}\n`;
  s += usageLine('SCM', q.scm);
  s += usageLine('NVMe', q.nvme);
  if (q.rebuild.state === 'failed') s += `Rebuild failed, rc=${q.rebuild.errno}, status=${q.rebuild.errno}\n`;
  else s += `Rebuild ${q.rebuild.state}, ${q.rebuild.objects} objs, ${q.rebuild.records} recs\n`;
  return s;
}

/** v0.8's `system list-pools` table (TAB-padded columns). */
export function renderListPoolsV08(pools: PoolListEntry[]): string {
  if (pools.length === 0) return 'No pools in system\n';
  return formatTable(
    ['Pool UUID', 'Svc Replicas'],
    pools.map((p) => ({ 'Pool UUID': p.uuid, 'Svc Replicas': p.svcReps.length ? p.svcReps.join(',') : 'None' })),
  );
}

/** Today's `pool list` table. */
export function renderPoolList(pools: PoolListEntry[]): string {
  if (pools.length === 0) return 'No pools in system\n';
  return formatTable(
    ['Pool UUID', 'Label', 'Svc Replicas', 'SCM Size', 'NVMe Size', 'Handles'],
    pools.map((p) => ({
      'Pool UUID': p.uuid,
      Label: p.label || '-',
      'Svc Replicas': p.svcReps.length ? p.svcReps.join(',') : 'None',
      'SCM Size': formatBytes(p.scmTotal),
      'NVMe Size': formatBytes(p.nvmeTotal),
      Handles: String(p.nhandles),
    })),
  );
}

function daosFailure(e: unknown): string {
  if (e instanceof DaosError) return `DAOS returned error code: ${e.toString()}`;
  return errorMessage(e);
}

/** Print `<prefix> command failed: <err>` (and the hint), set the exit status. */
function failed(c: Ctx, prefix: string, e: unknown): void {
  if (c.json) {
    jsonOut(c, null, e, e instanceof DaosError ? e.rc : 1);
  } else {
    c.io.out(`${prefix}: ${daosFailure(e)}\n`);
    if (e instanceof DaosError && e.hint) c.io.err(`ERROR: dmg: resolution: ${e.hint}\n`);
  }
  c.exitCode = 1;
}

export function addPoolCommands(program: Command, ctx: { get: () => Ctx }, system: Command): void {
  const pool = program.command('pool').alias('p').description('Create, destroy, list and query pools, and manage their ACLs');

  pool
    .command('create')
    .alias('c')
    .description('Create a pool on the given ranks (default: every rank)')
    .requiredOption('-s, --scm-size <size>', 'SCM size per rank (e.g. 1G, 512M; binary units)')
    .option('-n, --nvme-size <size>', 'NVMe size per rank (e.g. 10G; 0 for none)', '')
    .option('-r, --ranks <ranks>', 'ranks to place the pool on, e.g. 0,1,2 or 0-2 (default: all)')
    .option('-v, --nsvc <n>', 'number of pool service replicas (max 13)', '1')
    .option('-S, --sys <name>', 'DAOS system name', 'daos_server')
    .option('-u, --user <user>', 'owner user, name@domain (default: you)')
    .option('-g, --group <group>', 'owner group, name@domain (default: your primary group)')
    .option('-a, --acl-file <file>', 'ACL file: one ACE per line (see dmg pool update-acl)')
    .option('-p, --label <label>', 'a label to find the pool by, instead of its UUID')
    .action(async (o: { scmSize: string; nvmeSize: string; ranks?: string; nsvc: string; sys: string; user?: string; group?: string; aclFile?: string; label?: string }) => {
      const c = ctx.get();
      const scm = parsePoolSize(o.scmSize, 'scm');
      const nvme = parsePoolSize(o.nvmeSize, 'nvme');
      if (scm === 0) throw usage('calculating pool storage sizes: non-zero scm size is required');
      if (!c.json) {
        if (nvme > 0 && scm / nvme < 0.01) c.io.out('SCM:NVMe ratio is less than 1%, DAOS performance will suffer!\n');
        c.io.out(`Creating DAOS pool with ${sizeNoDecimals(scm)} SCM and ${sizeNoDecimals(nvme)} NvMe storage (${(nvme > 0 ? scm / nvme : 1).toFixed(3)} ratio)\n`);
      }
      const acl = o.aclFile ? readAclFile(o.aclFile) : [];
      const nsvc = Number(o.nsvc);
      if (!Number.isInteger(nsvc) || nsvc < 0) throw usage(`bad --nsvc ${o.nsvc}: give a number of replicas from 1 to ${MAX_SVC_REPLICAS}`);
      if (nsvc > MAX_SVC_REPLICAS) throw usage(`max number of service replicas is ${MAX_SVC_REPLICAS}, got ${nsvc}`);
      let user = o.user;
      let group = o.group;
      if (user === undefined && group === undefined) {
        user = userName(os.userInfo().uid);
        group = groupName(os.userInfo().gid) ?? String(os.userInfo().gid);
      }
      try {
        const r = await poolCreate(c.invoker, {
          hosts: c.hosts(),
          uuid: crypto.randomUUID(),
          label: o.label,
          scmBytes: scm,
          nvmeBytes: nvme,
          ranks: parseRanks(o.ranks),
          nsvc: nsvc || 1,
          sys: o.sys,
          user: user === undefined ? '' : principal(user),
          group: group === undefined ? '' : principal(group),
          acl,
        });
        if (c.json) jsonOut(c, { uuid: r.uuid, label: o.label ?? '', svc_reps: r.svcReps, tgt_ranks: r.tgtRanks, scm_per_rank: r.scmPerRank, nvme_per_rank: r.nvmePerRank }, null, 0);
        else c.io.out(`Pool-create command SUCCEEDED: UUID: ${r.uuid}, Service replicas: ${r.svcReps.join(',')}\n`);
      } catch (e) {
        if (e instanceof DaosError) failed(c, 'Pool-create command FAILED', e);
        else throw e;
      }
    });

  pool
    .command('destroy [pool]')
    .alias('d')
    .description('Destroy a pool and all its data')
    .option('--pool <pool>', 'label or UUID')
    .option('-f, --force', 'destroy even if clients are connected')
    .option('-S, --sys <name>', 'DAOS system name', 'daos_server')
    .action(async (pos: string | undefined, o: { pool?: string; force?: boolean; sys: string }) => {
      const c = ctx.get();
      const id = poolArg(pos, o);
      try {
        await poolDestroy(c.invoker, { hosts: c.hosts(), pool: id, sys: o.sys, force: o.force === true });
        if (c.json) jsonOut(c, { pool: id }, null, 0);
        else c.io.out('Pool-destroy command succeeded\n');
      } catch (e) {
        if (e instanceof DaosError) failed(c, 'Pool-destroy command failed', e);
        else throw e;
      }
    });

  const list = async (v08: boolean) => {
    const c = ctx.get();
    try {
      const pools = await poolList(c.invoker, { hosts: c.hosts(), sys: c.cfg.name });
      if (c.json) jsonOut(c, { pools: pools.map((p) => ({ uuid: p.uuid, label: p.label, svc_reps: p.svcReps, scm_total: p.scmTotal, nvme_total: p.nvmeTotal, handles: p.nhandles })) }, null, 0);
      else c.io.out(v08 ? renderListPoolsV08(pools) : renderPoolList(pools));
    } catch (e) {
      if (e instanceof DaosError) failed(c, 'List-Pools command failed', e);
      else throw e;
    }
  };
  pool.command('list').alias('l').description('List the pools of the system').action(() => list(false));
  system.command('list-pools').alias('p').description('List the pools of the system (v0.8 table)').action(() => list(true));

  pool
    .command('query [pool]')
    .alias('q')
    .description('Show a pool: targets, map version, space per target, rebuild state')
    .option('--pool <pool>', 'label or UUID')
    .option('-S, --sys <name>', 'DAOS system name', 'daos_server')
    .action(async (pos: string | undefined, o: { pool?: string; sys: string }) => {
      const c = ctx.get();
      const id = poolArg(pos, o);
      try {
        const q = await poolQuery(c.invoker, { hosts: c.hosts(), pool: id, sys: o.sys });
        if (c.json) jsonOut(c, q, null, 0);
        else c.io.out(renderPoolQuery(q));
      } catch (e) {
        if (e instanceof DaosError) failed(c, 'pool query failed', e);
        else throw e;
      }
    });

  const aclCmd = (
    name: string,
    alias: string,
    verb: string,
    desc: string,
    method: 'poolGetACL' | 'poolOverwriteACL' | 'poolUpdateACL' | 'poolDeleteACL',
    build: (cmd: Command) => Command,
    args: (o: Record<string, string | boolean | undefined>) => { acl?: string[]; principal?: string },
  ) => {
    build(pool.command(`${name} [pool]`).alias(alias).description(desc).option('--pool <pool>', 'label or UUID')).action(
      async (pos: string | undefined, o: Record<string, string | boolean | undefined>) => {
        const c = ctx.get();
        const id = poolArg(pos, o as { pool?: string });
        const extra = args(o);
        try {
          const r = await poolAcl(c.invoker, { hosts: c.hosts(), method, pool: id, ...extra });
          if (method === 'poolGetACL' && typeof o.outfile === 'string') {
            if (fs.existsSync(o.outfile) && !o.force) throw usage(`file already exists: ${o.outfile} (add --force to overwrite it)`);
            fs.writeFileSync(o.outfile, renderAclBlock(r, true));
            if (!c.json) c.io.out(`Wrote ACL to output file: ${o.outfile}\n`);
          }
          if (c.json) jsonOut(c, { uuid: id, acl: r.acl, owner: r.owner, owner_group: r.ownerGroup }, null, 0);
          else if (!(method === 'poolGetACL' && typeof o.outfile === 'string')) c.io.out(`Pool-${verb}-ACL command succeeded, UUID: ${id}\n${renderAclBlock(r, method === 'poolGetACL')}`);
        } catch (e) {
          if (e instanceof DaosError) failed(c, `Pool-${verb}-ACL command failed`, e);
          else throw e;
        }
      },
    );
  };
  aclCmd(
    'get-acl',
    'ga',
    'get',
    'Show the ACL of a pool',
    'poolGetACL',
    (cmd) => cmd.option('-o, --outfile <file>', 'write the ACL to this file (readable back with -a)').option('-f, --force', 'overwrite the output file'),
    () => ({}),
  );
  aclCmd(
    'overwrite-acl',
    'oa',
    'overwrite',
    'Replace the ACL of a pool with the ACL file',
    'poolOverwriteACL',
    (cmd) => cmd.requiredOption('-a, --acl-file <file>', 'ACL file: one ACE per line'),
    (o) => ({ acl: readAclFile(String(o.aclFile)) }),
  );
  aclCmd(
    'update-acl',
    'ua',
    'update',
    'Add ACEs to the ACL of a pool, or replace those of the same principals',
    'poolUpdateACL',
    (cmd) => cmd.option('-a, --acl-file <file>', 'ACL file: one ACE per line').option('-e, --entry <ace>', 'one ACE, e.g. A::alice@:rw'),
    (o) => {
      if ((o.aclFile === undefined) === (o.entry === undefined)) throw usage('either ACL file or entry parameter is required (give exactly one of -a and -e)');
      const acl = o.entry !== undefined ? [String(o.entry)] : readAclFile(String(o.aclFile));
      if (acl.length === 0) throw usage('no entries requested: the ACL file holds no ACE');
      return { acl };
    },
  );
  aclCmd(
    'delete-acl',
    'da',
    'delete',
    'Remove the ACE of one principal from the ACL of a pool',
    'poolDeleteACL',
    (cmd) => cmd.requiredOption('-p, --principal <principal>', 'OWNER@, GROUP@, EVERYONE@, u:<user>@ or g:<group>@'),
    (o) => {
      if (!o.principal) throw usage('no principal provided');
      return { principal: String(o.principal) };
    },
  );
}
