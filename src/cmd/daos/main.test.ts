/**
 * daos command tests, in process with a fake client library: argv → the
 * calls made and the output; v0.8's and today's forms make the same calls;
 * usage mistakes fail before any connection; every error has a resolution
 * and -j gives one parseable document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { main } from './main.js';
import type { DaosIO, Deps } from './ctx.js';
import type { DaosClient } from '../../client/daos.js';
import { DaosError, DER } from '../../daos/errors.js';
import { agentFaults } from '../../agent/faults.js';

const POOL = '11111111-2222-4333-8444-555555555555';
const CONT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

/** A fake client library that records every call. */
function fake() {
  const calls: string[] = [];
  const attrs = new Map<string, Buffer>();
  const cont = {
    uuid: CONT,
    label: 'c1',
    async query() {
      calls.push('cont.query');
      return { uuid: CONT, label: 'c1', nsnapshots: 1, latestSnapshot: 77n, hae: 0n, nhandles: 1, props: [{ name: 'label', value: 'c1', acl: [] }] };
    },
    async getAttrs(names: string[] = []) {
      calls.push(`cont.getAttrs ${names.join(',')}`);
      for (const n of names) if (!attrs.has(n)) throw new DaosError(-DER.NONEXIST, `no attribute ${JSON.stringify(n)}`);
      return new Map(names.length ? names.map((n) => [n, attrs.get(n)!]) : attrs);
    },
    async setAttrs(a: Record<string, string>) {
      calls.push(`cont.setAttrs ${JSON.stringify(a)}`);
      for (const [k, v] of Object.entries(a)) attrs.set(k, Buffer.from(v));
    },
    async createSnapshot(name: string) {
      calls.push(`cont.createSnapshot ${name}`);
      return 123456789012345678n;
    },
    kv() {
      return {
        async get(key: string) {
          calls.push(`kv.get ${key}`);
          return key === 'k' ? Buffer.from([0, 1, 2, 255]) : undefined;
        },
      };
    },
    async close() {
      calls.push('cont.close');
    },
  };
  const pool = {
    uuid: POOL,
    label: 'tank',
    async containerCreate(spec: object) {
      calls.push(`pool.containerCreate ${JSON.stringify(spec)}`);
      return { uuid: CONT, label: (spec as { label?: string }).label ?? '' };
    },
    async containerOpen(id: string, mode: string) {
      calls.push(`pool.containerOpen ${id} ${mode}`);
      if (id !== 'c1' && id !== CONT) throw new DaosError(-DER.NONEXIST, `no container with label "${id}" in pool tank`);
      return cont;
    },
    async listContainers() {
      calls.push('pool.listContainers');
      return [{ uuid: CONT, label: 'c1' }];
    },
    async containerDestroy(id: string, force: boolean) {
      calls.push(`pool.containerDestroy ${id} ${force}`);
    },
    async disconnect() {
      calls.push('pool.disconnect');
    },
  };
  const client = {
    async poolConnect(id: string, mode: string) {
      calls.push(`poolConnect ${id} ${mode}`);
      if (id !== 'tank' && id !== POOL) throw new DaosError(-DER.NONEXIST, `no pool with label "${id}"`, { hint: 'list the pools with dmg pool list' });
      return pool;
    },
    close() {
      calls.push('close');
    },
  };
  const deps: Deps = {
    connect: async (o) => {
      calls.push(`connect ${o.system}`);
      return client as unknown as DaosClient;
    },
  };
  return { calls, deps };
}

async function daos(argv: string[], deps: Deps = fake().deps, stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: DaosIO = { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), errIsTTY: false };
  const code = await main(argv, io, deps);
  await new Promise((r) => setImmediate(r));
  const raw = Buffer.concat(out);
  return { code, out: raw.toString(), raw, err };
}

/** Deps whose connect fails the test: for mistakes that must be caught before any connection. */
const noConnect: Deps = {
  connect: () => {
    throw new Error('connected although the command line was wrong');
  },
};

test('no arguments and help print the help on stdout, exit 0; version', async () => {
  for (const argv of [[], ['help'], ['--help']]) {
    const r = await daos(argv, noConnect);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Usage: daos <resource> <command> \[options\]/);
    for (const res of ['pool', 'container|cont', 'object|obj', 'kv', 'array', 'version']) assert.match(r.out, new RegExp(`^  ${res.replace('|', '\\|')}\\s`, 'm'));
  }
  const v = await daos(['version'], noConnect);
  assert.match(v.out, /^daos version \d+\.\d+\.\d+\n$/);
  const j = await daos(['-j', 'version'], noConnect);
  assert.deepEqual(Object.keys(JSON.parse(j.out)), ['response', 'error', 'status']);
});

test('an unknown resource or command exits 2 with the reason', async () => {
  const r = await daos(['pools', 'query'], noConnect);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command 'pools'/);
  const c = await daos(['container', 'frob'], noConnect);
  assert.equal(c.code, 2);
  assert.match(c.err, /unknown command 'frob'/);
  const o = await daos(['pool', 'query', 'tank', '--bogus'], noConnect);
  assert.equal(o.code, 2);
  assert.match(o.err, /unknown option '--bogus'/);
});

const usageCases: Record<string, [string[], RegExp]> = {
  'no pool': [['pool', 'query'], /the pool is required/],
  'no container': [['cont', 'query', 'tank'], /the container is required/],
  'too many arguments': [['cont', 'query', 'tank', 'c1', 'extra'], /too many arguments|unexpected argument/],
  'bad OID': [['obj', 'query', 'tank', 'c1', '--oid=1-2'], /bad object ID/],
  'no OID': [['obj', 'query', 'tank', 'c1'], /the object ID is required/],
  'unknown class': [['kv', 'list', 'tank', 'c1', '--oid=0.1', '--oclass=R2'], /unknown object class/],
  'no key': [['kv', 'get', 'tank', 'c1', '--oid=0.1'], /the key is required/],
  'value and file': [['kv', 'put', 'tank', 'c1', '--key=k', '--value=v', '--file=f'], /exactly one of --value and --file/],
  'bad chunk size': [['array', 'import', 'tank', 'c1', '--file=x', '--chunk-size=big'], /failed to parse chunk size/],
  'bad epoch': [['cont', 'destroy-snap', 'tank', 'c1', '--epc=x'], /failed to parse epc/],
  'bad properties': [['cont', 'create', 'tank', '--properties=rf'], /wrong format for properties/],
  'ambiguous option': [['cont', 'query', 'tank', 'c1', '--o=1'], /ambiguous/],
  'UNS path': [['cont', 'create', '--pool=tank', '--path=/mnt/x', '--type=POSIX'], /--path .* is not supported/],
  'attribute value missing': [['pool', 'set-attr', 'tank', 'name'], /the value of attribute name is required/],
};
for (const [name, [argv, re]] of Object.entries(usageCases)) {
  test(`usage mistake before connecting: ${name}`, async () => {
    const r = await daos(argv, noConnect);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    if (!/too many arguments/.test(r.err)) assert.match(r.err, /^ERROR: daos: resolution: \S/m);
    const j = await daos(['-j', ...argv], noConnect);
    assert.equal(j.code, 2);
    const doc = JSON.parse(j.out);
    assert.equal(doc.response, null);
    assert.match(doc.error.message, re);
    assert.ok(doc.error.resolution);
    assert.equal(doc.status, 2);
  });
}

test("container create: v0.8's form and today's send the same request", async () => {
  const a = fake();
  const v08 = await daos(['container', 'create', `--pool=${POOL}`, '--svc=0,1,2', '--sys-name=daos_server'], a.deps);
  assert.equal(v08.code, 0, v08.err);
  assert.equal(v08.out, `Successfully created container ${CONT}\n`);
  assert.deepEqual(a.calls, [`connect daos_server`, `poolConnect ${POOL} rw`, 'pool.containerCreate {"props":{}}', 'pool.disconnect', 'close']);
  const b = fake();
  const now = await daos(['cont', 'create', POOL], b.deps);
  assert.equal(now.out, v08.out);
  assert.deepEqual(b.calls, a.calls);
  const c = fake();
  const lab = await daos(['cont', 'create', 'tank', 'c1', '--group=other', '--properties=rf:0', '--type=HDF5'], c.deps);
  assert.equal(lab.out, `Successfully created container ${CONT}\nContainer label: c1\n`);
  assert.deepEqual(c.calls.slice(0, 3), ['connect other', 'poolConnect tank rw', 'pool.containerCreate {"label":"c1","props":{"rf":"0","layout_type":"HDF5"}}']);
});

test('container query: both forms, the v0.8 lines, read-only handles closed afterwards', async () => {
  const a = fake();
  const r = await daos(['container', 'query', `--pool=${POOL}`, `--cont=${CONT}`, '--svc=0'], a.deps);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    `Pool UUID:\t${POOL}\nContainer UUID:\t${CONT}\nNumber of snapshots: 1\nLatest Persistent Snapshot: 77\nHighest Aggregated Epoch: 0\nContainer Label:\tc1\nOpen handles: 1\n`,
  );
  assert.deepEqual(a.calls, ['connect daos_server', `poolConnect ${POOL} r`, `pool.containerOpen ${CONT} r`, 'cont.query', 'cont.close', 'pool.disconnect', 'close']);
  const b = fake();
  const r2 = await daos(['cont', 'query', POOL, CONT], b.deps);
  assert.equal(r2.out, r.out);
  assert.deepEqual(b.calls, a.calls);
  const j = await daos(['-j', 'cont', 'query', 'tank', 'c1']);
  const doc = JSON.parse(j.out);
  assert.equal(doc.status, 0);
  assert.equal(doc.error, null);
  assert.equal(doc.response.latest_snapshot, '77', 'epochs are decimal strings in JSON');
});

test('container destroy names the UUID when given the label; --force is passed on', async () => {
  const a = fake();
  const r = await daos(['cont', 'destroy', 'tank', 'c1', '--force'], a.deps);
  assert.equal(r.out, `Successfully destroyed container ${CONT}\n`);
  assert.ok(a.calls.includes('pool.containerDestroy c1 true'));
});

test('attributes and snapshots map to the library calls', async () => {
  const a = fake();
  assert.equal((await daos(['cont', 'set-attr', 'tank', 'c1', 'color', 'blue'], a.deps)).code, 0);
  assert.ok(a.calls.includes('pool.containerOpen c1 rw'));
  assert.ok(a.calls.includes('cont.setAttrs {"color":"blue"}'));
  const s = await daos(['cont', 'create-snap', '--pool=tank', '--cont=c1', '--snap=nightly'], a.deps);
  assert.equal(s.out, 'snapshot/epoch 123456789012345678 has been created\n');
  assert.ok(a.calls.includes('cont.createSnapshot nightly'));
  const g = await daos(['cont', 'get-attr', 'tank', 'c1', 'nope'], a.deps);
  assert.equal(g.code, 1);
  assert.match(g.err, /^ERROR: daos: container get-attr nope failed: DER_NONEXIST\(-1005\): .*no attribute "nope"$/m);
  assert.match(g.err, /^ERROR: daos: resolution: daos container list-attrs tank c1 shows the attributes/m);
});

test('DAOS errors name the operation, the DER code and the fix; -j carries them with the rc as status', async () => {
  const r = await daos(['pool', 'query', 'nosuch']);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.equal(
    r.err,
    'ERROR: daos: failed to connect to pool nosuch: DER_NONEXIST(-1005): the specified entity does not exist: no pool with label "nosuch"\n' +
      'ERROR: daos: resolution: check the pool label or UUID: dmg pool list shows the pools of the system\n',
  );
  const j = await daos(['-j', 'cont', 'query', 'tank', 'nosuch']);
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.out);
  assert.equal(doc.status, -1005);
  assert.equal(doc.error.name, 'DER_NONEXIST');
  assert.equal(doc.error.rc, -1005);
  assert.match(doc.error.resolution, /daos container list tank/);
});

test('no agent: the fault and its resolution, exit 1', async () => {
  const deps: Deps = {
    connect: async () => {
      throw agentFaults.noAgent('/var/run/daos_agent/agent.sock', 'ENOENT');
    },
  };
  const r = await daos(['pool', 'query', 'tank'], deps);
  assert.equal(r.code, 1);
  assert.match(r.err, /^ERROR: daos: cannot reach daos_agent at \/var\/run\/daos_agent\/agent.sock: ENOENT$/m);
  assert.match(r.err, /^ERROR: daos: resolution: start daos_agent .* DAOS_AGENT_DRPC_DIR/m);
});

test('kv get writes the raw bytes to stdout; a missing key is an error with exit 1 and nothing on stdout', async () => {
  const r = await daos(['kv', 'get', 'tank', 'c1', '--oid=0.5', '--key=k']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual([...r.raw], [0, 1, 2, 255]);
  const m = await daos(['kv', 'get', 'tank', 'c1', '--oid=0.5', '--key=absent']);
  assert.equal(m.code, 1);
  assert.equal(m.raw.length, 0);
  assert.match(m.err, /DER_NONEXIST\(-1005\): the specified entity does not exist: key "absent" does not exist in object \d+\.5/);
  assert.match(m.err, /resolution: daos kv list tank c1 --oid=\d+\.5 shows its keys/);
  const j = await daos(['-j', 'kv', 'get', 'tank', 'c1', '--oid=0.5', '--key=k']);
  assert.equal(JSON.parse(j.out).response.value_base64, Buffer.from([0, 1, 2, 255]).toString('base64'));
});

test('rollback needs exactly one of a snapshot name and --epc', async () => {
  for (const args of [['cont', 'rollback', 'tank', 'c1'], ['cont', 'rollback', 'tank', 'c1', 's1', '--epc=5']]) {
    const r = await daos(args, noConnect);
    assert.equal(r.code, 2);
    assert.match(r.err, /give exactly one of a snapshot name and --epc/);
  }
});
