import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

const c = CodeBlock.security;

export const securityFaults = {
  unreadable: defineFault(
    Domain.security,
    c + 1,
    'SecurityUnreadableFile',
    (what: string, file: string, reason: string) => `could not load the ${what} ${file}: ${reason}`,
    (_w: string, file: string) =>
      `create ${file} (see "Certificates" in docs/admin-guide.md) or point transport_config at the right file; to run without certificates set allow_insecure: true (or pass -i) on every component`,
    ['certificate', '/etc/daos/certs/admin.crt', 'ENOENT'],
  ),
  noServerName: defineFault(
    Domain.security,
    c + 2,
    'SecurityNoServerName',
    () => 'transport_config.server_name is empty',
    () => "set transport_config.server_name to the common name of the servers' certificate (default: server)",
    [],
  ),
  // 910 is the original's SecurityUnknown.
  unknown: defineFault(
    Domain.security,
    910,
    'SecurityUnknown',
    (msg: string) => `unknown security error: ${msg}`,
    () => 'check the certificates and transport_config of both ends',
    ['x'],
  ),
};
