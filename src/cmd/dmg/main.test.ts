/**
 * dmg command tests: argv → the requests sent (through the mock invoker) and
 * the output, golden where the deployment guide shows the text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './main.js';
import { MockInvoker, type MockHost } from '../../lib/control/mocks.js';
import { ResponseStatus } from '../../proto/ctl/common_pb.js';

async function dmg(argv: string[], hosts: Record<string, MockHost>, answers: string[] = []) {
  let out = '';
  let err = '';
  const inv = new MockInvoker(hosts);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dmg-test-'));
  const oldHome = process.env.HOME;
  process.env.HOME = home;
  try {
    const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), confirm: async () => answers.shift() === 'yes' }, () => inv);
    return { code, out, err, calls: inv.calls };
  } finally {
    process.env.HOME = oldHome;
    fs.rmSync(home, { recursive: true });
  }
}

/** The hardware of the guide's wolf-71/72 example. */
const wolf: MockHost = {
  ctl: {
    storageScan: () => ({
      scm: {
        pmems: [
          { uuid: 'u1', blockdev: 'pmem1', dev: 'namespace1.0', numanode: 1, size: 3183575302144n },
          { uuid: 'u0', blockdev: 'pmem0', dev: 'namespace0.0', numanode: 0, size: 3183575302144n },
        ],
        state: { status: ResponseStatus.CTL_SUCCESS },
      },
      nvme: {
        ctrlrs: [
          { pciaddr: '0000:81:00.0', model: 'INTEL SSDPED1K750GA', fwrev: 'E2010325', socketid: 1, namespaces: [{ id: 1, size: 750 }] },
          { pciaddr: '0000:87:00.0', model: 'INTEL SSDPEDMD016T4', fwrev: '8DV10171', socketid: 1, namespaces: [{ id: 1, size: 1600 }] },
          { pciaddr: '0000:da:00.0', model: 'INTEL SSDPED1K750GA', fwrev: 'E2010325', socketid: 1, namespaces: [{ id: 1, size: 750 }] },
        ],
        state: { status: ResponseStatus.CTL_SUCCESS },
      },
    }),
  },
};

test('storage scan --verbose prints the guide output, exactly', async () => {
  const r = await dmg(['-l', 'wolf-7[1-2]', '-i', 'storage', 'scan', '--verbose'], { 'wolf-71:10001': wolf, 'wolf-72:10001': wolf });
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      'wolf-[71-72]:10001: connected',
      '------------',
      'wolf-[71-72]',
      '------------',
      'SCM Namespace Socket ID Capacity',
      '------------- --------- --------',
      'pmem0         0         2.90TB',
      'pmem1         1         2.90TB',
      '',
      'NVMe PCI     Model               FW Revision Socket ID Capacity',
      '--------     -----               ----------- --------- --------',
      '0000:81:00.0 INTEL SSDPED1K750GA E2010325    1         750.00GB',
      '0000:87:00.0 INTEL SSDPEDMD016T4 8DV10171    1         1.56TB',
      '0000:da:00.0 INTEL SSDPED1K750GA E2010325    1         750.00GB',
      '',
    ].join('\n'),
  );
  assert.deepEqual(r.calls.map((c) => `${c.host} ${c.method}`).sort(), ['wolf-71:10001 storageScan', 'wolf-72:10001 storageScan']);
});

test('storage scan summary groups identical hosts and names the failing ones', async () => {
  const r = await dmg(['-i', '-l', 'wolf-[71-73],boro-4', 'storage', 'scan'], {
    'wolf-71:10001': wolf,
    'wolf-72:10001': wolf,
    'wolf-73:10001': wolf,
    'boro-4:10001': { unreachable: 'connection refused (is daos_server running and listening on this port?)' },
  });
  assert.equal(r.code, 1);
  assert.equal(
    r.out,
    [
      'wolf-[71-73]:10001: connected',
      '      boro-4:10001: connection refused (is daos_server running and listening on this port?)',
      'Hosts        SCM Total             NVMe Total',
      '-----        ---------             ----------',
      'wolf-[71-73] 5.79TB (2 namespaces) 3.03TB (3 controllers)',
      '',
    ].join('\n'),
  );
});

test('storage format: ok hosts grouped, device errors in tables, exit 1 on any failure', async () => {
  const ok = { ctl: { storageFormat: () => [{ mrets: [{ mntpoint: '/mnt/daos', state: {} }], crets: [{ pciaddr: '/var/lib/daos/bdev0', state: {} }] }] } };
  const refused = {
    ctl: {
      storageFormat: () => [
        {
          mrets: [
            {
              mntpoint: '/mnt/daos',
              state: {
                status: ResponseStatus.CTL_ERR_SCM,
                error: 'storage: code = 103 description = "format request for already-formatted storage and reformat not specified"',
                info: 'storage: code = 103 resolution = "retry the operation with reformat option to overwrite existing format"',
              },
            },
          ],
        },
      ],
    },
  };
  const r = await dmg(['-i', '-l', 'node[1-3]', 'storage', 'format'], { 'node1:10001': ok, 'node2:10001': ok, 'node3:10001': refused });
  assert.equal(r.code, 1);
  assert.equal(
    r.out,
    [
      'node[1-3]:10001: connected',
      '',
      'node[1-2]: storage format ok',
      '',
      '-----',
      'node3',
      '-----',
      'SCM Mount Format Result',
      '--------- -------------',
      '/mnt/daos CTL_ERR_SCM: storage: code = 103 description = "format request for already-formatted storage and reformat not specified" (storage: code = 103 resolution = "retry the operation with reformat option to overwrite existing format")',
      '',
      'No block devices formatted',
      '',
      '',
    ].join('\n'),
  );
  assert.ok(r.calls.every((c) => (c.req as { reformat: boolean }).reformat === false));
  const again = await dmg(['-i', '-l', 'node1', 'storage', 'format', '--reformat'], { 'node1:10001': ok });
  assert.equal(again.calls[0].method, 'storageFormat');
  assert.equal((again.calls[0].req as { reformat: boolean }).reformat, true);
});

test('system query groups ranks by state; -v shows one row per rank', async () => {
  const members = [0, 1, 2, 3].map((rank) => ({
    rank,
    uuid: `00000000-0000-4000-8000-00000000000${rank}`,
    addr: `10.0.0.${rank + 1}:10001`,
    state: rank === 2 ? 'Errored' : 'Joined',
    info: rank === 2 ? 'I/O server process killed by signal SIGKILL' : '',
    faultDomain: `/node${rank + 1}`,
  }));
  const host = { ctl: { systemQuery: () => ({ members }) } };
  const r = await dmg(['-i', '-l', 'node1', 'system', 'query'], { 'node1:10001': host });
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      'Rank    State   Reason',
      '----    -----   ------',
      '[0-1,3] Joined',
      '2       Errored I/O server process killed by signal SIGKILL',
      '',
    ].join('\n'),
  );
  const v = await dmg(['-i', '-l', 'node1', 'system', 'query', '-v', '-r', '0-1'], { 'node1:10001': host });
  assert.deepEqual((v.calls[0].req as { ranks: number[] }).ranks, [0, 1]);
  assert.match(v.out, /^Rank UUID +Control Address Fault Domain State +Reason$/m);
  assert.match(v.out, /^0 +00000000-0000-4000-8000-000000000000 10\.0\.0\.1:10001 +\/node1 +Joined$/m);
  const j = await dmg(['-i', '-j', '-l', 'node1', 'system', 'query'], { 'node1:10001': host });
  const doc = JSON.parse(j.out);
  assert.equal(doc.status, 0);
  assert.equal(doc.error, null);
  assert.equal(doc.response.members.length, 4);
});

test('system stop and start report per rank and fail when a rank fails', async () => {
  const host = {
    ctl: {
      systemStop: () => ({ results: [0, 1, 2].map((rank) => ({ rank, action: 'stop', errored: false, id: `a/u/${rank}`, state: 'Stopped' })) }),
      systemStart: () => ({
        results: [
          { rank: 0, action: 'start', errored: false, state: 'Joined' },
          { rank: 1, action: 'start', errored: true, msg: 'unable to start ranks on 10.0.0.2:10001: connection refused', state: 'Stopped' },
        ],
      }),
    },
  };
  const s = await dmg(['-i', '-l', 'node1', 'system', 'stop', '--force'], { 'node1:10001': host });
  assert.equal(s.code, 0);
  assert.equal(s.out, 'Rank  Operation Result\n----  --------- ------\n[0-2] stop      OK\n');
  assert.equal((s.calls[0].req as { force: boolean }).force, true);
  const st = await dmg(['-i', '-l', 'node1', 'system', 'start'], { 'node1:10001': host });
  assert.equal(st.code, 1);
  assert.match(st.out, /^1 +start +unable to start ranks on 10\.0\.0\.2:10001: connection refused$/m);
});

test('storage prepare asks for consent and sends nothing without it', async () => {
  const host = { ctl: { storagePrepare: () => ({ scm: { state: {}, rebootRequired: true } }) } };
  const no = await dmg(['-i', '-l', 'node1', 'storage', 'prepare', '--scm-only'], { 'node1:10001': host }, ['no']);
  assert.equal(no.code, 1);
  assert.match(no.err, /consent not given/);
  assert.equal(no.calls.length, 0);
  const yes = await dmg(['-i', '-l', 'node1', 'storage', 'prepare', '--scm-only'], { 'node1:10001': host }, ['yes']);
  assert.equal(yes.code, 0, yes.err);
  assert.match(yes.out, /A reboot is required to process new memory allocation goals\./);
  assert.deepEqual(yes.calls[0].req, { scm: { reset: false }, nvme: undefined });
  const both = await dmg(['-i', '-l', 'node1', 'storage', 'prepare', '-n', '-s'], { 'node1:10001': host });
  assert.equal(both.code, 1);
  assert.match(both.err, /nvme-only and scm-only options should not be set together/);
});

test('network scan prints the guide blocks grouped by host set', async () => {
  const host = {
    ctl: {
      networkScanDevices: () => [
        { provider: 'ofi+tcp', device: 'eth0', numanode: 0 },
        { provider: 'ofi+tcp', device: 'lo', numanode: 0 },
      ],
    },
  };
  const r = await dmg(['-i', '-l', 'node[1-2]', 'network', 'scan', '-p', 'ofi+tcp'], { 'node1:10001': host, 'node2:10001': host });
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    'node[1-2]:10001: connected\n---------\nnode[1-2]\n---------\n\n\tfabric_iface: eth0\n\tprovider: ofi+tcp\n\tpinned_numa_node: 0\n\n\tfabric_iface: lo\n\tprovider: ofi+tcp\n\tpinned_numa_node: 0\n\n',
  );
  assert.equal((r.calls[0].req as { provider: string }).provider, 'ofi+tcp');
});

test('version needs no config, certificates or servers', async () => {
  const r = await dmg(['version'], {});
  assert.equal(r.code, 0);
  assert.match(r.out, /^dmg version \d+\.\d+\.\d+\n$/);
});

test('storage prepare --scm-only prints the reboot notice once (first run and --reset)', async () => {
  const notice = 'A reboot is required to process new memory allocation goals.';
  for (const [args, info] of [
    [[], notice],
    [['--reset'], `Removing namespace namespace0.0...\n${notice}`],
  ] as const) {
    const host = { ctl: { storagePrepare: () => ({ scm: { state: { info }, rebootRequired: true } }) } };
    const r = await dmg(['-i', '-l', 'node1', 'storage', 'prepare', '--scm-only', '--force', ...args], { 'node1:10001': host });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split(notice).length - 1, 1, r.out);
  }
});

test('system query -r with ranks the system lacks fails in JSON mode too', async () => {
  const host = { ctl: { systemQuery: () => ({ members: [{ rank: 0, uuid: 'u', addr: 'a:1', state: 'Joined' }], absentRanks: [1, 2] }) } };
  const text = await dmg(['-i', '-l', 'node1', 'system', 'query', '-r', '0-2'], { 'node1:10001': host });
  assert.equal(text.code, 1);
  assert.match(text.err, /no such rank\(s\) in the system: 1-2/);
  const j = await dmg(['-i', '-j', '-l', 'node1', 'system', 'query', '-r', '0-2'], { 'node1:10001': host });
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.out);
  assert.equal(doc.status, 1);
  assert.match(doc.error.message, /no such rank\(s\) in the system: 1-2/);
  assert.deepEqual(doc.response.absent_ranks, [1, 2]);
});

test('dmg without a command prints the help and fails, as daos_server does', async () => {
  const r = await dmg([], {});
  assert.equal(r.code, 1);
  assert.match(r.err, /Usage: dmg/);
  assert.match(r.err, /a command is required/);
  assert.equal(r.out, '');
});

test('dmg --help names the config files it really searches, in order', async () => {
  const { dmgConfigSearchPaths } = await import('../../config/client.js');
  const r = await dmg(['--help'], {});
  assert.equal(r.code, 0);
  const help = r.out.replace(/\s+/g, ' ');
  const paths = dmgConfigSearchPaths('~');
  assert.deepEqual(paths, ['~/.daos_control.yml', '/etc/daos/daos_control.yml', '/etc/daos/daos.yml']);
  assert.ok(help.includes(paths.join(', ')), help);
});

test('storage format on a server without I/O server instances says there is nothing to format', async () => {
  const host = { ctl: { storageFormat: () => [{ mrets: [], crets: [] }] } };
  const r = await dmg(['-i', '-l', 'node1', 'storage', 'format'], { 'node1:10001': host });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /node1: nothing to format: its daos_server\.yml lists no I\/O server instances/);
});

/** dmg with a daos_control.yml: where each kind of command goes. */
async function dmgWithConfig(yaml: string, argv: string[], hosts: Record<string, MockHost>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmg-cfg-'));
  try {
    fs.writeFileSync(path.join(dir, 'ctl.yml'), yaml);
    return await dmg(['-o', path.join(dir, 'ctl.yml'), '-i', ...argv], hosts);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the config port moves the default host; system and pool commands go to access_points unless hostlist or -l is given', async () => {
  const both: MockHost = { ctl: { storageScan: () => ({}), systemQuery: () => ({ members: [] }) } };
  const hosts = { 'localhost:10011': both, 'ap1:10011': both, 'ap2:10002': both, 'h1:10011': both, 'cli:10011': both };
  const cases: Record<string, { yaml: string; argv: string[]; want: string }> = {
    'per-host command, no hostlist: localhost with the config port': { yaml: 'port: 10011\n', argv: ['storage', 'scan'], want: 'localhost:10011 storageScan' },
    'system command, no hostlist, no access_points: localhost with the config port': { yaml: 'port: 10011\n', argv: ['system', 'query'], want: 'localhost:10011 systemQuery' },
    'system command, access_points only': { yaml: 'port: 10011\naccess_points: [ap1]\n', argv: ['system', 'query'], want: 'ap1:10011 systemQuery' },
    'access point with its own port': { yaml: 'port: 10011\naccess_points: ["ap2:10002"]\n', argv: ['system', 'query'], want: 'ap2:10002 systemQuery' },
    'hostlist wins over access_points': { yaml: 'port: 10011\naccess_points: [ap1]\nhostlist: [h1]\n', argv: ['system', 'query'], want: 'h1:10011 systemQuery' },
    '-l wins over both': { yaml: 'port: 10011\naccess_points: [ap1]\nhostlist: [h1]\n', argv: ['-l', 'cli', 'system', 'query'], want: 'cli:10011 systemQuery' },
    'per-host commands ignore access_points': { yaml: 'port: 10011\naccess_points: [ap1]\nhostlist: [h1]\n', argv: ['storage', 'scan'], want: 'h1:10011 storageScan' },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const r = await dmgWithConfig(tc.yaml, tc.argv, hosts);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.deepEqual(r.calls.map((c) => `${c.host} ${c.method}`), [tc.want], name);
  }
});

test('a fault answered by a host is shown by its description, not its code', async () => {
  const { Fault } = await import('../../fault/fault.js');
  const running = new Fault({ domain: 'server', code: 611, description: 'cannot format storage with running I/O server instances', resolution: 'stop them first' });
  const host = {
    ctl: {
      storageFormat: () => {
        throw running;
      },
    },
  };
  const r = await dmg(['-i', '-l', 'node[1-2]', 'storage', 'format'], { 'node1:10001': host, 'node2:10001': host });
  assert.equal(r.code, 1);
  assert.match(r.out, /node\[1-2\]: cannot format storage with running I\/O server instances/);
  assert.doesNotMatch(r.out, /: 611/);
});

test("pool get-acl -o after the subcommand is get-acl's --outfile; before it, dmg's config", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmg-acl-'));
  try {
    const cfg = path.join(dir, 'ctl.yml');
    fs.writeFileSync(cfg, 'port: 10011\n');
    const acl = { mgmt: { poolGetACL: () => ({ ACL: ['A::OWNER@:rw'], owner: 'alice@', ownerGroup: 'users@' }) } };
    const hosts = { 'node1:10011': acl, 'node1:10001': acl };
    const cases: Record<string, { argv: string[]; outfile?: string; host: string; json?: boolean }> = {
      'both: config before, outfile after': { argv: ['-i', '-o', cfg, '-l', 'node1', 'pool', 'get-acl', 'tank', '-o', 'a.acl'], outfile: 'a.acl', host: 'node1:10011' },
      'outfile only, after the subcommand': { argv: ['-i', '-l', 'node1', 'pool', 'get-acl', 'tank', '-o', 'b.acl'], outfile: 'b.acl', host: 'node1:10001' },
      'outfile attached to the short flag': { argv: ['-i', '-l', 'node1', 'pool', 'get-acl', '-oc.acl', 'tank'], outfile: 'c.acl', host: 'node1:10001' },
      'outfile by its long name': { argv: ['-i', '-l', 'node1', 'pool', 'ga', 'tank', '--outfile=d.acl'], outfile: 'd.acl', host: 'node1:10001' },
      'config only, before the subcommand': { argv: ['-i', '-o', cfg, '-l', 'node1', 'pool', 'get-acl', 'tank'], host: 'node1:10011' },
      'global flags other than -o still work after the subcommand': { argv: ['-o', cfg, 'pool', 'get-acl', 'tank', '-i', '-l', 'node1', '-j'], host: 'node1:10011', json: true },
    };
    for (const [name, tc] of Object.entries(cases)) {
      const argv = tc.argv.map((a) => a.replace(/^(-o|--outfile=)?([a-d]\.acl)$/, (_m, f: string | undefined, file: string) => `${f ?? ''}${path.join(dir, file)}`));
      const r = await dmg(argv, hosts);
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      assert.deepEqual(r.calls.map((c) => `${c.host} ${c.method}`), [`${tc.host} poolGetACL`], name);
      if (tc.outfile) {
        assert.equal(fs.readFileSync(path.join(dir, tc.outfile), 'utf8'), '# Owner: alice@\n# Owner Group: users@\n# Entries:\nA::OWNER@:rw\n', name);
        assert.match(r.out, new RegExp(`Wrote ACL to output file: .*${tc.outfile}`), name);
      } else if (tc.json) {
        assert.deepEqual(JSON.parse(r.out).response.acl, ['A::OWNER@:rw'], name);
      } else {
        assert.match(r.out, /Pool-get-ACL command succeeded/, name);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('system and pool commands name the TLS mismatch or refused certificates of the hosts, with their fix', async () => {
  const { securityFaults } = await import('../../security/faults.js');
  const mismatch = { reason: 'tls mismatch', fault: (hs: string) => securityFaults.transportMismatch(true, hs) };
  const foreignCA = { reason: 'TLS handshake failed: x', fault: (hs: string) => securityFaults.tlsHandshake(hs, "the server's certificate is not signed by our CA") };
  const refused = { unreachable: 'connection refused (is daos_server running and listening on this port?)' };
  const cases: Record<string, { hosts: Record<string, MockHost>; argv: string[]; err: RegExp[]; notErr?: RegExp }> = {
    'system query, insecure dmg against TLS servers': {
      hosts: { 'node1:10001': { unreachable: mismatch }, 'node2:10001': { unreachable: mismatch } },
      argv: ['-l', 'node[1-2]', 'system', 'query'],
      err: [/ERROR: dmg: node\[1-2\]:10001: the server requires TLS .* but this client runs insecure/, /resolution: drop -i/],
      notErr: /daos_server runs|no connection could be established/,
    },
    'pool list, certificates from another CA': {
      hosts: { 'node1:10001': { unreachable: foreignCA } },
      argv: ['-l', 'node1', 'pool', 'list'],
      err: [/ERROR: dmg: TLS handshake with node1:10001 failed: the server's certificate is not signed by our CA/, /resolution: both ends need certificates signed by the same DAOS CA/],
      notErr: /daos_server runs/,
    },
    'different reasons: every host is named with its own': {
      hosts: { 'node1:10001': refused, 'node2:10001': { unreachable: mismatch } },
      argv: ['-l', 'node[1-2]', 'system', 'query'],
      err: [/no server answered: node1:10001: connection refused .*; node2:10001: tls mismatch/],
    },
    'storage scan: the host is grouped under its TLS error, never "connected"': {
      hosts: { 'node1:10001': { unreachable: foreignCA } },
      argv: ['-l', 'node1', 'storage', 'scan'],
      err: [/ERROR: dmg: TLS handshake with node1:10001 failed/, /resolution: both ends need certificates/],
      notErr: /no active connections/,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const r = await dmg(['-i', ...tc.argv], tc.hosts);
    assert.equal(r.code, 1, name);
    for (const re of tc.err) assert.match(r.err, re, name);
    if (tc.notErr) assert.doesNotMatch(r.err, tc.notErr, name);
    assert.doesNotMatch(r.out, /connected/, name);
  }
});
