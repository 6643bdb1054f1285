/**
 * dmg: the administrator's tool. It checks its flags, builds one request,
 * calls the control API (src/lib/control) and renders the answer as text or,
 * with -j, as one JSON document {response, error, status}.
 */
import { Command, CommanderError, Option } from 'commander';
import { Ctx, jsonOut, parseRanks, realIO, type DmgIO, type GlobalOpts } from './ctx.js';
import { addPoolCommands } from './pool.js';
import type { ClientConfig } from '../../config/types.js';
import { commonFault, type Invoker } from '../../lib/control/invoker.js';
import type { HostResult } from '../../lib/control/fanout.js';
import { storageFormat, storagePrepare, storageScan } from '../../lib/control/storage.js';
import { networkList, networkScan } from '../../lib/control/network.js';
import { leaderQuery, systemQuery, systemStart, systemStop } from '../../lib/control/system.js';
import { controlFaults } from '../../lib/control/faults.js';
import { dmgConfigSearchPaths } from '../../config/client.js';
import { systemFaults } from '../../system/faults.js';
import { HostGroups, createHostSet } from '../../lib/hostlist/index.js';
import { createRankSet } from '../../lib/ranklist/index.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import { DAOS_VERSION } from '../../version.js';
import { DaosError } from '../../daos/errors.js';
import * as pretty from './pretty.js';

function groupedErrors(results: { host: string; error?: string }[]): { hosts: string; error: string }[] {
  const g = new HostGroups();
  for (const r of results) if (r.error) g.add(r.host, r.error);
  return g.entries().map(([error, hs]) => ({ hosts: hs.toString(), error }));
}

/**
 * Run a per-host command: probe the hosts, print the connection groups, send
 * the request to the reachable ones, render, and fail when any host failed.
 */
async function perHost<T>(
  ctx: Ctx,
  run: (hosts: string[]) => Promise<HostResult<T>[]>,
  render: (ok: HostResult<T>[], all: HostResult<T>[]) => string,
  extraFailed: (all: HostResult<T>[]) => boolean = () => false,
): Promise<void> {
  const hosts = ctx.serverHosts();
  ctx.debug(`hosts: ${hosts.join(' ')}`);
  const probe = await ctx.invoker.probe(hosts, 5000);
  if (!ctx.json) ctx.io.out(pretty.renderConnections(probe));
  const reachable = hosts.filter((h) => probe.get(h) === undefined);
  const unreachable = hosts.filter((h) => probe.get(h) !== undefined).map((h) => ({ host: h, error: probe.get(h)!.reason, problem: probe.get(h) }));
  if (reachable.length === 0) {
    // One reason with its own fix (TLS on one side only, refused certificates) is raised as such.
    const fault = commonFault(unreachable) ?? controlFaults.noActiveConnections();
    if (ctx.json) {
      jsonOut(ctx, { host_errors: groupedErrors(unreachable) }, fault, 1);
      ctx.exitCode = 1;
      return;
    }
    throw fault;
  }
  const results = await run(reachable);
  const ok = results.filter((r) => !r.error);
  const rpcErrors = results.filter((r) => r.error).map((r) => ({ host: r.host, error: pretty.hostErrorText(r.error!) }));
  const failedHosts = unreachable.length + rpcErrors.length;
  const failed = failedHosts > 0 || extraFailed(results);
  if (ctx.json) {
    const perHostValues: Record<string, unknown> = {};
    for (const r of ok) perHostValues[r.host] = r.value;
    const status = failed ? 1 : 0;
    const error = failedHosts > 0 ? controlFaults.hostErrors(failedHosts, hosts.length) : failed ? new Error('one or more operations failed on a host; see the response') : null;
    jsonOut(ctx, { hosts: perHostValues, host_errors: groupedErrors([...unreachable, ...rpcErrors]) }, error, status);
  } else {
    ctx.io.out(render(ok, results));
    if (rpcErrors.length) {
      const g = new HostGroups();
      for (const e of rpcErrors) g.add(e.host, e.error);
      ctx.io.err(g.toString().split('\n').filter(Boolean).map((l) => `ERROR: ${l}\n`).join(''));
    }
  }
  if (failed) ctx.exitCode = 1;
}

export function buildProgram(ctx: { get: () => Ctx; set: (g: GlobalOpts) => void }): Command {
  const program = new Command('dmg')
    .description('Administer a DAOS system: storage, network and system commands sent to daos_server over gRPC.')
    .option('-l, --host-list <hosts>', 'hosts to send requests to, e.g. node[1-3] or node1:10001,node2 (overrides hostlist in the config)')
    .option('--host-file <file>', 'file with one host list per line (# comments allowed)')
    .option('-i, --insecure', 'plaintext connections: no certificates (the servers must run with allow_insecure)')
    .option('-o, --config-path <file>', `dmg config file (default: the first that exists of ${dmgConfigSearchPaths('~').join(', ')}; else built-in defaults)`)
    .option('-j, --json', 'print the result as one JSON document {response, error, status}')
    .option('-d, --debug', 'debug output')
    .option('--allow-proxy', 'keep http_proxy and friends in the environment')
    .hook('preAction', (cmd) => {
      ctx.set(cmd.opts() as GlobalOpts);
    });

  // ---- storage ----
  const storage = program.command('storage').alias('st').description('Manage the storage of the servers');
  storage
    .command('scan')
    .alias('s')
    .description('Scan SCM and NVMe storage of the servers')
    .option('-v, --verbose', 'per-device tables instead of totals')
    .action(async (o: { verbose?: boolean }) => {
      const c = ctx.get();
      await perHost(c, (hosts) => storageScan(c.invoker, { hosts }), (ok) => (o.verbose ? pretty.renderScanVerbose(ok) : pretty.renderScanSummary(ok)));
    });
  storage
    .command('format')
    .alias('f')
    .description('Format the storage of the servers as their configs describe, then start their I/O servers')
    .option('-v, --verbose', 'show per-device results for every host')
    .option('--reformat', 'reformat storage that is already formatted (destroys its data)')
    .action(async (o: { verbose?: boolean; reformat?: boolean }) => {
      const c = ctx.get();
      await perHost(
        c,
        (hosts) => storageFormat(c.invoker, { hosts, reformat: o.reformat === true }),
        (_ok, all) => pretty.renderFormat(all.filter((r) => !r.error || true), o.verbose === true),
        pretty.formatFailed,
      );
    });
  storage
    .command('prepare')
    .alias('p')
    .description('Prepare SCM (DCPM AppDirect regions and namespaces) and NVMe devices for DAOS')
    .option('-w, --pci-whitelist <addrs>', 'whitespace-separated PCI addresses of the NVMe devices to prepare (default: all)')
    .option('-p, --hugepages <n>', 'number of hugepages (accepted for compatibility; not needed by this implementation)', '0')
    .option('-u, --target-user <user>', 'user that will own the devices')
    .option('-n, --nvme-only', 'only prepare NVMe devices')
    .option('-s, --scm-only', 'only prepare SCM')
    .option('--reset', 'undo the preparation (SCM: remove namespaces and regions; NVMe: rebind to the kernel driver)')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (o: { pciWhitelist?: string; hugepages: string; targetUser?: string; nvmeOnly?: boolean; scmOnly?: boolean; reset?: boolean; force?: boolean }) => {
      const c = ctx.get();
      if (o.nvmeOnly && o.scmOnly) throw controlFaults.prepareOnlyConflict();
      const doScm = !o.nvmeOnly;
      const doNvme = !o.scmOnly;
      if (doScm && !o.force) {
        c.io.out(
          'Memory allocation goals for SCM will be changed and namespaces modified. This\nwill be a destructive operation. Ensure namespaces are unmounted and the SCM\nis otherwise unused.\n',
        );
        if (!(await c.io.confirm('Are you sure you want to continue? (yes/no) '))) throw controlFaults.consent();
      }
      const nr = Number(o.hugepages);
      await perHost(
        c,
        (hosts) =>
          storagePrepare(c.invoker, {
            hosts,
            nvme: doNvme ? { pciAllowList: o.pciWhitelist ?? '', nrHugepages: Number.isFinite(nr) ? nr : 0, targetUser: o.targetUser ?? '', reset: o.reset === true } : undefined,
            scm: doScm ? { reset: o.reset === true } : undefined,
          }),
        (ok) => pretty.renderPrepare(ok),
        (all) => all.some((r) => (r.value?.nvme && !r.value.nvme.ok) || (r.value?.scm && !r.value.scm.ok)),
      );
    });

  // ---- network ----
  const network = program.command('network').alias('n').description('Inspect the fabric of the servers');
  network
    .command('scan')
    .description('Scan the fabric interfaces usable by DAOS on the servers')
    .option('-p, --provider <provider>', "only this provider (e.g. 'ofi+tcp')")
    .option('-a, --all', 'all providers (overrides -p)')
    .action(async (o: { provider?: string; all?: boolean }) => {
      const c = ctx.get();
      const provider = o.all ? '' : (o.provider ?? '');
      await perHost(c, (hosts) => networkScan(c.invoker, { hosts, provider }), (ok) => pretty.renderNetworkScan(ok));
    });
  network
    .command('list')
    .description('List the fabric providers the servers support')
    .action(async () => {
      const c = ctx.get();
      await perHost(c, (hosts) => networkList(c.invoker, { hosts }), (ok) => pretty.renderNetworkList(ok));
    });

  // ---- system ----
  const system = program.command('system').alias('sy').description('Act on the DAOS system through its management service');
  const query = async (o: { ranks?: string; verbose?: boolean }) => {
    const c = ctx.get();
    const r = await systemQuery(c.invoker, { hosts: c.hosts(), ranks: parseRanks(o.ranks) });
    // Ranks asked for with -r that the system does not have fail the command, in both modes.
    const absent = r.absentRanks.length ? systemFaults.unknownRanks(createRankSet(r.absentRanks.join(',')).toString()) : undefined;
    if (absent) c.exitCode = 1;
    if (c.json) {
      jsonOut(c, { members: r.members, absent_ranks: r.absentRanks, map_version: r.mapVersion }, absent ?? null, absent ? 1 : 0);
      return;
    }
    c.io.out(pretty.renderSystemQuery(r.members, o.verbose === true));
    if (absent) c.io.err(`ERROR: ${absent.description}\n`);
  };
  system
    .command('query')
    .alias('q')
    .description('Show the members of the system: ranks and their states')
    .option('-r, --ranks <ranks>', 'only these ranks, e.g. 0,2-3')
    .option('-v, --verbose', 'one row per rank with UUID, control address, fault domain and reason')
    .action(query);
  system
    .command('member-query')
    .description('Same as system query (the v0.8 name)')
    .option('-r, --ranks <ranks>', 'only these ranks')
    .option('-v, --verbose', 'one row per rank')
    .action(query);
  system
    .command('stop')
    .alias('s')
    .description('Stop the I/O servers of the system (daos_server keeps running)')
    .option('-r, --ranks <ranks>', 'only these ranks')
    .option('--force', 'kill the I/O servers without asking them to prepare')
    .action(async (o: { ranks?: string; force?: boolean }) => {
      const c = ctx.get();
      const r = await systemStop(c.invoker, { hosts: c.hosts(), ranks: parseRanks(o.ranks), force: o.force === true });
      const failed = r.results.some((x) => x.errored);
      if (c.json) jsonOut(c, { results: r.results }, failed ? new Error('one or more ranks failed to stop') : null, failed ? 1 : 0);
      else c.io.out(pretty.renderRankResults(r.results));
      if (failed) c.exitCode = 1;
    });
  system
    .command('start')
    .alias('r')
    .description('Start the stopped I/O servers of the system; they rejoin with their ranks')
    .option('-r, --ranks <ranks>', 'only these ranks')
    .action(async (o: { ranks?: string }) => {
      const c = ctx.get();
      const r = await systemStart(c.invoker, { hosts: c.hosts(), ranks: parseRanks(o.ranks) });
      const failed = r.results.some((x) => x.errored);
      if (c.json) jsonOut(c, { results: r.results }, failed ? new Error('one or more ranks failed to start') : null, failed ? 1 : 0);
      else c.io.out(pretty.renderRankResults(r.results));
      if (failed) c.exitCode = 1;
    });
  system
    .command('leader-query')
    .alias('l')
    .description('Show the management service leader and its replicas')
    .action(async () => {
      const c = ctx.get();
      const r = await leaderQuery(c.invoker, { hosts: c.hosts(), system: c.cfg.name });
      if (c.json) jsonOut(c, { current_leader: r.leader, replicas: r.replicas }, null, 0);
      else c.io.out(`Current Leader: ${r.leader}\n   Replica Set: ${r.replicas.join(', ')}\n`);
    });

  addPoolCommands(program, ctx, system);

  program
    .command('version')
    .description('Print the version')
    .action(() => {
      const c = ctx.get();
      if (c.json) jsonOut(c, { version: DAOS_VERSION }, null, 0);
      else c.io.out(`dmg version ${DAOS_VERSION}\n`);
    });

  program.addOption(new Option('--no-color').hideHelp());
  return program;
}

function declares(c: Command, flag: string): Option | undefined {
  return c.options.find((o) => o.short === flag || o.long === flag);
}

/**
 * NB: as in the original dmg (go-flags), an option written after a
 * subcommand belongs to that subcommand when it declares one of that name,
 * and to dmg otherwise: in `dmg pool get-acl tank -o out.acl`, -o is
 * get-acl's --outfile; in `dmg -o cfg.yml pool get-acl tank`, dmg's config.
 * Commander gives every flag the program declares to the program wherever it
 * stands, so such a flag is rewritten to the subcommand's long form before
 * parsing. Other global flags (-j, -l, -i, ...) still work after the subcommand.
 */
export function subcommandFlagsWin(program: Command, argv: string[]): string[] {
  const out: string[] = [];
  const chain: Command[] = [program];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.length > 1 && a.startsWith('-')) {
      const long = a.startsWith('--');
      const eq = long ? a.indexOf('=') : -1;
      const flag = eq > 0 ? a.slice(0, eq) : long ? a : a.slice(0, 2);
      // The value written in the same word: `--outfile=x` or `-ox`.
      const attached = eq > 0 ? a.slice(eq + 1) : !long && a.length > 2 ? a.slice(2) : undefined;
      const depth = chain.findLastIndex((c) => declares(c, flag) !== undefined);
      const opt = depth >= 0 ? declares(chain[depth], flag) : undefined;
      const takesValue = opt !== undefined && (opt.required || opt.optional);
      const shadowed = depth > 0 && chain.slice(0, depth).some((c) => declares(c, flag) !== undefined);
      if (opt && shadowed && opt.long && !chain.slice(0, depth).some((c) => declares(c, opt.long!) !== undefined)) {
        if (attached === undefined) out.push(opt.long);
        else if (takesValue) out.push(`${opt.long}=${attached}`);
        else out.push(a); // a group of boolean short flags: left to commander
      } else {
        out.push(a);
      }
      if (takesValue && attached === undefined && i + 1 < argv.length && (opt.required || !argv[i + 1].startsWith('-'))) out.push(argv[++i]);
      continue;
    }
    const sub = chain[chain.length - 1].commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub) chain.push(sub);
    out.push(a);
  }
  return out;
}

function scrubProxy(): void {
  for (const k of ['http_proxy', 'https_proxy', 'ftp_proxy', 'socks_proxy', 'no_proxy']) {
    delete process.env[k];
    delete process.env[k.toUpperCase()];
  }
}

export async function main(
  argv = process.argv.slice(2),
  io: DmgIO = realIO,
  makeInvoker?: (cfg: ClientConfig) => Invoker,
): Promise<number> {
  process.title = 'dmg';
  let ctx: Ctx | undefined;
  const holder = {
    get: () => ctx!,
    set: (g: GlobalOpts) => {
      ctx = new Ctx(g, io, makeInvoker);
    },
  };
  const program = buildProgram(holder);
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  if (!argv.includes('--allow-proxy')) scrubProxy();
  try {
    if (argv.length === 0) {
      // As daos_server: help on stderr and a failure status, so a script missing its command notices.
      program.outputHelp({ error: true });
      io.err('ERROR: dmg: a command is required (storage, network, system, pool, version)\n');
      return 1;
    }
    await program.parseAsync(subcommandFlagsWin(program, argv), { from: 'user' });
    return ctx?.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode || 1;
    }
    if (ctx?.json) {
      jsonOut(ctx, null, e, e instanceof Fault ? e.code || 1 : 1);
      return 1;
    }
    io.err(`ERROR: dmg: ${errorMessage(e)}\n`);
    if (e instanceof Fault && e.resolution) io.err(`ERROR: dmg: resolution: ${e.resolution}\n`);
    if (e instanceof DaosError && e.hint) io.err(`ERROR: dmg: resolution: ${e.hint}\n`);
    return 1;
  } finally {
    ctx?.close();
  }
}

export { createHostSet };
