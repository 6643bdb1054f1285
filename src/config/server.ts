/**
 * daos_server.yml: strict parse → defaults and push-down → `daos_server start`
 * overrides → cross-field validation → active copy. Keys are the v0.8 keys
 * (reference §1.2), snake_case in the file, camelCase in ServerConfig.
 *
 * Precedence: defaults < file < command-line flags.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { Fault } from '../fault/fault.js';
import { parseLogLevel, type LogLevel, type Logger } from '../logging/logger.js';
import {
  ACCEPTED_PROVIDERS,
  accessPointCount,
  badAccessPoint,
  badBdevDevice,
  badEnvVar,
  badLogMask,
  badPort,
  badRange,
  badSystemName,
  bdevDuplicateEntry,
  bdevEmptyEntry,
  bdevExcluded,
  bdevNotIncluded,
  bdevListNotUsed,
  bdevNeedsValue,
  configBadChoice,
  configFileNotFound,
  configFileUnreadable,
  duplicateRank,
  missingServerKey,
  notAbsolutePath,
  rankOutOfRange,
  scmDcpmNeedsOneDevice,
  scmKeyNotUsed,
  scmRamNeedsSize,
  sharedBdevDevice,
  sharedFabric,
  sharedScmDevice,
  sharedScmMount,
  throwProblems,
  unsupportedProvider,
  type Program,
  type Src,
} from './faults.js';
import { checkSchema, parseYaml, ProblemList } from './strict_yaml.js';
import type { BdevClass, IOServerConfig, ScmClass, ServerConfig, ServerOverrides, TransportConfig } from './types.js';

export const DEFAULT_SERVER_CONFIG_PATH = '/etc/daos/daos_server.yml';
/** Name of the active copy written next to the config file (or in the temp dir). */
export const ACTIVE_CONFIG_NAME = '.daos_server.active.yml';

export const SCM_CLASSES: readonly ScmClass[] = ['ram', 'dcpm', 'dir'];
export const BDEV_CLASSES: readonly BdevClass[] = ['nvme', 'malloc', 'kdev', 'file'];
export const MAX_TARGETS = 64;
export const MAX_XS_HELPERS = 2;
export const MAX_RANK = 4294967294;

export const SERVER_DEFAULTS = {
  name: 'daos_server',
  port: 10001,
  provider: 'ofi+sockets',
  socketDir: '/var/run/daos_server',
  controlLogMask: 'info' as LogLevel,
  nrHugepages: 4096,
  targets: 1,
  // NB: v0.8 used 0 when the key was absent although its template documents 2; we use 2.
  nrXsHelpers: 2,
  firstCore: 0,
  logMask: 'ERR',
  scmSize: 0,
  bdevClass: 'nvme' as BdevClass,
} as const;

export function defaultServerTransport(): TransportConfig {
  return {
    allowInsecure: false,
    serverName: 'server',
    clientCertDir: '/etc/daos/certs/clients',
    caCert: '/etc/daos/certs/daosCA.crt',
    cert: '/etc/daos/certs/server.crt',
    key: '/etc/daos/certs/server.key',
  };
}

// ---- schema ------------------------------------------------------------------------
// Types only: ranges and cross-field rules are checked by validateServerConfig so
// that they also apply to values given on the command line. A key left blank
// (`provider:`) is null and means "not set".

const str = z.string().nullish();
const int = z.int().nullish();
const uint = z.int().nonnegative().nullish();
const bool = z.boolean().nullish();
const strList = z.array(z.string()).nullish();

export const transportSchema = z.strictObject({
  allow_insecure: bool,
  server_name: str,
  client_cert_dir: str,
  ca_cert: str,
  cert: str,
  key: str,
});

export const ioServerSchema = z.strictObject({
  rank: int,
  targets: uint,
  first_core: uint,
  nr_xs_helpers: uint,
  fabric_iface: str,
  fabric_iface_port: int,
  provider: str,
  pinned_numa_node: uint,
  log_mask: str,
  log_file: str,
  env_vars: strList,
  scm_mount: str,
  scm_class: z.enum(['ram', 'dcpm', 'dir']),
  scm_size: uint,
  scm_list: strList,
  bdev_class: z.enum(['nvme', 'malloc', 'kdev', 'file', '']).nullish(),
  bdev_list: strList,
  bdev_size: uint,
  bdev_number: uint,
});

export const serverFileSchema = z.strictObject({
  name: str,
  access_points: strList,
  port: int,
  transport_config: transportSchema.nullish(),
  servers: z.array(ioServerSchema).nullish(),
  provider: str,
  fabric_iface: str,
  fabric_iface_port: int,
  socket_dir: str,
  bdev_include: strList,
  bdev_exclude: strList,
  nr_hugepages: uint,
  control_log_mask: str,
  control_log_file: str,
  control_log_json: bool,
  helper_log_file: str,
  user_name: str,
  group_name: str,
  recreate_superblocks: bool,
  fault_path: str,
  fault_cb: str,
  hyperthreads: bool,
  modules: str,
});

type RawServerFile = z.infer<typeof serverFileSchema>;
type RawIOServer = z.infer<typeof ioServerSchema>;

/** Keys allowed at a key path (for "did you mean" suggestions). */
function serverKnownKeys(p: readonly PropertyKey[]): readonly string[] {
  if (p.length === 0) return Object.keys(serverFileSchema.shape);
  if (p[0] === 'transport_config') return Object.keys(transportSchema.shape);
  if (p[0] === 'servers') return Object.keys(ioServerSchema.shape);
  return [];
}

/** Every key of the server file, top level and per server (documentation tests use it). */
export const SERVER_KEYS = {
  top: Object.keys(serverFileSchema.shape),
  transport: Object.keys(transportSchema.shape),
  server: Object.keys(ioServerSchema.shape),
} as const;

// ---- parse --------------------------------------------------------------------------

/** Configs whose access point was defaulted (no `access_points` key): `-p` moves it. */
const defaultedAccessPoints = new WeakSet<ServerConfig>();

/**
 * Parse daos_server.yml text strictly and apply the defaults and push-down.
 * Throws a config fault (one, or one listing several) naming keys and lines.
 */
export function parseServerConfig(text: string, file: string): ServerConfig {
  const abs = path.resolve(file);
  const problems = new ProblemList();
  const { located, value } = parseYaml(text, abs, problems);
  const raw = checkSchema(located, value, serverFileSchema, serverKnownKeys, problems);
  let controlLogMask: LogLevel = SERVER_DEFAULTS.controlLogMask;
  // NB: 'servers' may be blank, empty or absent, as the deployment guide has it
  // at first start: daos_server then runs the control plane only (no I/O servers).
  if (raw) {
    if (raw.control_log_mask != null) {
      try {
        controlLogMask = parseLogLevel(raw.control_log_mask);
      } catch {
        const line = located.line(['control_log_mask']);
        problems.add(line, badLogMask(abs, line, raw.control_log_mask));
      }
    }
  }
  throwProblems(abs, problems.faults());
  return buildServerConfig(raw!, abs, controlLogMask);
}

function buildServerConfig(raw: RawServerFile, file: string, controlLogMask: LogLevel): ServerConfig {
  const port = raw.port ?? SERVER_DEFAULTS.port;
  const t = raw.transport_config ?? {};
  const dt = defaultServerTransport();
  const provider = raw.provider ?? SERVER_DEFAULTS.provider;
  const cfg: ServerConfig = {
    path: file,
    name: raw.name ?? SERVER_DEFAULTS.name,
    accessPoints: raw.access_points ?? [`localhost:${port}`],
    port,
    provider,
    socketDir: raw.socket_dir ?? SERVER_DEFAULTS.socketDir,
    transport: {
      allowInsecure: t.allow_insecure ?? dt.allowInsecure,
      serverName: t.server_name ?? dt.serverName,
      clientCertDir: t.client_cert_dir ?? dt.clientCertDir,
      caCert: t.ca_cert ?? dt.caCert,
      cert: t.cert ?? dt.cert,
      key: t.key ?? dt.key,
    },
    controlLogMask,
    controlLogFile: raw.control_log_file ?? '',
    controlLogJson: raw.control_log_json ?? false,
    helperLogFile: raw.helper_log_file ?? '',
    nrHugepages: raw.nr_hugepages ?? SERVER_DEFAULTS.nrHugepages,
    bdevInclude: raw.bdev_include ?? [],
    bdevExclude: raw.bdev_exclude ?? [],
    userName: raw.user_name ?? '',
    groupName: raw.group_name ?? '',
    recreateSuperblocks: raw.recreate_superblocks ?? false,
    faultPath: raw.fault_path ?? '',
    faultCb: raw.fault_cb ?? '',
    hyperthreads: raw.hyperthreads ?? false,
    servers: [],
  };
  if (raw.fabric_iface != null) cfg.fabricIface = raw.fabric_iface;
  if (raw.fabric_iface_port != null) cfg.fabricIfacePort = raw.fabric_iface_port;
  if (raw.modules != null) cfg.modules = raw.modules;
  cfg.servers = (raw.servers ?? []).map((s, i) => buildIOServer(s, i, cfg));
  if (raw.access_points == null) defaultedAccessPoints.add(cfg);
  pushDown(cfg);
  return cfg;
}

function buildIOServer(s: RawIOServer, index: number, top: ServerConfig): IOServerConfig {
  const io: IOServerConfig = {
    index,
    targets: s.targets ?? SERVER_DEFAULTS.targets,
    nrXsHelpers: s.nr_xs_helpers ?? SERVER_DEFAULTS.nrXsHelpers,
    firstCore: s.first_core ?? SERVER_DEFAULTS.firstCore,
    // provider, fabric_iface and fabric_iface_port fill only servers lacking them.
    fabricIface: s.fabric_iface ?? top.fabricIface ?? '',
    fabricIfacePort: s.fabric_iface_port ?? top.fabricIfacePort ?? 0,
    provider: s.provider ?? top.provider,
    logMask: s.log_mask ?? SERVER_DEFAULTS.logMask,
    logFile: s.log_file ?? '',
    envVars: s.env_vars ?? [],
    scm: {
      mountPoint: s.scm_mount ?? '',
      class: s.scm_class,
      ramSizeGB: s.scm_size ?? SERVER_DEFAULTS.scmSize,
      deviceList: s.scm_list ?? [],
    },
    bdev: {
      class: s.bdev_class ? s.bdev_class : SERVER_DEFAULTS.bdevClass,
      deviceList: s.bdev_list ?? [],
      sizeGB: s.bdev_size ?? 0,
      number: s.bdev_number ?? 0,
    },
    systemName: top.name,
    socketDir: top.socketDir,
  };
  if (s.rank != null) io.rank = s.rank;
  if (s.pinned_numa_node != null) io.pinnedNumaNode = s.pinned_numa_node;
  return io;
}

/** Top-level name, socket_dir and modules overwrite the per-server values. */
function pushDown(cfg: ServerConfig): void {
  for (const s of cfg.servers) {
    s.systemName = cfg.name;
    s.socketDir = cfg.socketDir;
    if (cfg.modules === undefined) delete s.modules;
    else s.modules = cfg.modules;
  }
}

// ---- the file on disk -------------------------------------------------------------

/**
 * The absolute path of the server config for `-o <path>` (or the default when
 * absent). A relative path resolves against `cwd`.
 * NB: v0.8 resolved relative paths against the install root; we use the CWD,
 * as every other command-line tool does.
 * Throws ConfigFileNotFound when the file does not exist.
 */
export function resolveServerConfigPath(flag?: string, cwd: string = process.cwd()): string {
  return resolveExisting('daos_server', flag ?? DEFAULT_SERVER_CONFIG_PATH, cwd, 'daos_server.yml');
}

/** Resolve `p` against `cwd` and require an existing file (shared with the client configs). */
export function resolveExisting(prog: Program, p: string, cwd: string, template: string): string {
  const abs = path.resolve(cwd, p);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw configFileNotFound(prog, abs, template);
    throw withCause(configFileUnreadable(abs, (e as Error).message), e);
  }
  if (!st.isFile()) throw configFileUnreadable(abs, 'not a regular file');
  return abs;
}

/** Read a config file as text, as a fault when it cannot be read. */
export function readConfigText(abs: string): string {
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw withCause(configFileUnreadable(abs, (e as Error).message), e);
  }
}

function withCause(f: Fault, cause: unknown): Fault {
  Object.defineProperty(f, 'cause', { value: cause, enumerable: false });
  return f;
}

/** Load, parse and default a server config (`-o` semantics for relative paths). */
export function loadServerConfig(p: string = DEFAULT_SERVER_CONFIG_PATH): ServerConfig {
  const abs = resolveServerConfigPath(p);
  return parseServerConfig(readConfigText(abs), abs);
}

// ---- overrides ------------------------------------------------------------------------

/**
 * Apply `daos_server start` flags (reference §1.1) in place and return cfg.
 * -p, -t and -f only apply when > 0; -x applies to every server whatever its
 * value (validation refuses > 2 rather than clamping); -s sets servers[0]
 * only; -g, -d and -m are pushed down to every server.
 * NB: --recreate-superblocks and -i only turn their setting on; without the
 * flag the file's value stays (v0.8 overwrote the file's value with false).
 */
export function applyOverrides(cfg: ServerConfig, o: ServerOverrides): ServerConfig {
  if (o.port !== undefined && o.port > 0) {
    cfg.port = o.port;
    if (defaultedAccessPoints.has(cfg)) cfg.accessPoints = [`localhost:${o.port}`];
  }
  if (o.storage !== undefined && o.storage !== '' && cfg.servers[0]) cfg.servers[0].scm.mountPoint = o.storage;
  if (o.modules !== undefined) cfg.modules = o.modules;
  for (const s of cfg.servers) {
    if (o.targets !== undefined && o.targets > 0) s.targets = o.targets;
    if (o.xsHelpers !== undefined) s.nrXsHelpers = o.xsHelpers;
    if (o.firstCore !== undefined && o.firstCore > 0) s.firstCore = o.firstCore;
  }
  if (o.group !== undefined && o.group !== '') cfg.name = o.group;
  if (o.socketDir !== undefined && o.socketDir !== '') cfg.socketDir = o.socketDir;
  if (o.insecure) cfg.transport.allowInsecure = true;
  if (o.recreateSuperblocks) cfg.recreateSuperblocks = true;
  pushDown(cfg);
  return cfg;
}

// ---- validation -------------------------------------------------------------------------

const NAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const PCI_RE = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-9a-fA-F])$/;

/**
 * Split an access point (`host`, `host:port`, `[v6]:port`) and add the default
 * port. Returns the normalised `host:port` or the reason it is refused.
 */
export function normaliseAccessPoint(entry: string, defaultPort: number): { value: string } | { error: string } {
  const e = entry.trim();
  if (e === '') return { error: 'the entry is empty' };
  let host: string;
  let portText: string | undefined;
  if (e.startsWith('[')) {
    const end = e.indexOf(']');
    if (end < 0) return { error: "missing ']' after the IPv6 address" };
    host = e.slice(1, end);
    const rest = e.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { error: `unexpected ${JSON.stringify(rest)} after the address` };
      portText = rest.slice(1);
    }
  } else {
    const colons = e.split(':').length - 1;
    if (colons === 1) {
      host = e.slice(0, e.indexOf(':'));
      portText = e.slice(e.indexOf(':') + 1);
    } else {
      host = e; // a bare name, or a bare IPv6 address
    }
  }
  if (host === '') return { error: 'the host is empty' };
  if (/[\s/]/.test(host)) return { error: `${JSON.stringify(host)} is not a host name or address` };
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) return { error: `port ${JSON.stringify(portText)} is not a number` };
    port = Number(portText);
  }
  if (port < 1 || port > 65535) return { error: `port ${port} is not valid` };
  return { value: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

/** Refuse a provider other than the TCP ones we implement. */
function checkProvider(src: Src, key: string, provider: string, out: Fault[]): void {
  if (!(ACCEPTED_PROVIDERS as readonly string[]).includes(provider)) out.push(unsupportedProvider(src, key, provider));
}

function checkAbsolute(src: Src, key: string, value: string, out: Fault[], flag = ''): void {
  if (value !== '' && !path.isAbsolute(value)) out.push(notAbsolutePath(src, key, value, flag));
}

/** Shared by the server and client configs: name, port and access points. */
export function checkCommon(
  src: Src,
  c: { name: string; port: number; accessPoints: string[] },
  out: Fault[],
  opts: { exactlyOneAccessPoint: boolean; portFlag: string },
): void {
  if (!NAME_RE.test(c.name)) out.push(badSystemName(src, c.name));
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) out.push(badPort(src, 'port', c.port, opts.portFlag));
  const n = c.accessPoints.length;
  if (opts.exactlyOneAccessPoint ? n !== 1 : n < 1) out.push(accessPointCount(src, n));
  const normalised: string[] = [];
  for (const ap of c.accessPoints) {
    const r = normaliseAccessPoint(ap, c.port >= 1 && c.port <= 65535 ? c.port : SERVER_DEFAULTS.port);
    if ('error' in r) out.push(badAccessPoint(src, 'access_points', ap, r.error));
    else normalised.push(r.value);
  }
  if (normalised.length === c.accessPoints.length) c.accessPoints = normalised;
}

function normDevice(cls: BdevClass, dev: string): string {
  if (cls !== 'nvme') return path.resolve('/', dev);
  // bdev_include / bdev_exclude may use the short form BB:DD.F for domain 0000.
  const d = dev.trim().toLowerCase();
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(d) ? `0000:${d}` : d;
}

function within(parent: string, child: string): boolean {
  return parent === child || child.startsWith(parent.endsWith('/') ? parent : parent + '/');
}

function checkIOServer(src: Src, cfg: ServerConfig, s: IOServerConfig, out: Fault[]): void {
  const i = s.index;
  const k = (key: string) => `servers[${i}].${key}`;
  if (s.rank !== undefined && (!Number.isInteger(s.rank) || s.rank < 0 || s.rank > MAX_RANK)) out.push(rankOutOfRange(src, i, s.rank));
  if (!Number.isInteger(s.targets) || s.targets < 1 || s.targets > MAX_TARGETS) {
    out.push(badRange(src, k('targets'), s.targets, 1, MAX_TARGETS, '-t'));
  }
  if (!Number.isInteger(s.nrXsHelpers) || s.nrXsHelpers < 0 || s.nrXsHelpers > MAX_XS_HELPERS) {
    out.push(badRange(src, k('nr_xs_helpers'), s.nrXsHelpers, 0, MAX_XS_HELPERS, '-x'));
  }
  if (s.fabricIface === '') {
    out.push(
      missingServerKey(src, k('fabric_iface'), "the data-plane network interface (e.g. eth0 or lo, see 'daos_server network scan') here or at the top level,", ''),
    );
  }
  if (s.fabricIfacePort === 0) {
    out.push(missingServerKey(src, k('fabric_iface_port'), 'the data-plane TCP port (e.g. 31416) here or at the top level,', ''));
  } else if (!Number.isInteger(s.fabricIfacePort) || s.fabricIfacePort < 1 || s.fabricIfacePort > 65535) {
    out.push(badPort(src, k('fabric_iface_port'), s.fabricIfacePort, ''));
  }
  // A provider inherited from the top level is reported once, there.
  if (s.provider !== cfg.provider) checkProvider(src, k('provider'), s.provider, out);
  checkAbsolute(src, k('log_file'), s.logFile, out);
  s.envVars.forEach((v, j) => {
    if (!(v.indexOf('=') > 0)) out.push(badEnvVar(src, i, j, v));
  });

  // SCM
  const scm = s.scm;
  if (scm.mountPoint === '') {
    out.push(missingServerKey(src, k('scm_mount'), 'the absolute path where this server mounts its SCM (e.g. /mnt/daos0)', i === 0 ? '-s' : ''));
  } else {
    checkAbsolute(src, k('scm_mount'), scm.mountPoint, out, i === 0 ? '-s' : '');
  }
  switch (scm.class) {
    case 'ram':
      if (!(scm.ramSizeGB >= 1)) out.push(scmRamNeedsSize(src, i, scm.ramSizeGB));
      if (scm.deviceList.length > 0) out.push(scmKeyNotUsed(src, k('scm_list'), 'ram', 'uses no device (it mounts a tmpfs)'));
      break;
    case 'dcpm':
      if (scm.deviceList.length !== 1) out.push(scmDcpmNeedsOneDevice(src, i, scm.deviceList.length));
      if (scm.ramSizeGB > 0) out.push(scmKeyNotUsed(src, k('scm_size'), 'dcpm', 'takes its size from the pmem device'));
      scm.deviceList.forEach((d, j) => checkAbsolute(src, `${k('scm_list')}[${j}]`, d, out));
      break;
    case 'dir':
      if (scm.deviceList.length > 0) out.push(scmKeyNotUsed(src, k('scm_list'), 'dir', 'uses no device (an existing directory stands in for the mount)'));
      break;
    default:
      out.push(configBadChoice(src.file, 0, k('scm_class'), String(scm.class), [...SCM_CLASSES]));
  }

  // block devices
  const b = s.bdev;
  if (!BDEV_CLASSES.includes(b.class)) {
    out.push(configBadChoice(src.file, 0, k('bdev_class'), String(b.class), [...BDEV_CLASSES]));
    return;
  }
  const seen = new Set<string>();
  const exclude = new Set(cfg.bdevExclude.map((d) => normDevice(b.class, d)));
  // bdev_include lists NVMe PCI addresses: with it, an nvme bdev_list entry must be one of them.
  const include = b.class === 'nvme' && cfg.bdevInclude.length > 0 ? new Set(cfg.bdevInclude.map((d) => normDevice(b.class, d))) : undefined;
  b.deviceList.forEach((dev, j) => {
    const key = `${k('bdev_list')}[${j}]`;
    if (dev.trim() === '') {
      out.push(bdevEmptyEntry(src, i, j));
      return;
    }
    switch (b.class) {
      case 'nvme': {
        const m = PCI_RE.exec(dev);
        if (!m || parseInt(m[3]!, 16) > 0x1f || parseInt(m[4]!, 16) > 7) {
          out.push(badBdevDevice(src, key, dev, 'nvme', 'a PCI address DDDD:BB:DD.F such as "0000:81:00.0" (see dmg storage scan)'));
        }
        break;
      }
      case 'kdev':
        if (!path.isAbsolute(dev) || !dev.startsWith('/dev/') || dev.length <= 5) {
          out.push(badBdevDevice(src, key, dev, 'kdev', 'the absolute path of a kernel block device such as /dev/sdb'));
        }
        break;
      case 'file':
        checkAbsolute(src, key, dev, out);
        break;
      case 'malloc':
        break;
    }
    const norm = normDevice(b.class, dev);
    if (seen.has(norm)) out.push(bdevDuplicateEntry(src, i, dev));
    seen.add(norm);
    if (exclude.has(norm)) out.push(bdevExcluded(src, i, dev));
    else if (include && !include.has(norm)) out.push(bdevNotIncluded(src, i, dev));
  });
  if (b.class === 'file' && b.deviceList.length > 0 && !(b.sizeGB >= 1)) {
    out.push(bdevNeedsValue(src, k('bdev_size'), b.sizeGB, 'file', 'size of each file in GB'));
  }
  if (b.class === 'malloc') {
    if (b.deviceList.length > 0) out.push(bdevListNotUsed(src, i, 'malloc'));
    if (!(b.number >= 1)) out.push(bdevNeedsValue(src, k('bdev_number'), b.number, 'malloc', 'number of memory devices'));
    if (!(b.sizeGB >= 1)) out.push(bdevNeedsValue(src, k('bdev_size'), b.sizeGB, 'malloc', 'size of each memory device in GB'));
  }
}

/** Conflicts between two I/O servers of the same host. */
function checkPairs(src: Src, servers: IOServerConfig[], out: Fault[]): void {
  for (let x = 0; x < servers.length; x++) {
    for (let y = x + 1; y < servers.length; y++) {
      const a = servers[x]!;
      const b = servers[y]!;
      if (a.rank !== undefined && a.rank === b.rank) out.push(duplicateRank(src, a.index, b.index, a.rank));
      const ma = a.scm.mountPoint;
      const mb = b.scm.mountPoint;
      if (path.isAbsolute(ma) && path.isAbsolute(mb)) {
        const ra = path.resolve(ma);
        const rb = path.resolve(mb);
        if (within(ra, rb)) out.push(sharedScmMount(src, a.index, b.index, ma, mb));
        else if (within(rb, ra)) out.push(sharedScmMount(src, b.index, a.index, mb, ma));
      }
      if (a.fabricIface !== '' && a.fabricIfacePort !== 0 && a.fabricIface === b.fabricIface && a.fabricIfacePort === b.fabricIfacePort) {
        out.push(sharedFabric(src, a.index, b.index, a.fabricIface, a.fabricIfacePort));
      }
      const scmB = new Set(b.scm.deviceList.map((d) => path.resolve('/', d)));
      for (const d of a.scm.deviceList) if (d !== '' && scmB.has(path.resolve('/', d))) out.push(sharedScmDevice(src, a.index, b.index, d));
      const bdevB = new Set(b.bdev.deviceList.filter((d) => d.trim() !== '').map((d) => normDevice(b.bdev.class, d)));
      const reported = new Set<string>();
      for (const d of a.bdev.deviceList) {
        if (d.trim() === '') continue;
        const n = normDevice(a.bdev.class, d);
        if (bdevB.has(n) && !reported.has(n)) {
          reported.add(n);
          out.push(sharedBdevDevice(src, a.index, b.index, d));
        }
      }
    }
  }
}

/**
 * Check the defaulted, overridden config across fields. Collects every
 * problem and throws one fault (or one listing several, see problemsOf).
 * NB: normalises `accessPoints` in place to `host:port` when they are valid.
 */
export function validateServerConfig(cfg: ServerConfig): void {
  const file = cfg.path || DEFAULT_SERVER_CONFIG_PATH;
  const src: Src = { file, prog: 'daos_server' };
  const out: Fault[] = [];
  checkCommon(src, cfg, out, { exactlyOneAccessPoint: true, portFlag: '-p' });
  checkProvider(src, 'provider', cfg.provider, out);
  const logLevels: readonly string[] = ['disabled', 'error', 'notice', 'info', 'debug'];
  if (!logLevels.includes(cfg.controlLogMask)) out.push(badLogMask(file, 0, String(cfg.controlLogMask)));
  checkAbsolute(src, 'socket_dir', cfg.socketDir, out, '-d');
  if (cfg.socketDir === '') out.push(notAbsolutePath(src, 'socket_dir', '', '-d'));
  checkAbsolute(src, 'control_log_file', cfg.controlLogFile, out);
  checkAbsolute(src, 'helper_log_file', cfg.helperLogFile, out);
  if (cfg.fabricIfacePort !== undefined && cfg.fabricIfacePort !== 0 && (cfg.fabricIfacePort < 1 || cfg.fabricIfacePort > 65535)) {
    out.push(badPort(src, 'fabric_iface_port', cfg.fabricIfacePort, ''));
  }
  for (const s of cfg.servers) checkIOServer(src, cfg, s, out);
  checkPairs(src, cfg.servers, out);
  throwProblems(file, out);
}

// ---- active config ------------------------------------------------------------------------

/** The config as a plain object with the file's snake_case keys (what the active copy holds). */
export function serverConfigToRaw(cfg: ServerConfig): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    name: cfg.name,
    access_points: [...cfg.accessPoints],
    port: cfg.port,
    transport_config: {
      allow_insecure: cfg.transport.allowInsecure,
      server_name: cfg.transport.serverName,
      client_cert_dir: cfg.transport.clientCertDir,
      ca_cert: cfg.transport.caCert,
      cert: cfg.transport.cert,
      key: cfg.transport.key,
    },
    provider: cfg.provider,
  };
  if (cfg.fabricIface !== undefined) raw.fabric_iface = cfg.fabricIface;
  if (cfg.fabricIfacePort !== undefined) raw.fabric_iface_port = cfg.fabricIfacePort;
  Object.assign(raw, {
    socket_dir: cfg.socketDir,
    bdev_include: [...cfg.bdevInclude],
    bdev_exclude: [...cfg.bdevExclude],
    nr_hugepages: cfg.nrHugepages,
    control_log_mask: cfg.controlLogMask.toUpperCase(),
    control_log_file: cfg.controlLogFile,
    control_log_json: cfg.controlLogJson,
    helper_log_file: cfg.helperLogFile,
    user_name: cfg.userName,
    group_name: cfg.groupName,
    recreate_superblocks: cfg.recreateSuperblocks,
    fault_path: cfg.faultPath,
    fault_cb: cfg.faultCb,
    hyperthreads: cfg.hyperthreads,
  });
  if (cfg.modules !== undefined) raw.modules = cfg.modules;
  raw.servers = cfg.servers.map((s) => {
    const o: Record<string, unknown> = {};
    if (s.rank !== undefined) o.rank = s.rank;
    Object.assign(o, {
      targets: s.targets,
      first_core: s.firstCore,
      nr_xs_helpers: s.nrXsHelpers,
      fabric_iface: s.fabricIface,
      fabric_iface_port: s.fabricIfacePort,
      provider: s.provider,
    });
    if (s.pinnedNumaNode !== undefined) o.pinned_numa_node = s.pinnedNumaNode;
    Object.assign(o, {
      log_mask: s.logMask,
      log_file: s.logFile,
      env_vars: [...s.envVars],
      scm_mount: s.scm.mountPoint,
      scm_class: s.scm.class,
      scm_size: s.scm.ramSizeGB,
      scm_list: [...s.scm.deviceList],
      bdev_class: s.bdev.class,
      bdev_list: [...s.bdev.deviceList],
      bdev_size: s.bdev.sizeGB,
      bdev_number: s.bdev.number,
    });
    return o;
  });
  return raw;
}

/** The active copy as YAML text. */
export function serverConfigToYaml(cfg: ServerConfig): string {
  const header =
    `# Active configuration of daos_server, written at start from ${cfg.path || '(defaults)'}\n` +
    `# after defaults and command-line flags were applied. Read-only: edit the config file instead.\n`;
  return header + stringify(serverConfigToRaw(cfg));
}

/** Mode of the active copy: read-only for everyone, as its header says. */
export const ACTIVE_CONFIG_MODE = 0o444;

/**
 * Write the active config to `<dir of config>/.daos_server.active.yml` (mode
 * 0444), or to `<tmpdir>/.daos_server.active.yml` when that fails. Returns the
 * path written, or '' when neither could be written (a warning is logged).
 * NB: written to a staging file and renamed over the previous copy, so a
 * read-only copy from the last start is replaced even when not root.
 */
export function writeActiveConfig(cfg: ServerConfig, log: Logger, tmpDir: string = os.tmpdir()): string {
  const text = serverConfigToYaml(cfg);
  const candidates = [...(cfg.path ? [path.join(path.dirname(cfg.path), ACTIVE_CONFIG_NAME)] : []), path.join(tmpDir, ACTIVE_CONFIG_NAME)];
  const errors: string[] = [];
  for (const p of candidates) {
    const staging = `${p}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(staging, text, { mode: ACTIVE_CONFIG_MODE });
      fs.chmodSync(staging, ACTIVE_CONFIG_MODE);
      fs.renameSync(staging, p);
      log.debug(`Active config saved to ${p} (read-only)`);
      return p;
    } catch (e) {
      fs.rmSync(staging, { force: true });
      errors.push(`${p}: ${(e as Error).message}`);
    }
  }
  log.notice(`warning: active config could not be saved (${errors.join('; ')})`);
  return '';
}
