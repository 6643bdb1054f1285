/**
 * The daos tool end to end on a one-node system with daos_agent (no root
 * needed): pools and containers in v0.8's and today's forms, attributes,
 * snapshots, KV values from the shell (binary-safe), array import/export
 * of a few MiB with checksums, object layout, -j output, and bad input.
 * Every process started here is stopped by PID (the harness does it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { LocalSystem } from './harness/local.js';
import { BIN, Background, waitFor } from './harness/proc.js';

let sys: LocalSystem;
let agent: Background | undefined;
let agentDir: string;
let work: string;
let poolUuid = '';

interface Raw {
  code: number | null;
  stdout: Buffer;
  out: string;
  err: string;
}

/** Run bin/daos with the agent's socket directory; stdout kept as bytes. Killed after 120 s. */
function daos(args: string[], input?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, 'daos'), args, { env: { ...process.env, DAOS_AGENT_DRPC_DIR: agentDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString(), err });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** Run with -j; the document must parse; returns it. */
async function daosJ(args: string[]): Promise<{ r: Raw; doc: { response: any; error: any; status: number } }> {
  const r = await daos(['-j', ...args]);
  let doc;
  try {
    doc = JSON.parse(r.out);
  } catch {
    assert.fail(`not JSON (exit ${r.code}): ${r.out}\n${r.err}`);
  }
  assert.deepEqual(Object.keys(doc).sort(), ['error', 'response', 'status']);
  return { r, doc };
}

function ok(r: Raw): Raw {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
  return r;
}

function fails(r: Raw, code: number, ...patterns: RegExp[]): Raw {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
  for (const p of patterns) assert.match(r.err, p);
  assert.match(r.err, /^ERROR: daos: resolution: \S/m, `no resolution line in: ${r.err}`);
  return r;
}

function sha256(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

before(async () => {
  sys = await LocalSystem.create({ server: { targets: 4, bdev_size: 8 } });
  agentDir = path.join(sys.dir, 'agentrun');
  work = path.join(sys.dir, 'work');
  fs.mkdirSync(agentDir);
  fs.mkdirSync(work);
  fs.writeFileSync(
    path.join(sys.dir, 'daos_agent.yml'),
    YAML.stringify({ name: 'daos_server', access_points: [sys.addr], port: sys.port, runtime_dir: agentDir, log_file: path.join(sys.dir, 'daos_agent.log'), transport_config: { allow_insecure: true } }),
  );
  await sys.start();
  await sys.format();
  agent = new Background(path.join(BIN, 'daos_agent'), ['-i', '-o', path.join(sys.dir, 'daos_agent.yml')]);
  await waitFor('daos_agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || !agent!.running, 30_000, 100);
  if (!agent.running) throw new Error(`daos_agent exited:\n${agent.output}`);
  const r = await sys.dmg(['pool', 'create', '-s', '512M', '-n', '4G', '--label', 'tank']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  poolUuid = /UUID: ([0-9a-f-]{36})/.exec(r.stdout)![1];
});

after(async () => {
  await agent?.stop('SIGTERM', 10_000);
  await sys?.destroy();
});

test('daos pool query: the v0.8 block with --pool/--svc, the same by label, and -j', async () => {
  const v08 = ok(await daos(['pool', 'query', `--pool=${poolUuid}`, '--svc=0']));
  const lines = v08.out.split('\n');
  assert.equal(lines[0], `Pool ${poolUuid}, ntarget=4, disabled=0`);
  assert.equal(lines[1], 'Pool space info:');
  assert.equal(lines[2], '- Target(VOS) count:4');
  assert.equal(lines[3], '- SCM:');
  assert.equal(lines[4], `  Total size: ${512 << 20}`);
  assert.match(lines[5], /^  Free: \d+, min:\d+, max:\d+, mean:\d+$/);
  assert.equal(lines[6], '- NVMe:');
  const nvme = Number(/^  Total size: (\d+)$/.exec(lines[7])?.[1]);
  assert.ok(nvme > 0.99 * 4 * 2 ** 30 && nvme <= 4 * 2 ** 30, lines[7]);
  assert.match(lines[8], /^  Free: \d+, min:\d+, max:\d+, mean:\d+$/);
  assert.equal(lines[9], 'Rebuild idle, 0 objs, 0 recs');
  const byLabel = ok(await daos(['pool', 'query', 'tank']));
  assert.equal(byLabel.out.split('\n')[0], lines[0]);
  // getopt-style prefixes of v0.8 (--sys= for --sys-name=)
  ok(await daos(['pool', 'query', '--pool', 'tank', '--sys=daos_server']));
  const { doc } = await daosJ(['pool', 'query', 'tank']);
  assert.equal(doc.status, 0);
  assert.equal(doc.response.uuid, poolUuid);
  assert.equal(doc.response.label, 'tank');
  assert.equal(doc.response.ntargets, 4);
  const props = ok(await daos(['pool', 'get-prop', 'tank']));
  assert.match(props.out, /^Pool properties :\nlabel -> tank\n/);
  assert.match(props.out, /^acl ->\n# Entries:\nA::OWNER@:rw/m);
});

test('containers in the v0.8 form: create, list-containers, query, destroy', async () => {
  const c = ok(await daos(['container', 'create', `--pool=${poolUuid}`, '--svc=0']));
  const m = /^Successfully created container ([0-9a-f-]{36})$/m.exec(c.out);
  assert.ok(m, c.out);
  const uuid = m[1];
  const list = ok(await daos(['pool', 'list-containers', `--pool=${poolUuid}`, '--svc=0']));
  assert.ok(list.out.split('\n').includes(uuid), list.out);
  const q = ok(await daos(['container', 'query', `--pool=${poolUuid}`, `--cont=${uuid}`, '--svc=0']));
  assert.match(q.out, new RegExp(`^Pool UUID:\\t${poolUuid}\\nContainer UUID:\\t${uuid}\\nNumber of snapshots: 0\\nLatest Persistent Snapshot: 0\\nHighest Aggregated Epoch: 0\\n`));
  // A chosen UUID, v0.8's --cont, with v1.0 properties and --type
  const chosen = crypto.randomUUID();
  const c2 = ok(await daos(['cont', 'create', `--pool=${poolUuid}`, `--cont=${chosen}`, '--type=POSIX', '--properties=cksum:crc32,rf:0', '--oclass=S2', '--chunk_size=64k']));
  assert.match(c2.out, new RegExp(`^Successfully created container ${chosen}$`, 'm'));
  const gp = ok(await daos(['cont', 'get-prop', `--pool=${poolUuid}`, `--cont=${chosen}`]));
  assert.match(gp.out, /^Container properties :$/m);
  assert.match(gp.out, /^layout type -> 1\/POSIX$/m);
  assert.match(gp.out, /^checksum type -> crc32$/m);
  assert.match(gp.out, /^redundancy factor -> 0$/m);
  assert.match(gp.out, /^object class -> S2$/m);
  assert.match(gp.out, /^chunk size -> 65536$/m);
  for (const id of [uuid, chosen]) {
    const d = ok(await daos(['container', 'destroy', `--pool=${poolUuid}`, `--cont=${id}`, '--svc=0']));
    assert.equal(d.out, `Successfully destroyed container ${id}\n`);
  }
  const after = ok(await daos(['pool', 'list-cont', '--pool', poolUuid]));
  assert.ok(!after.out.includes(uuid));
});

test("containers in today's form: labels, list, query -j, duplicate refused, destroy", async () => {
  const c = ok(await daos(['cont', 'create', 'tank', 'c1']));
  const uuid = /^Successfully created container ([0-9a-f-]{36})$/m.exec(c.out)![1];
  assert.match(c.out, /^Container label: c1$/m);
  const list = ok(await daos(['container', 'list', 'tank']));
  assert.match(list.out, new RegExp(`^${uuid}\\s+c1$`, 'm'));
  const { doc } = await daosJ(['container', 'query', 'tank', 'c1']);
  assert.equal(doc.status, 0);
  assert.equal(doc.response.uuid, uuid);
  assert.equal(doc.response.label, 'c1');
  assert.equal(doc.response.pool_uuid, poolUuid);
  assert.equal(doc.response.nsnapshots, 0);
  // by UUID and by pool UUID as well
  ok(await daos(['cont', 'query', poolUuid, uuid]));
  const dup = fails(await daos(['cont', 'create', 'tank', 'c1']), 1, /failed to create container: DER_EXIST\(-1004\)/);
  assert.match(dup.err, /c1/);
  const dj = await daosJ(['cont', 'create', 'tank', 'c1']);
  assert.equal(dj.r.code, 1);
  assert.equal(dj.doc.status, -1004);
  assert.equal(dj.doc.error.name, 'DER_EXIST');
  assert.ok(dj.doc.error.resolution);
  const { doc: lj } = await daosJ(['cont', 'list', 'tank']);
  assert.deepEqual(lj.response.containers, [{ uuid, label: 'c1' }]);
  // Rename it, and back.
  assert.equal(ok(await daos(['cont', 'set-prop', 'tank', 'c1', 'label:c1b,max_snapshot:5'])).out, 'Properties were successfully set\n');
  const gp = ok(await daos(['cont', 'get-prop', 'tank', 'c1b']));
  assert.match(gp.out, /c1b/);
  assert.match(gp.out, /^max snapshots -> 5$/m);
  fails(await daos(['cont', 'query', 'tank', 'c1']), 1, /DER_NONEXIST/);
  ok(await daos(['cont', 'set-prop', `--pool=${poolUuid}`, `--cont=${uuid}`, '--properties=label:c1']));
  const d = ok(await daos(['cont', 'destroy', 'tank', 'c1']));
  assert.equal(d.out, `Successfully destroyed container ${uuid}\n`);
  assert.equal(ok(await daos(['cont', 'list', 'tank'])).out, 'No containers.\n');
});

test('attributes of pools and containers, both forms', async () => {
  ok(await daos(['cont', 'create', 'tank', 'attrs']));
  // pool
  ok(await daos(['pool', 'set-attr', 'tank', 'owner', 'alice']));
  ok(await daos(['pool', 'set-attr', '--pool=tank', '--attr=site', '--value=lab 2']));
  assert.equal(ok(await daos(['pool', 'get-attr', 'tank', 'owner'])).out, "Pool's owner attribute value: alice\n");
  assert.equal(ok(await daos(['pool', 'get-attr', '--pool', poolUuid, '--attr', 'site'])).out, "Pool's site attribute value: lab 2\n");
  assert.equal(ok(await daos(['pool', 'list-attrs', 'tank'])).out, 'Pool attributes:\nowner\nsite\n');
  assert.equal(ok(await daos(['pool', 'list-attrs', 'tank', '-v'])).out, 'Pool attributes:\nowner: alice\nsite: lab 2\n');
  ok(await daos(['pool', 'del-attr', 'tank', 'owner']));
  fails(await daos(['pool', 'get-attr', 'tank', 'owner']), 1, /DER_NONEXIST/, /owner/);
  ok(await daos(['pool', 'del-attr', 'tank', '--attr=site']));
  assert.equal(ok(await daos(['pool', 'list-attrs', 'tank'])).out, 'No attributes\n');
  // container
  ok(await daos(['cont', 'set-attr', 'tank', 'attrs', 'color', 'blue']));
  ok(await daos(['container', 'set-attr', `--pool=${poolUuid}`, '--cont=attrs', '--attr=size', '--value=42', '--svc=0']));
  assert.equal(ok(await daos(['cont', 'get-attr', 'tank', 'attrs', 'color'])).out, "Container's color attribute value: blue\n");
  const { doc } = await daosJ(['cont', 'list-attrs', 'tank', 'attrs']);
  assert.deepEqual(Object.keys(doc.response.attrs), ['color', 'size']);
  assert.equal(doc.response.attrs.size.value, '42');
  ok(await daos(['cont', 'del-attr', 'tank', 'attrs', '--attr=color']));
  assert.equal(ok(await daos(['cont', 'list-attrs', 'tank', 'attrs'])).out, 'Container attributes:\nsize\n');
  fails(await daos(['cont', 'del-attr', 'tank', 'attrs', 'color']), 1, /DER_NONEXIST/);
  fails(await daos(['cont', 'set-attr', 'tank', 'attrs', 'lonely']), 2, /the value of attribute lonely is required/);
});

test('snapshots: create (named), list, destroy by name, epoch and range', async () => {
  const s1 = ok(await daos(['cont', 'create-snap', 'tank', 'attrs', 'first']));
  const e1 = /^snapshot\/epoch (\d+) has been created$/m.exec(s1.out)![1];
  const s2 = ok(await daos(['container', 'create-snap', '--pool=tank', '--cont=attrs', '--snap=second']));
  const e2 = /^snapshot\/epoch (\d+) has been created$/m.exec(s2.out)![1];
  const { doc } = await daosJ(['cont', 'create-snap', 'tank', 'attrs']);
  const e3: string = doc.response.epoch;
  assert.ok(BigInt(e1) < BigInt(e2) && BigInt(e2) < BigInt(e3));
  const l = ok(await daos(['cont', 'list-snaps', 'tank', 'attrs']));
  assert.equal(l.out, `Container's snapshots :\n${e1} first\n${e2} second\n${e3}\n`);
  assert.equal(ok(await daos(['cont', 'destroy-snap', 'tank', 'attrs', 'first'])).out, `snapshot/epoch ${e1} has been destroyed\n`);
  ok(await daos(['cont', 'destroy-snap', 'tank', 'attrs', `--epc=${e3}`]));
  fails(await daos(['cont', 'destroy-snap', 'tank', 'attrs', `--epc=${e3}`]), 1, /DER_NONEXIST/);
  ok(await daos(['cont', 'destroy-snap', 'tank', 'attrs', `--epcrange=1-${e3}`]));
  assert.equal(ok(await daos(['cont', 'list-snaps', 'tank', 'attrs'])).out, 'no snapshots\n');
  fails(await daos(['cont', 'destroy-snap', 'tank', 'attrs', '--epc=0']), 2, /failed to parse epc/);
  fails(await daos(['cont', 'destroy-snap', 'tank', 'attrs']), 2, /exactly one of/);
});

test('rollback to a snapshot: later writes and snapshots are gone, new writes work', async () => {
  ok(await daos(['cont', 'create', 'tank', 'rb']));
  ok(await daos(['kv', 'put', 'tank', 'rb', '--oid=0.9', '--key=k', '--value=before']));
  const s = ok(await daos(['cont', 'create-snap', 'tank', 'rb', 'good']));
  const epoch = /^snapshot\/epoch (\d+) has been created$/m.exec(s.out)![1];
  ok(await daos(['kv', 'put', 'tank', 'rb', '--oid=0.9', '--key=k', '--value=after']));
  ok(await daos(['kv', 'put', 'tank', 'rb', '--oid=0.9', '--key=new', '--value=x']));
  ok(await daos(['cont', 'create-snap', 'tank', 'rb', 'later']));
  assert.equal(ok(await daos(['kv', 'get', 'tank', 'rb', '--oid=0.9', '--key=k'])).out, 'after');
  const r = ok(await daos(['cont', 'rollback', 'tank', 'rb', 'good']));
  assert.match(r.out, new RegExp(`^Successfully rolled back container [0-9a-f-]{36} to snapshot/epoch ${epoch}$`, 'm'));
  assert.equal(ok(await daos(['kv', 'get', 'tank', 'rb', '--oid=0.9', '--key=k'])).out, 'before');
  fails(await daos(['kv', 'get', 'tank', 'rb', '--oid=0.9', '--key=new']), 1, /DER_NONEXIST/);
  const l = ok(await daos(['cont', 'list-snaps', 'tank', 'rb']));
  assert.equal(l.out, `Container's snapshots :\n${epoch} good\n`);
  ok(await daos(['kv', 'put', 'tank', 'rb', '--oid=0.9', '--key=k', '--value=again']));
  assert.equal(ok(await daos(['kv', 'get', 'tank', 'rb', '--oid=0.9', '--key=k'])).out, 'again');
  fails(await daos(['cont', 'rollback', 'tank', 'rb', 'later']), 1, /DER_NONEXIST/);
  ok(await daos(['cont', 'destroy', 'tank', 'rb']));
});

test('kv put/get/list/remove from the shell, binary-safe through files and stdout', async () => {
  ok(await daos(['cont', 'create', 'tank', 'kvc']));
  // A new object when no --oid is given; its ID is printed.
  const p = ok(await daos(['kv', 'put', 'tank', 'kvc', '--key=greeting', '--value=hello world']));
  const oid = /^oid: (\d+\.\d+)$/m.exec(p.out)![1];
  assert.equal(ok(await daos(['kv', 'get', 'tank', 'kvc', `--oid=${oid}`, '--key=greeting'])).out, 'hello world');
  // Random bytes from a file, back to a file and to stdout.
  const blob = crypto.randomBytes(200_000);
  const src = path.join(work, 'blob.bin');
  const dst = path.join(work, 'blob.out');
  fs.writeFileSync(src, blob);
  ok(await daos(['kv', 'put', 'tank', 'kvc', `--oid=${oid}`, '--key=blob', `--file=${src}`]));
  const w = ok(await daos(['kv', 'get', 'tank', 'kvc', `--oid=${oid}`, '--key=blob', `--file=${dst}`]));
  assert.equal(w.out, `wrote ${blob.length} bytes to ${dst}\n`);
  assert.ok(fs.readFileSync(dst).equals(blob), 'the file got back differs');
  const g = ok(await daos(['kv', 'get', 'tank', 'kvc', `--oid=${oid}`, '--key=blob']));
  assert.ok(g.stdout.equals(blob), `stdout holds ${g.stdout.length} bytes, expected the ${blob.length} put`);
  // From stdin, and -j carries base64
  const small = crypto.randomBytes(333);
  ok(await daos(['kv', 'put', 'tank', 'kvc', `--oid=${oid}`, '--key=stdin', '--file=-'], small));
  const { doc } = await daosJ(['kv', 'get', 'tank', 'kvc', `--oid=${oid}`, '--key=stdin']);
  assert.ok(Buffer.from(doc.response.value_base64, 'base64').equals(small));
  // The user-bits form: --oid 0.<lo> --oclass names the same object.
  const lo = oid.split('.')[1];
  assert.equal(ok(await daos(['kv', 'get', 'tank', 'kvc', `--oid=0.${lo}`, '--oclass=SX', '--key=greeting'])).out, 'hello world');
  assert.equal(ok(await daos(['kv', 'list', 'tank', 'kvc', `--oid=${oid}`])).out, 'blob\ngreeting\nstdin\n');
  ok(await daos(['kv', 'remove', 'tank', 'kvc', `--oid=${oid}`, '--key=greeting']));
  assert.equal(ok(await daos(['kv', 'list', 'tank', 'kvc', `--oid=${oid}`])).out, 'blob\nstdin\n');
  // A missing key: a clear error, exit 1, nothing on stdout.
  const miss = fails(await daos(['kv', 'get', 'tank', 'kvc', `--oid=${oid}`, '--key=greeting']), 1, /DER_NONEXIST\(-1005\)/, /key "greeting" does not exist/, /daos kv list/);
  assert.equal(miss.stdout.length, 0);
  fails(await daos(['kv', 'remove', 'tank', 'kvc', `--oid=${oid}`, '--key=greeting']), 1, /does not exist/);
  fails(await daos(['kv', 'put', 'tank', 'kvc', `--oid=${oid}`, '--key=x']), 2, /exactly one of --value and --file/);
  fails(await daos(['kv', 'put', 'tank', 'kvc', `--oid=${oid}`, '--key=x', `--file=${path.join(work, 'absent')}`]), 1, /cannot read .*absent: no such file or directory/);
  fails(await daos(['kv', 'get', 'tank', 'kvc', '--oid=12.x', '--key=x']), 2, /bad object ID/, /oid_hi\.oid_lo/);
});

test('array import/export of a few MiB: checksums match, to a file and to stdout; object query shows the layout', async () => {
  ok(await daos(['cont', 'create', 'tank', 'arr']));
  const data = crypto.randomBytes(5 * (1 << 20) + 12345);
  const src = path.join(work, 'data.bin');
  fs.writeFileSync(src, data);
  const im = ok(await daos(['array', 'import', 'tank', 'arr', `--file=${src}`]));
  const oid = /^oid: (\d+\.\d+)$/m.exec(im.out)![1];
  assert.match(im.out, new RegExp(`^imported ${data.length} bytes .*object class SX, chunk size 1048576$`, 'm'));
  assert.equal(im.err, '', 'no progress bar when stderr is not a terminal');
  const dst = path.join(work, 'data.out');
  const ex = ok(await daos(['array', 'export', 'tank', 'arr', `--oid=${oid}`, `--file=${dst}`]));
  assert.match(ex.out, new RegExp(`^exported ${data.length} bytes`));
  assert.equal(sha256(fs.readFileSync(dst)), sha256(data));
  const so = ok(await daos(['array', 'export', 'tank', 'arr', `--oid=${oid}`, '--file=-']));
  assert.equal(so.stdout.length, data.length);
  assert.equal(sha256(so.stdout), sha256(data));

  // Another class and chunk size, from stdin, -j
  const { r, doc } = await (async () => {
    const r = await daos(['-j', 'array', 'import', 'tank', 'arr', '--file=-', '--oclass=S2', '--chunk-size=256K'], data.subarray(0, 3 << 20));
    return { r, doc: JSON.parse(r.out) };
  })();
  ok(r);
  assert.equal(doc.response.oclass, 'S2');
  assert.equal(doc.response.chunk_size, 256 << 10);
  assert.equal(doc.response.bytes, String(3 << 20));
  const back = ok(await daos(['array', 'export', 'tank', 'arr', `--oid=${doc.response.oid}`, '--file=-']));
  assert.equal(sha256(back.stdout), sha256(data.subarray(0, 3 << 20)));

  // object query: v0.8 lines, class, shards with rank and target
  const q = ok(await daos(['object', 'query', 'tank', 'arr', `--oid=${oid}`]));
  assert.match(q.out, new RegExp(`^oid: ${oid.replace('.', '\\.')} ver \\d+ grp_nr: 4$`, 'm'));
  assert.match(q.out, /^object class: SX, 4 groups of 1, features: DKEY_UINT64 KV_FLAT ARRAY$/m);
  assert.match(q.out, /^grp: 3\nreplica 0 0 \(shard 3, target \d\)$/m);
  const { doc: qj } = await daosJ(['obj', 'query', '--pool', 'tank', '--cont', 'arr', '--oid', oid]);
  assert.equal(qj.response.class, 'SX');
  assert.equal(qj.response.grp_nr, 4);
  const targets = qj.response.groups.map((g: any) => g.shards[0].target).sort();
  assert.deepEqual(targets, [0, 1, 2, 3], 'SX puts one shard on every target');
  // The keys of the array: metadata dkey 0 and chunks 1..6
  const keys = ok(await daos(['object', 'list-keys', 'tank', 'arr', `--oid=${oid}`]));
  assert.equal(keys.out, '0\n1\n2\n3\n4\n5\n6\n', 'u64 dkeys in numeric order');
  // Both imported arrays are listed, in OID order.
  const lo = ok(await daos(['container', 'list-objects', 'tank', 'arr']));
  assert.deepEqual(lo.out.trim().split('\n').sort(), [oid, doc.response.oid].sort());
  const dump = ok(await daos(['object', 'dump', 'tank', 'arr', `--oid=${oid}`]));
  assert.match(dump.out, /^dkey: 6\n  akey: 0 array, record size 1, extents \[0, \+12345\)$/m);
  assert.match(dump.out, /^dkey: 0\n  akey: 0 single value, 24 bytes$/m);

  // Bad input
  fails(await daos(['array', 'import', 'tank', 'arr', `--file=${path.join(work, 'absent')}`]), 1, /cannot read .*absent: no such file or directory/);
  fails(await daos(['array', 'import', 'tank', 'arr', `--file=${src}`, '--oclass=XX']), 2, /unknown object class: object class "XX" is unknown; valid classes: S1, S2/);
  fails(await daos(['array', 'import', 'tank', 'arr', `--file=${src}`, '--chunk-size=0']), 2, /failed to parse chunk size/);
  fails(await daos(['array', 'export', 'tank', 'arr', `--oid=${oid.split('.')[0]}.999999`, `--file=${dst}`]), 1, /DER_NONEXIST/);
  fails(await daos(['array', 'export', 'tank', 'arr', `--oid=${oid}`, `--file=${path.join(work, 'no', 'such', 'dir')}`]), 1, /cannot write/);
  const both = await daosJ(['array', 'export', 'tank', 'arr', `--oid=${oid}`, '--file=-']);
  assert.equal(both.r.code, 2);
  assert.match(both.doc.error.message, /-j cannot be used with --file=-/);
});

test('bad input: unknown pool and container, bad object ID, unsupported commands, usage', async () => {
  const np = fails(await daos(['pool', 'query', 'nosuchpool']), 1, /failed to connect to pool nosuchpool: DER_NONEXIST\(-1005\)/, /dmg pool list/);
  assert.equal(np.out, '');
  fails(await daos(['cont', 'query', 'tank', 'nosuchcont']), 1, /failed to open container nosuchcont of pool tank: DER_NONEXIST/, /daos container list tank/);
  const { r, doc } = await daosJ(['cont', 'query', 'tank', 'nosuchcont']);
  assert.equal(r.code, 1);
  assert.equal(doc.status, -1005);
  assert.equal(doc.error.name, 'DER_NONEXIST');
  assert.match(doc.error.resolution, /daos container list/);
  fails(await daos(['obj', 'query', 'tank', 'arr', '--oid=abc']), 2, /bad object ID/);
  fails(await daos(['obj', 'query', 'tank', 'arr', `--oid=${(1n << 60n) | (999n << 32n)}.1`]), 2, /class id 999 is not a registered object class/);
  fails(await daos(['cont', 'set-prop', 'tank', 'arr', '--properties=rf:1']), 1, /container set-prop failed: DER_INVAL\(-1003\).*"rf" cannot be changed/);
  fails(await daos(['cont', 'query']), 2, /the pool is required/);
  fails(await daos(['cont', 'query', 'tank']), 2, /the container is required/);
  const unknown = await daos(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command 'frobnicate'/);
});
