/**
 * The client library's side of daos_agent: attach info (ranks → data-plane
 * URIs) and the credential of this process. The agent socket is
 * $DAOS_AGENT_DRPC_DIR/agent.sock, else /var/run/daos_agent/agent.sock, as in
 * the original.
 */
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DrpcClient } from '../drpc/drpc.js';
import { Method, Module } from '../drpc/modules.js';
import { GetAttachInfoReqSchema, GetAttachInfoRespSchema } from '../proto/mgmt/srv_pb.js';
import { CredentialSchema, type Credential } from '../proto/auth/auth_pb.js';
import { errorMessage } from '../fault/fault.js';
import { agentFaults } from '../agent/faults.js';

export const DEFAULT_AGENT_DIR = '/var/run/daos_agent';

export function agentSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DAOS_AGENT_DRPC_DIR || DEFAULT_AGENT_DIR, 'agent.sock');
}

export interface RankUri {
  rank: number;
  uri: string;
}

export class AgentClient {
  private constructor(
    private readonly conn: DrpcClient,
    readonly socketPath: string,
  ) {}

  static async connect(socketPath = agentSocketPath(), timeoutMs = 5000): Promise<AgentClient> {
    try {
      return new AgentClient(await DrpcClient.connect(socketPath, { timeoutMs }), socketPath);
    } catch (e) {
      throw agentFaults.noAgent(socketPath, errorMessage(e));
    }
  }

  /** Ranks and their URIs, and the map version they belong to. */
  async getAttachInfo(system = 'daos_server', timeoutMs = 15_000): Promise<{ ranks: RankUri[]; mapVersion: number }> {
    const body = toBinary(GetAttachInfoReqSchema, create(GetAttachInfoReqSchema, { sys: system }));
    const r = fromBinary(GetAttachInfoRespSchema, await this.conn.call(Module.mgmt, Method.getAttachInfo, body, { timeoutMs }));
    return { ranks: r.psrs.map((p) => ({ rank: p.rank, uri: p.uri })), mapVersion: Number(r.mapVersion) };
  }

  /** This process's credential, as the agent vouches for it. */
  async requestCredential(timeoutMs = 5000): Promise<Credential> {
    return fromBinary(CredentialSchema, await this.conn.call(Module.securityAgent, Method.requestCredentials, new Uint8Array(), { timeoutMs }));
  }

  close(): void {
    this.conn.close();
  }
}
