import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

const c = CodeBlock.security;
const INSECURE = 'to run without certificates instead, set allow_insecure: true (or pass -i) on every component';

export const securityFaults = {
  unreadable: defineFault(
    Domain.security,
    c + 1,
    'SecurityUnreadableFile',
    (what: string, file: string, reason: string) => `could not load the ${what} ${file}: ${reason}`,
    (_w: string, file: string) =>
      `create ${file} with daos_certgen and install it (daos_certgen install <role>), or point transport_config at the right file; ${INSECURE}`,
    ['certificate', '/etc/daos/certs/admin.crt', 'no such file'],
  ),
  noServerName: defineFault(
    Domain.security,
    c + 2,
    'SecurityNoServerName',
    () => 'transport_config.server_name is empty',
    () => "set transport_config.server_name to the common name of the servers' certificate (default: server)",
    [],
  ),
  notRegular: defineFault(
    Domain.security,
    c + 3,
    'SecurityNotRegularFile',
    (what: string, file: string) => `the ${what} ${file} is not a regular file (or, for a directory setting, not a directory)`,
    (what: string) => `point transport_config at the ${what} itself`,
    ['certificate', '/etc/daos/certs'],
  ),
  keyPermissions: defineFault(
    Domain.security,
    c + 4,
    'SecurityKeyPermissions',
    (file: string, mode: string) => `private key ${file} has insecure permissions ${mode}: others than its owner may read it`,
    (file: string) => `chmod 0400 ${file} (and make it owned by the user running the program); a key others could read must be replaced`,
    ['/etc/daos/certs/server.key', '0644'],
  ),
  certPermissions: defineFault(
    Domain.security,
    c + 5,
    'SecurityCertPermissions',
    (what: string, file: string, mode: string) => `the ${what} ${file} has insecure permissions ${mode}: others than its owner may change it`,
    (_w: string, file: string) => `chmod go-w ${file} (certificates: 0644, directories: 0755)`,
    ['certificate', '/etc/daos/certs/server.crt', '0666'],
  ),
  badPem: defineFault(
    Domain.security,
    c + 6,
    'SecurityBadPem',
    (what: string, file: string, why: string) => `the ${what} ${file} is not usable: ${why}`,
    () => 'each file must hold exactly one PEM certificate or key as daos_certgen writes them; regenerate it with daos_certgen',
    ['certificate', '/etc/daos/certs/server.crt', 'no PEM certificate found'],
  ),
  expired: defineFault(
    Domain.security,
    c + 7,
    'SecurityCertExpired',
    (what: string, file: string, when: string) => `the ${what} ${file} expired on ${when}`,
    () => 'issue a new one with daos_certgen renew <role> (a new CA with daos_certgen create if the CA expired) and install it; see "Rotating certificates" in docs/admin-guide.md',
    ['certificate', '/etc/daos/certs/server.crt', '2026-01-01T00:00:00.000Z'],
  ),
  notYetValid: defineFault(
    Domain.security,
    c + 8,
    'SecurityCertNotYetValid',
    (what: string, file: string, when: string) => `the ${what} ${file} is not valid before ${when}`,
    () => "check this host's clock (time must be synchronised on every node, see the preflight checklist), or issue the certificate again",
    ['certificate', '/etc/daos/certs/server.crt', '2030-01-01T00:00:00.000Z'],
  ),
  notSignedByCA: defineFault(
    Domain.security,
    c + 9,
    'SecurityNotSignedByCA',
    (cert: string, ca: string) => `certificate ${cert} is not signed by the CA in ${ca}`,
    () => 'every component must use certificates signed by the same DAOS CA: install the CA certificate that signed it, or issue a new certificate from your CA with daos_certgen',
    ['/etc/daos/certs/admin.crt', '/etc/daos/certs/daosCA.crt'],
  ),
  notCA: defineFault(
    Domain.security,
    c + 18,
    'SecurityNotCA',
    (file: string) => `${file} is not a CA certificate`,
    () => 'set transport_config.ca_cert to the CA certificate (daosCA.crt), not to a component certificate',
    ['/etc/daos/certs/server.crt'],
  ),
  wrongRole: defineFault(
    Domain.security,
    c + 11,
    'SecurityWrongRole',
    (file: string, cn: string, role: string) => `certificate ${file} is for ${JSON.stringify(cn)}, but this program needs the ${role} certificate (common name ${JSON.stringify(role)})`,
    (_f: string, _cn: string, role: string) => `point transport_config.cert and key at ${role}.crt and ${role}.key (daos_certgen install ${role} installs them)`,
    ['/etc/daos/certs/agent.crt', 'agent', 'admin'],
  ),
  keyMismatch: defineFault(
    Domain.security,
    c + 12,
    'SecurityKeyMismatch',
    (key: string, cert: string) => `private key ${key} does not belong to certificate ${cert}`,
    () => 'install the key that was generated with the certificate (daos_certgen writes them as a pair)',
    ['/etc/daos/certs/admin.key', '/etc/daos/certs/admin.crt'],
  ),
  badOrigin: defineFault(
    Domain.security,
    c + 13,
    'SecurityBadOrigin',
    (origin: string) => `credential origin ${JSON.stringify(origin)} is not a valid certificate name`,
    () => 'credentials must come from daos_agent',
    ['../x'],
  ),
  permissionDenied: defineFault(
    Domain.security,
    c + 14,
    'SecurityPermissionDenied',
    (component: string, method: string) => `${component} does not have permission to call ${method}`,
    (_c: string, method: string) => `use a certificate of a role allowed to call ${method} (see "Roles" in docs/admin-guide.md): dmg uses admin, daos_agent agent, daos_server server`,
    ['agent', '/ctl.MgmtCtl/StorageFormat'],
  ),
  badCredential: defineFault(
    Domain.security,
    c + 15,
    'SecurityBadCredential',
    (why: string) => `credential verification failed: ${why}`,
    () => 'credentials must come from the local daos_agent, whose certificate (agent.crt) must be in client_cert_dir on every server',
    ['signature does not match'],
  ),
  transportMismatch: defineFault(
    Domain.security,
    c + 16,
    'SecurityTransportMismatch',
    (serverTls: boolean, hosts = '') =>
      (hosts ? `${hosts}: ` : '') +
      (serverTls
        ? 'the server requires TLS (its transport_config has allow_insecure: false), but this client runs insecure'
        : 'the server runs without certificates (allow_insecure: true), but this client uses TLS'),
    (serverTls: boolean, _hosts?: string) =>
      serverTls
        ? 'drop -i / allow_insecure on the client and give it its certificate, or run every component insecure'
        : 'pass -i (or set allow_insecure: true) on the client, or enable certificates on every server',
    [true, 'node1:10001'],
  ),
  tlsHandshake: defineFault(
    Domain.security,
    c + 17,
    'SecurityTlsHandshake',
    (addr: string, why: string) => `TLS handshake with ${addr} failed: ${why}`,
    () => 'both ends need certificates signed by the same DAOS CA and valid now; check them with daos_certgen show <file>',
    ['node1:10001', 'the server rejected our certificate'],
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
