import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

const c = CodeBlock.drpc;

export const drpcFaults = {
  connectFailed: defineFault(
    Domain.drpc,
    c + 1,
    'DrpcConnectFailed',
    (path: string, reason: string) => `unable to connect to dRPC socket ${path}: ${reason}`,
    (path: string) => `check that the process serving ${path} is running and that the socket directory is the one it uses`,
    ['/var/run/daos_server/daos_server.sock', 'ENOENT'],
  ),
  connectTimeout: defineFault(
    Domain.drpc,
    c + 2,
    'DrpcConnectTimeout',
    (path: string, ms: number) => `timed out after ${ms} ms connecting to dRPC socket ${path}`,
    (path: string) => `check that the process serving ${path} is alive and not overloaded`,
    ['/var/run/daos_server/daos_server.sock', 5000],
  ),
  callTimeout: defineFault(
    Domain.drpc,
    c + 3,
    'DrpcCallTimeout',
    (path: string, module: number, method: number, ms: number) =>
      `dRPC call ${module}/${method} on ${path} got no answer within ${ms} ms`,
    () => 'check the log of the process serving the socket; it may be hung or overloaded',
    ['/var/run/daos_server/daos_io_server_1.sock', 2, 202, 5000],
  ),
};
