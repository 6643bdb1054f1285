#!/usr/bin/env node
// Quick start: a one-node DAOS system on emulated storage in a temporary
// directory, without root. Starts daos_server with the local example config
// (paths moved into the temporary directory), formats its storage with dmg,
// shows `dmg system query`, then keeps the system running until Ctrl-C.
//
//   npm start                 run until Ctrl-C
//   npm start -- --exit       stop right after showing the system (used by the tests)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (p) => path.join(repo, 'bin', p);
const exitAfter = process.argv.includes('--exit');

function freePort(preferred) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => {
      const t = net.createServer();
      t.listen(0, '0.0.0.0', () => {
        const p = t.address().port;
        t.close(() => resolve(p));
      });
    });
    s.listen(preferred, '0.0.0.0', () => s.close(() => resolve(preferred)));
  });
}

function say(s) {
  process.stdout.write(`\n\x1b[1m==> ${s}\x1b[0m\n`);
}

function dmg(args) {
  const argv = ['-i', '-l', `localhost:${port}`, ...args];
  process.stdout.write(`$ dmg ${argv.join(' ')}\n`);
  const r = spawnSync(bin('dmg'), argv, { encoding: 'utf8', timeout: 120_000 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r;
}

if (!fs.existsSync(path.join(repo, 'dist/src/cmd/daos_server/main.js'))) {
  console.error('ERROR: the programs are not built; run `npm ci` (or `npm run build`) first');
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-quickstart-'));
const port = await freePort(10001);
const fabricPort = await freePort(31416);
const example = fs.readFileSync(path.join(repo, 'utils/config/examples/daos_server_local.yml'), 'utf8');
const config = example
  .replaceAll('/tmp/daos_local', dir)
  .replace(/^port: 10001$/m, `port: ${port}`)
  .replace(/localhost:10001/g, `localhost:${port}`)
  .replace(/fabric_iface_port: 31416/g, `fabric_iface_port: ${fabricPort}`);
fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
const cfgPath = path.join(dir, 'daos_server.yml');
fs.writeFileSync(cfgPath, config);

say(`starting daos_server in ${dir}`);
process.stdout.write(`$ daos_server start -o ${cfgPath}\n`);
const server = spawn(bin('daos_server'), ['start', '-o', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
let serverOut = '';
const relay = (d) => {
  serverOut += d;
  for (const line of d.toString().split('\n').filter(Boolean)) process.stdout.write(`  daos_server| ${line}\n`);
};
server.stdout.on('data', relay);
server.stderr.on('data', relay);
let serverExited = false;
server.on('exit', (code) => {
  serverExited = true;
  if (!stopping) {
    console.error(`ERROR: daos_server exited (${code}); its output is above`);
    cleanup(1);
  }
});

let stopping = false;
function cleanup(code) {
  stopping = true;
  const done = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  if (serverExited) return done();
  server.once('exit', done);
  server.kill('SIGTERM');
  setTimeout(() => server.kill('SIGKILL'), 15_000).unref();
}
process.on('SIGINT', () => {
  say('stopping daos_server');
  cleanup(0);
});
process.on('SIGTERM', () => cleanup(0));

async function until(what, fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end && !serverExited) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  await until('daos_server to listen', () => /listening on/.test(serverOut), 30_000);
  say('formatting storage (daos_server waits in maintenance mode until then)');
  if (dmg(['storage', 'format']).status !== 0) throw new Error('storage format failed');
  await until('the I/O server to join', () => /started on rank \d+/.test(serverOut), 60_000);
  say('the system');
  if (dmg(['system', 'query', '--verbose']).status !== 0) throw new Error('system query failed');
  say('the DAOS system is up');
  process.stdout.write(
    [
      `Try, from another terminal:`,
      `  bin/dmg -i -l localhost:${port} system query`,
      `  bin/dmg -i -l localhost:${port} storage scan --verbose`,
      `  bin/dmg -i -l localhost:${port} network scan`,
      `The control log is ${dir}/daos_control.log.`,
      exitAfter ? 'Stopping (--exit).' : 'Press Ctrl-C to stop daos_server and remove the temporary directory.',
      '',
    ].join('\n'),
  );
  if (exitAfter) cleanup(0);
} catch (e) {
  console.error(`ERROR: quick start failed: ${e.message}`);
  cleanup(1);
}
