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
  static async create(over: { top?: Record<string, unknown>; server?: Record<string, unknown>; twoInstances?: boolean } = {}): Promise<LocalSystem> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-local-'));
    const port = await freePort();
    const fabricPort = await freePort();
    const cfg = YAML.parse(fs.readFileSync(path.join(REPO, 'utils/config/examples/daos_server_local.yml'), 'utf8').replaceAll('/tmp/daos_local', dir)) as Record<string, any>;
    cfg.port = port;
    cfg.access_points = [`localhost:${port}`];
    cfg.servers[0].fabric_iface_port = fabricPort;
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
    return new LocalSystem(dir, port, configPath);
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

  dmg(args: string[], opts: { json?: boolean } = {}): Promise<RunResult> {
    return run(path.join(BIN, 'dmg'), ['-i', ...(opts.json ? ['-j'] : []), '-l', this.addr, ...args], {
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
