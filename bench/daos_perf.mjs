#!/usr/bin/env node
// Data-plane benchmark: brings up one I/O server with 8 targets on emulated
// storage in tmpfs, measures loopback TCP with iperf3 (when installed), then
// runs daos_perf in the three layers (daos, echo, vos) with 1 to 4 client
// processes:
//   - 1 MiB array extents, update then fetch (-A -s 1M -C 8);
//   - 4 KiB single values, update then fetch (-s 4K -C 16).
// Each configuration runs --runs times; the Markdown table gives the median
// and the range. Results go to <out>/results.md and <out>/results.json.
//
//   node bench/daos_perf.mjs [--runs 3] [--procs 1,2,3,4] [--out DIR] [--quick] [--keep] [--no-precondition]
//
// Storage: SCM `ram` (a tmpfs daos_admin mounts) when run as root, else
// `dir` in /dev/shm (tmpfs); the block device is a `file` in /dev/shm. Every
// process this script starts is stopped by its PID at the end (and on Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (p) => path.join(repo, 'bin', p);

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    procs: { type: 'string', default: '1,2,3,4' },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-precondition': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(args.runs));
const PROCS = args.procs.split(',').map(Number).filter((n) => n >= 1);
const QUICK = args.quick;
const isRoot = process.getuid?.() === 0;
const shm = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = args.out ?? path.join(os.tmpdir(), `daos_perf-bench-${stamp}`);

if (!fs.existsSync(path.join(repo, 'dist/src/cmd/daos_perf/main.js'))) {
  console.error('ERROR: the programs are not built; run `npm ci` (or `npm run build`) first');
  process.exit(1);
}

const started = []; // { name, child }
function log(s) {
  process.stderr.write(`${s}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function startBg(name, cmd, argv, env = process.env) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const p = { name, child, output: '', exited: false };
  const onData = (d) => {
    p.output += d;
    if (p.output.length > 1 << 20) p.output = p.output.slice(-(1 << 19));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  p.done = new Promise((r) => child.on('close', (code, sig) => { p.exited = true; r({ code, sig }); }));
  started.push(p);
  return p;
}

async function stopBg(p, graceMs = 15_000) {
  if (p.exited || !p.child.pid) return;
  try { process.kill(p.child.pid, 'SIGTERM'); } catch { /* gone */ }
  const t = setTimeout(() => { try { process.kill(p.child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  await p.done;
  clearTimeout(t);
}

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

function runSync(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: opts.timeoutMs ?? 600_000, env: opts.env ?? process.env, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** A daos_perf run as a child we can stop by PID (bounded in time). */
function runPerf(argv, env, timeoutMs = 600_000) {
  return new Promise((resolve) => {
    const p = startBg('daos_perf', bin('daos_perf'), argv, env);
    const t = setTimeout(() => stopBg(p, 5000), timeoutMs);
    p.done.then(({ code }) => {
      clearTimeout(t);
      resolve({ code, output: p.output });
    });
  });
}

function machine() {
  const cpus = os.cpus();
  const git = runSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']).stdout.trim();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: git || 'unknown',
    date: new Date().toISOString().slice(0, 10),
    load_before: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    root: isRoot,
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function iperf() {
  if (runSync('sh', ['-c', 'command -v iperf3']).code !== 0) return { skipped: 'iperf3 is not installed' };
  const port = await freePort();
  const out = {};
  for (const streams of [1, 4]) {
    const srv = startBg('iperf3-server', 'iperf3', ['-s', '-1', '-p', String(port), '-B', '127.0.0.1']);
    await new Promise((r) => setTimeout(r, 500));
    const c = runSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', QUICK ? '2' : '5', '-P', String(streams), '-J'], { timeoutMs: 60_000 });
    await stopBg(srv, 3000);
    try {
      const j = JSON.parse(c.stdout);
      out[`${streams}_stream`] = { gbit_s: j.end.sum_received.bits_per_second / 1e9, gbyte_s: j.end.sum_received.bits_per_second / 8e9 };
    } catch {
      out[`${streams}_stream`] = { error: (c.stderr || c.stdout).trim().slice(0, 300) };
    }
  }
  return out;
}

// ------------------------------------------------------------------ the system

const base = fs.mkdtempSync(path.join(shm, 'daos-perf-bench-'));
let server;
let agent;
let scmMounted = false;

async function cleanup() {
  for (const p of [...started].reverse()) await stopBg(p, 15_000);
  if (scmMounted && isRoot) runSync('umount', [path.join(base, 'scm')]);
  if (!args.keep) fs.rmSync(base, { recursive: true, force: true });
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping what this script started`);
    cleanup().finally(() => process.exit(130));
  });
}

async function bringUp() {
  const port = await freePort();
  const fabricPort = await freePort();
  const scm = isRoot ? 'scm_class: ram\n  scm_size: 6' : 'scm_class: dir';
  const config = `# written by bench/daos_perf.mjs
name: daos_server
access_points: ["localhost:${port}"]
port: ${port}
transport_config:
  allow_insecure: true
provider: ofi+sockets
socket_dir: ${base}/run
control_log_mask: ERROR
control_log_file: ${base}/daos_control.log
servers:
-
  targets: 8
  first_core: 0
  nr_xs_helpers: 0
  fabric_iface: lo
  fabric_iface_port: ${fabricPort}
  log_mask: ERR
  log_file: ${base}/daos_server.log
  scm_mount: ${base}/scm
  ${scm}
  bdev_class: file
  bdev_list: [${base}/bdev0]
  bdev_size: 12
`;
  fs.mkdirSync(path.join(base, 'run'), { recursive: true });
  fs.writeFileSync(path.join(base, 'daos_server.yml'), config);
  fs.writeFileSync(path.join(base, 'daos_control.yml'), `name: daos_server\nhostlist: ["localhost:${port}"]\nport: ${port}\ntransport_config:\n  allow_insecure: true\n`);
  const agentDir = path.join(base, 'agentrun');
  fs.mkdirSync(agentDir);
  fs.writeFileSync(path.join(base, 'daos_agent.yml'), `name: daos_server\naccess_points: ["localhost:${port}"]\nport: ${port}\nruntime_dir: ${agentDir}\nlog_file: ${base}/daos_agent.log\ntransport_config:\n  allow_insecure: true\n`);

  log(`starting daos_server (8 targets, SCM ${isRoot ? 'ram' : `dir in ${shm}`}, bdev file in ${shm}) in ${base}`);
  server = startBg('daos_server', bin('daos_server'), ['start', '-o', path.join(base, 'daos_server.yml')]);
  await waitFor('daos_server to listen', () => /listening on/.test(server.output) || server.exited, 60_000);
  if (server.exited) throw new Error(`daos_server exited:\n${server.output}`);
  const dmg = (a, timeoutMs) => runSync(bin('dmg'), ['-i', '-o', path.join(base, 'daos_control.yml'), ...a], { timeoutMs });
  const f = dmg(['storage', 'format'], 300_000);
  if (f.code !== 0) throw new Error(`dmg storage format failed:\n${f.stdout}${f.stderr}`);
  scmMounted = isRoot;
  await waitFor('the rank to join', () => /started on rank \d+/.test(server.output) || server.exited, 120_000);
  if (server.exited) throw new Error(`daos_server exited:\n${server.output}`);
  if (!args['no-precondition']) precondition(path.join(base, 'bdev0'));
  agent = startBg('daos_agent', bin('daos_agent'), ['-i', '-o', path.join(base, 'daos_agent.yml')]);
  await waitFor('daos_agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || agent.exited, 30_000);
  if (agent.exited) throw new Error(`daos_agent exited:\n${agent.output}`);
  const p = dmg(['pool', 'create', '-s', '2G', '-n', '8G', '--label', 'bench'], 300_000);
  if (p.code !== 0) throw new Error(`dmg pool create failed:\n${p.stdout}${p.stderr}`);
  log(p.stdout.trim());
  return { agentDir };
}

/**
 * Touch every page of the block-device file once, keeping its content (each
 * chunk is read and written back; nothing else writes to it yet: no pool
 * exists). On a virtual machine whose memory the hypervisor backs lazily, the
 * first write into guest memory never touched since boot runs at a fraction
 * of the speed of a rewrite (on ours: `dd` to a new tmpfs file 0.29 GB/s, the
 * same file rewritten 2.6 GB/s); without this the update figures would
 * measure the hypervisor, and change with what ran on the machine before.
 * A real NVMe device has no such first-write cost. --no-precondition skips it.
 */
let preconditioned = 'not preconditioned (--no-precondition): first writes into untouched memory included';
function precondition(file) {
  const t0 = Date.now();
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = Buffer.alloc(4 << 20);
    for (let off = 0; off < size; off += chunk.length) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - off), off);
      if (n <= 0) break;
      fs.writeSync(fd, chunk, 0, n, off);
    }
    const secs = (Date.now() - t0) / 1000;
    preconditioned = `preconditioned: every page of the block device file touched once before the pool was created (${(size / 1e9).toFixed(1)} GB in ${secs.toFixed(1)} s, ${(size / 1e9 / secs).toFixed(2)} GB/s)`;
    log(preconditioned);
  } catch (e) {
    // e.g. ENOSPC on a small /dev/shm: the pages written so far stay touched
    preconditioned = `not preconditioned (${e.code ?? e.message}): first writes into untouched memory included`;
    log(`WARNING: ${preconditioned}`);
  } finally {
    fs.closeSync(fd);
  }
}

// ------------------------------------------------------------------ the runs

const WORKLOADS = [
  {
    name: '1 MiB array extents',
    short: '1M array',
    // per process: 1 object (class SX: one group per target), 32 dkeys spread over the
    // targets by their hash, 1 akey, 8 (quick: 2) extents of 1 MiB each: 256 MiB
    args: ['-A', '-s', '1M', '-C', '8', '-d', QUICK ? '16' : '32', '-a', '1', '-r', QUICK ? '2' : '8'],
  },
  {
    name: '4 KiB single values',
    short: '4K single',
    // per process: 1 object, 400 (quick: 10) dkeys x 100 akeys, one value each:
    // 40,000 operations, a few seconds; with 5,000 the figure was mostly the
    // JIT warming up (half the steady rate)
    args: ['-s', '4K', '-C', '16', '-d', QUICK ? '10' : '400', '-a', '100', '-r', '1'],
  },
];
const LAYERS = ['daos', 'echo', 'vos'];

async function main() {
  const info = machine();
  log(`machine: ${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB, ${info.kernel}, Node ${info.node}, commit ${info.commit}`);
  const net = await iperf();
  log(`iperf3 loopback: ${JSON.stringify(net)}`);
  const { agentDir } = await bringUp();
  const env = { ...process.env, DAOS_AGENT_DRPC_DIR: agentDir };
  const results = [];
  for (const layer of LAYERS) {
    for (const wl of WORKLOADS) {
      for (const procs of PROCS) {
        const samples = [];
        for (let run = 0; run < RUNS; run++) {
          const argv = ['-n', String(procs), '-T', layer, ...wl.args, '-U', '-F', '-j'];
          if (layer === 'vos') argv.push('-f', path.join(base, 'vos'), '-P', '1G', '-N', '1G');
          else argv.push('--pool', 'bench');
          if (layer === 'vos') fs.mkdirSync(path.join(base, 'vos'), { recursive: true });
          const r = await runPerf(argv, env);
          let doc;
          try {
            doc = JSON.parse(r.output.slice(r.output.indexOf('{'), r.output.lastIndexOf('}') + 1));
          } catch {
            doc = undefined;
          }
          if (r.code !== 0 || !doc || doc.status !== 0) {
            log(`FAILED: daos_perf ${argv.join(' ')} (exit ${r.code}):\n${r.output.slice(-2000)}`);
            samples.push({ error: doc?.error ?? `exit ${r.code}` });
            break;
          }
          const by = Object.fromEntries(doc.results.map((x) => [x.name, x]));
          samples.push({ update: by.update, fetch: by.fetch });
          log(`${layer} ${wl.short} x${procs} run ${run + 1}: update ${by.update.bandwidth_mib_s.toFixed(1)} MiB/s ${by.update.rate_io_s.toFixed(0)} IO/s, fetch ${by.fetch.bandwidth_mib_s.toFixed(1)} MiB/s ${by.fetch.rate_io_s.toFixed(0)} IO/s`);
        }
        results.push({ layer, workload: wl.name, args: ['-T', layer, ...wl.args, '-U', '-F'].join(' '), procs, samples });
      }
    }
  }
  info.load_after = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return { machine: info, iperf3: net, preconditioned, results };
}

function fmt(xs, digits) {
  if (xs.length === 0) return 'failed';
  const m = median(xs).toFixed(digits);
  if (xs.length === 1) return m;
  return `${m} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

function markdown(doc) {
  const m = doc.machine;
  const lines = [];
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ${m.kernel}, Node.js ${m.node}; commit \`${m.commit}\`, ${m.date}; load average ${m.load_before} before, ${m.load_after} after.`);
  lines.push('');
  lines.push(`System: one I/O server, 8 targets, SCM \`${m.root ? 'ram' : 'dir'}\` and a \`file\` block device in tmpfs (${doc.preconditioned}); pool of 2 GiB SCM and 8 GiB NVMe; daos_agent; loopback TCP.`);
  if (doc.iperf3.skipped) lines.push(`iperf3: ${doc.iperf3.skipped}.`);
  else lines.push(`iperf3 on loopback: ${Object.entries(doc.iperf3).map(([k, v]) => `${k.replace('_', ' ')}${v.gbit_s ? ` ${v.gbit_s.toFixed(1)} Gbit/s (${v.gbyte_s.toFixed(2)} GB/s)` : ` failed (${v.error})`}`).join(', ')}.`);
  lines.push('');
  lines.push(`daos_perf figures as it prints them: MB/s is MiB per second (the original's "bandwith"), IO/s per second over all processes; median of ${RUNS} run(s), range in parentheses.`);
  lines.push('');
  lines.push('| layer | workload | procs | update MiB/s | update IO/s | fetch MiB/s | fetch IO/s |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of doc.results) {
    const ok = r.samples.filter((s) => !s.error);
    const col = (t, k, d) => fmt(ok.map((s) => s[t][k]), d);
    lines.push(`| ${r.layer} | ${r.workload} | ${r.procs} | ${col('update', 'bandwidth_mib_s', 1)} | ${col('update', 'rate_io_s', 0)} | ${col('fetch', 'bandwidth_mib_s', 1)} | ${col('fetch', 'rate_io_s', 0)} |`);
  }
  lines.push('');
  lines.push('Commands (each with `-n <procs> -j`, and `--pool bench` or `-f <tmpfs dir> -P 1G -N 1G` for vos):');
  lines.push('');
  for (const a of [...new Set(doc.results.map((r) => r.args))]) lines.push(`    daos_perf ${a}`);
  return lines.join('\n') + '\n';
}

try {
  const doc = await main();
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
  const md = markdown(doc);
  fs.writeFileSync(path.join(outDir, 'results.md'), md);
  process.stdout.write(md);
  log(`results in ${outDir}/results.md and results.json`);
  await cleanup();
  process.exit(doc.results.some((r) => r.samples.some((s) => s.error)) ? 1 : 0);
} catch (e) {
  log(`ERROR: ${e?.stack ?? e}`);
  if (server) log(`daos_server output (tail):\n${server.output.slice(-3000)}`);
  await cleanup();
  process.exit(1);
}
