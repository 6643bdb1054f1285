/**
 * daos_server: the per-node control server, and the local storage and
 * network tools (`storage scan|prepare`, `network scan|list`).
 */
import os from 'node:os';
import readline from 'node:readline';
import { Command, CommanderError } from 'commander';
import {
  applyOverrides,
  loadServerConfig,
  resolveServerConfigPath,
  validateServerConfig,
  writeActiveConfig,
} from '../../config/server.js';
import type { ServerConfig, ServerOverrides } from '../../config/types.js';
import { FileSink, JsonSink, Logger, TerminalSink, type LogLevel } from '../../logging/logger.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import { DAOS_VERSION } from '../../version.js';
import { ControlServer } from '../../server/server.js';
import { findIoServerBinary } from '../../server/instance_exec.js';
import { createStorageProviders } from '../../server/providers.js';
import { SUPPORTED_PROVIDERS, scanFabric } from '../../server/netdetect.js';
import { serverFaults } from '../../server/faults.js';
import { controlFaults } from '../../lib/control/faults.js';
import { prepareNvmeFiltered } from '../../server/ctl_storage.js';
import { filterActive, filterByPci, type BdevFilter } from '../../server/storage/bdev_filter.js';
import { scmPrepareLines } from '../../server/storage/scm.js';
import { formatBytes, formatNvmeCapacity } from '../../lib/units/index.js';

interface GlobalOpts {
  config?: string;
  debug?: boolean;
  json?: boolean;
  allowProxy?: boolean;
}

interface StartOpts {
  port?: string;
  storage?: string;
  modules?: string;
  targets?: string;
  xshelpernr?: string;
  firstcore?: string;
  group?: string;
  socket_dir?: string;
  insecure?: boolean;
  recreateSuperblocks?: boolean;
}

function uint16(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw serverFaults.badFlagValue(flag, v, 0, 65535);
  return n;
}

function makeLogger(g: GlobalOpts): Logger {
  const level: LogLevel = g.debug ? 'debug' : 'info';
  return new Logger([{ sink: g.json ? new JsonSink(process.stdout) : new TerminalSink(), level }]);
}

function printFault(log: Logger, e: unknown): void {
  log.error(errorMessage(e));
  if (e instanceof Fault && e.resolution) log.error(`resolution: ${e.resolution}`);
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    process.stdout.write(question);
    for await (const line of rl) {
      const a = line.trim().toLowerCase();
      if (a === 'yes' || a === 'y') return true;
      if (a === 'no' || a === 'n') return false;
      process.stdout.write('Please type yes or no and then press enter: ');
    }
    return false;
  } finally {
    rl.close();
  }
}

function loadConfig(g: GlobalOpts, log: Logger): ServerConfig {
  const p = resolveServerConfigPath(g.config);
  log.debug(`loading config ${p}`);
  return loadServerConfig(p);
}

/**
 * bdev_include / bdev_exclude of the config, for the local storage tools.
 * No config file (default path missing) means no filter; a broken one is
 * reported and no filter is applied.
 */
function bdevFilterOf(g: GlobalOpts, log: Logger): BdevFilter | undefined {
  let cfg: ServerConfig;
  try {
    cfg = loadConfig(g, log);
  } catch (e) {
    if (g.config || !(e instanceof Fault && e.code === 401)) log.notice(`config not used, bdev_include/bdev_exclude not applied: ${errorMessage(e)}`);
    return undefined;
  }
  const f = { include: cfg.bdevInclude, exclude: cfg.bdevExclude };
  if (filterActive(f)) log.info(`NVMe controllers limited by ${cfg.path}: bdev_include [${f.include.join(', ')}], bdev_exclude [${f.exclude.join(', ')}]`);
  return f;
}

async function runStart(g: GlobalOpts, o: StartOpts, log: Logger): Promise<number> {
  const overrides: ServerOverrides = {
    port: uint16('-p/--port', o.port),
    storage: o.storage,
    modules: o.modules,
    targets: uint16('-t/--targets', o.targets),
    xsHelpers: uint16('-x/--xshelpernr', o.xshelpernr),
    firstCore: uint16('-f/--firstcore', o.firstcore),
    group: o.group,
    socketDir: o.socket_dir,
    insecure: o.insecure,
    recreateSuperblocks: o.recreateSuperblocks,
  };
  const cfg = applyOverrides(loadConfig(g, log), overrides);
  validateServerConfig(cfg);
  const { scm, bdev } = createStorageProviders({ log });
  const srv = new ControlServer(cfg, {
    log,
    hostname: os.hostname(),
    scm,
    bdev,
    ioServerBin: findIoServerBinary(),
    version: DAOS_VERSION,
  });
  // NB: nothing is written (log file, active config, sockets) before the
  // config and the host checks pass, including "is another daos_server
  // running with this socket_dir or port?".
  await srv.preflight();
  if (cfg.controlLogFile) {
    log.addSink(new FileSink(cfg.controlLogFile, { json: cfg.controlLogJson }), g.debug ? 'debug' : cfg.controlLogMask);
    log.info(`${process.argv[1] ?? 'daos_server'} logging to file ${cfg.controlLogFile}`);
  } else {
    log.debug('no control log file specified; logging to stdout');
  }
  if (!g.debug && cfg.controlLogMask === 'debug') log.setLevel('debug');
  const active = writeActiveConfig(cfg, log);
  if (active) log.info(`active config saved to ${active} (read-only)`);
  if (cfg.transport.allowInsecure) log.info('transport security disabled (allow_insecure): control channels are not authenticated');
  if (cfg.helperLogFile) process.env.DAOS_ADMIN_LOG_FILE = cfg.helperLogFile;
  let stopping: Promise<void> | undefined;
  const done = new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      if (stopping) return;
      log.info(`received ${sig}; stopping I/O servers and shutting down`);
      stopping = srv.shutdown().then(
        () => resolve(0),
        (e) => {
          printFault(log, e);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGQUIT', () => stop('SIGQUIT'));
  });
  try {
    await srv.start();
  } catch (e) {
    await srv.shutdown().catch(() => undefined);
    throw e;
  }
  const code = await done;
  log.info('daos_server stopped');
  return code;
}

async function runStorageScan(g: GlobalOpts, log: Logger): Promise<number> {
  const { scm, bdev } = createStorageProviders({ log });
  const filter = bdevFilterOf(g, log);
  log.info('Scanning locally-attached storage...');
  const errors: string[] = [];
  const ctrlrs = await bdev.scan().then(
    (c) => filterByPci(c, filter),
    (e) => {
      errors.push(errorMessage(e));
      return [];
    },
  );
  let out = 'NVMe controllers and namespaces:\n';
  if (ctrlrs.length === 0) out += '\t\tnone\n';
  for (const c of ctrlrs) {
    const gb = c.namespaces.reduce((s, n) => s + Math.floor(n.size / 1e9), 0);
    out += `\t\tPCI:${c.pciAddr} Model:${c.model} FW:${c.firmware} Socket:${c.socketId} Capacity:${formatNvmeCapacity(gb * 1e9)}${c.kernelDevice ? ` Device:${c.kernelDevice}` : ''}\n`;
  }
  const s = await scm.scan(true).catch((e) => {
    errors.push(errorMessage(e));
    return undefined;
  });
  if (s && s.namespaces.length) {
    out += 'SCM Namespaces:\n';
    for (const n of s.namespaces) out += `\t\tDevice:${n.blockDevice} Socket:${n.numaNode} Capacity:${formatBytes(n.size)}\n`;
  } else {
    out += 'SCM Modules:\n';
    if (!s || s.modules.length === 0) out += '\t\tnone\n';
    for (const m of s?.modules ?? []) {
      out += `\t\tPhysicalID:${m.physicalId} Capacity:${formatBytes(m.capacity)} Location:(socket:${m.socketId} memctrlr:${m.controllerId} chan:${m.channelId} pos:${m.channelPosition})\n`;
    }
  }
  process.stdout.write(out);
  if (errors.length) {
    log.error(`scan error(s):\n  ${errors.join('\n  ')}`);
    return 1;
  }
  return 0;
}

interface PrepareOpts {
  pciWhitelist?: string;
  hugepages?: string;
  targetUser?: string;
  nvmeOnly?: boolean;
  scmOnly?: boolean;
  reset?: boolean;
  force?: boolean;
}

async function runStoragePrepare(g: GlobalOpts, o: PrepareOpts, log: Logger): Promise<number> {
  if (o.nvmeOnly && o.scmOnly) throw serverFaults.prepareOnlyConflict();
  if ((process.geteuid?.() ?? 0) !== 0) throw serverFaults.notRoot('daos_server storage prepare');
  const { scm, bdev } = createStorageProviders({ log });
  const reset = o.reset === true;
  let failed = false;
  if (!o.scmOnly) {
    log.info(`${reset ? 'Resetting' : 'Preparing'} locally-attached NVMe storage...`);
    try {
      const nr = Number(o.hugepages ?? '0');
      const r = await prepareNvmeFiltered(
        bdev,
        { pciAllowList: (o.pciWhitelist ?? '').split(/\s+/).filter(Boolean), nrHugepages: Number.isFinite(nr) ? nr : 0, targetUser: o.targetUser ?? '', reset },
        bdevFilterOf(g, log),
      );
      for (const m of r.messages) log.info(m);
    } catch (e) {
      printFault(log, e);
      failed = true;
    }
  }
  if (!o.nvmeOnly) {
    log.info(`${reset ? 'Resetting' : 'Preparing'} locally-attached SCM...`);
    try {
      if (!o.force && (await scm.prepareNeedsConsent(reset))) {
        process.stdout.write(
          'Memory allocation goals for SCM will be changed and namespaces modified. This\nwill be a destructive operation. Ensure namespaces are unmounted and the SCM\nis otherwise unused.\n',
        );
        if (!(await confirm('Are you sure you want to continue? (yes/no) '))) {
          throw controlFaults.consent();
        }
      }
      for (const line of scmPrepareLines(await scm.prepare(reset))) log.info(line);
    } catch (e) {
      printFault(log, e);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function runNetworkScan(g: GlobalOpts, o: { provider?: string; all?: boolean }, log: Logger): number {
  let provider = '';
  if (o.all) log.info('Scanning fabric for all providers');
  else if (o.provider) {
    provider = o.provider;
    log.info(`Scanning fabric for cmdline specified provider: ${provider}`);
  } else {
    let cfgProvider = '';
    try {
      cfgProvider = loadConfig(g, log).provider;
    } catch (e) {
      log.debug(`no usable config (${errorMessage(e)}); scanning all providers`);
    }
    if (cfgProvider) {
      provider = cfgProvider;
      log.info(`Scanning fabric for YML specified provider: ${provider}`);
    } else log.info('Scanning fabric for all providers');
  }
  const devs = scanFabric(provider);
  log.info(`Fabric scan found ${devs.length} devices matching the provider spec: ${provider || 'All'}`);
  let out = '';
  for (const d of devs) out += `\n\tfabric_iface: ${d.device}\n\tprovider: ${d.provider}\n\tpinned_numa_node: ${d.numaNode}\n`;
  process.stdout.write(out + '\n');
  return 0;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  process.title = 'daos_server';
  let log = new Logger([{ sink: new TerminalSink(), level: 'info' }]);
  let code = 0;
  const program = new Command('daos_server')
    .description('DAOS control server: one per storage node; also scans and prepares local storage and network.')
    .option('-o, --config <file>', 'server config file (default /etc/daos/daos_server.yml)')
    .option('-b, --debug', 'debug logging')
    .option('-j, --json', 'JSON log lines')
    .option('--allow-proxy', 'keep http_proxy and friends in the environment')
    .hook('preAction', (cmd) => {
      const g = cmd.opts() as GlobalOpts;
      log = makeLogger(g);
      if (!g.allowProxy) {
        for (const k of ['http_proxy', 'https_proxy', 'ftp_proxy', 'socks_proxy', 'no_proxy']) {
          delete process.env[k];
          delete process.env[k.toUpperCase()];
        }
      }
    });
  const g = () => program.opts() as GlobalOpts;

  program
    .command('start')
    .description('Start the control server; it formats nothing by itself and starts the I/O servers once storage is formatted')
    .option('-p, --port <port>', "control port (overrides 'port')")
    .option('-s, --storage <path>', "SCM mount of the first I/O server (overrides servers[0].scm_mount)")
    .option('-m, --modules <list>', 'I/O server module list')
    .option('-t, --targets <n>', "targets per I/O server (overrides 'targets')")
    .option('-x, --xshelpernr <n>', "helper xstreams per target (overrides 'nr_xs_helpers')")
    .option('-f, --firstcore <n>', "first core (overrides 'first_core')")
    .option('-g, --group <name>', "system name (overrides 'name')")
    .option('-d, --socket_dir <dir>', "runtime socket directory (overrides 'socket_dir')")
    .option('-i, --insecure', 'no certificates on the control channels (allow_insecure)')
    .option('--recreate-superblocks', 'write a new superblock on formatted SCM that lacks one')
    .action(async (o: StartOpts) => {
      code = await runStart(g(), o, log);
    });

  const storage = program.command('storage').description('Scan and prepare locally-attached storage');
  storage
    .command('scan')
    .description('Scan locally-attached SCM and NVMe storage')
    .action(async () => {
      code = await runStorageScan(g(), log);
    });
  storage
    .command('prepare')
    .alias('p')
    .description('Prepare SCM (DCPM AppDirect regions/namespaces) and NVMe for DAOS; needs root')
    .option('-w, --pci-whitelist <addrs>', 'whitespace-separated NVMe PCI addresses (default: all)')
    .option('-p, --hugepages <n>', 'hugepages (accepted; not needed by this implementation)')
    .option('-u, --target-user <user>', 'user that will own the devices')
    .option('-n, --nvme-only', 'only NVMe')
    .option('-s, --scm-only', 'only SCM')
    .option('--reset', 'undo the preparation')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (o: PrepareOpts) => {
      code = await runStoragePrepare(g(), o, log);
    });

  const network = program.command('network').description('Inspect the local fabric');
  network
    .command('scan')
    .description('List fabric interfaces and providers usable by the I/O servers')
    .option('-p, --provider <provider>', 'only this provider')
    .option('-a, --all', 'all providers (overrides -p and the config)')
    .action((o: { provider?: string; all?: boolean }) => {
      code = runNetworkScan(g(), o, log);
    });
  network
    .command('list')
    .description('List the supported fabric providers')
    .action(() => {
      process.stdout.write(`Supported providers:\n\t${SUPPORTED_PROVIDERS.join(', ')}\n`);
    });

  program
    .command('version')
    .description('Print the version')
    .action(() => {
      process.stdout.write(`daos_server version ${DAOS_VERSION}\n`);
    });

  program.exitOverride();
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      process.stderr.write('ERROR: daos_server: a command is required (start, storage, network, version)\n');
      return 1;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return e.exitCode || 1;
    }
    printFault(log, e);
    return 1;
  }
}
