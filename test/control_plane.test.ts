/**
 * daos_server on one node, run for real: a second server with the same
 * config, refused formats that must change and start nothing, lost
 * superblocks, a server without I/O server instances, control log in JSON,
 * user_name, and transport errors in plain words. Every process started here
 * is stopped by its PID (LocalSystem.destroy, Background.stop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BIN, childrenOf, isRoot, procName, run, waitFor } from './harness/proc.js';
import { LocalSystem, freePort } from './harness/local.js';

const daosServer = (args: string[]) => run(path.join(BIN, 'daos_server'), args, { timeoutMs: 30_000 });

interface Member {
  rank: number;
  uuid: string;
  state: string;
}

async function members(sys: LocalSystem): Promise<Member[]> {
  const r = await sys.dmg(['system', 'query'], { json: true });
  const doc = JSON.parse(r.stdout) as { response: { members: Member[] } | null };
  return doc.response?.members ?? [];
}

/** The state of a file or directory that must not change: inode, size and mtime (and the entries of a directory). */
function fingerprint(p: string): string {
  if (!fs.existsSync(p)) return 'absent';
  const st = fs.statSync(p);
  const entries = st.isDirectory() ? ` [${fs.readdirSync(p).sort().join(',')}]` : '';
  return `${st.ino} ${st.size} ${st.mtimeMs}${entries}`;
}

test('a second daos_server with the same config is refused before it touches the running one', { timeout: 120_000 }, async () => {
  const sys = await LocalSystem.create();
  try {
    await sys.start();
    const run0 = path.join(sys.dir, 'run');
    const watched = [
      run0,
      path.join(run0, 'daos_server.sock'),
      path.join(run0, 'daos_server.lock'),
      path.join(sys.dir, '.daos_server.active.yml'),
      path.join(sys.dir, 'daos_control.log'),
    ];
    assert.ok(fs.existsSync(watched[1]!) && fs.existsSync(watched[2]!), 'the first server has its socket and lock');
    assert.equal(fs.readFileSync(watched[2]!, 'utf8').trim(), String(sys.server!.pid));
    const before = watched.map(fingerprint);
    const second = await daosServer(['start', '-o', sys.configPath]);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(second.stderr, new RegExp(`another daos_server \\(pid ${sys.server!.pid}\\) is already running with socket_dir ${run0.replace(/[/.]/g, '\\$&')}`));
    assert.match(second.stderr, new RegExp(`resolution: stop it first \\(kill ${sys.server!.pid}`));
    assert.doesNotMatch(second.stderr + second.stdout, /address already in use/);
    assert.deepEqual(watched.map(fingerprint), before, 'sockets, lock, active config and control log untouched');
    // The first server still answers.
    const scan = await sys.dmg(['storage', 'scan']);
    assert.equal(scan.code, 0, scan.stdout + scan.stderr);
    // Same port, another socket directory: refused on the port, still before writing anything.
    const alt = path.join(sys.dir, 'altrun');
    fs.mkdirSync(alt);
    const third = await daosServer(['start', '-o', sys.configPath, '-d', alt]);
    assert.equal(third.code, 1);
    assert.match(third.stderr, new RegExp(`unable to listen on management interface 0\\.0\\.0\\.0:${sys.port}: address already in use`));
    assert.deepEqual(fs.readdirSync(alt), []);
    assert.deepEqual(watched.map(fingerprint), before);
    await sys.server!.stop();
    assert.equal(fs.existsSync(watched[2]!), false, 'the lock is removed at shutdown');
  } finally {
    await sys.destroy();
  }
});

test('a stale lock of a dead daos_server does not block the start', { timeout: 60_000 }, async () => {
  const sys = await LocalSystem.create();
  try {
    // A pid that does not exist (pid_max is at most 2^22).
    fs.writeFileSync(path.join(sys.dir, 'run', 'daos_server.lock'), '4194305\n');
    await sys.start();
    assert.equal(fs.readFileSync(path.join(sys.dir, 'run', 'daos_server.lock'), 'utf8').trim(), String(sys.server!.pid));
  } finally {
    await sys.destroy();
  }
});

test('a refused format starts nothing; a lost superblock is named; --recreate-superblocks keeps the rank and the database', { timeout: 240_000 }, async () => {
  const sys = await LocalSystem.create({ top: { control_log_json: true } });
  try {
    await sys.start();
    await sys.format();
    const [m0] = await members(sys);
    assert.equal(m0?.rank, 0);

    // dmg system stop, then a format refused as "already formatted": the rank stays stopped.
    const stop = await sys.dmg(['system', 'stop']);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    await waitFor('rank 0 stopped', async () => (await members(sys))[0]?.state === 'Stopped', 30_000, 250);
    const mark = sys.server!.output.length;
    const f = await sys.dmg(['storage', 'format']);
    assert.equal(f.code, 1);
    assert.match(f.stdout, /already-formatted storage and reformat not specified/);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await members(sys))[0]?.state, 'Stopped', 'the refused format did not start the rank');
    assert.doesNotMatch(sys.server!.output.slice(mark), /Starting I\/O server|started on rank/);

    // The control log is JSON lines (control_log_json: true).
    const lines = fs.readFileSync(path.join(sys.dir, 'daos_control.log'), 'utf8').trimEnd().split('\n');
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l);
    assert.ok(lines.some((l) => (JSON.parse(l) as { message: string }).message.includes('listening on')));

    // The superblock is lost: the access point says so, not "not formatted".
    await sys.server!.stop();
    fs.rmSync(path.join(sys.dir, 'scm', 'superblock'));
    await sys.start();
    await waitFor('the missing superblock to be reported', () => /holds no superblock/.test(sys.server!.output), 30_000, 100);
    const q = await sys.dmg(['system', 'query']);
    assert.equal(q.code, 1);
    assert.match(q.stderr, /I\/O server instance 0\) is formatted but holds no superblock/);
    assert.doesNotMatch(q.stderr, /is not formatted/);
    assert.match(q.stderr, /--recreate-superblocks/);

    // Re-created: the same rank comes back, the database is kept, no ghost member.
    await sys.server!.stop();
    await sys.start(['--recreate-superblocks']);
    await waitFor('the rank to join', () => /started on rank \d+/.test(sys.server!.output), 60_000, 100);
    assert.match(sys.server!.output, /the existing system database .* is kept/);
    assert.match(sys.server!.output, /system database .* kept: 1 member/);
    assert.doesNotMatch(sys.server!.output, /bootstrapped/);
    const after = await waitFor('one joined member', async () => {
      const ms = await members(sys);
      return ms.length === 1 && ms[0]!.state === 'Joined' ? ms : undefined;
    }, 30_000, 250);
    assert.equal(after[0]!.rank, 0);
    assert.notEqual(after[0]!.uuid, m0!.uuid, 'a new identity');
    const start = await sys.dmg(['system', 'start']);
    assert.equal(start.code, 0, `no ghost rank to start: ${start.stdout}${start.stderr}`);
  } finally {
    await sys.destroy();
  }
});

test('servers: [] runs the control plane only: scans work, format has nothing to do, the MS says why it is not there', { timeout: 120_000 }, async () => {
  const sys = await LocalSystem.create();
  try {
    const cfg = YAML.parse(fs.readFileSync(sys.configPath, 'utf8')) as Record<string, unknown>;
    cfg.servers = [];
    fs.writeFileSync(sys.configPath, YAML.stringify(cfg));
    await sys.start();
    assert.match(sys.server!.output, /no I\/O server instances configured \('servers' is empty\): running the control plane only/);
    const scan = await sys.dmg(['storage', 'scan']);
    assert.equal(scan.code, 0, scan.stdout + scan.stderr);
    const net = await sys.dmg(['network', 'scan']);
    assert.equal(net.code, 0, net.stdout + net.stderr);
    assert.match(net.stdout, /fabric_iface: lo/);
    const f = await sys.dmg(['storage', 'format']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    assert.match(f.stdout, /nothing to format: its daos_server\.yml lists no I\/O server instances/);
    const q = await sys.dmg(['system', 'query']);
    assert.equal(q.code, 1);
    assert.match(q.stderr, /has no I\/O server instances in its config/);
    assert.match(q.stderr, /add an entry under 'servers:'/);
    assert.ok(sys.server!.running);
  } finally {
    await sys.destroy();
  }
});

test('an unreachable access point is reported in plain words, without gRPC status text', { timeout: 60_000 }, async () => {
  const ap = await freePort();
  const sys = await LocalSystem.create({ top: { access_points: [`localhost:${ap}`] } });
  try {
    await sys.start();
    const q = await sys.dmg(['system', 'query']);
    assert.equal(q.code, 1);
    assert.match(q.stderr, new RegExp(`cannot reach the management service at the access point localhost:${ap}: connection refused`));
    assert.match(q.stderr, /resolution: check that daos_server runs on/);
    assert.doesNotMatch(q.stderr, /UNAVAILABLE|UNKNOWN|No connection established|Resolution note/);
    // A server that is not the access point waits for it; what it logs is plain too.
    const f = await sys.dmg(['storage', 'format']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    const want = new RegExp(`waiting to join the system: cannot connect to the access point localhost:${ap}: connection refused`);
    await waitFor('the join to wait', () => want.test(sys.server!.output), 60_000, 100);
    assert.doesNotMatch(sys.server!.output, /UNAVAILABLE|No connection established|Resolution note/);
  } finally {
    await sys.destroy();
  }
});

test('daos_server start -p x is a flag error with its own fault, not the config port fault', async () => {
  const sys = await LocalSystem.create();
  try {
    const r = await daosServer(['start', '-o', sys.configPath, '-p', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR: invalid value "x" for -p\/--port$/m);
    assert.match(r.stderr, /resolution: give -p\/--port a whole number between 0 and 65535/);
  } finally {
    await sys.destroy();
  }
});

test(
  'user_name/group_name: the I/O server runs as that user and owns its storage',
  { skip: isRoot() ? false : 'needs root to switch users', timeout: 120_000 },
  async () => {
    const sys = await LocalSystem.create({ top: { user_name: 'nobody', group_name: 'nogroup' } });
    try {
      // The I/O server, as nobody, must reach its files under the test directory.
      fs.chmodSync(sys.dir, 0o755);
      await sys.start();
      await sys.format();
      const io = childrenOf(sys.server!.pid).filter((p) => procName(p) === 'daos_io_server');
      assert.equal(io.length, 1);
      const status = fs.readFileSync(`/proc/${io[0]}/status`, 'utf8');
      assert.match(status, /^Uid:\s+65534\s/m);
      assert.match(status, /^Gid:\s+65534\s/m);
      for (const p of ['scm', 'scm/superblock', 'run', 'bdev0']) assert.equal(fs.statSync(path.join(sys.dir, p)).uid, 65534, p);
      assert.match(sys.server!.output, /I\/O servers run as nobody:nogroup/);
    } finally {
      await sys.destroy();
    }
  },
);

test('user_name naming no user refuses the start and writes nothing', async () => {
  const sys = await LocalSystem.create({ top: { user_name: 'daos-no-such-user' } });
  try {
    const before = fs.readdirSync(sys.dir).sort();
    const r = await daosServer(['start', '-o', sys.configPath]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /'user_name' "daos-no-such-user" is not a user or group of this host/);
    assert.deepEqual(fs.readdirSync(sys.dir).sort(), before);
  } finally {
    await sys.destroy();
  }
});
