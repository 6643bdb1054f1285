/**
 * A one-node DAOS system on loopback for CLI tests: the local example config
 * with its paths moved into a temporary directory and free ports.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, REPO, Background, run, waitFor, type RunResult } from './proc.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export class LocalSystem {
  server?: Background;
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly configPath: string,
  ) {}

  /** Write the config (overrides merged into the top level / servers[0]); does not start anything. */
  /** Certificates (when secure): <dir>/ca from daos_certgen, installed per role under <dir>/certs-<role>. */
  secure = false;

  static async create(over: { top?: Record<string, unknown>; server?: Record<string, unknown>; twoInstances?: boolean; secure?: boolean; keyType?: 'ecdsa' | 'rsa' } = {}): Promise<LocalSystem> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-local-'));
    const port = await freePort();
    const fabricPort = await freePort();
    const cfg = YAML.parse(fs.readFileSync(path.join(REPO, 'utils/config/examples/daos_server_local.yml'), 'utf8').replaceAll('/tmp/daos_local', dir)) as Record<string, any>;
    cfg.port = port;
    cfg.access_points = [`localhost:${port}`];
    cfg.servers[0].fabric_iface_port = fabricPort;
    if (over.secure) {
      await makeCertificates(dir, undefined, over.keyType);
      const c = path.join(dir, 'certs-server');
      cfg.transport_config = { allow_insecure: false, ca_cert: `${c}/daosCA.crt`, cert: `${c}/server.crt`, key: `${c}/server.key`, client_cert_dir: `${c}/clients` };
      for (const role of ['admin', 'agent'] as const) {
        const rc = path.join(dir, `certs-${role}`);
        const client: Record<string, unknown> = {
          hostlist: [`localhost:${port}`],
          port,
          access_points: [`localhost:${port}`],
          transport_config: { allow_insecure: false, ca_cert: `${rc}/daosCA.crt`, cert: `${rc}/${role}.crt`, key: `${rc}/${role}.key` },
        };
        if (role === 'agent') Object.assign(client, { runtime_dir: path.join(dir, 'agentrun'), log_file: path.join(dir, 'daos_agent.log') });
        fs.writeFileSync(path.join(dir, role === 'admin' ? 'daos_control.yml' : 'daos_agent.yml'), YAML.stringify(client));
      }
      fs.mkdirSync(path.join(dir, 'agentrun'));
    }
    Object.assign(cfg, over.top ?? {});
    Object.assign(cfg.servers[0], over.server ?? {});
    for (const [k, v] of Object.entries(over.server ?? {})) if (v === undefined) delete cfg.servers[0][k];
    if (over.twoInstances) {
      // A second instance that (wrongly) reuses the first one's fabric port.
      cfg.servers.push({ ...cfg.servers[0], scm_mount: `${dir}/scm1`, bdev_list: [`${dir}/bdev1`], log_file: `${dir}/daos_server1.log` });
    }
    fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
    const configPath = path.join(dir, 'daos_server.yml');
    fs.writeFileSync(configPath, YAML.stringify(cfg));
    const sys = new LocalSystem(dir, port, configPath);
    sys.secure = over.secure === true;
    return sys;
  }

  get dmgConfig(): string {
    return path.join(this.dir, 'daos_control.yml');
  }

  get agentConfig(): string {
    return path.join(this.dir, 'daos_agent.yml');
  }

  get addr(): string {
    return `localhost:${this.port}`;
  }

  async start(extra: string[] = []): Promise<void> {
    this.server = new Background(path.join(BIN, 'daos_server'), ['start', '-o', this.configPath, ...extra]);
    await waitFor('daos_server to listen', () => /listening on/.test(this.server!.output) || !this.server!.running, 30_000, 100);
    if (!this.server.running) throw new Error(`daos_server exited:\n${this.server.output}`);
  }

  async format(): Promise<void> {
    const r = await this.dmg(['storage', 'format']);
    if (r.code !== 0) throw new Error(`format failed: ${r.stdout}${r.stderr}`);
    await waitFor('the rank to join', () => /started on rank \d+/.test(this.server!.output), 60_000, 100);
  }

  dmg(args: string[], opts: { json?: boolean; config?: string } = {}): Promise<RunResult> {
    const sec = this.secure ? ['-o', opts.config ?? this.dmgConfig] : ['-i'];
    return run(path.join(BIN, 'dmg'), [...sec, ...(opts.json ? ['-j'] : []), '-l', this.addr, ...args], {
      timeoutMs: 60_000,
      env: { ...process.env, HOME: this.dir },
    });
  }

  async destroy(): Promise<void> {
    await this.server?.stop('SIGTERM', 15_000);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every file and directory under dir (relative paths), for "nothing changed" checks. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** A CA and the three role certificates under dir/ca, installed per role in dir/certs-<role>. */
export async function makeCertificates(dir: string, caDir = path.join(dir, 'ca'), keyType: 'ecdsa' | 'rsa' = 'ecdsa'): Promise<void> {
  const gen = path.join(BIN, 'daos_certgen');
  const c = await run(gen, ['create', '--dir', caDir, '--key-type', keyType], { timeoutMs: 120_000 });
  if (c.code !== 0) throw new Error(`daos_certgen create failed: ${c.stderr}`);
  for (const role of ['server', 'admin', 'agent']) {
    const r = await run(gen, ['install', role, '--from', caDir, '--to', path.join(dir, `certs-${role}`)], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`daos_certgen install ${role} failed: ${r.stderr}`);
  }
}
