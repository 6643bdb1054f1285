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
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DrpcClient, DrpcServer } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import { NotifyReadyReqSchema } from '../proto/srv/srv_pb.js';
import { DaosRespSchema, SetRankReqSchema } from '../proto/mgmt/srv_pb.js';
import { readSuperblock, type Superblock } from '../layout/superblock.js';
import type { Logger } from '../logging/logger.js';
import { errorMessage } from '../fault/fault.js';
import { DAOS_VERSION } from '../version.js';
import { MessageReader, Flag, encodeHeader } from '../rpc/wire.js';

const Opcode = { ping: 1 } as const;
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

export class IoServer {
  private sb!: Superblock;
  private devices: NvmeConfDevices = { class: 'none', devices: [] };
  private readonly deviceFds: number[] = [];
  private fabric?: net.Server;
  private readonly fabricConns = new Set<net.Socket>();
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
    private readonly stdout: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {
    this.exited = new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  async start(): Promise<void> {
    this.sb = readSuperblock(this.opts.storage);
    if (this.sb.system && this.sb.system !== this.opts.group && this.sb.system !== 'daos_io_server') {
      throw engineFaults.wrongSystem(this.opts.storage, this.sb.system, this.opts.group);
    }
    this.openDevices();
    await this.listenFabric();
    await this.startDrpc();
    await this.notifyReady();
  }

  private openDevices(): void {
    if (!this.opts.nvmeConf) return;
    let text: string;
    try {
      text = fs.readFileSync(this.opts.nvmeConf, 'utf8');
    } catch (e) {
      throw engineFaults.nvmeConf(this.opts.nvmeConf, errorMessage(e));
    }
    this.devices = parseNvmeConf(text);
    if (this.devices.class !== 'aio') return;
    for (const d of this.devices.devices) {
      try {
        this.deviceFds.push(fs.openSync(d, 'r+'));
      } catch (e) {
        throw engineFaults.deviceOpen(d, (e as NodeJS.ErrnoException).code ?? errorMessage(e));
      }
    }
  }

  private async listenFabric(): Promise<void> {
    const addrs = os.networkInterfaces()[this.fabricEnv.iface] ?? [];
    const ip = addrs.find((a) => a.family === 'IPv4')?.address;
    if (!ip) throw engineFaults.fabricIface(this.fabricEnv.iface);
    const srv = net.createServer((sock) => this.acceptFabric(sock));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e: NodeJS.ErrnoException) => reject(engineFaults.fabricListen(`${ip}:${this.fabricEnv.port}`, e.code ?? e.message)));
      srv.listen(this.fabricEnv.port, ip, () => resolve());
    });
    this.fabric = srv;
    this.uri = `${this.fabricEnv.provider}://${ip}:${this.fabricEnv.port}`;
    this.log.debug(`listening on fabric address ${this.uri}`);
  }

  /** Data-plane connections. Only liveness (ping) is served until the object store lands. */
  private acceptFabric(sock: net.Socket): void {
    this.fabricConns.add(sock);
    sock.setNoDelay(true);
    const reader = new MessageReader();
    sock.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = reader.push(chunk);
      } catch (e) {
        this.log.error(`fabric connection from ${sock.remoteAddress}: ${errorMessage(e)}; closing`);
        sock.destroy();
        return;
      }
      for (const { header } of msgs) {
        let status = 0;
        let body = Buffer.alloc(0);
        if (header.opcode === Opcode.ping) {
          body = Buffer.allocUnsafe(8);
          body.writeUInt32BE(this.rank ?? 0xffffffff, 0);
          body.writeUInt32BE(this.opts.targets, 4);
        } else {
          status = -1010; // -DER_NOSYS
        }
        const h = encodeHeader({ flags: Flag.reply, opcode: header.opcode, requestId: header.requestId, status, mapVersion: 0, target: 0, bodyLength: body.length, bulkLength: 0, hlc: 0n });
        sock.write(Buffer.concat([h, body]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.fabricConns.delete(sock));
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
    d.register(Module.mgmt, Method.setUp, async () => {
      if (this.rank === undefined) throw engineFaults.setUpBeforeRank();
      if (!this.setUpDone) {
        this.setUpDone = true;
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
    for (const s of this.fabricConns) s.destroy();
    await new Promise<void>((r) => (this.fabric ? this.fabric.close(() => r()) : r()));
    await this.drpc?.close();
    this.toServer?.close();
    for (const fd of this.deviceFds) fs.closeSync(fd);
    this.deviceFds.length = 0;
    for (const w of this.exitWaiters) w(code);
  }
}
