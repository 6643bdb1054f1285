import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { DAOS_VERSION } from '../../version.js';
import { nullLogger } from '../../logging/logger.js';
import { ScriptedRunner } from '../../server/storage/runner.js';
import { LocalScmProvider } from '../../server/storage/scm.js';
import { LocalBdevProvider } from '../../server/storage/bdev.js';
import { IPMCTL_DIMM_ARGS } from '../../server/storage/ipmctl.js';
import { NDCTL_LIST_ARGS } from '../../server/storage/ndctl.js';
import { IPMCTL_NO_MODULES } from '../../server/storage/samples.js';
import { isDaosServer, runAdmin, type AdminIO } from './main.js';

let proc: string;
beforeEach(() => {
  proc = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-admin-main-'));
});
afterEach(() => fs.rmSync(proc, { recursive: true, force: true }));

const PPID = 4242;

function parent(comm: string, argv: string[]): void {
  fs.mkdirSync(path.join(proc, String(PPID)), { recursive: true });
  fs.writeFileSync(path.join(proc, String(PPID), 'comm'), `${comm}\n`);
  fs.writeFileSync(path.join(proc, String(PPID), 'cmdline'), argv.map((a) => `${a}\0`).join(''));
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(argv: string[], opts: { stdin?: string; euid?: number; env?: NodeJS.ProcessEnv } = {}) {
  const out = collect();
  const err = collect();
  const io: AdminIO = {
    stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    euid: () => opts.euid ?? 0,
    ppid: PPID,
    procRoot: proc,
    deps: (log) => ({
      scm: new LocalScmProvider({
        runner: new ScriptedRunner([
          { cmd: 'ipmctl', args: IPMCTL_DIMM_ARGS, result: { code: 1, stdout: IPMCTL_NO_MODULES } },
          { cmd: 'ndctl', args: NDCTL_LIST_ARGS, result: { stdout: '' } },
        ]),
        log,
      }),
      bdev: new LocalBdevProvider({ log: nullLogger() }),
      log,
    }),
  };
  const code = await runAdmin(argv, io);
  const stdout = out.text();
  return { code, stdout, stderr: err.text(), reply: stdout.startsWith('{') ? JSON.parse(stdout) : undefined };
}

const SCAN = JSON.stringify({ Method: 'ScmScan', Payload: { Rescan: true } });

const cases: Record<
  string,
  { parent?: [string, string[]]; argv?: string[]; stdin?: string; euid?: number; code: number; stdout?: string; fault?: number; stderr?: RegExp; payload?: unknown }
> = {
  '--version': { argv: ['--version'], code: 0, stdout: `daos_admin version ${DAOS_VERSION}\n` },
  'unknown argument': { argv: ['--frobnicate'], code: 1, stdout: '', stderr: /unknown argument "--frobnicate"/ },
  'started by daos_server (comm)': {
    parent: ['daos_server', ['daos_server']],
    stdin: SCAN,
    code: 0,
    payload: { State: 'unknown', Modules: [], Namespaces: [], Notes: [] },
  },
  'started by `node bin/daos_server` before it set its title': {
    parent: ['node', ['node', '/usr/lib/node_modules/daos-ts/bin/daos_server', 'start']],
    stdin: SCAN,
    code: 0,
  },
  'started from a shell': {
    parent: ['bash', ['-bash']],
    stdin: SCAN,
    code: 1,
    fault: 114,
    stderr: new RegExp(`ERROR: daos_admin \\(version ${DAOS_VERSION.replace(/\./g, '\\.')}\\) may only be invoked by daos_server`),
  },
  'a parent that merely mentions daos_server': { parent: ['vim', ['vim', 'daos_server.yml']], stdin: SCAN, code: 1, fault: 114 },
  'parent gone from /proc': { stdin: SCAN, code: 1, fault: 114 },
  'not root': { parent: ['daos_server', ['daos_server']], stdin: SCAN, euid: 1000, code: 1, fault: 113, stderr: /must run as root \(effective uid is 1000\)/ },
  'malformed request': { parent: ['daos_server', ['daos_server']], stdin: '{"Method":', code: 1, fault: 115, stderr: /request is not JSON/ },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`daos_admin: ${name}`, async () => {
    if (tc.parent) parent(...tc.parent);
    const r = await run(tc.argv ?? [], { ...(tc.stdin !== undefined ? { stdin: tc.stdin } : {}), ...(tc.euid !== undefined ? { euid: tc.euid } : {}) });
    assert.equal(r.code, tc.code, r.stderr);
    if (tc.stdout !== undefined) assert.equal(r.stdout, tc.stdout);
    if (tc.stderr) assert.match(r.stderr, tc.stderr);
    if (tc.fault) assert.equal(r.reply?.Error?.Fault?.code, tc.fault);
    if (tc.payload) assert.deepEqual(r.reply, { Error: null, Payload: tc.payload });
    if (tc.code === 0 && tc.stdin) assert.equal(r.stderr, '', 'nothing on stderr when all is well');
  });
}

test('daos_admin: the resolution of a root refusal names running daos_server as root', async () => {
  parent('daos_server', ['daos_server']);
  const r = await run([], { stdin: SCAN, euid: 1000 });
  assert.match(r.reply.Error.Fault.resolution, /run daos_server as root/);
});

test('daos_admin: DAOS_ADMIN_LOG_FILE gets a debug log', async () => {
  parent('daos_server', ['daos_server']);
  const logFile = path.join(proc, 'admin.log');
  await run([], { stdin: SCAN, env: { DAOS_ADMIN_LOG_FILE: logFile } });
  const text = fs.readFileSync(logFile, 'utf8');
  assert.match(text, /DEBUG .* daos_admin request ScmScan \{"Rescan":true\}/);
  assert.match(text, /running ipmctl show/);
});

test('isDaosServer on the real /proc: this test process is not daos_server', () => {
  assert.equal(isDaosServer(process.pid), false);
});
