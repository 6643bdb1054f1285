import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Fault } from '../fault/fault.js';
import {
  defaultClientConfig,
  dmgConfigSearchPaths,
  loadAgentConfig,
  loadDmgConfig,
  parseClientConfig,
  validateClientConfig,
  type ClientProgram,
} from './client.js';
import { EXAMPLES_DIR, EXAMPLES_HINT, problemsOf } from './faults.js';
import type { ClientConfig } from './types.js';

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
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-client-config-test-'));
  tmpDirs.push(d);
  return d;
}

const defaults: Record<ClientProgram, ClientConfig> = {
  dmg: {
    path: '',
    name: 'daos_server',
    accessPoints: ['localhost:10001'],
    port: 10001,
    hostlist: ['localhost:10001'],
    hostlistGiven: false,
    runtimeDir: '/var/run/daos_agent',
    logFile: '/tmp/daos_agent.log',
    transport: {
      allowInsecure: false,
      serverName: 'server',
      clientCertDir: '',
      caCert: '/etc/daos/certs/daosCA.crt',
      cert: '/etc/daos/certs/admin.crt',
      key: '/etc/daos/certs/admin.key',
    },
  },
  daos_agent: {
    path: '',
    name: 'daos_server',
    accessPoints: ['localhost:10001'],
    port: 10001,
    hostlist: ['localhost:10001'],
    hostlistGiven: false,
    runtimeDir: '/var/run/daos_agent',
    logFile: '/tmp/daos_agent.log',
    transport: {
      allowInsecure: false,
      serverName: 'server',
      clientCertDir: '',
      caCert: '/etc/daos/certs/daosCA.crt',
      cert: '/etc/daos/certs/agent.crt',
      key: '/etc/daos/certs/agent.key',
    },
  },
};

for (const prog of ['dmg', 'daos_agent'] as const) {
  test(`${prog}: defaults`, () => {
    assert.deepEqual(defaultClientConfig(prog), defaults[prog]);
    assert.deepEqual(parseClientConfig('', '/x.yml', prog), { ...defaults[prog], path: '/x.yml' });
  });
}

test('dmg: without -o and no file anywhere, the defaults are used', () => {
  const dir = tmpDir();
  const cfg = loadDmgConfig(undefined, { searchPaths: [path.join(dir, 'a.yml'), path.join(dir, 'b.yml')] });
  assert.deepEqual(cfg, defaults.dmg);
});

test('dmg: the first existing file of the search list wins', () => {
  const dir = tmpDir();
  const [home, etc, old] = ['home.yml', 'daos_control.yml', 'daos.yml'].map((n) => path.join(dir, n)) as [string, string, string];
  fs.writeFileSync(etc, 'hostlist: ["wolf-[71-72]:10001"]\n');
  fs.writeFileSync(old, 'hostlist: [old]\n');
  assert.deepEqual(loadDmgConfig(undefined, { searchPaths: [home, etc, old] }).hostlist, ['wolf-[71-72]:10001']);
  assert.equal(loadDmgConfig(undefined, { searchPaths: [home, etc, old] }).path, etc);
  assert.deepEqual(loadDmgConfig(undefined, { searchPaths: [home, old] }).hostlist, ['old']);
});

test('dmg: the default search list is ~/.daos_control.yml, then /etc/daos', () => {
  assert.deepEqual(dmgConfigSearchPaths('/home/u'), ['/home/u/.daos_control.yml', '/etc/daos/daos_control.yml', '/etc/daos/daos.yml']);
});

const explicitMissing: Record<string, { load: (p: string, cwd: string) => unknown; prog: string; template: string }> = {
  dmg: { load: (p, cwd) => loadDmgConfig(p, { cwd, searchPaths: [] }), prog: 'dmg', template: 'daos_control.yml' },
  daos_agent: { load: (p, cwd) => loadAgentConfig(p, { cwd, defaultPath: '/nonexistent' }), prog: 'daos_agent', template: 'daos_agent.yml' },
};

for (const [name, tc] of Object.entries(explicitMissing)) {
  test(`${name}: an explicit -o that does not exist is a fault`, () => {
    const dir = tmpDir();
    const f = thrown(() => tc.load('missing.yml', dir));
    assert.equal(f.code, 401);
    assert.equal(f.description, `config file ${path.join(dir, 'missing.yml')} does not exist`);
    assert.match(f.resolution, new RegExp(`pass -o <path> to ${tc.prog}`));
    assert.ok(f.resolution.includes(path.join(EXAMPLES_DIR, tc.template)));
  });
}

test('dmg: without hostlist or access_points the defaults follow the config port', () => {
  const cfg = parseClientConfig('port: 10011\n', '/etc/daos/c.yml', 'dmg');
  validateClientConfig(cfg, 'dmg');
  assert.deepEqual([cfg.hostlist, cfg.accessPoints, cfg.hostlistGiven], [['localhost:10011'], ['localhost:10011'], false]);
  const given = parseClientConfig('port: 10011\nhostlist: [node1]\n', '/etc/daos/c.yml', 'dmg');
  assert.deepEqual([given.hostlist, given.hostlistGiven], [['node1'], true]);
});

test('daos_agent: a missing default file is not fatal', () => {
  const dir = tmpDir();
  assert.deepEqual(loadAgentConfig(undefined, { defaultPath: path.join(dir, 'daos_agent.yml') }), defaults.daos_agent);
});

test('daos_agent: the default file is used when present, and a relative -o resolves against the CWD', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'daos_agent.yml');
  fs.writeFileSync(file, 'access_points: [node1]\nruntime_dir: /tmp/agent\ntransport_config:\n  allow_insecure: true\n');
  const a = loadAgentConfig(undefined, { defaultPath: file });
  assert.deepEqual([a.path, a.accessPoints, a.runtimeDir, a.transport.allowInsecure, a.transport.cert], [file, ['node1:10001'], '/tmp/agent', true, '/etc/daos/certs/agent.crt']);
  assert.equal(loadAgentConfig('daos_agent.yml', { cwd: dir, defaultPath: '/nonexistent' }).path, file);
});

test("v0.8's daos.yml keys are accepted", () => {
  const text = 'name: daos_server\nport: 10001\nhostlist: [localhost]\nruntime_dir: /var/run/daos_agent\nhost_file: /etc/hosts\nlog_file: /tmp/a.log\nlog_file_format: ""\ntransport_config:\n  client_cert_dir: /etc/daos/certs/clients\n';
  const cfg = parseClientConfig(text, '/etc/daos/daos.yml', 'dmg');
  validateClientConfig(cfg, 'dmg');
  assert.equal(cfg.transport.clientCertDir, '/etc/daos/certs/clients');
});

for (const f of ['daos_agent.yml', 'daos_control.yml']) {
  test(`shipped ${f} loads and validates`, () => {
    const abs = path.join(EXAMPLES_DIR, f);
    const cfg = f === 'daos_agent.yml' ? loadAgentConfig(abs) : loadDmgConfig(abs);
    assert.equal(cfg.path, abs);
  });
}

const refusals: Record<string, { yaml: string; code: number; key: string }> = {
  'unknown key': { yaml: 'name: x\nhostlst: [a]\n', code: 405, key: "/etc/daos/c.yml:2: 'hostlst' is not a known key" },
  'wrong type': { yaml: 'hostlist: localhost\n', code: 406, key: "'hostlist' must be a list" },
  'duplicate key': { yaml: 'port: 1\nport: 2\n', code: 404, key: "'port' is set more than once" },
  'port 0': { yaml: 'port: 0\n', code: 413, key: "'port' 0 is not valid" },
  'relative runtime_dir': { yaml: 'runtime_dir: run\n', code: 415, key: "'runtime_dir' \"run\"" },
  'bad access point': { yaml: 'access_points: ["a:b"]\n', code: 412, key: 'port "b" is not a number' },
  'no access point': { yaml: 'access_points: []\n', code: 411, key: "'access_points' lists 0 entries" },
  'empty hostlist entry': { yaml: 'hostlist: [""]\n', code: 406, key: "'hostlist[0]'" },
  'bad name': { yaml: 'name: "a b"\n', code: 414, key: "'name' \"a b\"" },
};

for (const [name, tc] of Object.entries(refusals)) {
  test(`client config refuses: ${name}`, () => {
    const f = thrown(() => validateClientConfig(parseClientConfig(tc.yaml, '/etc/daos/c.yml', 'dmg'), 'dmg'));
    assert.deepEqual(problemsOf(f).map((p) => p.code), [tc.code]);
    assert.ok(f.description.includes(tc.key), f.description);
    assert.ok(f.resolution.includes(EXAMPLES_HINT), f.resolution);
  });
}
