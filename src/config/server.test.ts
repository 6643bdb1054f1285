import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { Fault } from '../fault/fault.js';
import { Logger, MemorySink } from '../logging/logger.js';
import { EXAMPLES_DIR, EXAMPLES_HINT, problemsOf } from './faults.js';
import {
  ACTIVE_CONFIG_NAME,
  applyOverrides,
  parseServerConfig,
  resolveServerConfigPath,
  SERVER_KEYS,
  validateServerConfig,
  writeActiveConfig,
} from './server.js';
import type { ServerConfig, ServerOverrides } from './types.js';

const FILE = '/etc/daos/daos_server.yml';

/** The fault thrown by fn (fails the test when nothing is thrown). */
function thrown(fn: () => unknown): Fault {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Fault, `expected a Fault, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a fault, nothing was thrown');
}

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-config-test-'));
  tmpDirs.push(d);
  return d;
}

/** Get a value by dotted path: 'servers.1.scm.mountPoint'. */
function get(o: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((v, k) => (v == null ? undefined : (v as Record<string, unknown>)[k]), o);
}

// ---- the deployment guide's example ------------------------------------------------------

// The guide's `port`/`access_points` lines and its two-entry `servers:` list, as written
// (seed/deployment-guide.txt, "Storage Detection & Selection").
const GUIDE_EXAMPLE = `port: 10001
access_points: ["wolf-71:10001"] # <----- updated
servers:
-
  targets: 8                # count of storage targets per each server
  first_core: 0             # offset of the first core for service xstreams
  nr_xs_helpers: 2          # count of offload/helper xstreams per target
  fabric_iface: eth0        # map to OFI_INTERFACE=eth0
  fabric_iface_port: 31416  # map to OFI_PORT=31416
  log_mask: ERR             # map to D_LOG_MASK=ERR
  log_file: /tmp/server.log # map to D_LOG_FILE=/tmp/server.log
  env_vars:                 # influence DAOS IO Server behaviour by setting env variables
  - DAOS_MD_CAP=1024
  - CRT_CTX_SHARE_ADDR=0
  - CRT_TIMEOUT=30
  - FI_SOCKETS_MAX_CONN_RETRY=1
  - FI_SOCKETS_CONN_TIMEOUT=2000
  scm_mount: /mnt/daos  # map to -s /mnt/daos
  scm_class: dcpm
  scm_list: [/dev/pmem0] # <----- updated
  bdev_class: nvme
  bdev_list: ["0000:87:00.0", "0000:81:00.0"]  # <----- updated
-
  targets: 8                # count of storage targets per each server
  first_core: 0             # offset of the first core for service xstreams
  nr_xs_helpers: 2          # count of offload/helper xstreams per target
  fabric_iface: eth0        # map to OFI_INTERFACE=eth0
  fabric_iface_port: 31416  # map to OFI_PORT=31416
  log_mask: ERR             # map to D_LOG_MASK=ERR
  log_file: /tmp/server.log # map to D_LOG_FILE=/tmp/server.log
  env_vars:                 # influence DAOS IO Server behaviour by setting env variables
  - DAOS_MD_CAP=1024
  - CRT_CTX_SHARE_ADDR=0
  - CRT_TIMEOUT=30
  - FI_SOCKETS_MAX_CONN_RETRY=1
  - FI_SOCKETS_CONN_TIMEOUT=2000
  scm_mount: /mnt/daos  # map to -s /mnt/daos
  scm_class: dcpm
  scm_list: [/dev/pmem1] # <----- updated
  bdev_class: nvme
  bdev_list: ["0000:da:00.0"]  # <----- updated
`;

test("the guide's example parses without schema errors", () => {
  const cfg = parseServerConfig(GUIDE_EXAMPLE, FILE);
  assert.deepEqual(
    cfg.servers.map((s) => [s.targets, s.fabricIface, s.fabricIfacePort, s.scm.class, s.scm.deviceList, s.bdev.deviceList]),
    [
      [8, 'eth0', 31416, 'dcpm', ['/dev/pmem0'], ['0000:87:00.0', '0000:81:00.0']],
      [8, 'eth0', 31416, 'dcpm', ['/dev/pmem1'], ['0000:da:00.0']],
    ],
  );
  assert.deepEqual(cfg.accessPoints, ['wolf-71:10001']);
});

test("the guide's example is refused for its shared scm_mount and fabric port, and nothing else", () => {
  const cfg = parseServerConfig(GUIDE_EXAMPLE, FILE);
  const f = thrown(() => validateServerConfig(cfg));
  assert.equal(f.code, 400);
  assert.deepEqual(
    problemsOf(f).map((p) => [p.code, p.description]),
    [
      [441, 'servers[0] and servers[1] share the scm_mount "/mnt/daos"'],
      [442, 'servers[0] and servers[1] share fabric_iface "eth0" with fabric_iface_port 31416'],
    ],
  );
  assert.match(f.resolution, /'scm_mount'/);
  assert.match(f.resolution, /'fabric_iface_port'/);
  assert.ok(f.resolution.includes(FILE));
  assert.ok(f.resolution.includes(EXAMPLES_DIR));
});

// ---- every shipped file loads and validates ---------------------------------------------------

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => /\.ya?ml$/.test(f) && path.basename(f).startsWith('daos_server'))
    .sort();
}

const serverFiles = walk(EXAMPLES_DIR);

test('utils/config holds the server template and examples', () => {
  const names = serverFiles.map((f) => path.relative(EXAMPLES_DIR, f));
  for (const n of ['daos_server.yml', 'examples/daos_server_local.yml', 'examples/daos_server_guide.yml', 'examples/daos_server_multinode.yml']) {
    assert.ok(names.includes(n), `${n} missing from ${EXAMPLES_DIR}`);
  }
});

for (const f of serverFiles) {
  test(`shipped ${path.relative(EXAMPLES_DIR, f)} loads and validates`, () => {
    const abs = resolveServerConfigPath(path.relative(process.cwd(), f));
    assert.equal(abs, f);
    const cfg = parseServerConfig(fs.readFileSync(abs, 'utf8'), abs);
    validateServerConfig(cfg);
    assert.ok(cfg.servers.length >= 1);
  });
}

test('the template documents every key', () => {
  const text = fs.readFileSync(path.join(EXAMPLES_DIR, 'daos_server.yml'), 'utf8');
  const missing = [...SERVER_KEYS.top, ...SERVER_KEYS.transport, ...SERVER_KEYS.server].filter(
    (k) => !new RegExp(`^\\s*#?\\s*(- )?${k}:`, 'm').test(text),
  );
  assert.deepEqual(missing, []);
});

test('the shipped examples have the layouts the docs describe', () => {
  const load = (n: string) => parseServerConfig(fs.readFileSync(path.join(EXAMPLES_DIR, 'examples', n), 'utf8'), n);
  const pick = (c: ServerConfig) =>
    c.servers.map((s) => [s.scm.class, s.scm.mountPoint, s.scm.ramSizeGB, s.bdev.class, s.bdev.deviceList, s.bdev.sizeGB, s.fabricIface, s.fabricIfacePort]);
  const local = load('daos_server_local.yml');
  assert.deepEqual(pick(local), [['dir', '/tmp/daos_local/scm', 0, 'file', ['/tmp/daos_local/bdev0'], 1, 'lo', 31416]]);
  assert.deepEqual([local.accessPoints, local.socketDir, local.transport.allowInsecure], [['localhost:10001'], '/tmp/daos_local/run', true]);
  assert.ok(local.controlLogFile.startsWith('/tmp/daos_local/'));
  const guide = load('daos_server_guide.yml');
  assert.deepEqual(pick(guide), [
    ['ram', '/mnt/daos0', 4, 'file', ['/var/lib/daos/bdev0'], 8, 'eth0', 31416],
    ['ram', '/mnt/daos1', 4, 'file', ['/var/lib/daos/bdev1'], 8, 'eth0', 31516],
  ]);
  assert.deepEqual(guide.servers.map((s) => [s.targets, s.nrXsHelpers, s.envVars.length]), [[8, 2, 5], [8, 2, 5]]);
  assert.deepEqual([guide.accessPoints, guide.transport.allowInsecure], [['wolf-71:10001'], true]);
  const multi = load('daos_server_multinode.yml');
  assert.deepEqual(pick(multi), [['ram', '/mnt/daos', 2, 'file', ['/var/lib/daos/bdev0'], 4, 'eth0', 31416]]);
  assert.deepEqual(multi.accessPoints, ['node1:10001']);
});

// ---- defaults ------------------------------------------------------------------------------

test('defaults fill everything a minimal file leaves out', () => {
  const cfg = parseServerConfig('servers:\n- scm_class: dir\n  scm_mount: /tmp/scm\n', 'conf/minimal.yml');
  const expected: ServerConfig = {
    path: path.resolve('conf/minimal.yml'),
    name: 'daos_server',
    accessPoints: ['localhost:10001'],
    port: 10001,
    provider: 'ofi+sockets',
    socketDir: '/var/run/daos_server',
    transport: {
      allowInsecure: false,
      serverName: 'server',
      clientCertDir: '/etc/daos/certs/clients',
      caCert: '/etc/daos/certs/daosCA.crt',
      cert: '/etc/daos/certs/server.crt',
      key: '/etc/daos/certs/server.key',
    },
    controlLogMask: 'info',
    controlLogFile: '',
    controlLogJson: false,
    helperLogFile: '',
    nrHugepages: 4096,
    bdevInclude: [],
    bdevExclude: [],
    userName: '',
    groupName: '',
    recreateSuperblocks: false,
    faultPath: '',
    faultCb: '',
    hyperthreads: false,
    servers: [
      {
        index: 0,
        targets: 1,
        nrXsHelpers: 2,
        firstCore: 0,
        fabricIface: '',
        fabricIfacePort: 0,
        provider: 'ofi+sockets',
        logMask: 'ERR',
        logFile: '',
        envVars: [],
        scm: { mountPoint: '/tmp/scm', class: 'dir', ramSizeGB: 0, deviceList: [] },
        bdev: { class: 'nvme', deviceList: [], sizeGB: 0, number: 0 },
        systemName: 'daos_server',
        socketDir: '/var/run/daos_server',
      },
    ],
  };
  assert.deepEqual(cfg, expected);
});

const defaultCases: Record<string, { yaml: string; path: string; want: unknown }> = {
  'blank provider takes the default': { yaml: 'provider:\n', path: 'provider', want: 'ofi+sockets' },
  'empty bdev_class is nvme': { yaml: '', path: 'servers.0.bdev.class', want: 'nvme' },
  'partial transport_config overlays the defaults': {
    yaml: 'transport_config:\n  allow_insecure: true\n  cert: /x/s.crt\n',
    path: 'transport',
    want: {
      allowInsecure: true,
      serverName: 'server',
      clientCertDir: '/etc/daos/certs/clients',
      caCert: '/etc/daos/certs/daosCA.crt',
      cert: '/x/s.crt',
      key: '/etc/daos/certs/server.key',
    },
  },
  'control_log_mask is case-insensitive': { yaml: 'control_log_mask: debug\n', path: 'controlLogMask', want: 'debug' },
  'default access point follows the file port': { yaml: 'port: 10500\n', path: 'accessPoints', want: ['localhost:10500'] },
};

for (const [name, tc] of Object.entries(defaultCases)) {
  test(`defaults: ${name}`, () => {
    const cfg = parseServerConfig(`${tc.yaml}servers:\n- scm_class: dir\n  scm_mount: /tmp/scm\n  bdev_class: ""\n`, FILE);
    assert.deepEqual(get(cfg, tc.path), tc.want);
  });
}

// ---- push-down -------------------------------------------------------------------------------

const PUSH = `name: sys1
socket_dir: /run/d
modules: vos,mgmt
provider: ofi+tcp
fabric_iface: ib9
fabric_iface_port: 20000
servers:
- scm_class: dir
  scm_mount: /tmp/a
- scm_class: dir
  scm_mount: /tmp/b
  provider: ofi+sockets
  fabric_iface: eth1
  fabric_iface_port: 21000
`;

test('push-down: name, socket_dir and modules overwrite; provider and fabric fill only gaps', () => {
  const cfg = parseServerConfig(PUSH, FILE);
  assert.deepEqual(
    cfg.servers.map((s) => [s.systemName, s.socketDir, s.modules, s.provider, s.fabricIface, s.fabricIfacePort]),
    [
      ['sys1', '/run/d', 'vos,mgmt', 'ofi+tcp', 'ib9', 20000],
      ['sys1', '/run/d', 'vos,mgmt', 'ofi+sockets', 'eth1', 21000],
    ],
  );
});

// ---- overrides --------------------------------------------------------------------------------

const overrideCases: Record<string, { flags: ServerOverrides; want: Record<string, unknown>; yaml?: string }> = {
  '-p sets the port (access points are normalised by validation)': { flags: { port: 10002 }, want: { port: 10002, accessPoints: ['node1'] } },
  '-p moves a defaulted access point': {
    flags: { port: 10002 },
    yaml: PUSH,
    want: { port: 10002, accessPoints: ['localhost:10002'] },
  },
  '-p 0 is ignored': { flags: { port: 0 }, want: { port: 10001 } },
  '-s sets servers[0] scm_mount only': {
    flags: { storage: '/mnt/other' },
    want: { 'servers.0.scm.mountPoint': '/mnt/other', 'servers.1.scm.mountPoint': '/tmp/b' },
  },
  '-m sets modules everywhere': { flags: { modules: 'vos' }, want: { modules: 'vos', 'servers.0.modules': 'vos', 'servers.1.modules': 'vos' } },
  '-m "" clears modules': { flags: { modules: '' }, want: { modules: '', 'servers.1.modules': '' } },
  '-t sets targets on every server': { flags: { targets: 4 }, want: { 'servers.0.targets': 4, 'servers.1.targets': 4 } },
  '-t 0 is ignored': { flags: { targets: 0 }, want: { 'servers.0.targets': 8, 'servers.1.targets': 1 } },
  '-x sets helpers on every server, 0 included': { flags: { xsHelpers: 0 }, want: { 'servers.0.nrXsHelpers': 0, 'servers.1.nrXsHelpers': 0 } },
  '-f sets first_core when > 0': { flags: { firstCore: 3 }, want: { 'servers.0.firstCore': 3, 'servers.1.firstCore': 3 } },
  '-f 0 is ignored': { flags: { firstCore: 0 }, want: { 'servers.0.firstCore': 1 } },
  '-g sets the system name everywhere': { flags: { group: 'sys2' }, want: { name: 'sys2', 'servers.0.systemName': 'sys2', 'servers.1.systemName': 'sys2' } },
  '-d sets socket_dir everywhere': { flags: { socketDir: '/tmp/s' }, want: { socketDir: '/tmp/s', 'servers.1.socketDir': '/tmp/s' } },
  '-i turns certificates off': { flags: { insecure: true }, want: { 'transport.allowInsecure': true } },
  '--recreate-superblocks': { flags: { recreateSuperblocks: true }, want: { recreateSuperblocks: true } },
  'no flags keep the file': {
    flags: { insecure: false, recreateSuperblocks: false },
    want: { 'transport.allowInsecure': false, recreateSuperblocks: false, port: 10001 },
  },
};

const OVERRIDE_BASE = `access_points: [node1]
servers:
- scm_class: dir
  scm_mount: /tmp/a
  targets: 8
  first_core: 1
- scm_class: dir
  scm_mount: /tmp/b
`;

for (const [name, tc] of Object.entries(overrideCases)) {
  test(`overrides: ${name}`, () => {
    const cfg = applyOverrides(parseServerConfig(tc.yaml ?? OVERRIDE_BASE, FILE), tc.flags);
    const got = Object.fromEntries(Object.keys(tc.want).map((k) => [k, get(cfg, k)]));
    assert.deepEqual(got, tc.want);
  });
}

test('overrides: -x 5 is refused by validation, not clamped', () => {
  const cfg = applyOverrides(parseServerConfig(fs.readFileSync(path.join(EXAMPLES_DIR, 'examples/daos_server_local.yml'), 'utf8'), FILE), { xsHelpers: 5 });
  assert.equal(cfg.servers[0]!.nrXsHelpers, 5);
  const f = thrown(() => validateServerConfig(cfg));
  assert.equal(f.code, 417);
  assert.match(f.description, /'servers\[0\]\.nr_xs_helpers' 5 is out of range/);
  assert.match(f.resolution, /-x/);
});

// ---- parse-level refusals (strict schema) ----------------------------------------------------------

const SERVER_OK = `servers:
- scm_class: dir
  scm_mount: /tmp/a
`;

const parseCases: Record<string, { yaml: string; code: number; key: string; line: number; resolution?: RegExp }> = {
  'unknown top-level key, with a suggestion': { yaml: `provder: ofi+tcp\n${SERVER_OK}`, code: 405, key: "'provder'", line: 1, resolution: /rename 'provder' to 'provider'/ },
  'unknown per-server key': {
    yaml: `${SERVER_OK}- scm_class: dir\n  scm_mount_path: /tmp/b\n`,
    code: 405,
    key: "'servers[1].scm_mount_path'",
    line: 5,
    resolution: /'scm_mount'/,
  },
  'unknown transport key': { yaml: `transport_config:\n  certificate: /x\n${SERVER_OK}`, code: 405, key: "'transport_config.certificate'", line: 2 },
  'port as a string': { yaml: `port: "10001"\n${SERVER_OK}`, code: 406, key: "'port' must be an integer", line: 1 },
  'targets as a word': { yaml: `${SERVER_OK}  targets: eight\n`, code: 406, key: "'servers[0].targets'", line: 4 },
  'boolean as yes': { yaml: `transport_config:\n  allow_insecure: yes\n${SERVER_OK}`, code: 406, key: "'transport_config.allow_insecure' must be true or false", line: 2 },
  'negative first_core': { yaml: `${SERVER_OK}  first_core: -1\n`, code: 406, key: "'servers[0].first_core'", line: 4 },
  'bdev_list entry not a string': { yaml: `${SERVER_OK}  bdev_list: [1]\n`, code: 406, key: "'servers[0].bdev_list[0]'", line: 4 },
  'top level is a list': { yaml: '- a\n', code: 406, key: "'(top level)' must be a mapping", line: 1 },
  'duplicate key': { yaml: `${SERVER_OK}  bdev_class: nvme\n  bdev_class: file\n`, code: 404, key: "'servers[0].bdev_class' is set more than once", line: 5 },
  'missing scm_class': { yaml: 'servers:\n- scm_mount: /tmp/a\n', code: 407, key: "'servers[0].scm_class'", line: 2 },
  'scm_class not known': { yaml: 'servers:\n- scm_class: pmem\n', code: 409, key: "'servers[0].scm_class' value \"pmem\"", line: 2 },
  'bdev_class not known': { yaml: `${SERVER_OK}  bdev_class: spdk\n`, code: 409, key: "'servers[0].bdev_class' value \"spdk\"", line: 4 },
  'YAML syntax error': { yaml: `${SERVER_OK}  bdev_list: [a\n`, code: 403, key: 'invalid YAML', line: 5, resolution: /line 5/ },
  'bad control_log_mask': { yaml: `control_log_mask: VERBOSE\n${SERVER_OK}`, code: 416, key: "'control_log_mask' \"VERBOSE\"", line: 1, resolution: /DISABLED, ERROR, NOTICE, INFO, DEBUG/ },
};

for (const [name, tc] of Object.entries(parseCases)) {
  test(`parse refuses: ${name}`, () => {
    const f = thrown(() => parseServerConfig(tc.yaml, FILE));
    const p = problemsOf(f);
    assert.deepEqual(p.map((x) => x.code), [tc.code], p.map((x) => x.description).join('\n'));
    const one = p[0]!;
    assert.ok(one.description.includes(tc.key), one.description);
    assert.ok(one.description.startsWith(tc.line > 0 ? `${FILE}:${tc.line}:` : FILE), one.description);
    assert.ok(one.resolution.includes(EXAMPLES_HINT), one.resolution);
    if (tc.resolution) assert.match(one.resolution, tc.resolution);
  });
}

// The deployment guide leaves 'servers:' blank at first start: the server runs its control plane only.
const noServers: Record<string, string> = {
  'servers blank': 'port: 10001\nservers:\n',
  'servers an empty list': 'servers: []\n',
  'servers absent': 'port: 10001\n',
};
for (const [name, yaml] of Object.entries(noServers)) {
  test(`accepted without I/O server instances: ${name}`, () => {
    const cfg = parseServerConfig(yaml, FILE);
    assert.deepEqual(cfg.servers, []);
    validateServerConfig(cfg);
  });
}

test('parse reports every problem at once, in line order', () => {
  const yaml = `port: "x"\nservers:\n- scm_class: dir\n  scm_mount: /tmp/a\n  scm_mount: /tmp/b\n  targts: 3\nfoo: 1\n`;
  const f = thrown(() => parseServerConfig(yaml, FILE));
  assert.equal(f.code, 400);
  assert.deepEqual(
    problemsOf(f).map((p) => p.code),
    [406, 404, 405, 405],
  );
  assert.match(f.description, /^4 problems in \/etc\/daos\/daos_server\.yml:/);
  assert.equal(f.resolution.split('\n').length, 6);
});

// ---- validation refusals ------------------------------------------------------------------------------

type Raw = Record<string, any>;

function baseRaw(): Raw {
  return {
    port: 10001,
    access_points: ['host1:10001'],
    servers: [
      {
        targets: 8,
        fabric_iface: 'eth0',
        fabric_iface_port: 31416,
        log_file: '/tmp/s0.log',
        scm_mount: '/mnt/daos0',
        scm_class: 'ram',
        scm_size: 4,
        bdev_class: 'nvme',
        bdev_list: ['0000:81:00.0'],
      },
      {
        targets: 8,
        fabric_iface: 'eth0',
        fabric_iface_port: 31516,
        log_file: '/tmp/s1.log',
        scm_mount: '/mnt/daos1',
        scm_class: 'ram',
        scm_size: 4,
        bdev_class: 'nvme',
        bdev_list: ['0000:87:00.0'],
      },
    ],
  };
}

function validate(edit: (r: Raw) => void): ServerConfig {
  const raw = baseRaw();
  edit(raw);
  const cfg = parseServerConfig(stringify(raw), FILE);
  validateServerConfig(cfg);
  return cfg;
}

const s0 = (r: Raw): Raw => r.servers[0];
const s1 = (r: Raw): Raw => r.servers[1];

const refusals: Record<string, { edit: (r: Raw) => void; code: number; key: string; resolution?: RegExp }> = {
  'two access points': { edit: (r) => (r.access_points = ['a:10001', 'b:10001']), code: 411, key: "'access_points' lists 2 entries", resolution: /single/ },
  'no access point': { edit: (r) => (r.access_points = []), code: 411, key: "'access_points' lists 0 entries" },
  'access point port 0': { edit: (r) => (r.access_points = ['host1:0']), code: 412, key: '"host1:0" is not valid: port 0' },
  'access point port not a number': { edit: (r) => (r.access_points = ['host1:ten']), code: 412, key: 'port "ten" is not a number' },
  'access point empty': { edit: (r) => (r.access_points = ['']), code: 412, key: "'access_points' entry \"\"" },
  'port 0': { edit: (r) => (r.port = 0), code: 413, key: "'port' 0 is not valid", resolution: /between 1 and 65535 in \/etc\/daos\/daos_server\.yml \(or pass -p/ },
  'port too large': { edit: (r) => (r.port = 70000), code: 413, key: "'port' 70000" },
  'name too long': { edit: (r) => (r.name = 'a_very_long_system_name'), code: 414, key: "'name' \"a_very_long_system_name\"", resolution: /-g/ },
  'name with a space': { edit: (r) => (r.name = 'my sys'), code: 414, key: "'name' \"my sys\"" },
  'name empty': { edit: (r) => (r.name = ''), code: 414, key: "'name' \"\"" },
  'provider psm2': { edit: (r) => (r.provider = 'ofi+psm2'), code: 410, key: "'provider' \"ofi+psm2\" is not available: this implementation only has a TCP fabric", resolution: /'ofi\+tcp' or 'ofi\+sockets'/ },
  'per-server provider verbs': { edit: (r) => (s1(r).provider = 'ofi+verbs;ofi_rxm'), code: 410, key: "'servers[1].provider'" },
  'relative socket_dir': { edit: (r) => (r.socket_dir = 'run/daos'), code: 415, key: "'socket_dir' \"run/daos\" is not an absolute path", resolution: /-d/ },
  'relative scm_mount': { edit: (r) => (s0(r).scm_mount = 'mnt/daos'), code: 415, key: "'servers[0].scm_mount'", resolution: /-s/ },
  'relative log_file': { edit: (r) => (s1(r).log_file = 'server.log'), code: 415, key: "'servers[1].log_file'" },
  'relative control_log_file': { edit: (r) => (r.control_log_file = 'control.log'), code: 415, key: "'control_log_file'" },
  'relative helper_log_file': { edit: (r) => (r.helper_log_file = 'admin.log'), code: 415, key: "'helper_log_file'" },
  'scm_mount missing': { edit: (r) => delete s0(r).scm_mount, code: 420, key: "'servers[0].scm_mount' is not set", resolution: /-s/ },
  'ram without scm_size': { edit: (r) => delete s0(r).scm_size, code: 421, key: "'servers[0].scm_size' 0", resolution: /GB/ },
  'ram with scm_list': { edit: (r) => (s0(r).scm_list = ['/dev/pmem0']), code: 423, key: "'servers[0].scm_list' is set but scm_class ram" },
  'dcpm without scm_list': { edit: (r) => Object.assign(s0(r), { scm_class: 'dcpm', scm_size: 0 }), code: 422, key: "'servers[0].scm_list' lists 0 devices" },
  'dcpm with two devices': {
    edit: (r) => Object.assign(s0(r), { scm_class: 'dcpm', scm_size: 0, scm_list: ['/dev/pmem0', '/dev/pmem1'] }),
    code: 422,
    key: "'servers[0].scm_list' lists 2 devices",
  },
  'dcpm with scm_size': { edit: (r) => Object.assign(s0(r), { scm_class: 'dcpm', scm_list: ['/dev/pmem0'] }), code: 423, key: "'servers[0].scm_size' is set but scm_class dcpm" },
  'dir with scm_list': { edit: (r) => Object.assign(s0(r), { scm_class: 'dir', scm_list: ['/dev/pmem0'] }), code: 423, key: "'servers[0].scm_list' is set but scm_class dir" },
  'nvme entry not a PCI address': { edit: (r) => (s0(r).bdev_list = ['81:00.0']), code: 424, key: "'servers[0].bdev_list[0]' \"81:00.0\"", resolution: /DDDD:BB:DD\.F/ },
  'nvme PCI device out of range': { edit: (r) => (s0(r).bdev_list = ['0000:81:20.0']), code: 424, key: "'servers[0].bdev_list[0]'" },
  'kdev not under /dev': { edit: (r) => Object.assign(s0(r), { bdev_class: 'kdev', bdev_list: ['/tmp/sdb'] }), code: 424, key: "'servers[0].bdev_list[0]' \"/tmp/sdb\"" },
  'kdev relative': { edit: (r) => Object.assign(s0(r), { bdev_class: 'kdev', bdev_list: ['sdb'] }), code: 424, key: '"sdb" is not valid for bdev_class kdev' },
  'file relative': {
    edit: (r) => Object.assign(s0(r), { bdev_class: 'file', bdev_list: ['bdev0'], bdev_size: 1 }),
    code: 415,
    key: "'servers[0].bdev_list[0]' \"bdev0\" is not an absolute path",
    resolution: /please specify an absolute path/,
  },
  'file without bdev_size': { edit: (r) => Object.assign(s0(r), { bdev_class: 'file', bdev_list: ['/tmp/bdev0'] }), code: 426, key: "'servers[0].bdev_size' 0 is too small for bdev_class file" },
  'malloc without bdev_number': { edit: (r) => Object.assign(s0(r), { bdev_class: 'malloc', bdev_list: [], bdev_size: 1 }), code: 426, key: "'servers[0].bdev_number'" },
  'malloc without bdev_size': { edit: (r) => Object.assign(s0(r), { bdev_class: 'malloc', bdev_list: [], bdev_number: 2 }), code: 426, key: "'servers[0].bdev_size'" },
  'malloc with bdev_list': {
    edit: (r) => Object.assign(s0(r), { bdev_class: 'malloc', bdev_list: ['x'], bdev_number: 1, bdev_size: 1 }),
    code: 427,
    key: "'servers[0].bdev_list' is set but bdev_class malloc",
  },
  'empty bdev_list entry': { edit: (r) => (s0(r).bdev_list = ['0000:81:00.0', '']), code: 425, key: "'servers[0].bdev_list' entry 1 is empty (index 1)" },
  'device twice in one bdev_list': { edit: (r) => (s0(r).bdev_list = ['0000:81:00.0', '0000:81:00.0']), code: 428, key: "'servers[0].bdev_list' lists \"0000:81:00.0\" more than once" },
  'device in bdev_exclude': { edit: (r) => (r.bdev_exclude = ['0000:87:00.0']), code: 429, key: "'servers[1].bdev_list' uses \"0000:87:00.0\"" },
  'device in bdev_exclude (short form)': { edit: (r) => (r.bdev_exclude = ['87:00.0']), code: 429, key: "'servers[1].bdev_list' uses \"0000:87:00.0\"" },
  'device not in bdev_include': { edit: (r) => (r.bdev_include = ['0000:81:00.0', '0000:da:00.0']), code: 434, key: "'servers[1].bdev_list' uses \"0000:87:00.0\", which 'bdev_include' does not list" },
  'nr_xs_helpers 3': { edit: (r) => (s0(r).nr_xs_helpers = 3), code: 417, key: "'servers[0].nr_xs_helpers' 3 is out of range (0 to 2)" },
  'targets 0': { edit: (r) => (s0(r).targets = 0), code: 417, key: "'servers[0].targets' 0 is out of range (1 to 64)", resolution: /-t/ },
  'targets 65': { edit: (r) => (s1(r).targets = 65), code: 417, key: "'servers[1].targets' 65" },
  'fabric_iface missing': { edit: (r) => delete s0(r).fabric_iface, code: 420, key: "'servers[0].fabric_iface' is not set", resolution: /top level/ },
  'fabric_iface_port missing': { edit: (r) => delete s1(r).fabric_iface_port, code: 420, key: "'servers[1].fabric_iface_port' is not set" },
  'fabric_iface_port out of range': { edit: (r) => (s1(r).fabric_iface_port = 70000), code: 413, key: "'servers[1].fabric_iface_port' 70000 is not valid" },
  'rank 4294967295': { edit: (r) => (s0(r).rank = 4294967295), code: 431, key: "'servers[0].rank' 4294967295 is out of range [0, 4294967294]" },
  'env var without key': { edit: (r) => (s0(r).env_vars = ['A=1', '=30']), code: 430, key: "'servers[0].env_vars[1]' \"=30\" is not KEY=VALUE" },
  'env var without =': { edit: (r) => (s0(r).env_vars = ['CRT_TIMEOUT']), code: 430, key: "'servers[0].env_vars[0]'" },
  'same explicit rank': { edit: (r) => ((s0(r).rank = 3), (s1(r).rank = 3)), code: 440, key: 'servers[0] and servers[1] both ask for rank 3' },
  'same scm_mount': { edit: (r) => (s1(r).scm_mount = '/mnt/daos0'), code: 441, key: 'servers[0] and servers[1] share the scm_mount "/mnt/daos0"' },
  'nested scm_mount': { edit: (r) => (s0(r).scm_mount = '/mnt/daos1/inner'), code: 441, key: 'servers[0] scm_mount "/mnt/daos1/inner" is inside servers[1] scm_mount "/mnt/daos1"' },
  'same fabric interface and port': { edit: (r) => (s1(r).fabric_iface_port = 31416), code: 442, key: 'share fabric_iface "eth0" with fabric_iface_port 31416' },
  'same pmem device': {
    edit: (r) => {
      Object.assign(s0(r), { scm_class: 'dcpm', scm_size: 0, scm_list: ['/dev/pmem0'] });
      Object.assign(s1(r), { scm_class: 'dcpm', scm_size: 0, scm_list: ['/dev/pmem0'] });
    },
    code: 443,
    key: 'servers[0] and servers[1] share the scm_list device "/dev/pmem0"',
  },
  'same NVMe device': { edit: (r) => (s1(r).bdev_list = ['0000:81:00.0']), code: 444, key: 'servers[0] and servers[1] share the bdev_list device "0000:81:00.0"' },
  'same NVMe device, other case': {
    edit: (r) => ((s0(r).bdev_list = ['0000:da:00.0']), (s1(r).bdev_list = ['0000:DA:00.0'])),
    code: 444,
    key: 'share the bdev_list device "0000:da:00.0"',
  },
  'same file device': {
    edit: (r) => {
      Object.assign(s0(r), { bdev_class: 'file', bdev_list: ['/var/lib/daos/bdev'], bdev_size: 1 });
      Object.assign(s1(r), { bdev_class: 'file', bdev_list: ['/var/lib/daos/./bdev'], bdev_size: 1 });
    },
    code: 444,
    key: 'share the bdev_list device "/var/lib/daos/bdev"',
  },
};

for (const [name, tc] of Object.entries(refusals)) {
  test(`validation refuses: ${name}`, () => {
    const f = thrown(() => validate(tc.edit));
    const p = problemsOf(f);
    assert.deepEqual(p.map((x) => x.code), [tc.code], p.map((x) => x.description).join('\n'));
    assert.equal(f.domain, 'config');
    assert.ok(f.description.includes(tc.key), f.description);
    assert.ok(f.resolution.includes(FILE), f.resolution);
    assert.ok(f.resolution.includes(EXAMPLES_HINT), f.resolution);
    if (tc.resolution) assert.match(f.resolution, tc.resolution);
  });
}

test('validation collects every problem, each with its fix', () => {
  const f = thrown(() =>
    validate((r) => {
      r.port = 0;
      s0(r).targets = 0;
      s1(r).scm_mount = '/mnt/daos0';
    }),
  );
  assert.equal(f.code, 400);
  assert.deepEqual(problemsOf(f).map((p) => p.code), [413, 417, 441]);
  assert.match(f.description, /^3 problems in \/etc\/daos\/daos_server\.yml:\n {2}- 'port' 0 is not valid\n/);
  const lines = f.resolution.split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines.at(-1), EXAMPLES_HINT);
});

const accepted: Record<string, { edit: (r: Raw) => void; path: string; want: unknown }> = {
  'access point without a port takes port': { edit: (r) => ((r.access_points = ['host1']), (r.port = 10002)), path: 'accessPoints', want: ['host1:10002'] },
  'IPv6 access point': { edit: (r) => (r.access_points = ['[fe80::1]:10003']), path: 'accessPoints', want: ['[fe80::1]:10003'] },
  'bare IPv6 access point': { edit: (r) => (r.access_points = ['::1']), path: 'accessPoints', want: ['[::1]:10001'] },
  'env value containing =': { edit: (r) => (s0(r).env_vars = ['OPTS=a=b']), path: 'servers.0.envVars', want: ['OPTS=a=b'] },
  'provider ofi+tcp;ofi_rxm': { edit: (r) => (r.provider = 'ofi+tcp;ofi_rxm'), path: 'servers.1.provider', want: 'ofi+tcp;ofi_rxm' },
  'fabric from the top level': {
    edit: (r) => {
      r.fabric_iface = 'lo';
      delete s0(r).fabric_iface;
      delete s0(r).fabric_iface_port;
      r.fabric_iface_port = 30000;
    },
    path: 'servers.0.fabricIfacePort',
    want: 30000,
  },
  'same interface, different ports': { edit: () => {}, path: 'servers.1.fabricIfacePort', want: 31516 },
  'uppercase PCI address': { edit: (r) => (s0(r).bdev_list = ['0000:D8:1F.7']), path: 'servers.0.bdev.deviceList', want: ['0000:D8:1F.7'] },
  'shared log_file is allowed': { edit: (r) => (s1(r).log_file = '/tmp/s0.log'), path: 'servers.1.logFile', want: '/tmp/s0.log' },
  'rank 4294967294': { edit: (r) => (s0(r).rank = 4294967294), path: 'servers.0.rank', want: 4294967294 },
  'malloc with number and size': {
    edit: (r) => Object.assign(s0(r), { bdev_class: 'malloc', bdev_list: [], bdev_number: 2, bdev_size: 1 }),
    path: 'servers.0.bdev',
    want: { class: 'malloc', deviceList: [], sizeGB: 1, number: 2 },
  },
  'kdev device': { edit: (r) => Object.assign(s0(r), { bdev_class: 'kdev', bdev_list: ['/dev/sdb'] }), path: 'servers.0.bdev.class', want: 'kdev' },
  'no block devices': { edit: (r) => delete s0(r).bdev_list, path: 'servers.0.bdev.deviceList', want: [] },
};

for (const [name, tc] of Object.entries(accepted)) {
  test(`validation accepts: ${name}`, () => {
    assert.deepEqual(get(validate(tc.edit), tc.path), tc.want);
  });
}

// ---- the config file and the active copy -------------------------------------------------------

test('-o: a relative path resolves against the current directory', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'srv.yml'), SERVER_OK);
  assert.equal(resolveServerConfigPath('srv.yml', dir), path.join(dir, 'srv.yml'));
  assert.equal(resolveServerConfigPath('./srv.yml', dir), path.join(dir, 'srv.yml'));
});

test('-o: a missing file names the absolute path, -o and the template', () => {
  const dir = tmpDir();
  const f = thrown(() => resolveServerConfigPath('nope.yml', dir));
  assert.equal(f.code, 401);
  assert.equal(f.description, `config file ${path.join(dir, 'nope.yml')} does not exist`);
  assert.match(f.resolution, /pass -o <path> to daos_server/);
  assert.ok(f.resolution.includes(path.join(EXAMPLES_DIR, 'daos_server.yml')));
});

test('-o: a directory is refused', () => {
  const dir = tmpDir();
  assert.equal(thrown(() => resolveServerConfigPath(dir)).code, 402);
});

function memLogger(): { log: Logger; sink: MemorySink } {
  const sink = new MemorySink();
  return { log: new Logger([{ sink, level: 'debug' }]), sink };
}

test('the active config is written next to the config and reads back the same', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'daos_server.yml');
  fs.copyFileSync(path.join(EXAMPLES_DIR, 'examples/daos_server_guide.yml'), file);
  const cfg = parseServerConfig(fs.readFileSync(file, 'utf8'), file);
  applyOverrides(cfg, { insecure: true, targets: 4, modules: 'vos', group: 'sys9' });
  cfg.servers[0]!.rank = 7;
  cfg.servers[1]!.pinnedNumaNode = 1;
  validateServerConfig(cfg);
  const { log, sink } = memLogger();
  const p = writeActiveConfig(cfg, log);
  assert.equal(p, path.join(dir, ACTIVE_CONFIG_NAME));
  assert.equal(fs.statSync(p).mode & 0o777, 0o444, 'read-only, as its header says');
  assert.deepEqual(sink.lines, [{ level: 'debug', msg: `Active config saved to ${p} (read-only)` }]);
  const back = parseServerConfig(fs.readFileSync(p, 'utf8'), p);
  validateServerConfig(back);
  assert.deepEqual({ ...back, path: '' }, { ...cfg, path: '' });
  // The next start replaces the read-only copy (rename, not an in-place write) and leaves no staging file.
  cfg.servers[0]!.targets = 3;
  assert.equal(writeActiveConfig(cfg, log), p);
  assert.match(fs.readFileSync(p, 'utf8'), /targets: 3/);
  assert.equal(fs.statSync(p).mode & 0o777, 0o444);
  assert.deepEqual(fs.readdirSync(dir).sort(), [ACTIVE_CONFIG_NAME, 'daos_server.yml'].sort());
});

test('the active config falls back to the temp dir, then warns', () => {
  const tmp = tmpDir();
  const cfg = parseServerConfig(SERVER_OK, '/nonexistent-daos-dir/daos_server.yml');
  const { log, sink } = memLogger();
  assert.equal(writeActiveConfig(cfg, log, tmp), path.join(tmp, ACTIVE_CONFIG_NAME));
  assert.equal(sink.lines[0]!.msg, `Active config saved to ${path.join(tmp, ACTIVE_CONFIG_NAME)} (read-only)`);

  const none = memLogger();
  assert.equal(writeActiveConfig(cfg, none.log, path.join(tmp, 'missing')), '');
  assert.equal(none.sink.lines.length, 1);
  assert.equal(none.sink.lines[0]!.level, 'notice');
  assert.match(none.sink.lines[0]!.msg, /^warning: active config could not be saved \(/);
});
