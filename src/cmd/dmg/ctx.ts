/**
 * What every dmg command gets: the global flags, the config, the invoker
 * (gRPC connections), the output streams, and the JSON envelope.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { loadDmgConfig } from '../../config/client.js';
import type { ClientConfig } from '../../config/types.js';
import { clientCredentials } from '../../security/transport.js';
import { GrpcInvoker, type Invoker } from '../../lib/control/invoker.js';
import { controlFaults } from '../../lib/control/faults.js';
import { HostListError, flattenHostAddrs } from '../../lib/hostlist/index.js';
import { RankListError, createRankSet } from '../../lib/ranklist/index.js';
import { DaosError } from '../../daos/errors.js';
import { Fault, errorMessage } from '../../fault/fault.js';

export interface DmgIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Ask a yes/no question; resolves false on end of input. */
  confirm: (question: string) => Promise<boolean>;
}

export const realIO: DmgIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  confirm: (q) => askYesNo(q),
};

async function askYesNo(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: false });
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

export interface GlobalOpts {
  hostList?: string;
  hostFile?: string;
  insecure?: boolean;
  configPath?: string;
  json?: boolean;
  debug?: boolean;
  allowProxy?: boolean;
}

/** Everything a command needs, built lazily from the global flags. */
export class Ctx {
  private cfgCache?: ClientConfig;
  private invokerCache?: Invoker;
  exitCode = 0;

  constructor(
    readonly g: GlobalOpts,
    readonly io: DmgIO,
    private readonly makeInvoker?: (cfg: ClientConfig) => Invoker,
  ) {}

  get json(): boolean {
    return this.g.json === true;
  }

  get cfg(): ClientConfig {
    if (!this.cfgCache) {
      const cfg = loadDmgConfig(this.g.configPath);
      if (this.g.insecure) cfg.transport.allowInsecure = true;
      this.cfgCache = cfg;
    }
    return this.cfgCache;
  }

  get invoker(): Invoker {
    if (!this.invokerCache) {
      const cfg = this.cfg;
      this.invokerCache = this.makeInvoker ? this.makeInvoker(cfg) : this.newInvoker(cfg);
    }
    return this.invokerCache;
  }

  private newInvoker(cfg: ClientConfig): Invoker {
    const t = clientCredentials(cfg.transport, 'admin');
    for (const w of t.identity?.warnings ?? []) this.io.err(`WARNING: ${w}\n`);
    return new GrpcInvoker(t);
  }

  /**
   * The servers of a per-host command (storage, network): -l / --host-file,
   * else the config's hostlist (default localhost:<port>), as sorted
   * host:port strings.
   */
  serverHosts(): string[] {
    return this.resolveHosts(this.flagSpecs() ?? this.cfg.hostlist);
  }

  /**
   * Where the system and pool commands go (one server that answers, which
   * forwards to the management service): -l / --host-file, else the config's
   * hostlist when it sets one, else its access_points.
   */
  hosts(): string[] {
    return this.resolveHosts(this.flagSpecs() ?? (this.cfg.hostlistGiven ? this.cfg.hostlist : this.cfg.accessPoints));
  }

  /** The host lists given with -l and --host-file, or undefined when neither was. */
  private flagSpecs(): string[] | undefined {
    const specs: string[] = [];
    if (this.g.hostList) specs.push(this.g.hostList);
    if (this.g.hostFile) {
      let text: string;
      try {
        text = fs.readFileSync(this.g.hostFile, 'utf8');
      } catch (e) {
        throw controlFaults.badHostList(this.g.hostFile, `cannot read host file: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
      }
      specs.push(...text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean));
    }
    return this.g.hostList !== undefined || this.g.hostFile !== undefined ? specs : undefined;
  }

  private resolveHosts(specs: string[]): string[] {
    const out = new Set<string>();
    for (const spec of specs) {
      try {
        for (const h of flattenHostAddrs(spec, this.cfg.port)) out.add(h);
      } catch (e) {
        if (e instanceof HostListError) throw controlFaults.badHostList(spec, e.message);
        throw e;
      }
    }
    if (out.size === 0) throw controlFaults.noHosts();
    return [...out].sort();
  }

  debug(msg: string): void {
    if (this.g.debug) this.io.err(`DEBUG ${msg}\n`);
  }

  close(): void {
    this.invokerCache?.close();
  }
}

export function jsonOut(ctx: Ctx, response: unknown, error: unknown, status: number): void {
  const err =
    error === undefined || error === null
      ? null
      : error instanceof Fault
        ? { message: error.description, fault: error.toJSON() }
        : error instanceof DaosError
          ? { message: error.toString(), fault: error.toJSON() }
          : { message: errorMessage(error) };
  ctx.io.out(JSON.stringify({ response: response ?? null, error: err, status }, null, 2) + '\n');
}

export function parseRanks(spec: string | undefined): number[] {
  if (!spec) return [];
  try {
    return createRankSet(spec).ranks();
  } catch (e) {
    if (e instanceof RankListError) throw controlFaults.badRanks(spec, e.message);
    throw e;
  }
}

