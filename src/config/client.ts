/**
 * Client configs: dmg's daos_control.yml (v0.8 called it daos.yml; its keys
 * are accepted) and daos_agent.yml. v0.8 used one struct for both, so both
 * files accept the same keys; each program uses the ones it needs. Parsed as
 * strictly as the server config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Fault } from '../fault/fault.js';
import type { Logger } from '../logging/logger.js';
import { configBadType, notAbsolutePath, throwProblems, type Program, type Src } from './faults.js';
import { checkCommon, readConfigText, resolveExisting, transportSchema, SERVER_DEFAULTS } from './server.js';
import { checkSchema, parseYaml, ProblemList } from './strict_yaml.js';
import type { ClientConfig, TransportConfig } from './types.js';

export type ClientProgram = Extract<Program, 'dmg' | 'daos_agent'>;

export const DEFAULT_AGENT_CONFIG_PATH = '/etc/daos/daos_agent.yml';

/** Where dmg looks for its config without -o, first found wins (v0.8's daos.yml last). */
export function dmgConfigSearchPaths(home: string = os.homedir()): string[] {
  return [path.join(home, '.daos_control.yml'), '/etc/daos/daos_control.yml', '/etc/daos/daos.yml'];
}

const str = z.string().nullish();

export const clientFileSchema = z.strictObject({
  name: str,
  access_points: z.array(z.string()).nullish(),
  port: z.int().nullish(),
  hostlist: z.array(z.string()).nullish(),
  runtime_dir: str,
  log_file: str,
  transport_config: transportSchema.nullish(),
  // v0.8 keys, accepted and unused.
  host_file: str,
  log_file_format: str,
});

function clientKnownKeys(p: readonly PropertyKey[]): readonly string[] {
  if (p.length === 0) return Object.keys(clientFileSchema.shape);
  if (p[0] === 'transport_config') return Object.keys(transportSchema.shape);
  return [];
}

export const CLIENT_KEYS = {
  top: Object.keys(clientFileSchema.shape),
  transport: Object.keys(transportSchema.shape),
} as const;

export function defaultClientTransport(prog: ClientProgram): TransportConfig {
  const leaf = prog === 'dmg' ? 'admin' : 'agent';
  return {
    allowInsecure: false,
    serverName: 'server',
    clientCertDir: '',
    caCert: '/etc/daos/certs/daosCA.crt',
    cert: `/etc/daos/certs/${leaf}.crt`,
    key: `/etc/daos/certs/${leaf}.key`,
  };
}

/**
 * The config used when no file is found. NB: the default host list and
 * access point follow `port` (v0.8 kept localhost:10001 whatever the port).
 */
export function defaultClientConfig(prog: ClientProgram, port: number = SERVER_DEFAULTS.port): ClientConfig {
  return {
    path: '',
    name: SERVER_DEFAULTS.name,
    accessPoints: [`localhost:${port}`],
    port,
    hostlist: [`localhost:${port}`],
    hostlistGiven: false,
    runtimeDir: '/var/run/daos_agent',
    logFile: '/tmp/daos_agent.log',
    transport: defaultClientTransport(prog),
  };
}

/** Parse a client config strictly and apply the defaults (a partial transport_config overlays them). */
export function parseClientConfig(text: string, file: string, prog: ClientProgram): ClientConfig {
  const abs = path.resolve(file);
  const problems = new ProblemList();
  const { located, value } = parseYaml(text, abs, problems);
  const raw = checkSchema(located, value, clientFileSchema, clientKnownKeys, problems);
  throwProblems(abs, problems.faults());
  const r = raw!;
  const port = r.port ?? SERVER_DEFAULTS.port;
  // An invalid port is refused by validation, once, for 'port': the defaults keep a valid one.
  const d = defaultClientConfig(prog, port >= 1 && port <= 65535 ? port : SERVER_DEFAULTS.port);
  const t = r.transport_config ?? {};
  return {
    path: abs,
    name: r.name ?? d.name,
    accessPoints: r.access_points ?? d.accessPoints,
    port,
    hostlist: r.hostlist ?? d.hostlist,
    hostlistGiven: r.hostlist != null,
    runtimeDir: r.runtime_dir ?? d.runtimeDir,
    logFile: r.log_file ?? d.logFile,
    transport: {
      allowInsecure: t.allow_insecure ?? d.transport.allowInsecure,
      serverName: t.server_name ?? d.transport.serverName,
      clientCertDir: t.client_cert_dir ?? d.transport.clientCertDir,
      caCert: t.ca_cert ?? d.transport.caCert,
      cert: t.cert ?? d.transport.cert,
      key: t.key ?? d.transport.key,
    },
  };
}

/**
 * Check a client config: name, port, at least one access point (normalised to
 * host:port in place), absolute runtime_dir and log_file, non-empty hostlist
 * entries (their patterns are expanded and checked by the hostlist library).
 */
export function validateClientConfig(cfg: ClientConfig, prog: ClientProgram): void {
  const file = cfg.path || (prog === 'dmg' ? 'daos_control.yml' : DEFAULT_AGENT_CONFIG_PATH);
  const src: Src = { file, prog };
  const out: Fault[] = [];
  checkCommon(src, cfg, out, { exactlyOneAccessPoint: false, portFlag: '' });
  for (const [key, value, flag] of [
    ['runtime_dir', cfg.runtimeDir, prog === 'daos_agent' ? '-s' : ''],
    ['log_file', cfg.logFile, prog === 'daos_agent' ? '-l' : ''],
  ] as const) {
    if (value !== '' && !path.isAbsolute(value)) out.push(notAbsolutePath(src, key, value, flag));
  }
  cfg.hostlist.forEach((h, i) => {
    if (h.trim() === '') out.push(configBadType(file, 0, `hostlist[${i}]`, 'a host list pattern such as "wolf-[71-72]:10001"', 'empty'));
  });
  throwProblems(file, out);
}

function loadFrom(prog: ClientProgram, abs: string): ClientConfig {
  const cfg = parseClientConfig(readConfigText(abs), abs, prog);
  validateClientConfig(cfg, prog);
  return cfg;
}

export interface ClientLoadOptions {
  /** Base of a relative explicit path (default: the CWD). */
  cwd?: string;
  /** Debug messages about which file was used. */
  log?: Logger;
}

/**
 * dmg's config. With `-o <path>` the file must exist. Without it, the first of
 * `~/.daos_control.yml`, `/etc/daos/daos_control.yml`, `/etc/daos/daos.yml`
 * that exists is used; when none does, the defaults are.
 */
export function loadDmgConfig(explicitPath?: string, opts: ClientLoadOptions & { searchPaths?: string[] } = {}): ClientConfig {
  const cwd = opts.cwd ?? process.cwd();
  if (explicitPath !== undefined && explicitPath !== '') {
    return loadFrom('dmg', resolveExisting('dmg', explicitPath, cwd, 'daos_control.yml'));
  }
  for (const p of opts.searchPaths ?? dmgConfigSearchPaths()) {
    if (fs.existsSync(p)) {
      opts.log?.debug(`dmg config: using ${p}`);
      return loadFrom('dmg', resolveExisting('dmg', p, cwd, 'daos_control.yml'));
    }
  }
  opts.log?.debug('No configuration file found; using default values');
  const cfg = defaultClientConfig('dmg');
  validateClientConfig(cfg, 'dmg');
  return cfg;
}

/**
 * daos_agent's config. With `-o <path>` the file must exist; the default
 * /etc/daos/daos_agent.yml may be missing, and then the defaults are used.
 * NB: v0.8's agent refused to start without its default file; we do not.
 */
export function loadAgentConfig(explicitPath?: string, opts: ClientLoadOptions & { defaultPath?: string } = {}): ClientConfig {
  const cwd = opts.cwd ?? process.cwd();
  if (explicitPath !== undefined && explicitPath !== '') {
    return loadFrom('daos_agent', resolveExisting('daos_agent', explicitPath, cwd, 'daos_agent.yml'));
  }
  const p = opts.defaultPath ?? DEFAULT_AGENT_CONFIG_PATH;
  if (fs.existsSync(p)) {
    opts.log?.debug(`daos_agent config: using ${p}`);
    return loadFrom('daos_agent', resolveExisting('daos_agent', p, cwd, 'daos_agent.yml'));
  }
  opts.log?.debug(`No configuration file found at ${p}; using default values`);
  const cfg = defaultClientConfig('daos_agent');
  validateClientConfig(cfg, 'daos_agent');
  return cfg;
}
