import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

// The agent uses the client block from 750.
const c = CodeBlock.client + 50;

export const agentFaults = {
  noAttachInfo: defineFault(
    Domain.client,
    c + 1,
    'AgentNoAttachInfo',
    (ap: string, why: string) => `daos_agent has no attach info: the management service at ${ap} did not answer (${why})`,
    () => "check access_points in daos_agent.yml, that the access point's daos_server runs and is formatted (dmg system query), and the agent certificate",
    ['node1:10001', 'connection refused'],
  ),
  unknownSystem: defineFault(
    Domain.client,
    c + 2,
    'AgentUnknownSystem',
    (got: string, want: string) => `unknown system name ${JSON.stringify(got)}; this agent serves ${JSON.stringify(want)}`,
    () => "set 'name' in daos_agent.yml to the servers' system name, or connect to that system",
    ['other', 'daos_server'],
  ),
  runtimeDir: defineFault(
    Domain.client,
    c + 3,
    'AgentRuntimeDir',
    (dir: string, reason: string) => `Unable to create socket directory: ${dir} (${reason})`,
    (dir: string) =>
      `create it (mkdir -m 0755 ${dir}), or install utils/systemd/daosfiles.conf into /etc/tmpfiles.d, or choose another directory with 'runtime_dir' in daos_agent.yml or 'daos_agent -s <dir>'; clients find it through DAOS_AGENT_DRPC_DIR`,
    ['/var/run/daos_agent', 'no such file or directory'],
  ),
  peerCred: defineFault(
    Domain.client,
    c + 4,
    'AgentPeerCred',
    (why: string) => `unable to identify the client process: ${why}`,
    () => 'clients must connect to the agent socket directly (not through a proxy)',
    ['connection is not a unix socket'],
  ),
  noAgent: defineFault(
    Domain.client,
    c + 5,
    'ClientNoAgent',
    (sock: string, why: string) => `cannot reach daos_agent at ${sock}: ${why}`,
    () => 'start daos_agent on this node (systemctl start daos_agent), or set DAOS_AGENT_DRPC_DIR to its runtime_dir',
    ['/var/run/daos_agent/agent.sock', 'no such file'],
  ),
  alreadyRunning: defineFault(
    Domain.client,
    c + 6,
    'AgentAlreadyRunning',
    (pid: number, dir: string) => `another daos_agent (pid ${pid}) is already running with runtime_dir ${dir}`,
    (pid: number) =>
      `use the running agent, or stop it first (kill ${pid}, or systemctl stop daos_agent) and start again; to run a second agent on this node, give it its own 'runtime_dir' (daos_agent -s <dir>) and point its clients at it with DAOS_AGENT_DRPC_DIR`,
    [4242, '/var/run/daos_agent'],
  ),
  lockFile: defineFault(
    Domain.client,
    c + 7,
    'AgentLockFile',
    (file: string, reason: string) => `unable to take the lock ${file}: ${reason}`,
    (file: string) => `make runtime_dir writable by the user running daos_agent, or remove ${file} if no daos_agent is running`,
    ['/var/run/daos_agent/daos_agent.lock', 'permission denied'],
  ),
};
