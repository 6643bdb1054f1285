/**
 * A cluster of DAOS storage nodes on one machine, for integration tests.
 *
 * As root, every node is a small "machine": its own network namespace (a
 * veth named eth0 on a private bridge), its own hostname (UTS namespace) and
 * its own mount namespace in which <run>/local is the node's private
 * directory, so ONE config file serves every node, as in a real deployment,
 * and tmpfs SCM mounts stay private to the node and survive a daos_server
 * restart. A holder process keeps the namespaces alive; `node-exec` enters
 * them. A login namespace runs dmg with the same hosts file.
 *
 * Without root, nodes are daos_server processes on 127.0.0.1 with distinct
 * ports and `scm_class: dir`.
 *
 * Every process started is tracked and stopped by PID in destroy().
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, REPO, Background, childrenOf, isAlive, isRoot, procName, run, waitFor, type RunResult } from './proc.js';

export interface ClusterOptions {
  nodes: number;
  /** I/O server instances per node. */
  instances?: number;
  targets?: number;
  /** Extra top-level config keys. */
  extraConfig?: Record<string, unknown>;
  /** Mutual TLS everywhere: certificates made with daos_certgen and installed on every node. */
  secure?: boolean;
  /** bdev_size of each instance's sparse bdev file (GB), default 1. */
  bdevSizeGB?: number;
  /** scm_size of each instance's tmpfs (GiB, root only), default 1. */
  scmSizeGB?: number;
}

export interface ClusterNode {
  name: string;
  ip: string;
  /** Control address host:port as dmg reaches it. */
  addr: string;
  /** Directory backing the node's private <run>/local. */
  dir: string;
  holder?: Background;
  /** daos_server started outside pdsh (restarts). */
  server?: Background;
}

const HARNESS_DIR = path.join(REPO, 'test/harness');

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  readonly netns: boolean;
  readonly run: string;
  readonly configPath: string;
  private readonly prefix: string;
  private subnet = '';
  private launcher?: Background;
  private readonly created: string[] = [];
  private destroyed = false;

  private constructor(readonly opts: ClusterOptions) {
    this.netns = isRoot();
    this.prefix = `dt${process.pid % 100000}`;
    this.run = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-cluster-'));
    this.configPath = path.join(this.run, 'daos_server.yml');
  }

  static async create(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts);
    try {
      await c.setup();
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  /** Host list spec for dmg -l, e.g. node[1-3]. */
  get hostList(): string {
    return this.netns ? `node[1-${this.nodes.length}]` : this.nodes.map((n) => n.addr).join(',');
  }

  /** Path every node sees as its own private directory. */
  get local(): string {
    return path.join(this.run, 'local');
  }

  private ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  private async sh(cmd: string, args: string[]): Promise<RunResult> {
    const r = await run(cmd, args, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r;
  }

  private async setup(): Promise<void> {
    fs.mkdirSync(path.join(this.run, 'holders'), { recursive: true });
    fs.mkdirSync(this.local, { recursive: true });
    const third = 100 + (process.pid % 150);
    this.subnet = `10.213.${third}`;
    for (let i = 1; i <= this.opts.nodes; i++) {
      const name = `node${i}`;
      const dir = path.join(this.run, 'nodes', name);
      for (const sub of ['run', 'log', 'bdev', 'scm']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
      this.nodes.push({
        name,
        ip: this.netns ? `${this.subnet}.${i}` : '127.0.0.1',
        addr: this.netns ? `${name}:10001` : `127.0.0.1:${20000 + i * 10}`,
        dir,
      });
    }
    if (this.netns) await this.setupNetns();
    if (this.opts.secure) await this.makeCertificates();
    this.writeConfigs();
  }

  private async setupNetns(): Promise<void> {
    const sw = this.ns('sw');
    await this.sh('ip', ['netns', 'add', sw]);
    this.created.push(sw);
    await this.sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await this.sh('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    const hosts = ['127.0.0.1 localhost', ...this.nodes.map((n) => `${n.ip} ${n.name}`), `${this.subnet}.200 login`].join('\n') + '\n';
    const members = [...this.nodes.map((n) => ({ name: n.name, ip: n.ip })), { name: 'login', ip: `${this.subnet}.200` }];
    for (const [i, m] of members.entries()) {
      const ns = this.ns(m.name);
      await this.sh('ip', ['netns', 'add', ns]);
      this.created.push(ns);
      fs.mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      fs.writeFileSync(`/etc/netns/${ns}/hosts`, hosts);
      const peer = `p${i}`;
      await this.sh('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', sw]);
      await this.sh('ip', ['-n', sw, 'link', 'set', peer, 'master', 'br0', 'up']);
      await this.sh('ip', ['-n', ns, 'addr', 'add', `${m.ip}/24`, 'dev', 'eth0']);
      await this.sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await this.sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    for (const n of this.nodes) await this.startHolder(n);
  }

  /** The holder keeps the node's namespaces alive; <run>/local is bind-mounted to the node's directory inside. */
  private async startHolder(n: ClusterNode): Promise<void> {
    const script = `hostname ${n.name} && mount --bind ${n.dir} ${this.local} && touch ${this.local}/.holder-ready && exec sleep 86400`;
    n.holder = new Background('ip', ['netns', 'exec', this.ns(n.name), 'unshare', '--uts', '--mount', '--propagation', 'private', 'sh', '-c', script]);
    fs.writeFileSync(path.join(this.run, 'holders', `${n.name}.pid`), String(n.holder.pid));
    await waitFor(`holder of ${n.name}`, () => fs.existsSync(path.join(n.dir, '.holder-ready')) || !n.holder!.running, 10_000, 50);
    if (!n.holder.running) throw new Error(`holder of ${n.name} failed: ${n.holder.output}`);
  }

  private serverConfig(n: ClusterNode): Record<string, unknown> {
    const instances = this.opts.instances ?? 1;
    const local = this.netns ? this.local : n.dir;
    const servers = [];
    for (let i = 0; i < instances; i++) {
      servers.push({
        targets: this.opts.targets ?? 2,
        nr_xs_helpers: 1,
        first_core: 0,
        fabric_iface: this.netns ? 'eth0' : 'lo',
        fabric_iface_port: this.netns ? 31416 + i * 100 : 31000 + Number(n.name.slice(4)) * 100 + i * 10,
        log_mask: 'INFO',
        log_file: path.join(local, 'log', `daos_io_server_${i}.log`),
        scm_mount: path.join(local, 'scm', String(i)),
        scm_class: this.netns ? 'ram' : 'dir',
        ...(this.netns ? { scm_size: this.opts.scmSizeGB ?? 1 } : {}),
        bdev_class: 'file',
        bdev_list: [path.join(local, 'bdev', `bdev${i}`)],
        bdev_size: this.opts.bdevSizeGB ?? 1,
      });
    }
    return {
      name: 'daos_server',
      access_points: [this.nodes[0].addr],
      port: Number(n.addr.split(':')[1]),
      provider: 'ofi+tcp',
      socket_dir: path.join(local, 'run'),
      control_log_mask: 'DEBUG',
      control_log_file: path.join(local, 'log', 'daos_control.log'),
      transport_config: this.opts.secure
        ? {
            allow_insecure: false,
            ca_cert: path.join(local, 'certs/daosCA.crt'),
            cert: path.join(local, 'certs/server.crt'),
            key: path.join(local, 'certs/server.key'),
            client_cert_dir: path.join(local, 'certs/clients'),
          }
        : { allow_insecure: true },
      servers,
      ...this.opts.extraConfig,
    };
  }

  /**
   * The CA and certificates, made once with daos_certgen and "copied" to
   * each node as an administrator would: server certificates (and the agent
   * certificate in clients/) into every node's own directory, the admin
   * certificate for dmg and the agent certificate for daos_agent on the login node.
   */
  private async makeCertificates(): Promise<void> {
    const gen = path.join(BIN, 'daos_certgen');
    const ca = path.join(this.run, 'ca');
    const r = await run(gen, ['create', '--dir', ca], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`daos_certgen create: ${r.stderr}`);
    const installs: [string, string][] = [
      ...this.nodes.map((n) => ['server', path.join(n.dir, 'certs')] as [string, string]),
      ['admin', path.join(this.run, 'login', 'certs')],
      ['agent', path.join(this.run, 'login', 'certs')],
    ];
    for (const [role, to] of installs) {
      const i = await run(gen, ['install', role, '--from', ca, '--to', to], { timeoutMs: 30_000 });
      if (i.code !== 0) throw new Error(`daos_certgen install ${role}: ${i.stderr}`);
    }
    const login = path.join(this.run, 'login');
    const tc = (role: string) => ({ allow_insecure: false, ca_cert: `${login}/certs/daosCA.crt`, cert: `${login}/certs/${role}.crt`, key: `${login}/certs/${role}.key` });
    fs.writeFileSync(path.join(login, 'daos_control.yml'), YAML.stringify({ port: 10001, hostlist: [this.hostList], transport_config: tc('admin') }));
    fs.mkdirSync(path.join(login, 'agent'), { recursive: true });
    fs.writeFileSync(
      path.join(login, 'daos_agent.yml'),
      YAML.stringify({ access_points: [this.nodes[0].addr], runtime_dir: path.join(login, 'agent'), log_file: path.join(login, 'daos_agent.log'), transport_config: tc('agent') }),
    );
  }

  get loginDir(): string {
    return path.join(this.run, 'login');
  }

  /** argv running cmd on the login node (the admin and compute node of the tests). */
  onLogin(cmd: string[]): [string, string[]] {
    return this.netns ? ['ip', ['netns', 'exec', this.ns('login'), ...cmd]] : [cmd[0], cmd.slice(1)];
  }

  /** Root: one config for all nodes. Otherwise one per node (ports and paths differ). */
  private writeConfigs(): void {
    if (this.netns) {
      fs.writeFileSync(this.configPath, YAML.stringify(this.serverConfig(this.nodes[0])));
    } else {
      for (const n of this.nodes) fs.writeFileSync(this.nodeConfigPath(n), YAML.stringify(this.serverConfig(n)));
    }
  }

  nodeConfigPath(n: ClusterNode): string {
    return this.netns ? this.configPath : path.join(this.run, `${n.name}.yml`);
  }

  /** argv running `cmd` on node n. */
  onNode(n: ClusterNode | string, cmd: string[]): [string, string[]] {
    const node = typeof n === 'string' ? this.node(n) : n;
    if (!this.netns) return [cmd[0], cmd.slice(1)];
    return [path.join(HARNESS_DIR, 'node-exec'), [this.run, node.name, ...cmd]];
  }

  node(name: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Start daos_server on every node with a parallel launcher (pdsh, local exec). */
  async startAll(extraArgs: string[] = []): Promise<void> {
    const names = this.nodes.map((n) => n.name).join(',');
    const cfg = this.netns ? this.configPath : path.join(this.run, '%h.yml');
    const cmd = this.netns
      ? [path.join(HARNESS_DIR, 'node-exec'), this.run, '%h', path.join(BIN, 'daos_server'), 'start', '-o', cfg, ...extraArgs]
      : [path.join(BIN, 'daos_server'), 'start', '-o', cfg, ...extraArgs];
    this.launcher = new Background('pdsh', ['-R', 'exec', '-f', String(this.nodes.length), '-w', names, ...cmd], {
      logFile: path.join(this.run, 'pdsh.log'),
    });
    await waitFor('every daos_server to listen', async () => (await Promise.all(this.nodes.map((n) => this.listening(n)))).every(Boolean), 30_000);
  }

  /** Start (or restart) daos_server on one node, outside the launcher. */
  async startNode(name: string, extraArgs: string[] = []): Promise<Background> {
    const n = this.node(name);
    const [cmd, args] = this.onNode(n, [path.join(BIN, 'daos_server'), 'start', '-o', this.nodeConfigPath(n), ...extraArgs]);
    n.server = new Background(cmd, args, { logFile: path.join(this.run, `${name}.restart.log`) });
    await waitFor(`daos_server on ${name} to listen`, () => this.listening(n) || !n.server!.running, 30_000);
    return n.server;
  }

  private async listening(n: ClusterNode): Promise<boolean> {
    const r = await this.dmg(['-l', n.addr, 'network', 'list'], { json: true, check: false });
    return r.code === 0;
  }

  /** PIDs of the processes named `comm` running on node n. */
  pidsOn(name: string, comm: string): number[] {
    const n = this.node(name);
    const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => procName(p) === comm);
    if (this.netns) {
      // A node's processes share the holder's UTS namespace.
      let holderNs: string;
      try {
        holderNs = fs.readlinkSync(`/proc/${n.holder!.pid}/ns/uts`);
      } catch {
        return [];
      }
      return all.filter((p) => {
        try {
          return fs.readlinkSync(`/proc/${p}/ns/uts`) === holderNs;
        } catch {
          return false;
        }
      });
    }
    // Loopback: a daos_server is recognised by the control log it holds open; I/O servers are its children.
    const servers = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => procName(p) === 'daos_server' && this.serverNode(p) === n.name);
    if (comm === 'daos_server') return servers;
    return servers.flatMap((p) => childrenOf(p).filter((c) => procName(c) === comm));
  }

  /** Which node a loopback daos_server belongs to, from its open control log. */
  private serverNode(pid: number): string | undefined {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const t = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /\/nodes\/(node\d+)\/log\/daos_control\.log$/.exec(t);
        if (m) return m[1];
      }
    } catch {
      // gone
    }
    return undefined;
  }

  /** Stop daos_server on a node (SIGTERM by PID) and wait for it and its I/O servers to exit. */
  async stopNode(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pids = [...this.pidsOn(name, 'daos_server'), ...(signal === 'SIGKILL' ? this.pidsOn(name, 'daos_io_server') : [])];
    for (const p of pids) {
      try {
        process.kill(p, signal);
      } catch {
        // gone
      }
    }
    await waitFor(`daos_server on ${name} to exit`, () => pids.every((p) => !isAlive(p)), 30_000, 100);
    await waitFor(`I/O servers on ${name} to exit`, () => this.pidsOn(name, 'daos_io_server').length === 0, 30_000, 100);
  }

  /** Read a file as node n sees it (its SCM is a tmpfs visible only on the node). */
  async readOnNode(name: string, file: string): Promise<string> {
    const n = this.node(name);
    const local = this.netns ? file.replace(n.dir, this.local) : file;
    const [cmd, args] = this.onNode(n, ['cat', local]);
    const r = await run(cmd, args, { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`cannot read ${local} on ${name}: ${r.stderr}`);
    return r.stdout;
  }

  /** Run dmg from the login node. With json, parse stdout. */
  async dmg(args: string[], o: { json?: boolean; check?: boolean; insecure?: boolean; timeoutMs?: number } = {}): Promise<RunResult & { json?: any }> {
    const sec = this.opts.secure ? ['-o', path.join(this.loginDir, 'daos_control.yml')] : o.insecure === false ? [] : ['-i'];
    const argv = [path.join(BIN, 'dmg'), ...sec, ...(o.json ? ['-j'] : []), ...args];
    const r = this.netns
      ? await run('ip', ['netns', 'exec', this.ns('login'), ...argv], { timeoutMs: o.timeoutMs ?? 120_000, env: { ...process.env, HOME: this.run } })
      : await run(argv[0], argv.slice(1), { timeoutMs: o.timeoutMs ?? 120_000, env: { ...process.env, HOME: this.run } });
    let json: unknown;
    if (o.json) {
      try {
        json = JSON.parse(r.stdout);
      } catch {
        json = undefined;
      }
    }
    if (o.check !== false && r.code !== 0) {
      throw new Error(`dmg ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return { ...r, json };
  }

  /** The members as `dmg -j system query` shows them. */
  async members(): Promise<{ rank: number; state: string; uuid: string; addr: string; faultDomain: string; info: string }[]> {
    const r = await this.dmg(['-l', this.nodes[0].addr, 'system', 'query'], { json: true, check: false });
    return r.json?.response?.members ?? [];
  }

  async waitJoined(count: number, timeoutMs = 60_000): Promise<{ rank: number; state: string; uuid: string; addr: string; faultDomain: string; info: string }[]> {
    return waitFor(`${count} joined ranks`, async () => {
      const ms = await this.members();
      return ms.length === count && ms.every((m) => m.state === 'Joined') ? ms : undefined;
    }, timeoutMs, 500);
  }

  /** Every node's control log and the launcher output, for failure reports. */
  logs(): string {
    let out = `--- pdsh ---\n${this.launcher?.output ?? ''}\n`;
    for (const n of this.nodes) {
      for (const f of ['log/daos_control.log', 'log/daos_io_server_0.log']) {
        const p = path.join(n.dir, f);
        if (fs.existsSync(p)) out += `--- ${n.name}: ${f} ---\n${fs.readFileSync(p, 'utf8').slice(-8000)}\n`;
      }
      if (n.server) out += `--- ${n.name}: restarted daos_server ---\n${n.server.output.slice(-4000)}\n`;
    }
    return out;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // daos_server processes first (they stop their I/O servers), by PID.
    for (const n of this.nodes) {
      try {
        if (n.holder || !this.netns) await this.stopNode(n.name).catch(() => this.stopNode(n.name, 'SIGKILL'));
      } catch {
        // best effort
      }
      await n.server?.stop('SIGTERM', 5000);
    }
    await this.launcher?.stop('SIGTERM', 5000);
    for (const n of this.nodes) await n.holder?.stop('SIGKILL', 1000);
    for (const ns of this.created.reverse()) {
      await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).catch(() => undefined);
      fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    fs.rmSync(this.run, { recursive: true, force: true });
  }
}
