/**
 * The systemd units in utils/systemd: their ExecStart lines run as written,
 * with the default config path and the RuntimeDirectory they declare.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, REPO, Background, isRoot, run, waitFor, which } from './harness/proc.js';
import { freePort } from './harness/local.js';

const UNITS = path.join(REPO, 'utils/systemd');

/** A minimal unit file parser: section → key → values (keys may repeat). */
function parseUnit(file: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let sec = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      sec = m[1];
      out[sec] ??= {};
      continue;
    }
    const i = line.indexOf('=');
    assert.ok(i > 0, `bad line in ${file}: ${line}`);
    const k = line.slice(0, i).trim();
    (out[sec][k] ??= []).push(line.slice(i + 1).trim());
  }
  return out;
}

for (const [unit, prog, rundir, alias] of [
  ['daos_server.service', 'daos_server', 'daos_server', 'daos-server.service'],
  ['daos_agent.service', 'daos_agent', 'daos_agent', 'daos-agent.service'],
] as const) {
  test(`${unit} answers to the deployment guide's name and points at no missing documentation`, () => {
    const u = parseUnit(path.join(UNITS, unit));
    assert.deepEqual(u.Install.Alias, [alias], `the guide runs systemctl start|status ${alias.replace('.service', '')}`);
    // A file: URI would name a path that depends on npm's install prefix (and /usr/share/doc/daos does not exist).
    for (const d of u.Unit.Documentation ?? []) {
      for (const uri of d.split(/\s+/)) assert.doesNotMatch(uri, /^file:/, `${unit}: Documentation=${uri}`);
    }
  });

  test(`${unit} is well formed and names an installed program`, () => {
    const u = parseUnit(path.join(UNITS, unit));
    const exec = u.Service.ExecStart[0].split(/\s+/);
    assert.equal(path.basename(exec[0]), prog);
    assert.equal(u.Service.RuntimeDirectory[0], rundir, 'matches the default runtime directory /var/run/' + rundir);
    assert.equal(u.Service.Type[0], 'simple');
    assert.ok(u.Install.WantedBy.includes('multi-user.target'));
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.ok(pkg.bin[prog], `${prog} is installed by npm install -g`);
  });
}

test('daosfiles.conf creates both runtime directories (systemd-tmpfiles)', { skip: which('systemd-tmpfiles') ? false : 'systemd-tmpfiles is not installed' }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tmpfiles-'));
  try {
    fs.mkdirSync(path.join(root, 'etc/tmpfiles.d'), { recursive: true });
    fs.copyFileSync(path.join(UNITS, 'daosfiles.conf'), path.join(root, 'etc/tmpfiles.d/daos.conf'));
    const r = await run('systemd-tmpfiles', ['--create', `--root=${root}`, 'daos.conf'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const d of ['daos_server', 'daos_agent']) {
      const st = fs.statSync(path.join(root, 'run', d));
      assert.ok(st.isDirectory());
      assert.equal(st.mode & 0o777, 0o755);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test(
  'daos_server.service ExecStart works: default config path, RuntimeDirectory, clean stop on SIGTERM',
  { skip: isRoot() ? false : 'needs root for a private mount namespace (overlay on /etc, tmpfs on /run)', timeout: 120_000 },
  async () => {
    const u = parseUnit(path.join(UNITS, 'daos_server.service'));
    const argv = u.Service.ExecStart[0].split(/\s+/);
    const mode = u.Service.RuntimeDirectoryMode[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-'));
    const upper = path.join(dir, 'etc-upper');
    fs.mkdirSync(path.join(upper, 'daos'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'etc-work'));
    const port = await freePort();
    // The config an admin would install, with the defaults the unit relies on (no socket_dir).
    const cfg = {
      port,
      access_points: [`localhost:${port}`],
      transport_config: { allow_insecure: true },
      servers: [
        {
          targets: 1,
          fabric_iface: 'lo',
          fabric_iface_port: await freePort(),
          scm_mount: path.join(dir, 'scm'),
          scm_class: 'dir',
          bdev_class: 'file',
          bdev_list: [path.join(dir, 'bdev0')],
          bdev_size: 1,
        },
      ],
    };
    fs.writeFileSync(path.join(upper, 'daos/daos_server.yml'), YAML.stringify(cfg));
    // What systemd does before ExecStart: /etc as installed, RuntimeDirectory created in /run.
    const setup = [
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${dir}/etc-work /etc`,
      'mount -t tmpfs tmpfs /run',
      `mkdir -m ${mode} /run/${u.Service.RuntimeDirectory[0]}`,
      `exec ${path.join(BIN, argv[0])} ${argv.slice(1).join(' ')}`,
    ].join(' && ');
    const srv = new Background('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup]);
    try {
      await waitFor('daos_server to listen', () => /listening on/.test(srv.output) || !srv.running, 30_000, 100);
      assert.ok(srv.running, srv.output);
      assert.match(srv.output, /SCM format required/);
      const f = await run(path.join(BIN, 'dmg'), ['-i', '-l', `localhost:${port}`, 'storage', 'format'], { timeoutMs: 60_000 });
      assert.equal(f.code, 0, f.stdout + f.stderr);
      await waitFor('the rank to join', () => /started on rank 0/.test(srv.output), 60_000, 100);
      const exit = await srv.stop('SIGTERM', 30_000);
      assert.equal(exit.code, 0, `clean exit on SIGTERM (Restart=on-failure must not restart it)\n${srv.output}`);
      assert.match(srv.output, /I\/O server instance 0 stopped/);
    } finally {
      await srv.stop('SIGKILL', 1000);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'daos_agent.service ExecStart works: default config path (missing is fine), RuntimeDirectory, clean stop',
  { skip: isRoot() ? false : 'needs root for a private mount namespace (overlay on /etc, tmpfs on /run)', timeout: 60_000 },
  async () => {
    const u = parseUnit(path.join(UNITS, 'daos_agent.service'));
    const argv = u.Service.ExecStart[0].split(/\s+/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-'));
    fs.mkdirSync(path.join(dir, 'etc-upper/daos'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'etc-work'));
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, 'etc-upper/daos/daos_agent.yml'),
      YAML.stringify({ access_points: [`localhost:${port}`], log_file: path.join(dir, 'agent.log'), transport_config: { allow_insecure: true } }),
    );
    const setup = [
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/etc-upper,workdir=${dir}/etc-work /etc`,
      'mount -t tmpfs tmpfs /run',
      `mkdir -m ${u.Service.RuntimeDirectoryMode[0]} /run/${u.Service.RuntimeDirectory[0]}`,
      `exec ${path.join(BIN, argv[0])} ${argv.slice(1).join(' ')}`,
    ].join(' && ');
    const agent = new Background('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup]);
    try {
      await waitFor('daos_agent to listen', () => /Listening on \/var\/run\/daos_agent\/agent\.sock/.test(agent.output) || !agent.running, 20_000, 100);
      assert.ok(agent.running, agent.output);
      const exit = await agent.stop('SIGTERM', 10_000);
      assert.equal(exit.code, 0, agent.output);
    } finally {
      await agent.stop('SIGKILL', 1000);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
