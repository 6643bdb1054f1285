import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

const c = CodeBlock.system;

export const systemFaults = {
  wrongSystem: defineFault(
    Domain.system,
    c + 1,
    'SystemWrongName',
    (got: string, want: string) => `request for system ${JSON.stringify(got)} reached the management service of system ${JSON.stringify(want)}`,
    () => "make 'name' the same in daos_server.yml (or -g) on every server and in daos_control.yml / daos_agent.yml",
    ['daos_other', 'daos_server'],
  ),
  rankTaken: defineFault(
    Domain.system,
    c + 2,
    'SystemRankTaken',
    (rank: number, uuid: string, addr: string) => `rank ${rank} is already held by I/O server ${uuid} at ${addr}`,
    (rank: number) => `remove 'rank: ${rank}' from the servers entry in daos_server.yml (the management service then assigns a free rank), or choose a rank no other I/O server holds`,
    [3, '8a4f0f76-0c0e-4a52-9d0c-3d1f0a3c9f11', '10.0.0.2:10001'],
  ),
  rankChange: defineFault(
    Domain.system,
    c + 3,
    'SystemRankChange',
    (uuid: string, held: number, asked: number) => `I/O server ${uuid} holds rank ${held} but asked to join as rank ${asked}`,
    (_u: string, held: number) => `set 'rank: ${held}' (or remove 'rank') in daos_server.yml, or reformat the server with dmg storage format --reformat to join as a new member`,
    ['8a4f0f76-0c0e-4a52-9d0c-3d1f0a3c9f11', 1, 2],
  ),
  rankExcluded: defineFault(
    Domain.system,
    c + 4,
    'SystemRankExcluded',
    (rank: number) => `rank ${rank} is excluded from the system and may not rejoin`,
    () => 'ask the administrator to clear the exclusion, or reformat the server to join as a new member',
    [2],
  ),
  notReplica: defineFault(
    Domain.system,
    c + 5,
    'SystemNotReplica',
    (host: string, leader: string) => `${host} is not an access point of the management service; the leader is ${leader}`,
    (_h: string, leader: string) => `send the request to ${leader}, or check 'access_points' in the configs`,
    ['node2:10001', 'node1:10001'],
  ),
  msNotReady: defineFault(
    Domain.system,
    c + 6,
    'SystemMsNotReady',
    (leader: string, why: string, _fix?: string) => `the management service on ${leader} is not running: ${why}`,
    (_leader: string, _why: string, fix?: string) =>
      fix || 'format the storage of the access point with dmg storage format, then retry; daos_server on the access point logs why it waits',
    ['node1:10001', 'storage not formatted'],
  ),
  unknownRanks: defineFault(
    Domain.system,
    c + 7,
    'SystemUnknownRanks',
    (ranks: string) => `no such rank(s) in the system: ${ranks}`,
    () => 'list the members with dmg system query and use their ranks',
    ['7,9'],
  ),
  badRank: defineFault(
    Domain.system,
    c + 8,
    'SystemBadRank',
    (rank: number) => `rank ${rank} is out of range [0, 4294967294]`,
    () => "use a rank between 0 and 4294967294, or remove 'rank' to let the management service choose",
    [4294967295],
  ),
  msUnreachable: defineFault(
    Domain.system,
    c + 9,
    'SystemMsUnreachable',
    (leader: string, why: string) => `cannot reach the management service at the access point ${leader}: ${why}`,
    (leader: string) =>
      `check that daos_server runs on ${leader} (the 'access_points' entry of daos_server.yml) and that this server can reach it; dmg -l ${leader} system query asks it directly`,
    ['node1:10001', 'connection refused'],
  ),
};
