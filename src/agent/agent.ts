/**
 * daos_agent: serves the client library on a compute node over a Unix socket
 * (<runtime_dir>/agent.sock): attach info from its cache, and credentials of
 * the calling process, signed with the agent key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ClientConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import { Fault, errorMessage } from '../fault/fault.js';
import { DaosError, DER } from '../daos/errors.js';
import { DrpcServer } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import { ServiceClient, transportFailure } from '../lib/grpc/service.js';
import { diagnoseHost, type HostProblem } from '../lib/control/invoker.js';
import { PidLock, realProcesses, type ProcessSeams } from '../lib/pidlock/pidlock.js';
import { MgmtSvc } from '../proto/mgmt/mgmt_pb.js';
import { GetAttachInfoReqSchema, GetAttachInfoRespSchema } from '../proto/mgmt/srv_pb.js';
import { ClientCallReqSchema, ClientCallRespSchema } from '../proto/mgmt/client_pb.js';
import { clientCredentials, type ClientTransport } from '../security/transport.js';
import { buildCredential, marshalCredential, type Signer } from '../security/auth_sys.js';
import { groupName, peerCred, processGroups, userName } from '../security/peercred.js';
import { AttachInfoCache } from './attach_cache.js';
import { agentFaults } from './faults.js';

export const AGENT_SOCK = 'agent.sock';
export const AGENT_LOCK = 'daos_agent.lock';

/** How long the access point is probed after a failed call, for the reason. */
const PROBE_MS = 5000;

export interface AgentDeps {
  /** How the runtime_dir lock sees the processes of the host. */
  processes?: ProcessSeams;
  /** Why the access point cannot be used (default: probe it as dmg does). */
  diagnose?: () => Promise<HostProblem | undefined>;
}

export class Agent {
  private drpc?: DrpcServer;
  readonly cache: AttachInfoCache;
  private readonly client: ServiceClient<typeof MgmtSvc>;
  private readonly transport: ClientTransport;
  readonly warnings: string[];

  /** Loads and checks the agent certificate and key (secure mode) before anything is written. */
  private readonly lock: PidLock;
  private readonly diagnose: () => Promise<HostProblem | undefined>;

  constructor(
    readonly cfg: ClientConfig,
    private readonly log: Logger,
    deps: AgentDeps = {},
  ) {
    this.transport = clientCredentials(cfg.transport, 'agent');
    this.warnings = this.transport.identity?.warnings ?? [];
    const ap = cfg.accessPoints[0];
    this.client = new ServiceClient(MgmtSvc, ap, this.transport.credentials, this.transport.options);
    this.diagnose = deps.diagnose ?? (() => diagnoseHost(ap, this.transport, PROBE_MS));
    this.cache = new AttachInfoCache(this.client, cfg.name, ap, log, { diagnose: this.diagnose });
    this.lock = new PidLock(path.join(cfg.runtimeDir, AGENT_LOCK), {
      program: 'daos_agent',
      procs: deps.processes ?? realProcesses,
      held: (pid) => agentFaults.alreadyRunning(pid, cfg.runtimeDir),
      failed: (file, reason) => agentFaults.lockFile(file, reason),
    });
  }

  get socketPath(): string {
    return path.join(this.cfg.runtimeDir, AGENT_SOCK);
  }

  /** The runtime directory must exist and be writable; it is not created behind the administrator's back. */
  preflight(): void {
    const dir = this.cfg.runtimeDir;
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      throw agentFaults.runtimeDir(dir, (e as NodeJS.ErrnoException).code === 'ENOENT' ? `stat ${dir}: no such file or directory` : errorMessage(e));
    }
    if (!st.isDirectory()) throw agentFaults.runtimeDir(dir, `${dir} is not a directory`);
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch {
      throw agentFaults.runtimeDir(dir, `access ${dir}: permission denied`);
    }
    // Read-only: a second agent is refused before it writes anything (its log, the lock, the socket).
    this.lock.check();
  }

  /**
   * A failed call to the management service, explained: a transport failure
   * caused by TLS on one side only or refused certificates becomes that
   * security fault (gRPC says only "no connection could be established").
   */
  private async msError(e: unknown): Promise<unknown> {
    if (transportFailure(e) === undefined) return e;
    const p = await this.diagnose();
    return p?.fault ? p.fault(this.cfg.accessPoints[0]) : e;
  }

  private signer(): Signer {
    return this.transport.identity?.key ?? null;
  }

  /** The signed credential of the process at the other end of a client socket. */
  private credentialFor(sock: import('node:net').Socket) {
    let cred;
    try {
      cred = peerCred(sock);
    } catch (e) {
      throw agentFaults.peerCred(errorMessage(e));
    }
    const user = userName(cred.uid);
    const group = groupName(cred.gid) ?? String(cred.gid);
    const groups = [...new Set(processGroups(cred.pid))].map((g) => groupName(g)).filter((g): g is string => !!g);
    this.log.debug(`credential for pid ${cred.pid}: ${user}/${group}`);
    return buildCredential({ user, group, groups, machine: os.hostname() }, this.signer());
  }

  async start(): Promise<void> {
    this.preflight();
    // One agent per runtime_dir, locked before the socket is touched: DrpcServer.listen replaces a socket it finds there.
    const stale = this.lock.acquire();
    if (stale !== undefined) this.log.debug(`replaced the stale lock of pid ${stale} in ${this.cfg.runtimeDir}`);
    try {
      await this.listen();
    } catch (e) {
      this.lock.release();
      throw e;
    }
    this.cache.start();
    this.log.info(`Listening on ${this.socketPath}`);
  }

  private async listen(): Promise<void> {
    const d = new DrpcServer(this.socketPath, { log: this.log, mode: 0o777 });
    d.register(Module.securityAgent, Method.requestCredentials, async (_body, ctx) => marshalCredential(this.credentialFor(ctx.socket)));
    d.register(Module.mgmt, Method.clientCall, async (body, ctx) => {
      // A metadata request for the MS: the agent adds the caller's credential.
      const req = fromBinary(ClientCallReqSchema, body);
      if (req.sys && req.sys !== this.cfg.name) throw agentFaults.unknownSystem(req.sys, this.cfg.name);
      req.credential = marshalCredential(this.credentialFor(ctx.socket));
      req.sys = this.cfg.name;
      let resp;
      try {
        resp = await this.client.unary('clientCall', req, { deadline: new Date(Date.now() + 300_000) });
      } catch (e) {
        const why = await this.msError(e);
        if (!(why instanceof Fault)) throw why;
        // The client library reads a failed reply's error as a DAOS error: so it shows this fault's fix.
        const de = new DaosError(-DER.AGENT_COMM, `daos_agent: ${why.description}`, { hint: `on daos_agent: ${why.resolution}` });
        return toBinary(ClientCallRespSchema, create(ClientCallRespSchema, { status: de.rc, error: JSON.stringify(de.toJSON()) }));
      }
      return toBinary(ClientCallRespSchema, resp);
    });
    d.register(Module.mgmt, Method.getAttachInfo, async (body) => {
      const req = fromBinary(GetAttachInfoReqSchema, body);
      if (req.sys && req.sys !== this.cfg.name) throw agentFaults.unknownSystem(req.sys, this.cfg.name);
      const ai = await this.cache.get();
      return toBinary(GetAttachInfoRespSchema, create(GetAttachInfoRespSchema, { status: 0, psrs: ai.ranks, mapVersion: BigInt(ai.mapVersion) }));
    });
    await d.listen();
    this.drpc = d;
  }

  /** Stop serving; the socket and the lock are removed (DrpcServer and PidLock remove only their own). */
  async stop(): Promise<void> {
    await this.drpc?.close();
    this.drpc = undefined;
    this.lock.release();
    await this.cache.stop();
    this.client.close();
  }
}
