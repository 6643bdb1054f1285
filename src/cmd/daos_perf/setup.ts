/**
 * Pools and containers for -T echo and -T daos, the way the original's
 * test context does it: rank 0 creates (or finds) them and tells the other
 * ranks, which then connect on their own (the original shared handles with
 * local2global; our handles are per connection, so each rank opens its own).
 *
 * Without --pool, rank 0 creates a pool of -P SCM and -N NVMe through the
 * control API, as `dmg pool create` does (dmg's config, -i for insecure;
 * with certificates this needs the admin certificate), and destroys it at
 * the end. Without --cont (daos mode), rank 0 creates a container with a
 * random label and destroys it at the end.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { loadDmgConfig } from '../../config/client.js';
import { clientCredentials } from '../../security/transport.js';
import { groupName, userName } from '../../security/peercred.js';
import { GrpcInvoker } from '../../lib/control/invoker.js';
import { poolCreate, poolDestroy } from '../../lib/control/pool.js';
import { flattenHostAddrs } from '../../lib/hostlist/index.js';
import { DaosClient } from '../../client/daos.js';
import type { Pool } from '../../client/pool.js';
import type { Container } from '../../client/container.js';
import type { PerfOptions } from './options.js';

export interface CreatedPool {
  uuid: string;
  label: string;
  destroy(): Promise<void>;
}

/** Create a pool through the control API (rank 0, without --pool). */
export async function createPool(o: PerfOptions): Promise<CreatedPool> {
  const cfg = loadDmgConfig(o.dmgConfig);
  if (o.insecure) cfg.transport.allowInsecure = true;
  const specs = cfg.hostlistGiven ? cfg.hostlist : cfg.accessPoints;
  const hosts = [...new Set(specs.flatMap((s) => flattenHostAddrs(s, cfg.port)))].sort();
  const invoker = new GrpcInvoker(clientCredentials(cfg.transport, 'admin'));
  const label = `daos_perf_${crypto.randomBytes(4).toString('hex')}`;
  const uid = os.userInfo().uid;
  const gid = os.userInfo().gid;
  try {
    const r = await poolCreate(invoker, {
      hosts,
      uuid: crypto.randomUUID(),
      label,
      scmBytes: o.scmBytes,
      nvmeBytes: o.nvmeBytes,
      ranks: [],
      nsvc: 1,
      sys: cfg.name,
      user: `${userName(uid)}@`,
      group: `${groupName(gid) ?? String(gid)}@`,
      acl: [],
    });
    return {
      uuid: r.uuid,
      label,
      destroy: async () => {
        try {
          await poolDestroy(invoker, { hosts, pool: r.uuid, sys: cfg.name, force: true });
        } finally {
          invoker.close();
        }
      },
    };
  } catch (e) {
    invoker.close();
    throw e;
  }
}

/** What a rank holds for -T echo / -T daos. */
export class Cluster {
  createdPool?: CreatedPool;
  createdCont?: string;
  cont?: Container;

  private constructor(
    readonly client: DaosClient,
    readonly pool: Pool,
  ) {}

  static async connect(o: PerfOptions, pool: string): Promise<Cluster> {
    const client = await DaosClient.connect({ agentDir: o.agentDir });
    try {
      return new Cluster(client, await client.poolConnect(pool, 'rw'));
    } catch (e) {
      client.close();
      throw e;
    }
  }

  /** Rank 0: the pool (given or created), then its container (given or created) in daos mode. */
  static async setupRoot(o: PerfOptions): Promise<Cluster> {
    let created: CreatedPool | undefined;
    if (!o.pool) created = await createPool(o);
    let c: Cluster;
    try {
      c = await Cluster.connect(o, o.pool ?? created!.uuid);
    } catch (e) {
      await created?.destroy().catch(() => undefined);
      throw e;
    }
    c.createdPool = created;
    if (o.mode === 'daos') {
      try {
        if (o.cont) c.cont = await c.pool.containerOpen(o.cont, 'rw');
        else {
          const made = await c.pool.containerCreate({ label: `daos_perf_${crypto.randomBytes(4).toString('hex')}` });
          c.createdCont = made.uuid;
          c.cont = await c.pool.containerOpen(made.uuid, 'rw');
        }
      } catch (e) {
        await c.teardown(true);
        throw e;
      }
    }
    return c;
  }

  /** The other ranks: the pool and container rank 0 named. */
  static async setupOther(o: PerfOptions, pool: string, cont: string | undefined): Promise<Cluster> {
    const c = await Cluster.connect(o, pool);
    if (cont) {
      try {
        c.cont = await c.pool.containerOpen(cont, 'rw');
      } catch (e) {
        await c.teardown(false);
        throw e;
      }
    }
    return c;
  }

  /** Close this rank's handles (every rank). */
  async closeHandles(): Promise<void> {
    try {
      await this.cont?.close();
    } finally {
      this.cont = undefined;
    }
  }

  /**
   * Close, then (root) destroy what this run created; every step is tried
   * and the first error is thrown at the end.
   */
  async teardown(root: boolean): Promise<void> {
    let first: unknown;
    const step = async (f: () => Promise<void>) => {
      try {
        await f();
      } catch (e) {
        first ??= e;
      }
    };
    await step(() => this.closeHandles());
    if (root && this.createdCont) {
      const uuid = this.createdCont;
      await step(() => this.pool.containerDestroy(uuid, true));
      this.createdCont = undefined;
    }
    await step(() => this.pool.disconnect());
    this.client.close();
    if (root && this.createdPool) {
      const p = this.createdPool;
      this.createdPool = undefined;
      await step(() => p.destroy());
    }
    if (first !== undefined) throw first;
  }
}
