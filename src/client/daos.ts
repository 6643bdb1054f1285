/**
 * The DAOS client library: connect through the local daos_agent, then pools,
 * containers and objects.
 *
 *   const daos = await DaosClient.connect();            // DAOS_AGENT_DRPC_DIR or /var/run/daos_agent
 *   const pool = await daos.poolConnect('mypool', 'rw');
 *   const cont = await pool.containerOpen('mycont', 'rw');
 *   const kv = cont.kv(cont.generateOid(OC.RP_2G1, 1n));
 *   await kv.put('key', Buffer.from('value'));
 *
 * Metadata requests (pools, containers, snapshots, attributes) go to the
 * management service through the agent, which adds this process's
 * credential. Object I/O goes straight to the I/O servers over TCP, placed by
 * the client from the pool map.
 */
import crypto from 'node:crypto';
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { AgentClient, agentSocketPath } from './agent.js';
import { DrpcClient } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import * as C from '../proto/mgmt/client_pb.js';
import { DaosError, DER } from '../daos/errors.js';
import { Hlc } from '../daos/hlc.js';
import { RpcConnection } from '../rpc/conn.js';
import { Pool } from './pool.js';

export interface ConnectOptions {
  /** Directory of the agent socket (default: $DAOS_AGENT_DRPC_DIR, else /var/run/daos_agent). */
  agentDir?: string;
  /** System name (default daos_server). */
  system?: string;
}

/** `ofi+tcp://10.0.0.1:31416` → host and port. */
export function parseFabricUri(uri: string): { host: string; port: number } {
  const m = /^[^:]+:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(uri);
  if (!m) throw new DaosError(-DER.INVAL, `bad fabric address ${JSON.stringify(uri)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export class DaosClient {
  readonly hlc = new Hlc();
  private readonly engines = new Map<string, Promise<RpcConnection>>();
  private readonly ready = new Map<string, RpcConnection>();
  private closed = false;

  private constructor(
    readonly agent: AgentClient,
    private readonly mgmtConn: DrpcClient,
    readonly system: string,
  ) {}

  static async connect(opts: ConnectOptions = {}): Promise<DaosClient> {
    const sock = opts.agentDir ? `${opts.agentDir.replace(/\/$/, '')}/agent.sock` : agentSocketPath();
    const agent = await AgentClient.connect(sock);
    // A second connection for metadata requests, so a slow one does not hold up attach info.
    let mgmt: DrpcClient;
    try {
      mgmt = await DrpcClient.connect(sock);
    } catch (e) {
      agent.close();
      throw e;
    }
    return new DaosClient(agent, mgmt, opts.system ?? 'daos_server');
  }

  /** A metadata request to the management service, through the agent. */
  async mgmt<Q extends DescMessage, R extends DescMessage>(method: string, qs: Q, q: MessageInitShape<Q>, rs: R): Promise<MessageShape<R>> {
    if (this.closed) throw new DaosError(-DER.NO_HDL, 'the DAOS client is closed');
    const req = create(C.ClientCallReqSchema, { method, body: toBinary(qs, create(qs, q)), sys: this.system, hlc: this.hlc.now() });
    let raw: Uint8Array;
    try {
      raw = await this.mgmtConn.call(Module.mgmt, Method.clientCall, toBinary(C.ClientCallReqSchema, req), { timeoutMs: 300_000 });
    } catch (e) {
      throw new DaosError(-DER.AGENT_COMM, `daos_agent: ${(e as Error).message}`, { hint: 'check that daos_agent runs and can reach the access point' });
    }
    const resp = fromBinary(C.ClientCallRespSchema, raw);
    if (resp.hlc) this.hlc.merge(resp.hlc);
    if (resp.status !== 0) {
      let parsed: DaosError | undefined;
      try {
        parsed = DaosError.fromJSON(JSON.parse(resp.error));
      } catch {
        parsed = undefined;
      }
      throw parsed ?? new DaosError(resp.status, resp.error || method);
    }
    return fromBinary(rs, resp.body);
  }

  /** A connection to the I/O server at a fabric address (shared, reopened when lost). */
  engine(uri: string): Promise<RpcConnection> {
    let p = this.engines.get(uri);
    if (!p) {
      const { host, port } = parseFabricUri(uri);
      p = RpcConnection.connect(host, port, this.hlc, { timeoutMs: 5000 });
      this.engines.set(uri, p);
      p.then(
        (c) => {
          this.ready.set(uri, c);
          c.onClose(() => {
            if (this.engines.get(uri) === p) this.engines.delete(uri);
            if (this.ready.get(uri) === c) this.ready.delete(uri);
          });
        },
        () => this.engines.delete(uri),
      );
    }
    return p;
  }

  /** The open connection to uri, if there is one (no await on the hot path). */
  readyEngine(uri: string): RpcConnection | undefined {
    const c = this.ready.get(uri);
    return c && !c.closed ? c : undefined;
  }

  /** Connect to a pool by label or UUID; `rw` for read-write, `ex` for exclusive. */
  async poolConnect(pool: string, mode: 'r' | 'rw' | 'ex' = 'rw'): Promise<Pool> {
    const flags = mode === 'ex' ? 4 : mode === 'rw' ? 2 : 1;
    const r = await this.mgmt('PoolConnect', C.PoolConnectReqSchema, { pool, flags }, C.PoolConnectRespSchema);
    return new Pool(this, r);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.engines.values()) p.then((c) => c.close(), () => undefined);
    this.engines.clear();
    this.ready.clear();
    this.mgmtConn.close();
    this.agent.close();
  }
}

export function newUuid(): string {
  return crypto.randomUUID();
}
