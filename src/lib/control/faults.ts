import { defineFault } from '../../fault/fault.js';
import { CodeBlock, Domain } from '../../fault/codes.js';

const c = CodeBlock.client;

export const controlFaults = {
  noHosts: defineFault(
    Domain.client,
    c + 1,
    'ClientNoHosts',
    () => 'no hosts to send the request to',
    () => "give the servers with -l <hosts> (e.g. -l node[1-3]) or set 'hostlist' in daos_control.yml",
    [],
  ),
  noServerAnswered: defineFault(
    Domain.client,
    c + 2,
    'ClientNoServerAnswered',
    (errors: string) => `no server answered: ${errors}`,
    () => 'check that daos_server runs on the hosts given with -l (dmg network scan -l <hosts> shows which answer) and that the port is right',
    ['node1:10001: connection refused'],
  ),
  noActiveConnections: defineFault(
    Domain.client,
    c + 3,
    'ClientNoActiveConnections',
    () => 'no active connections',
    () => 'check the host list (-l), the port, and that daos_server is running on the hosts; the lines above say what failed per host',
    [],
  ),
  hostErrors: defineFault(
    Domain.client,
    c + 4,
    'ClientHostErrors',
    (n: number, total: number) => `${n} of ${total} host(s) failed`,
    () => 'see the per-host errors above',
    [1, 3],
  ),
  badHostList: defineFault(
    Domain.client,
    c + 5,
    'ClientBadHostList',
    (spec: string, why: string) => `bad host list ${JSON.stringify(spec)}: ${why}`,
    () => 'use host names, ranges and ports like node[1-3],login:10001 (see "Host lists" in docs/admin-guide.md)',
    ['node[5-4]', 'invalid range "5-4" (4 < 5)'],
  ),
  consent: defineFault(
    Domain.client,
    c + 6,
    'ClientConsentNotGiven',
    () => 'consent not given',
    () => 'answer yes at the prompt, or pass -f/--force to skip it',
    [],
  ),
  badRanks: defineFault(
    Domain.client,
    c + 7,
    'ClientBadRanks',
    (spec: string, why: string) => `bad rank list ${JSON.stringify(spec)}: ${why}`,
    () => 'give ranks as a list or ranges, e.g. 0,2-4',
    ['1,x', 'unexpected alphabetic character(s)'],
  ),
  prepareOnlyConflict: defineFault(
    Domain.client,
    c + 8,
    'ClientPrepareOnlyConflict',
    () => 'nvme-only and scm-only options should not be set together',
    () => 'give at most one of -n/--nvme-only and -s/--scm-only (neither prepares both)',
    [],
  ),
};
