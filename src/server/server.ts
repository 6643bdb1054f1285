/**
 * daos_server: the control server of one storage node.
 *
 * Start sequence (after the config was loaded, overridden and validated):
 *  1. the runtime (socket) directory must exist and be writable;
 *  2. every fabric_iface must have an IPv4 address;
 *  2b. no other daos_server may hold the socket directory's lock, and the
 *     control port must be free; then the lock is taken (the first write);
 *  3. the dRPC listener for the I/O servers, then the gRPC control port;
 *  4. each instance's SCM is checked: formatted storage with a superblock is
 *     ready; otherwise the server stays in maintenance mode until
 *     `dmg storage format`;
 *  5. on the access point, the management service opens the system database
 *     kept on instance 0's SCM;
 *  6. ready instances are started; each joins the system and gets its rank.
 *
 * The server keeps running when an I/O server dies: the instance is Errored,
 * the MS is told at once, and `dmg system start` restarts it.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { IOServerConfig, ServerConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import { Fault, errorMessage } from '../fault/fault.js';
import { DrpcServer, DrpcStatus, DrpcStatusError } from '../drpc/drpc.js';
import { TokenSchema } from '../proto/auth/auth_pb.js';
import { unmarshalCredential, verifyCredential } from '../security/auth_sys.js';
import { loadClientCert } from '../security/certs.js';
import { Method, Module } from '../drpc/modules.js';
import { NotifyReadyReqSchema, BioErrorReqSchema } from '../proto/srv/srv_pb.js';
import type { NotifyReadyReq } from '../proto/srv/srv_pb.js';
import { MgmtCtl } from '../proto/ctl/control_pb.js';
import { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import { implement, serviceDefinition, transportFailure, type Authorizer } from '../lib/grpc/service.js';
import { clientCredentials, serverCredentials, type ServerTransport } from '../security/transport.js';
import { roleAuthorizer } from '../security/roles.js';
import { LmdbSystemDatabase } from '../system/database.js';
import { ManagementService, newSystemUuid } from '../system/mgmt_system.js';
import { PoolService } from '../system/mgmt_pool.js';
import { aclPolicy } from '../system/acl_policy.js';
import { Hlc } from '../daos/hlc.js';
import type { LoadedCert } from '../security/certs.js';
import { GrpcTargetCaller, targetCodec } from './targets.js';
import { NIL_RANK } from '../system/membership.js';
import type { BdevFormatResult, BdevProvider, ScmProvider } from './storage/types.js';
import { IOServerInstance, InstanceState, type InstanceHost, type JoinAnswer } from './instance.js';
import { NVME_CONF } from './instance_exec.js';
import { newSuperblock, readSuperblock, superblockExists, writeSuperblock } from '../layout/superblock.js';
import { GrpcRankController, PeerClients } from './ms_client.js';
import { interfaceIPv4, localAddresses, usableInterfaces, type NetDetectSeams } from './netdetect.js';
import { serverFaults } from './faults.js';
import { systemFaults } from '../system/faults.js';
import { controlService } from './ctl_svc.js';
import { mgmtService } from './mgmt_svc.js';
import { ServerLock, checkNotRunning, checkPortFree, realProcesses, type ProcessSeams } from './lock.js';
import { resolveOwner, realOwnerSeams, type Owner, type OwnerSeams } from './owner.js';
import { BdevUnknown, ScmUnknown, StorageAlreadyFormatted } from './storage/faults.js';

export const SERVER_SOCK = 'daos_server.sock';
export const SYSTEM_DB = 'daos_system.mdb';

export interface ServerDeps {
  log: Logger;
  hostname: string;
  scm: ScmProvider;
  bdev: BdevProvider;
  ioServerBin: string;
  version: string;
  netSeams?: NetDetectSeams;
  /** Authorization hook for every gRPC call; default: the certificate role table (none when insecure). */
  authorize?: Authorizer;
  /** Interval of the heartbeat to the MS leader. */
  heartbeatMs?: number;
  /** Owner of formatted SCM mounts and user of the I/O servers; default: from user_name/group_name. */
  owner?: { uid: number; gid: number };
  ownerSeams?: OwnerSeams;
  /** How the socket directory lock sees other processes. */
  processes?: ProcessSeams;
}

/** Why an instance waits in maintenance mode, and what fixes it (for errors of the MS and the logs). */
interface AwaitReason {
  why: string;
  fix: string;
}

export interface ScmFormatOutcome {
  index: number;
  mountPoint: string;
  ok: boolean;
  error?: Fault;
}

export interface FormatOutcome {
  scm: ScmFormatOutcome[];
  bdev: (BdevFormatResult & { index: number })[];
}

export class ControlServer {
  readonly instances: IOServerInstance[];
  ms?: ManagementService;
  private pools?: PoolService;
  /** The MS clock (snapshot epochs); merged with the clients' clocks. */
  readonly hlc = new Hlc();
  private msDb?: LmdbSystemDatabase;
  private msWhy = 'storage not formatted';
  private msFix = '';
  readonly peers: PeerClients;
  private drpc?: DrpcServer;
  private grpcServer?: grpc.Server;
  private heartbeat?: NodeJS.Timeout;
  private formatting = false;
  private shuttingDown = false;
  private accessPoint = false;
  private preflightDone?: Promise<void>;
  private readonly lock: ServerLock;
  /** The user and group of the I/O servers when user_name/group_name ask for another one (undefined: daos_server's own). */
  readonly owner?: Owner;
  private readonly awaitWhy = new Map<number, AwaitReason>();
  readonly leader: string;
  readonly log: Logger;
  private readonly serverTransport: ServerTransport;
  /** Operator warnings found while loading (e.g. certificates about to expire). */
  readonly warnings: string[] = [];

  /** Loads and checks the certificates: a bad one refuses the start before anything is written. */
  constructor(
    readonly cfg: ServerConfig,
    readonly deps: ServerDeps,
  ) {
    this.log = deps.log;
    this.leader = cfg.accessPoints[0];
    this.serverTransport = serverCredentials(cfg.transport);
    const client = clientCredentials(cfg.transport, 'server');
    this.warnings.push(...(this.serverTransport.identity?.warnings ?? []));
    const ca = this.serverTransport.identity?.ca;
    if (ca) {
      try {
        loadClientCert(cfg.transport.clientCertDir, 'agent', ca);
      } catch (e) {
        this.warnings.push(`clients' credentials will be refused until the agent certificate is installed: ${errorMessage(e)}`);
      }
    }
    this.peers = new PeerClients(client);
    this.owner = deps.owner ? { ...deps.owner, label: `uid ${deps.owner.uid}:gid ${deps.owner.gid}` } : resolveOwner(cfg, deps.ownerSeams ?? realOwnerSeams);
    this.lock = new ServerLock(cfg.socketDir, deps.processes ?? realProcesses);
    const host: InstanceHost = {
      log: deps.log,
      hostname: deps.hostname,
      ioServerBin: deps.ioServerBin,
      owner: this.owner,
      prepareStart: (c) => this.prepareStart(c),
      join: (inst, ready, signal) => this.join(inst, ready, signal),
      report: (inst) => this.reportInstance(inst),
    };
    this.instances = cfg.servers.map((s) => new IOServerInstance(s, host, InstanceState.AwaitFormat));
  }

  /** The pool service of the MS here, or a fault saying why there is none. */
  get poolService(): PoolService {
    if (!this.pools) throw this.ms ? new Error('pool service not started') : serverFaultsMs(this);
    return this.pools;
  }

  /** The CA that signed the agents' certificates (secure mode). */
  get caCertificate(): LoadedCert | undefined {
    return this.serverTransport.identity?.ca;
  }

  get isAccessPoint(): boolean {
    return this.accessPoint;
  }

  get controlAddr(): string {
    return `0.0.0.0:${this.cfg.port}`;
  }

  /** Why the MS is not running here (for errors). */
  get msNotReadyReason(): string {
    return this.msWhy;
  }

  /** The fault answering a request for the MS while it is not running here: why, and what fixes it. */
  msNotReadyFault(): Fault {
    return systemFaults.msNotReady(this.leader, this.msWhy, this.msFix || undefined);
  }

  // ---- start ---------------------------------------------------------------

  /**
   * Checks of the host that must pass before anything is written (logs, the
   * active config, sockets): a refused start changes nothing. The last step
   * takes the socket directory's lock, the first thing written.
   * NB: another daos_server with the same socket_dir or port is detected
   * here, before its sockets, the active config or the control log are
   * touched.
   */
  preflight(): Promise<void> {
    this.preflightDone ??= (async () => {
      this.checkSocketDir();
      this.checkFabric();
      checkNotRunning(this.cfg.socketDir, this.deps.processes ?? realProcesses);
      await checkPortFree(this.cfg.port);
      const stale = this.lock.acquire();
      if (stale !== undefined) this.log.debug(`replaced the stale lock of pid ${stale} in ${this.cfg.socketDir}`);
    })();
    return this.preflightDone;
  }

  async start(): Promise<void> {
    await this.preflight();
    for (const w of this.warnings) this.log.notice(`WARNING: ${w}`);
    if (this.instances.length === 0) {
      this.log.info(
        "no I/O server instances configured ('servers' is empty): running the control plane only; storage scan and network scan work, format has nothing to do until entries are added under 'servers:' and daos_server is restarted",
      );
    }
    if (this.owner) this.log.info(`I/O servers run as ${this.owner.label} (uid ${this.owner.uid}, gid ${this.owner.gid})`);
    await this.startDrpc();
    await this.startGrpc();
    this.log.info(`DAOS control server (pid ${process.pid}) listening on ${this.controlAddr}`);
    this.accessPoint = await this.resolveAccessPoint();
    if (this.accessPoint) this.log.info(`this server is the access point ${this.leader}: it hosts the management service`);
    await this.checkStorage();
    this.heartbeat = setInterval(() => this.sendHeartbeat(), this.deps.heartbeatMs ?? 2000);
    this.heartbeat.unref();
    this.startReadyInstances();
  }

  private checkSocketDir(): void {
    const dir = this.cfg.socketDir;
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      throw serverFaults.socketDir(dir, `stat ${dir}: ${describeErrno(e)}`);
    }
    if (!st.isDirectory()) throw serverFaults.socketDir(dir, `${dir} is not a directory`);
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
      throw serverFaults.socketDir(dir, `access ${dir}: ${describeErrno(e)}`);
    }
  }

  private checkFabric(): void {
    for (const s of this.cfg.servers) {
      if (!interfaceIPv4(s.fabricIface, this.deps.netSeams)) {
        throw serverFaults.fabricIface(s.index, s.fabricIface, usableInterfaces(this.deps.netSeams).join(', ') || 'none');
      }
    }
  }

  private async startDrpc(): Promise<void> {
    const d = new DrpcServer(path.join(this.cfg.socketDir, SERVER_SOCK), { log: this.log });
    // Stale sockets of I/O servers from a previous run.
    for (const f of fs.readdirSync(this.cfg.socketDir)) {
      if (/^daos_io_server.*\.sock$/.test(f)) {
        try {
          fs.unlinkSync(path.join(this.cfg.socketDir, f));
        } catch {
          // not ours to remove
        }
      }
    }
    d.registerModule(Module.mgmt);
    d.register(Module.security, Method.validateCredentials, async (body) => this.validateCredential(body));
    d.register(Module.srv, Method.notifyReady, async (body) => {
      const req = fromBinary(NotifyReadyReqSchema, body);
      this.onNotifyReady(req);
      return new Uint8Array();
    });
    d.register(Module.srv, Method.bioError, async (body) => {
      const req = fromBinary(BioErrorReqSchema, body);
      this.log.error(
        `I/O server instance ${req.instanceIdx} (target ${req.tgtId}) has detected blob I/O error! read=${req.readErr} write=${req.writeErr} unmap=${req.unmapErr}`,
      );
      return new Uint8Array();
    });
    await d.listen();
    this.drpc = d;
    if (this.owner) {
      // The I/O servers create their sockets here and connect to daos_server's.
      this.chown(this.cfg.socketDir, 'the socket directory');
      this.chown(path.join(this.cfg.socketDir, SERVER_SOCK), 'the daos_server socket');
    }
  }

  /** Give a path to the owner of the I/O servers (user_name/group_name). */
  private chown(p: string, what: string): void {
    if (!this.owner) return;
    try {
      fs.chownSync(p, this.owner.uid, this.owner.gid);
    } catch (e) {
      throw serverFaults.ownerChange(`${what} ${p}`, this.owner.label, describeErrno(e));
    }
  }

  /**
   * dRPC from an I/O server: is this client credential genuine? Secure mode
   * checks the agent's signature with <client_cert_dir>/<origin>.crt, loaded
   * each time so a rotated certificate is used at once; insecure mode checks
   * the digest. Answers with the token, as the original does.
   */
  private async validateCredential(body: Uint8Array): Promise<Uint8Array> {
    let cred;
    try {
      cred = unmarshalCredential(body);
    } catch {
      throw new DrpcStatusError(DrpcStatus.FAILED_UNMARSHAL_PAYLOAD);
    }
    const ca = this.serverTransport.identity?.ca;
    const pub = ca ? loadClientCert(this.cfg.transport.clientCertDir, cred.origin, ca).x509.publicKey : null;
    const sys = verifyCredential(cred, pub);
    this.log.debug(`credential of ${sys.user} on ${sys.machinename} verified`);
    return toBinary(TokenSchema, cred.token!);
  }

  private onNotifyReady(req: NotifyReadyReq): void {
    const inst = this.instances[req.instanceIdx];
    if (!inst) throw serverFaults.unexpectedReady(req.instanceIdx);
    let isSock = false;
    try {
      isSock = fs.statSync(req.drpcListenerSock).isSocket();
    } catch {
      isSock = false;
    }
    if (!isSock) throw new Error(`I/O server instance ${req.instanceIdx} reported dRPC socket ${req.drpcListenerSock}, which is not a socket`);
    inst.notifyReady(req);
  }

  private async startGrpc(): Promise<void> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20 });
    const authorize = this.deps.authorize ?? roleAuthorizer(!this.cfg.transport.allowInsecure);
    server.addService(serviceDefinition(MgmtCtl), implement(MgmtCtl, controlService(this), authorize));
    server.addService(serviceDefinition(MgmtSvc), implement(MgmtSvc, mgmtService(this), authorize));
    const creds = this.serverTransport.credentials;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(this.controlAddr, creds, (err) => {
        if (err) reject(serverFaults.listen(this.controlAddr, err.message.replace(/^.*EADDRINUSE.*$/, 'address already in use')));
        else resolve();
      });
    });
    this.grpcServer = server;
  }

  /** This server is the access point when access_points[0] resolves to one of its addresses and names its port. */
  private async resolveAccessPoint(): Promise<boolean> {
    const [host, portStr] = splitHostPort(this.leader);
    if (Number(portStr) !== this.cfg.port) return false;
    let addrs: string[];
    try {
      addrs = (await dns.lookup(host, { all: true })).map((a) => a.address);
    } catch (e) {
      this.log.error(`unable to resolve access point ${host}: ${describeErrno(e)}`);
      return false;
    }
    const local = localAddresses(this.deps.netSeams);
    return addrs.some((a) => local.has(a) || (a.startsWith('127.') && local.has('127.0.0.1')));
  }

  private async checkStorage(): Promise<void> {
    let waiting = false;
    for (const inst of this.instances) {
      const s = inst.cfg;
      // Named now so the administrator sees it before formatting; format and
      // instance start refuse such a device again.
      await this.deps.bdev.validate(s.bdev).catch((e) => {
        this.log.error(`I/O server instance ${s.index}: ${errorMessage(e)}`);
        if (e instanceof Fault && e.resolution) this.log.error(`I/O server instance ${s.index}: ${e.resolution}`);
      });
      const chk = await this.deps.scm.checkFormat(s.scm);
      if (!chk.mounted && chk.mountable) {
        this.log.info(`mounting SCM of I/O server instance ${s.index} at ${s.scm.mountPoint}`);
        await this.deps.scm.mount(s.scm);
      } else if (!chk.mounted) {
        this.log.info(`SCM format required (I/O server instance ${s.index}, ${s.scm.mountPoint})`);
        this.awaitWhy.set(s.index, { why: 'is not formatted', fix: '' });
        waiting = true;
        continue;
      }
      if (!superblockExists(s.scm.mountPoint)) {
        if (this.cfg.recreateSuperblocks) {
          this.recreateSuperblock(s);
        } else {
          const f = serverFaults.superblockMissing(s.index, s.scm.mountPoint);
          this.log.error(f.description);
          this.log.error(f.resolution);
          this.awaitWhy.set(s.index, { why: `is formatted but holds no superblock (${s.scm.mountPoint})`, fix: f.resolution });
          waiting = true;
          continue;
        }
      }
      inst.storageReady();
      this.log.info(`I/O server instance ${s.index} storage ready`);
    }
    if (waiting) {
      this.log.info('Waiting for I/O server instance storage to be ready...');
      this.log.info(`daos_server is in maintenance mode: format the storage from an admin node with 'dmg -l <hosts> storage format'`);
    }
    await this.maybeStartMs();
  }

  /**
   * --recreate-superblocks: a new superblock on formatted SCM that lost its
   * own. The instance gets a new identity; unless the config fixes its rank,
   * its first join asks the MS for the rank this host and instance index held
   * (`recreated`), so the old member is taken over rather than left behind.
   * On the MS instance an existing system database is kept, not bootstrapped.
   */
  private recreateSuperblock(s: IOServerConfig): void {
    const msInstance = this.accessPoint && s.index === 0;
    const db = path.join(s.scm.mountPoint, SYSTEM_DB);
    const dbKept = msInstance && fs.existsSync(db);
    const sb = newSuperblock({ system: this.cfg.name, rank: s.rank, ms: msInstance });
    if (dbKept) {
      sb.createMs = false;
      sb.bootstrapMs = false;
    }
    if (s.rank === undefined) sb.recreated = true;
    writeSuperblock(s.scm.mountPoint, sb, this.owner);
    const rank =
      s.rank !== undefined
        ? `it joins with its configured rank ${s.rank}`
        : 'at its join the management service gives it back the rank this host and instance held, if it knows one (else a new rank)';
    this.log.info(
      `recreated the superblock of I/O server instance ${s.index} (new identity ${sb.uuid}): ${rank}${dbKept ? `; the existing system database ${db} is kept` : ''}`,
    );
  }

  /** On the access point, open the system database once instance 0's storage is ready. */
  private async maybeStartMs(): Promise<void> {
    if (!this.accessPoint || this.ms) return;
    const inst = this.instances[0];
    if (!inst) {
      this.msWhy = `the access point (${this.deps.hostname}) has no I/O server instances in its config, so there is no storage for the system database`;
      this.msFix = `add an entry under 'servers:' in daos_server.yml on ${this.deps.hostname}, restart daos_server there and format its storage with dmg storage format`;
      return;
    }
    if (inst.state === InstanceState.AwaitFormat) {
      const w = this.awaitWhy.get(0) ?? { why: 'is not formatted', fix: '' };
      this.msWhy = `the storage of the access point (${this.deps.hostname}, I/O server instance 0) ${w.why}`;
      this.msFix = w.fix;
      return;
    }
    const file = path.join(inst.cfg.scm.mountPoint, SYSTEM_DB);
    let sb;
    try {
      sb = readSuperblock(inst.cfg.scm.mountPoint);
    } catch (e) {
      this.msWhy = errorMessage(e);
      this.log.error(`management service not started: ${this.msWhy}`);
      return;
    }
    // NB: an existing database is always opened as it is; only a missing one is created.
    const create = !fs.existsSync(file);
    if (create && !sb.createMs) this.log.info(`system database ${file} not found; creating a new, empty one`);
    this.msDb = LmdbSystemDatabase.openAt(file, { create, systemName: this.cfg.name, systemUuid: newSystemUuid() });
    this.ms = new ManagementService({
      db: this.msDb,
      log: this.log,
      controller: new GrpcRankController(this.peers),
      leader: this.leader,
      replicas: this.cfg.accessPoints,
    });
    this.ms.start();
    const ms = this.ms;
    this.pools = new PoolService({
      db: this.msDb,
      log: this.log,
      targets: new GrpcTargetCaller(this.peers, () => ms.query().members),
      codec: targetCodec,
      acl: aclPolicy,
      members: () => ms.query().members,
      hlc: this.hlc,
    });
    this.msWhy = '';
    this.msFix = '';
    this.log.info(
      create
        ? `Management Service access point started (bootstrapped: new system database ${file})`
        : `Management Service access point started (system database ${file} kept: ${this.msDb.members().length} member(s), map version ${this.msDb.mapVersion()})`,
    );
  }

  private async stopMs(): Promise<void> {
    this.ms?.stop();
    this.ms = undefined;
    this.pools = undefined;
    const db = this.msDb;
    this.msDb = undefined;
    await db?.close();
  }

  private startReadyInstances(): void {
    this.startInstances(this.instances);
  }

  /** Start those of `list` whose storage is ready and that are stopped. */
  private startInstances(list: IOServerInstance[]): void {
    for (const inst of list) {
      if (inst.state === InstanceState.Stopped) {
        inst.start().catch(() => {
          // already logged and reported by the instance
        });
      }
    }
  }

  // ---- instance host ---------------------------------------------------------

  private async prepareStart(c: IOServerConfig): Promise<{ nvmeConf?: string; env: Record<string, string> }> {
    await this.deps.bdev.validate(c.bdev);
    const conf = await this.deps.bdev.nvmeConf(c.bdev, this.deps.hostname, c.index);
    // The I/O server opens NVMe controllers through their kernel block devices (DESIGN decision 5).
    const env: Record<string, string> = {};
    if (c.bdev.class === 'nvme' && c.bdev.deviceList.length) env.DAOS_NVME_KDEVS = (await this.deps.bdev.kernelDevices(c.bdev)).join(',');
    if (this.owner) {
      // What the I/O server opens as its user: its backing files and its log file.
      // NB: kdev and nvme devices keep their owner; group_name (e.g. disk) gives access to them.
      if (c.bdev.class === 'file') for (const f of c.bdev.deviceList) this.chown(f, `block device file of I/O server instance ${c.index}`);
      if (c.logFile) {
        try {
          fs.closeSync(fs.openSync(c.logFile, 'a', 0o644));
        } catch (e) {
          throw serverFaults.ownerChange(`the log file of I/O server instance ${c.index} ${c.logFile}`, this.owner.label, describeErrno(e));
        }
        this.chown(c.logFile, `the log file of I/O server instance ${c.index}`);
      }
    }
    if (!conf) return { env };
    const p = path.join(c.scm.mountPoint, NVME_CONF);
    fs.writeFileSync(p, conf, { mode: 0o644 });
    return { nvmeConf: p, env };
  }

  private async join(inst: IOServerInstance, ready: NotifyReadyReq, signal: AbortSignal): Promise<JoinAnswer> {
    let lastErr = '';
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Error('join interrupted: instance stopping');
      try {
        const resp = await this.peers.mgmt(this.leader).unary(
          'join',
          {
            uuid: inst.uuid,
            rank: inst.superblock?.validRank ? inst.superblock.rank : (inst.cfg.rank ?? NIL_RANK),
            replace: inst.superblock?.recreated === true && !inst.superblock.validRank,
            uri: ready.uri,
            nctxs: ready.nctxs,
            addr: this.controlAddr,
            faultDomain: `/${this.deps.hostname}`,
            instanceIdx: inst.index,
            hostname: this.deps.hostname,
            sys: this.cfg.name,
            targets: inst.cfg.targets,
          },
          { signal, deadline: new Date(Date.now() + 10_000) },
        );
        if (resp.state !== 0) throw serverFaults.rankNotHere(resp.rank, 'excluded');
        this.log.info(`I/O server instance ${inst.index} joined the system as rank ${resp.rank}`);
        return { rank: resp.rank, handleKey: resp.handleKey, openContHandles: resp.openContHandles, handlesAsOfMs: resp.handlesAsOfMs };
      } catch (e) {
        // A refusal by the MS is final; anything else (MS not up yet, network) is retried.
        if (e instanceof Fault && e.domain === 'system' && e.code !== 506) throw e;
        const why = transportFailure(e);
        const msg = why !== undefined ? `cannot connect to the access point ${this.leader}: ${why}` : `${this.leader}: ${errorMessage(e)}`;
        if (msg !== lastErr) {
          this.log.info(`I/O server instance ${inst.index} waiting to join the system: ${msg}`);
          lastErr = msg;
        }
      }
      await sleep(Math.min(500 * (attempt + 1), 2000), signal);
    }
  }

  private instanceStates(): { rank: number; uuid: string; state: string; info: string; instanceIdx: number }[] {
    return this.instances
      .filter((i) => i.rank !== undefined && i.uuid)
      .map((i) => ({ rank: i.rank ?? NIL_RANK, uuid: i.uuid ?? '', state: i.state === InstanceState.Starting ? 'Stopped' : i.state, info: i.info, instanceIdx: i.index }));
  }

  private reportInstance(inst: IOServerInstance): void {
    if (inst.rank === undefined || inst.state === InstanceState.Starting) return;
    this.sendEvent(false);
  }

  private sendHeartbeat(): void {
    if (!this.shuttingDown) this.sendEvent(true);
  }

  private sendEvent(heartbeat: boolean): Promise<void> {
    const instances = this.instanceStates();
    if (instances.length === 0) return Promise.resolve();
    return this.peers
      .mgmt(this.leader)
      .unary(
        'clusterEvent',
        { addr: this.controlAddr, hostname: this.deps.hostname, instances, heartbeat },
        { deadline: new Date(Date.now() + 5000) },
      )
      .then(
        () => undefined,
        (e) => this.log.debug(`state report to ${this.leader} failed: ${errorMessage(e)}`),
      );
  }

  // ---- storage format ----------------------------------------------------------

  /**
   * Format the storage of every instance that is not formatted (all of them
   * with `reformat`), then start the instances formatted by this call.
   *
   * Two phases. First every instance is checked and every block device
   * validated as a format would write it (exists, not mounted, not held,
   * root where needed), writing nothing; one refused device refuses the whole
   * format and leaves all storage as it was. Then SCM, block devices and,
   * last, the superblock are written per instance.
   * NB: an instance found already formatted (without reformat) is reported
   * and left alone; the others are still formatted (adding an instance).
   * A refused format starts nothing: instances stopped by dmg system stop
   * stay stopped.
   */
  async format(reformat: boolean): Promise<FormatOutcome> {
    if (this.shuttingDown) throw serverFaults.shuttingDown();
    if (this.formatting) throw serverFaults.formatInProgress();
    if (this.instances.some((i) => i.running || i.state === InstanceState.Starting || i.state === InstanceState.Joined)) {
      throw serverFaults.instancesRunning();
    }
    this.formatting = true;
    const out: FormatOutcome = { scm: [], bdev: [] };
    const formatted: IOServerInstance[] = [];
    try {
      if (this.instances.length === 0) {
        this.log.info("nothing to format: daos_server.yml lists no I/O server instances under 'servers:'");
        return out;
      }
      // Phase 1: check and validate, writing nothing.
      const todo: IOServerInstance[] = [];
      const refused: string[] = [];
      for (const inst of this.instances) {
        const s = inst.cfg;
        const chk = await this.deps.scm.checkFormat(s.scm);
        if ((chk.mounted || chk.mountable) && !reformat) {
          const f = StorageAlreadyFormatted();
          this.log.info(`I/O server instance ${s.index}: ${f.description}`);
          out.scm.push({ index: s.index, mountPoint: s.scm.mountPoint, ok: false, error: f });
          continue;
        }
        try {
          await this.deps.bdev.validate(s.bdev, { forFormat: true });
        } catch (e) {
          const f = e instanceof Fault ? e : BdevUnknown(errorMessage(e));
          this.log.error(`I/O server instance ${s.index}: ${f.description}`);
          if (f.resolution) this.log.error(`I/O server instance ${s.index}: ${f.resolution}`);
          out.bdev.push({ index: s.index, device: s.bdev.deviceList.join(',') || s.bdev.class, ok: false, error: f.toString(), info: f.resolutionString() });
          refused.push(`instance ${s.index}: ${f.description}`);
          continue;
        }
        todo.push(inst);
      }
      if (refused.length) {
        for (const inst of todo) {
          out.scm.push({ index: inst.index, mountPoint: inst.cfg.scm.mountPoint, ok: false, error: serverFaults.formatNotAttempted(inst.index, refused.join('; ')) });
        }
        this.log.error('storage format refused: a block device cannot be formatted (see above); nothing was written');
        return out;
      }
      // Phase 2: write.
      for (const inst of todo) {
        const s = inst.cfg;
        this.log.info(`formatting storage for I/O server instance ${s.index} (reformat: ${reformat})`);
        if (s.index === 0 && this.accessPoint) await this.stopMs();
        inst.awaitFormat();
        this.awaitWhy.set(s.index, { why: 'is not formatted (its format did not complete)', fix: 'see the daos_server log, fix the problem, then run dmg storage format --reformat' });
        try {
          await this.deps.scm.format(s.scm, this.owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
          out.scm.push({ index: s.index, mountPoint: s.scm.mountPoint, ok: true });
        } catch (e) {
          const f = e instanceof Fault ? e : ScmUnknown(errorMessage(e));
          this.log.error(`I/O server instance ${s.index}: SCM format failed: ${f.description}`);
          out.scm.push({ index: s.index, mountPoint: s.scm.mountPoint, ok: false, error: f });
          continue;
        }
        const results = await this.deps.bdev.format(s.bdev);
        for (const r of results) {
          out.bdev.push({ ...r, index: s.index });
          if (r.ok && r.info) this.log.info(`I/O server instance ${s.index}: ${r.info}`);
          if (!r.ok) this.log.error(`I/O server instance ${s.index}: format of ${r.device} failed: ${r.error}`);
        }
        if (results.some((r) => !r.ok)) {
          this.log.error('failure formatting storage, check RPC response for details');
          continue;
        }
        await this.prepareStart(s);
        // NB: the superblock is written last: it is what marks the instance formatted.
        writeSuperblock(s.scm.mountPoint, newSuperblock({ system: this.cfg.name, rank: s.rank, ms: this.accessPoint && s.index === 0 }), this.owner);
        this.awaitWhy.delete(s.index);
        inst.storageReady();
        formatted.push(inst);
        this.log.info(`I/O server instance ${s.index} storage ready`);
      }
    } finally {
      this.formatting = false;
    }
    if (formatted.length) {
      await this.maybeStartMs();
      this.startInstances(formatted);
    }
    return out;
  }

  // ---- ranks on this server --------------------------------------------------

  instanceByRank(rank: number): IOServerInstance | undefined {
    return this.instances.find((i) => i.rank === rank);
  }

  async stopRanks(ranks: number[], force: boolean): Promise<{ rank: number; errored: boolean; msg: string; state: string }[]> {
    return Promise.all(
      ranks.map(async (rank) => {
        const inst = this.instanceByRank(rank);
        if (!inst) return { rank, errored: true, msg: serverFaults.rankNotHere(rank, this.deps.hostname).description, state: 'Unknown' };
        try {
          await inst.stop(force);
          return { rank, errored: false, msg: '', state: inst.state };
        } catch (e) {
          return { rank, errored: true, msg: errorMessage(e), state: inst.state };
        }
      }),
    );
  }

  async startRanks(ranks: number[]): Promise<{ rank: number; errored: boolean; msg: string; state: string }[]> {
    return Promise.all(
      ranks.map(async (rank) => {
        const inst = this.instanceByRank(rank);
        if (!inst) return { rank, errored: true, msg: serverFaults.rankNotHere(rank, this.deps.hostname).description, state: 'Unknown' };
        try {
          await inst.start();
          return { rank, errored: false, msg: '', state: inst.state };
        } catch (e) {
          return { rank, errored: true, msg: errorMessage(e), state: inst.state };
        }
      }),
    );
  }

  // ---- shutdown ----------------------------------------------------------------

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all(this.instances.map((i) => i.stop(false).catch(() => i.kill())));
    // Best effort: let the MS know the ranks stopped rather than waiting for a timeout.
    await Promise.race([this.sendEvent(false), sleep(2000)]);
    await this.stopMs();
    await this.drpc?.close();
    this.peers.close();
    const g = this.grpcServer;
    if (g) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          g.forceShutdown();
          resolve();
        }, 2000);
        g.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.lock.release();
  }
}

function serverFaultsMs(srv: ControlServer): Error {
  return systemFaults.msNotReady(srv.leader, srv.msNotReadyReason);
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return code ?? errorMessage(e);
  }
}

export function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(':');
  if (i < 0) return [hp, ''];
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), hp.slice(i + 1)];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}


