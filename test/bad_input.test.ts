/**
 * Bad input gets a clear error naming the problem and the fix, a non-zero
 * exit status, and changes nothing on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, run } from './harness/proc.js';
import { LocalSystem, freePort, listTree } from './harness/local.js';

const daosServer = (args: string[], cwd?: string) => run(path.join(BIN, 'daos_server'), args, { timeoutMs: 30_000, cwd });
const dmg = (args: string[]) => run(path.join(BIN, 'dmg'), args, { timeoutMs: 30_000, env: { ...process.env, HOME: '/nonexistent' } });

const brokenConfigs: Record<string, { server?: Record<string, unknown>; edit?: (text: string) => string; want: RegExp[] }> = {
  'YAML syntax error': {
    edit: (t) => t.replace('scm_class: dir', 'scm_class: [dir'),
    want: [/daos_server\.yml:\d+/, /YAML|syntax/i],
  },
  'unknown key': {
    server: { scm_mount_path: '/mnt/x' },
    want: [/servers\[0\]\.scm_mount_path/, /not a known key/, /rename .* to 'scm_mount'/, /utils\/config/],
  },
  'wrong type': {
    server: { targets: 'eight' },
    want: [/servers\[0\]\.targets/, /number|integer/i],
  },
  'missing required key': {
    server: { scm_class: undefined },
    want: [/servers\[0\]\.scm_class/, /missing|required/i],
  },
  'relative bdev file path': {
    server: { bdev_list: ['relative/bdev0'] },
    want: [/bdev_list/, /absolute path/],
  },
  'two instances sharing a fabric port': {
    edit: (t) => t,
    want: [/31416|fabric_iface_port/],
  },
};

for (const [name, tc] of Object.entries(brokenConfigs)) {
  test(`daos_server refuses a broken config: ${name}`, async () => {
    const sys = await LocalSystem.create({ server: tc.server, twoInstances: name.startsWith('two instances') });
    try {
      if (tc.edit) fs.writeFileSync(sys.configPath, tc.edit(fs.readFileSync(sys.configPath, 'utf8')));
      const before = listTree(sys.dir);
      const r = await daosServer(['start', '-o', sys.configPath]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      for (const w of tc.want) assert.match(r.stderr, w);
      assert.match(r.stderr, /^ERROR: /m);
      assert.deepEqual(listTree(sys.dir), before, 'nothing written');
    } finally {
      await sys.destroy();
    }
  });
}

test('daos_server names a missing config file and the fix', async () => {
  const r = await daosServer(['start', '-o', '/nonexistent/daos_server.yml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/nonexistent\/daos_server\.yml/);
  assert.match(r.stderr, /-o/);
});

test('daos_server resolves a relative -o against the working directory', async () => {
  const sys = await LocalSystem.create();
  try {
    fs.rmSync(path.join(sys.dir, 'run'), { recursive: true });
    const r = await daosServer(['start', '-o', 'daos_server.yml'], sys.dir);
    // It found the file (and then stopped at the missing socket directory).
    assert.match(r.stderr, /Unable to create socket directory/);
  } finally {
    await sys.destroy();
  }
});

test('a missing socket directory gives the guide message, the reason and the fix', async () => {
  const sys = await LocalSystem.create();
  try {
    const sock = path.join(sys.dir, 'run');
    fs.rmSync(sock, { recursive: true });
    const before = listTree(sys.dir);
    const r = await daosServer(['start', '-o', sys.configPath]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Unable to create socket directory: ${sock.replace(/[/.]/g, '\\$&')}`));
    assert.match(r.stderr, /no such file or directory/);
    assert.match(r.stderr, /mkdir|socket_dir|-d/);
    assert.equal(fs.existsSync(sock), false, 'the directory is not created behind the admin\'s back');
    assert.deepEqual(listTree(sys.dir), before, 'nothing written, not even the control log');
  } finally {
    await sys.destroy();
  }
});

test('-d moves the socket directory', async () => {
  const sys = await LocalSystem.create();
  try {
    const alt = path.join(sys.dir, 'altrun');
    fs.mkdirSync(alt);
    fs.rmSync(path.join(sys.dir, 'run'), { recursive: true });
    await sys.start(['-d', alt]);
    assert.ok(fs.existsSync(path.join(alt, 'daos_server.sock')));
    await sys.server!.stop();
    assert.equal(fs.existsSync(path.join(alt, 'daos_server.sock')), false, 'socket removed at shutdown');
  } finally {
    await sys.destroy();
  }
});

test('dmg: an unknown host in -l is named, the others still answer, exit status 1', async () => {
  const sys = await LocalSystem.create();
  try {
    await sys.start();
    const r = await dmg(['-i', '-l', `${sys.addr},no-such-host.invalid`, 'storage', 'scan']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`localhost:${sys.port}: connected`));
    assert.match(r.stdout, /no-such-host\.invalid:10001: unknown host/);
    const only = await dmg(['-i', '-l', 'no-such-host.invalid', 'storage', 'scan']);
    assert.equal(only.code, 1);
    assert.match(only.stderr, /no active connections/);
    assert.match(only.stderr, /resolution: check the host list/);
  } finally {
    await sys.destroy();
  }
});

test('dmg: a port nobody listens on is a clear error with exit status 1', async () => {
  const port = await freePort();
  const r = await dmg(['-i', '-l', `localhost:${port}`, 'storage', 'scan']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`localhost:${port}: connection refused`));
  assert.match(r.stderr, /no active connections/);
  const j = await dmg(['-i', '-j', '-l', `localhost:${port}`, 'system', 'query']);
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.response, null);
  assert.match(doc.error.message, /no server answered/);
  assert.ok(doc.status !== 0);
});

const badHostLists: Record<string, RegExp> = {
  'node[5-4]': /invalid range "5-4" \(4 < 5\)/,
  'node[0-1': /invalid range "node\[0-1"/,
  'node[1-20000]': /> 16384 hosts/,
  'foo:bar': /port "bar"/,
  // Several brackets expand as their product; too many hosts in all is refused, nothing sent.
  'r[1-200]n[1-100]': /invalid range "r\[1-200\]n\[1-100\]" \(> 16384 hosts\)/,
};
for (const [spec, want] of Object.entries(badHostLists)) {
  test(`dmg refuses the host list ${spec}`, async () => {
    const r = await dmg(['-i', '-l', spec, 'storage', 'scan']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, want);
    assert.match(r.stderr, /bad host list/);
  });
}

test('dmg without -i and without certificates says how to fix it', async () => {
  const r = await dmg(['-l', 'localhost:1', 'storage', 'scan']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /could not load the CA certificate \/etc\/daos\/certs\/daosCA\.crt/);
  assert.match(r.stderr, /allow_insecure|-i/);
});

test('a configured block device that does not exist is named at start and refuses the format, changing nothing', async () => {
  const missing = '/dev/daos-test-no-such-device';
  const sys = await LocalSystem.create({ server: { bdev_class: 'kdev', bdev_list: [missing], bdev_size: undefined } });
  try {
    await sys.start();
    assert.match(sys.server!.output, new RegExp(missing));
    const scm = path.join(sys.dir, 'scm');
    const before = listTree(scm);
    const r = await sys.dmg(['storage', 'format']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(missing));
    assert.deepEqual(listTree(scm), before, 'the SCM is untouched');
    assert.doesNotMatch(sys.server!.output, /storage ready/);
  } finally {
    await sys.destroy();
  }
});
