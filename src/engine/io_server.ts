/**
 * daos_io_server: one I/O server instance, started by daos_server.
 *
 * Lifecycle: open the storage named on the command line (the superblock in the
 * SCM mount, the block devices of daos_nvme.conf), listen on the fabric
 * address, start the dRPC listener, tell daos_server it is ready, then wait
 * for the rank (SetRank) and the go-ahead (SetUp) and print the ready line.
 * It exits when daos_server tells it to, on SIGTERM/SIGINT, or when
 * daos_server goes away (its stdin closes).
 *
 * NB: this module never imports the control server: the two are separate
 * processes and talk only over dRPC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DrpcClient, DrpcServer } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import { NotifyReadyReqSchema } from '../proto/srv/srv_pb.js';
import { DaosRespSchema, SetRankReqSchema } from '../proto/mgmt/srv_pb.js';
import { PoolTgtCreateReqSchema, PoolTgtReplySchema, PoolTgtReqSchema, RankReplySchema, SetUpReqSchema } from '../proto/mgmt/targets_pb.js';
import { DaosError, DER } from '../daos/errors.js';
import { Hlc } from '../daos/hlc.js';
import { RpcServer } from '../rpc/conn.js';
import { PoolTargets, type Storage } from './pools.js';
import { HandleCache, ObjService } from './obj.js';
import { DtxManager } from './dtx.js';
import { Peers } from './peers.js';
import { readSuperblock, type Superblock } from '../layout/superblock.js';
import type { Logger } from '../logging/logger.js';
import { errorMessage } from '../fault/fault.js';
import { DAOS_VERSION } from '../version.js';
import { parseNvmeConf, type NvmeConfDevices } from './nvme_conf.js';
import { engineFaults } from './faults.js';

export interface IoServerOptions {
  targets: number;
  helpers: number;
  firstCore: number;
  group: string;
  socketDir: string;
  storage: string;
  nvmeConf?: string;
  shmId?: number;
  numaNode?: number;
  index: number;
  modules?: string;
}

/** Parse the original's short flags: -t -x -f -g -d -s -n -i -p -I -m (and -c, the deprecated -t). */
export function parseIoServerArgs(argv: string[]): IoServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string', short: 't' },
      cores: { type: 'string', short: 'c' },
      xshelpernr: { type: 'string', short: 'x' },
      firstcore: { type: 'string', short: 'f' },
      group: { type: 'string', short: 'g' },
      socket_dir: { type: 'string', short: 'd' },
      storage: { type: 'string', short: 's' },
      nvme: { type: 'string', short: 'n' },
      shm_id: { type: 'string', short: 'i' },
      pinned_numa_node: { type: 'string', short: 'p' },
      instance_idx: { type: 'string', short: 'I' },
      modules: { type: 'string', short: 'm' },
    },
    strict: true,
    allowPositionals: false,
  });
  const int = (name: string, v: string | undefined, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw engineFaults.badArg(name, v, `${min}..${max}`);
    return n;
  };
  return {
    targets: int('-t', values.targets ?? values.cores, 1, 1, 64),
    helpers: int('-x', values.xshelpernr, 2, 0, 2),
    firstCore: int('-f', values.firstcore, 0, 0, 1 << 16),
    group: values.group ?? 'daos_server',
    socketDir: values.socket_dir ?? '/var/run/daos_server',
    storage: values.storage ?? '/mnt/daos',
    nvmeConf: values.nvme,
    shmId: values.shm_id === undefined ? undefined : int('-i', values.shm_id, 0, 0, 0x7fffffff),
    numaNode: values.pinned_numa_node === undefined ? undefined : int('-p', values.pinned_numa_node, 0, 0, 1024),
    index: int('-I', values.instance_idx, 0, 0, 1024),
    modules: values.modules,
  };
}

export interface FabricEnv {
  provider: string;
  iface: string;
  port: number;
}

export function fabricFromEnv(env: NodeJS.ProcessEnv): FabricEnv {
  const iface = env.OFI_INTERFACE ?? '';
  if (!iface) throw engineFaults.fabricEnv('OFI_INTERFACE');
  const port = Number(env.OFI_PORT ?? '');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw engineFaults.fabricEnv('OFI_PORT');
  return { provider: env.CRT_PHY_ADDR_STR || 'ofi+sockets', iface, port };
}

/** Opens the instance's block devices and creates the pool storage (VOS + SMD). */
export type StorageFactory = (o: { scmMount: string; devices: NvmeConfDevices; kernelDevices: string[]; log: Logger }) => Promise<Storage & { close(): Promise<void> }>;

export class IoServer {
  private sb!: Superblock;
  private devices: NvmeConfDevices = { class: 'none', devices: [] };
  private storage?: Storage & { close(): Promise<void> };
  private pools?: PoolTargets;
  private readonly handles = new HandleCache();
  private readonly hlc: Hlc;
  private peers?: Peers;
  private dtx?: DtxManager;
  private obj?: ObjService;
  private rpc?: RpcServer;
  private drpc?: DrpcServer;
  private toServer?: DrpcClient;
  private rank?: number;
  private uri = '';
  private setUpDone = false;
  private exiting = false;
  private readonly exitWaiters: ((code: number) => void)[] = [];
  readonly exited: Promise<number>;

  constructor(
    readonly opts: IoServerOptions,
    readonly fabricEnv: FabricEnv,
    private readonly log: Logger,
    private readonly storageFactory: StorageFactory,
    private readonly stdout: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {
    this.exited = new Promise((resolve) => this.exitWaiters.push(resolve));
    this.hlc = new Hlc();
  }

  async start(): Promise<void> {
    this.sb = readSuperblock(this.opts.storage);
    if (this.sb.system && this.sb.system !== this.opts.group && this.sb.system !== 'daos_io_server') {
      throw engineFaults.wrongSystem(this.opts.storage, this.sb.system, this.opts.group);
    }
    this.readNvmeConf();
    const kdevs = (process.env.DAOS_NVME_KDEVS ?? '').split(',').filter(Boolean);
    this.storage = await this.storageFactory({ scmMount: this.opts.storage, devices: this.devices, kernelDevices: kdevs, log: this.log });
    this.pools = new PoolTargets(this.opts.storage, this.opts.targets, this.storage, this.log);
    await this.pools.loadAll();
    this.peers = new Peers(this.hlc);
    this.dtx = new DtxManager(this.pools, this.peers, this.hlc, this.log, () => this.rank);
    this.obj = new ObjService({ pools: this.pools, handles: this.handles, hlc: this.hlc, dtx: this.dtx, log: this.log, rank: () => this.rank });
    await this.listenFabric();
    await this.startDrpc();
    await this.notifyReady();
  }

  private readNvmeConf(): void {
    if (!this.opts.nvmeConf) return;
    let text: string;
    try {
      text = fs.readFileSync(this.opts.nvmeConf, 'utf8');
    } catch (e) {
      throw engineFaults.nvmeConf(this.opts.nvmeConf, errorMessage(e));
    }
    this.devices = parseNvmeConf(text);
  }

  private async listenFabric(): Promise<void> {
    const addrs = os.networkInterfaces()[this.fabricEnv.iface] ?? [];
    const ip = addrs.find((a) => a.family === 'IPv4')?.address;
    if (!ip) throw engineFaults.fabricIface(this.fabricEnv.iface);
    const obj = this.obj!;
    const rpc = new RpcServer(
      (req) => {
        if (req.target >= this.opts.targets) return Promise.reject(new DaosError(-DER.NONEXIST, `no target ${req.target} on this I/O server (it has ${this.opts.targets})`));
        return obj.handle(req);
      },
      this.hlc,
      { log: this.log },
    );
    try {
      await rpc.listen(ip, this.fabricEnv.port);
    } catch (e) {
      throw engineFaults.fabricListen(`${ip}:${this.fabricEnv.port}`, (e as NodeJS.ErrnoException).code ?? errorMessage(e));
    }
    this.rpc = rpc;
    this.uri = `${this.fabricEnv.provider}://${ip}:${this.fabricEnv.port}`;
    this.log.debug(`listening on fabric address ${this.uri}`);
  }

  private async startDrpc(): Promise<void> {
    const sockPath = path.join(this.opts.socketDir, `daos_io_server_${process.pid}.sock`);
    const d = new DrpcServer(sockPath, { log: this.log, mode: 0o700 });
    const ok = () => toBinary(DaosRespSchema, create(DaosRespSchema, { status: 0 }));
    d.register(Module.mgmt, Method.setRank, async (body) => {
      const req = fromBinary(SetRankReqSchema, body);
      if (this.rank !== undefined && this.rank !== req.rank) throw engineFaults.rankChange(this.rank, req.rank);
      this.rank = req.rank;
      return ok();
    });
    d.register(Module.mgmt, Method.setUp, async (body) => {
      if (this.rank === undefined) throw engineFaults.setUpBeforeRank();
      if (body.length) {
        const su = fromBinary(SetUpReqSchema, body);
        if (su.handleKey.length) this.handles.key = Buffer.from(su.handleKey);
        if (su.handlesAsOfMs > 0n) this.handles.setOpenAt(su.openContHandles, Number(su.handlesAsOfMs));
      }
      if (!this.setUpDone) {
        this.setUpDone = true;
        this.dtx!.start();
        this.stdout(
          `DAOS I/O server (v${DAOS_VERSION}) process ${process.pid} started on rank ${this.rank} with ${this.opts.targets} target, ` +
            `${this.opts.helpers} helper XS per target, firstcore ${this.opts.firstCore}, host ${os.hostname()}.`,
        );
      }
      return ok();
    });
    d.register(Module.mgmt, Method.prepShutdown, async () => {
      this.log.info(`rank ${this.rank}: preparing to shut down`);
      return ok();
    });
    d.register(Module.mgmt, Method.killRank, async () => {
      setImmediate(() => void this.shutdown(0));
      return ok();
    });
    d.register(Module.mgmt, Method.ping, async () => ok());
    const targetsCall = (fn: (body: Uint8Array) => Promise<Uint8Array>) => async (body: Uint8Array) => {
      // Engine replies are always a RankReply: the status travels inside, with the details.
      try {
        const out = await fn(body);
        return toBinary(RankReplySchema, create(RankReplySchema, { rank: this.rank ?? 0, status: 0, body: out }));
      } catch (e) {
        const rc = e instanceof DaosError ? e.rc : -DER.IO;
        const avail = (e as { avail?: { scm: number; nvme: number } }).avail;
        const extra = avail ? toBinary(PoolTgtReplySchema, create(PoolTgtReplySchema, { scmAvailPerTarget: BigInt(avail.scm), nvmeAvailPerTarget: BigInt(avail.nvme) })) : new Uint8Array();
        if (rc !== -DER.NONEXIST) this.log.error(`rank ${this.rank}: ${errorMessage(e)}`);
        return toBinary(RankReplySchema, create(RankReplySchema, { rank: this.rank ?? 0, status: rc, error: errorMessage(e), body: extra }));
      }
    };
    const spaceReply = (uuid: string) =>
      toBinary(PoolTgtReplySchema, create(PoolTgtReplySchema, {
        targets: this.pools!.space(uuid).map((t) => ({ target: t.target, scmTotal: BigInt(t.scmTotal), scmFree: BigInt(t.scmFree), nvmeTotal: BigInt(t.nvmeTotal), nvmeFree: BigInt(t.nvmeFree) })),
      }));
    d.register(Module.mgmt, Method.poolCreate, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtCreateReqSchema, body);
      await this.pools!.create({
        pool: q.pool,
        label: q.label,
        scmPerTarget: Number(q.scmPerTarget),
        nvmePerTarget: Number(q.nvmePerTarget),
        poolMap: Buffer.from(q.poolMap),
        ranks: q.ranks.map((r) => ({ rank: r.rank, uri: r.uri })),
      });
      return spaceReply(q.pool);
    }));
    d.register(Module.mgmt, Method.poolDestroy, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtReqSchema, body);
      this.handles.drop(q.pool);
      await this.pools!.destroy(q.pool);
      return new Uint8Array();
    }));
    d.register(Module.mgmt, Method.poolQueryTargets, targetsCall(async (body) => spaceReply(fromBinary(PoolTgtReqSchema, body).pool)));
    d.register(Module.mgmt, Method.contDestroy, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtReqSchema, body);
      const p = this.pools!.get(q.pool);
      this.handles.drop(q.pool, q.cont);
      for (const st of p.stores) await st.destroyContainer(q.cont);
      return new Uint8Array();
    }));
    d.register(Module.mgmt, Method.handleRevoke, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtReqSchema, body);
      this.handles.revoke(q.handles);
      return new Uint8Array();
    }));
    d.register(Module.mgmt, Method.contRollback, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtReqSchema, body);
      const p = this.pools!.get(q.pool);
      let freed = 0;
      for (const st of p.stores) freed += (await st.discard(q.cont, q.epoch)).freedBytes;
      this.log.info(`pool ${q.pool} container ${q.cont}: rolled back to epoch ${q.epoch} (${freed} bytes freed)`);
      return new Uint8Array();
    }));
    d.register(Module.mgmt, Method.poolMapUpdate, targetsCall(async (body) => {
      const q = fromBinary(PoolTgtReqSchema, body);
      this.pools!.updateMap(q.pool, Buffer.from(q.poolMap), q.ranks.map((r) => ({ rank: r.rank, uri: r.uri })));
      return new Uint8Array();
    }));
    await d.listen();
    this.drpc = d;
  }

  private async notifyReady(): Promise<void> {
    const serverSock = path.join(this.opts.socketDir, 'daos_server.sock');
    this.toServer = await DrpcClient.connect(serverSock);
    const req = create(NotifyReadyReqSchema, {
      uri: this.uri,
      nctxs: this.opts.targets + 1,
      drpcListenerSock: this.drpc!.path,
      instanceIdx: this.opts.index,
      pid: process.pid,
      ntgts: this.opts.targets,
    });
    await this.toServer.call(Module.srv, Method.notifyReady, toBinary(NotifyReadyReqSchema, req), { timeoutMs: 10_000 });
  }

  get currentRank(): number | undefined {
    return this.rank;
  }

  async shutdown(code: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    this.dtx?.stop();
    await this.rpc?.close();
    this.peers?.close();
    await this.drpc?.close();
    this.toServer?.close();
    await this.pools?.closeAll();
    await this.storage?.close();
    for (const w of this.exitWaiters) w(code);
  }
}
