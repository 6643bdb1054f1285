#!/usr/bin/env node
// Data-plane benchmark on three storage nodes: the multi-node companion of
// bench/daos_perf.mjs.
//
//   sudo node bench/daos_perf_3node.mjs [--runs 3] [--procs 1,2,3,4] [--classes RP_3G1,S1] [--out DIR] [--quick]
//
// Needs root (network, mount and UTS namespaces), pdsh and built programs
// (`npm run build`: dist/src and dist/test/harness). What it does:
//   - three storage nodes with the cluster harness (test/harness/cluster.ts):
//     one I/O server per node with 8 targets, SCM `ram` (tmpfs), a `file`
//     block device; the run directory, and so the bdev files, in /dev/shm so
//     that block devices are in tmpfs as in the one-node figures;
//   - iperf3 bandwidth on the host's loopback and between the login namespace
//     and node1 (the path daos_perf's traffic takes);
//   - daos_agent on the login namespace and a pool over the three ranks;
//   - daos_perf from the login namespace, per object class (-c RP_3G1, S1):
//     1 MiB array extents (-A -s 1M -C 8 -d 64 -a 1 -r R) and 4 KiB single
//     values (-s 4K -C 16 -d 200 -a 100 -r 1), update then fetch (-U -F), with
//     1 to 4 client processes (-n), each --runs times: median and range;
//   - the peak memory (VmHWM) of every process kind: daos_server and
//     daos_io_server of each node, daos_agent, the daos_perf processes.
// R (8 at most) is lowered so that the objects of every process fit on one
// target (a G1 class keeps an object on one target per replica; the pool has
// 1 GiB of NVMe per target, so R is 3 with 4 processes) and the largest run
// fits in half the free tmpfs and memory at the start (a replicated class
// writes a copy per node); a run that would not fit in what is free at its
// start is skipped and says so. The bdev files (16 GB) are sparse: tmpfs
// holds what is written (about 3 GiB per node for the default run).
// A full default run takes about 10 minutes on 2 cores.
// --quick: one process, one run, small counts (a smoke check of the script).
//
// Results go to <out>/results.md and <out>/results.json (default: a new
// directory under the system temporary directory); the Markdown is printed.
// Every process this script starts is stopped by its PID at the end and on
// SIGINT/SIGTERM; Cluster.destroy() stops the nodes and removes namespaces
// and the run directory.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (p) => path.join(repo, 'bin', p);

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    procs: { type: 'string', default: '1,2,3,4' },
    classes: { type: 'string', default: 'RP_3G1,S1' },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const QUICK = args.quick;
const RUNS = QUICK ? 1 : Math.max(1, Number(args.runs) || 1);
const PROCS = QUICK ? [1] : args.procs.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 1);
const CLASSES = args.classes.split(',').map((s) => s.trim()).filter(Boolean);
const NODES = 3;
const TARGETS = 8;
const SHM = '/dev/shm';
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = args.out ?? path.join(os.tmpdir(), `daos_perf-3node-${stamp}`);
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function log(s) {
  process.stderr.write(`${s}\n`);
}

function fail(msg) {
  log(`ERROR: ${msg}`);
  process.exit(1);
}

if (process.getuid?.() !== 0) fail('bench/daos_perf_3node.mjs must run as root: the storage nodes are network, mount and UTS namespaces and SCM is a tmpfs (run it with sudo)');
for (const f of ['dist/src/cmd/daos_perf/main.js', 'dist/test/harness/cluster.js']) {
  if (!fs.existsSync(path.join(repo, f))) fail(`${f} is missing: the programs are not built; run \`npm run build\` first`);
}
if (spawnSync('sh', ['-c', 'command -v pdsh']).status !== 0) fail('pdsh is not installed: the cluster harness starts daos_server on every node with it (apt-get install pdsh)');
if (!fs.existsSync(SHM)) fail(`${SHM} does not exist: the block devices go in tmpfs there`);

const { Cluster } = await import(path.join(repo, 'dist/test/harness/cluster.js'));
// NB: the harness's proc.js exits at once on SIGINT/SIGTERM/SIGHUP after a
// SIGKILL of its processes, which would leave the namespaces behind; this
// script tears down in order instead (its 'exit' hook stays as a last resort).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(sig);

// ------------------------------------------------------------------ processes

const started = new Set(); // every process this script spawned directly

function startBg(name, cmd, argv) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { name, child, pid: child.pid, stdout: '', stderr: '', exited: false };
  const keep = (k) => (d) => {
    p[k] += d;
    if (p[k].length > 1 << 20) p[k] = p[k].slice(-(1 << 19));
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  p.done = new Promise((r) => {
    child.on('error', (e) => { p.stderr += String(e); });
    child.on('close', (code, sig) => { p.exited = true; started.delete(p); r({ code, sig }); });
  });
  started.add(p);
  return p;
}

function kill(pid, sig) {
  try { process.kill(pid, sig); } catch { /* gone */ }
}

async function stopBg(p, graceMs = 15_000) {
  if (p.exited || !p.pid) return;
  kill(p.pid, 'SIGTERM');
  const t = setTimeout(() => kill(p.pid, 'SIGKILL'), graceMs);
  await p.done;
  clearTimeout(t);
}

process.on('exit', () => {
  for (const p of started) if (!p.exited && p.pid) kill(p.pid, 'SIGKILL');
});

function runSync(cmd, argv, timeoutMs = 120_000) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs, intervalMs = 100) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
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

// ------------------------------------------------------------------ /proc

/** A process's peak resident set (VmHWM) in bytes, or undefined when it is gone. */
function vmHWM(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function childPids(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Polls the VmHWM of a daos_perf process and its children (the ranks its -n
 * launcher spawns) until stopped. VmHWM only grows, so the last reading of a
 * process is its peak up to that moment (at most one interval before it exits).
 */
function memoryPoller(rootPid, intervalMs = 200) {
  const peak = new Map(); // pid -> { role, bytes }
  const poll = () => {
    const root = vmHWM(rootPid);
    if (root !== undefined) peak.set(rootPid, { role: 'root', bytes: root });
    for (const c of childPids(rootPid)) {
      const b = vmHWM(c);
      if (b !== undefined) peak.set(c, { role: 'rank', bytes: b });
    }
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    pids: () => [...peak.keys()],
    stop() {
      clearInterval(timer);
      poll();
      return [...peak.values()];
    },
  };
}

function memAvailable() {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : os.freemem();
}

function shmAvailable() {
  const s = fs.statfsSync(SHM);
  return s.bavail * s.bsize;
}

/** Bytes a (sparse) file really holds. */
function allocated(file) {
  try {
    return fs.statSync(file).blocks * 512;
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------------ sizing

const startFree = Math.min(shmAvailable(), memAvailable());
if (startFree < 4 * GiB) fail(`only ${(startFree / GiB).toFixed(1)} GiB free in ${SHM} or memory: the three nodes' block devices and SCM live there; free at least 4 GiB`);
const maxProcs = Math.max(...PROCS);
const replicas = (cls) => Number(/^RP_(\d+)G/.exec(cls)?.[1] ?? 1);
const maxCopies = Math.max(...CLASSES.map(replicas));
// bdev_size (GB) of each node's file: sparse, so tmpfs holds only what is written (bounded below).
const BDEV_GB = 16;
// Pool NVMe per rank: as many whole GiB per target as the file holds. NB: a target's NVMe is whole
// 1 GiB clusters, so a 16 GB file gives 1 GiB per target, 8 GiB per rank.
const POOL_NVME_GIB = TARGETS * Math.floor((BDEV_GB * 1e9) / TARGETS / GiB);
const SCM_GIB = 4;
const POOL_SCM_GIB = 2;
const ARRAY_DKEYS = QUICK ? 8 : 64;
// Extents per akey, 8 at most, such that
//  - maxProcs objects fit on one target: an object of a G1 class keeps every dkey on one target (per
//    replica), and the objects of several processes may share a target;
//  - the largest run (maxProcs objects, one copy per replica) fits in half the free tmpfs and memory.
const perTargetNvme = (POOL_NVME_GIB * GiB) / TARGETS;
const ARRAY_RECS = QUICK
  ? 2
  : Math.max(1, Math.min(8, Math.floor((0.8 * perTargetNvme) / (maxProcs * ARRAY_DKEYS * MiB)), Math.floor(startFree / 2 / (maxProcs * ARRAY_DKEYS * MiB * maxCopies))));
const perNodeWrite = maxProcs * ARRAY_DKEYS * ARRAY_RECS * MiB; // a full copy per node at most (RP_3G1 on 3 nodes)

const WORKLOADS = [
  {
    name: '1 MiB array extents',
    short: '1M array',
    // per process: 1 object, ARRAY_DKEYS dkeys x 1 akey x ARRAY_RECS extents of 1 MiB
    args: ['-A', '-s', '1M', '-C', '8', '-d', String(ARRAY_DKEYS), '-a', '1', '-r', String(ARRAY_RECS)],
    bytesPerProc: ARRAY_DKEYS * ARRAY_RECS * MiB,
  },
  {
    name: '4 KiB single values',
    short: '4K single',
    // per process: 1 object, 200 (quick: 5) dkeys x 100 (quick: 10) akeys, one value
    // each: 20,000 operations (with 5,000 the JIT warm-up weighed on the figure)
    args: ['-s', '4K', '-C', '16', '-d', QUICK ? '5' : '200', '-a', QUICK ? '10' : '100', '-r', '1'],
    bytesPerProc: (QUICK ? 50 : 20000) * 4096,
  },
];

// ------------------------------------------------------------------ the system

let cluster;
let creating; // Cluster.create() in progress
let agent;
let perf; // the daos_perf run in progress: { p, poller }
let agentDir;

let cleaning;
/** Stop everything this script started, once (the signal handler and the main path share it). */
function cleanup() {
  cleaning ??= (async () => {
    if (perf) {
      // The -n launcher forwards SIGTERM to its ranks; ranks left over are stopped by their own PIDs.
      const ranks = perf.poller.pids().filter((p) => p !== perf.p.pid);
      await stopBg(perf.p, 10_000);
      for (const r of ranks) kill(r, 'SIGKILL');
    }
    for (const p of [...started]) await stopBg(p, 10_000);
    // A cluster still being created is torn down once it is (its setup steps are bounded).
    if (!cluster && creating) cluster = await creating.catch(() => undefined);
    if (cluster) await cluster.destroy().catch((e) => log(`cluster teardown: ${e?.message ?? e}`));
  })();
  return cleaning;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${sig}: stopping what this script started`);
    // NB: bounded: if the teardown hangs, the 'exit' hook SIGKILLs what is left.
    setTimeout(() => process.exit(130), 180_000).unref();
    cleanup().finally(() => process.exit(130));
  });
}

/** Run argv on the login namespace to completion, bounded; the process is stopped by its PID on timeout. */
async function onLogin(name, argv, timeoutMs) {
  const [cmd, a] = cluster.onLogin(argv);
  const p = startBg(name, cmd, a);
  const t = setTimeout(() => stopBg(p, 5000), timeoutMs);
  const { code } = await p.done;
  clearTimeout(t);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

async function iperfPair(label, server, client) {
  const srv = startBg(`iperf3-server ${label}`, ...server);
  await sleep(500);
  const [ccmd, cargs] = client;
  const c = startBg(`iperf3 ${label}`, ccmd, cargs);
  const t = setTimeout(() => stopBg(c, 3000), 60_000);
  await c.done;
  clearTimeout(t);
  await stopBg(srv, 3000);
  try {
    const j = JSON.parse(c.stdout);
    return { gbit_s: j.end.sum_received.bits_per_second / 1e9, gbyte_s: j.end.sum_received.bits_per_second / 8e9 };
  } catch {
    return { error: (c.stderr || c.stdout).trim().slice(0, 300) };
  }
}

/** iperf3 on the host's loopback and from the login namespace to node1 (over the harness's bridge). */
async function iperf() {
  if (runSync('sh', ['-c', 'command -v iperf3']).code !== 0) return { skipped: 'iperf3 is not installed' };
  const secs = QUICK ? '2' : '5';
  const out = { loopback: {}, login_to_node1: {} };
  for (const streams of [1, 4]) {
    const port = await freePort();
    out.loopback[`${streams}_stream`] = await iperfPair('loopback', ['iperf3', ['-s', '-1', '-p', String(port), '-B', '127.0.0.1']], ['iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', secs, '-P', String(streams), '-J']]);
    // NB: node1's and login's network namespaces are fresh: port 5201 is free there.
    out.login_to_node1[`${streams}_stream`] = await iperfPair(
      'login->node1',
      cluster.onNode('node1', ['iperf3', '-s', '-1', '-p', '5201']),
      cluster.onLogin(['iperf3', '-c', cluster.node('node1').ip, '-p', '5201', '-t', secs, '-P', String(streams), '-J']),
    );
  }
  return out;
}

/** The harness's server config with the one-node figures' settings: no helper xstreams, error-level logs. */
function tuneConfig() {
  const cfg = YAML.parse(fs.readFileSync(cluster.configPath, 'utf8'));
  cfg.control_log_mask = 'ERROR';
  for (const s of cfg.servers) {
    s.nr_xs_helpers = 0;
    s.log_mask = 'ERR';
  }
  fs.writeFileSync(cluster.configPath, YAML.stringify(cfg));
}

async function bringUp() {
  log(`sizing: ${(startFree / GiB).toFixed(1)} GiB free (min of ${SHM} and MemAvailable); bdev_size ${BDEV_GB} GB per node in ${SHM}, scm_size ${SCM_GIB} GiB; array runs -d ${ARRAY_DKEYS} -r ${ARRAY_RECS} (${(perNodeWrite / GiB).toFixed(2)} GiB per node at most)`);
  // NB: the harness makes its run directory (and so every node's bdev file) in os.tmpdir(), which reads TMPDIR.
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = SHM;
  try {
    creating = Cluster.create({ nodes: NODES, targets: TARGETS, bdevSizeGB: BDEV_GB, scmSizeGB: SCM_GIB });
    cluster = await creating;
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  log(`cluster run directory ${cluster.run}`);
  tuneConfig();
}

async function startSystem() {
  await cluster.startAll();
  await cluster.dmg(['-l', cluster.hostList, 'storage', 'format'], { timeoutMs: 300_000 });
  await cluster.waitJoined(NODES, 180_000);
  log('three ranks joined');
  agentDir = path.join(cluster.loginDir, 'agent');
  fs.mkdirSync(agentDir, { recursive: true });
  const access = cluster.nodes[0].addr;
  fs.writeFileSync(
    path.join(cluster.loginDir, 'daos_agent.yml'),
    YAML.stringify({ access_points: [access], port: Number(access.split(':')[1]), runtime_dir: agentDir, log_file: path.join(cluster.loginDir, 'daos_agent.log'), transport_config: { allow_insecure: true } }),
  );
  const [cmd, a] = cluster.onLogin([bin('daos_agent'), '-i', '-o', path.join(cluster.loginDir, 'daos_agent.yml')]);
  agent = startBg('daos_agent', cmd, a);
  await waitFor('daos_agent to listen', () => fs.existsSync(path.join(agentDir, 'agent.sock')) || agent.exited, 30_000);
  if (agent.exited) throw new Error(`daos_agent exited:\n${agent.stdout}${agent.stderr}`);
  const r = await cluster.dmg(['-l', access, 'pool', 'create', '-s', `${POOL_SCM_GIB}G`, '-n', `${POOL_NVME_GIB}G`, '--nsvc', '3', '--label', 'bench'], { timeoutMs: 300_000 });
  log(r.stdout.trim());
  const q = await cluster.dmg(['-l', access, 'pool', 'query', 'bench'], { timeoutMs: 60_000 });
  const nt = /ntarget=(\d+)/.exec(q.stdout);
  if (!nt || Number(nt[1]) !== NODES * TARGETS) throw new Error(`pool bench has ${nt?.[1] ?? 'no'} targets, not ${NODES * TARGETS}:\n${q.stdout}`);
  return { create: r.stdout.trim(), svc: /Service replicas: ([\d,]+)/.exec(r.stdout)?.[1] ?? 'unknown' };
}

/** VmHWM of the long-running processes: daos_server and daos_io_server of each node, daos_agent. */
function serverMemory() {
  const out = [];
  for (const n of cluster.nodes) {
    for (const kind of ['daos_server', 'daos_io_server']) {
      for (const pid of cluster.pidsOn(n.name, kind)) out.push({ process: kind, node: n.name, pid, vmhwm_bytes: vmHWM(pid) ?? null });
    }
  }
  if (agent && !agent.exited) out.push({ process: 'daos_agent', node: 'login', pid: agent.pid, vmhwm_bytes: vmHWM(agent.pid) ?? null });
  return out;
}

function bdevBytes() {
  return Object.fromEntries(cluster.nodes.map((n) => [n.name, allocated(path.join(n.dir, 'bdev', 'bdev0'))]));
}

// ------------------------------------------------------------------ the runs

async function runPerf(argv, timeoutMs) {
  const [cmd, a] = cluster.onLogin([bin('daos_perf'), ...argv]);
  const p = startBg('daos_perf', cmd, a);
  const poller = memoryPoller(p.pid);
  perf = { p, poller };
  const t = setTimeout(() => {
    log(`daos_perf took more than ${timeoutMs / 1000} s: stopping it`);
    const ranks = poller.pids().filter((x) => x !== p.pid);
    stopBg(p, 5000).then(() => ranks.forEach((r) => kill(r, 'SIGKILL')));
  }, timeoutMs);
  const { code } = await p.done;
  clearTimeout(t);
  const mem = poller.stop();
  perf = undefined;
  return { code, stdout: p.stdout, stderr: p.stderr, mem };
}

function machine() {
  const cpus = os.cpus();
  const git = runSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']).stdout.trim();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round(os.totalmem() / GiB),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: git || 'unknown',
    date: new Date().toISOString().slice(0, 10),
    load_before: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    free_at_start_gib: Number((startFree / GiB).toFixed(1)),
  };
}

async function main() {
  const info = machine();
  log(`machine: ${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB, ${info.kernel}, Node ${info.node}, commit ${info.commit}`);
  await bringUp();
  const netResult = await iperf();
  log(`iperf3: ${JSON.stringify(netResult)}`);
  const pool = await startSystem();
  const memIdle = serverMemory();
  const env = ['--pool', 'bench', '--agent-dir', agentDir];
  const results = [];
  for (const cls of CLASSES) {
    for (const wl of WORKLOADS) {
      for (const procs of PROCS) {
        if (interrupted) throw new Error('interrupted');
        const samples = [];
        const clientPeak = { root: 0, rank: 0 };
        for (let run = 0; run < RUNS && !interrupted; run++) {
          const need = procs * wl.bytesPerProc * replicas(cls) * 1.2;
          const free = Math.min(shmAvailable(), memAvailable());
          if (need > free / 2) {
            log(`SKIPPED: ${cls} ${wl.short} x${procs}: needs ${(need / GiB).toFixed(2)} GiB, ${(free / GiB).toFixed(2)} GiB free`);
            samples.push({ error: `skipped: ${(free / GiB).toFixed(1)} GiB free in tmpfs/memory` });
            break;
          }
          const argv = ['-n', String(procs), '-T', 'daos', '-c', cls, ...wl.args, '-U', '-F', '-j', ...env];
          const r = await runPerf(argv, 1_200_000);
          for (const m of r.mem) clientPeak[m.role] = Math.max(clientPeak[m.role], m.bytes);
          let doc;
          try {
            doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
          } catch {
            doc = undefined;
          }
          if (r.code !== 0 || !doc || doc.status !== 0) {
            log(`FAILED: daos_perf ${argv.join(' ')} (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-2000)}`);
            samples.push({ error: doc?.error ?? `exit ${r.code}` });
            break;
          }
          const by = Object.fromEntries(doc.results.map((x) => [x.name, x]));
          samples.push({ update: by.update, fetch: by.fetch });
          log(`${cls} ${wl.short} x${procs} run ${run + 1}: update ${by.update.bandwidth_mib_s.toFixed(1)} MiB/s ${by.update.rate_io_s.toFixed(0)} IO/s, fetch ${by.fetch.bandwidth_mib_s.toFixed(1)} MiB/s ${by.fetch.rate_io_s.toFixed(0)} IO/s`);
        }
        // With -n 1 the first process is the rank itself; with more it is the launcher.
        const memory = procs === 1 ? { rank_vmhwm_bytes: clientPeak.root } : { launcher_vmhwm_bytes: clientPeak.root, rank_vmhwm_bytes: clientPeak.rank };
        results.push({ class: cls, workload: wl.name, args: ['-T', 'daos', '-c', cls, ...wl.args, '-U', '-F'].join(' '), procs, samples, memory, bdev_allocated_bytes: bdevBytes() });
      }
    }
  }
  const memEnd = serverMemory();
  info.load_after = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return {
    machine: info,
    system: { nodes: NODES, targets: TARGETS, scm_size_gib: SCM_GIB, bdev_size_gb: BDEV_GB, pool_scm_gib_per_rank: POOL_SCM_GIB, pool_nvme_gib_per_rank: POOL_NVME_GIB, pool_create: pool.create, pool_service_ranks: pool.svc },
    iperf3: netResult,
    results,
    memory: { after_pool_create: memIdle, at_end: memEnd },
  };
}

// ------------------------------------------------------------------ report

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(xs, digits) {
  if (xs.length === 0) return 'failed';
  const m = median(xs).toFixed(digits);
  if (xs.length === 1) return m;
  return `${m} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

const mib = (b) => (b ? (b / MiB).toFixed(0) : '–');

function iperfLine(name, r) {
  return `${name} ${Object.entries(r).map(([k, v]) => `${k.replace('_', ' ')}${v.gbit_s ? ` ${v.gbit_s.toFixed(1)} Gbit/s (${v.gbyte_s.toFixed(2)} GB/s)` : ` failed (${v.error})`}`).join(', ')}`;
}

function markdown(doc) {
  const m = doc.machine;
  const s = doc.system;
  const lines = [];
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ${m.kernel}, Node.js ${m.node}; commit \`${m.commit}\`, ${m.date}; load average ${m.load_before} before, ${m.load_after} after.`);
  lines.push('');
  lines.push(`System: ${s.nodes} storage nodes (network, mount and UTS namespaces on this machine, a veth each on one bridge, \`ofi+tcp\`), one I/O server per node with ${s.targets} targets, SCM \`ram\` (${s.scm_size_gib} GiB tmpfs) and a \`file\` block device of ${s.bdev_size_gb} GB in ${SHM}; pool over the ${s.nodes} ranks of ${s.pool_scm_gib_per_rank} GiB SCM and ${s.pool_nvme_gib_per_rank} GiB NVMe per rank (\`--nsvc 3\`: service on ranks ${s.pool_service_ranks}); daos_agent and daos_perf on a login namespace.`);
  if (doc.iperf3.skipped) lines.push(`iperf3: ${doc.iperf3.skipped}.`);
  else lines.push(`iperf3: ${iperfLine('host loopback', doc.iperf3.loopback)}; ${iperfLine('login → node1', doc.iperf3.login_to_node1)}.`);
  lines.push('');
  lines.push(`daos_perf figures as it prints them: MiB/s (the original's "MB/sec"), IO/s over all processes; median of ${RUNS} run(s), range in parentheses. Client peak: the largest VmHWM of a daos_perf rank (and of the \`-n\` launcher).`);
  lines.push('');
  lines.push('| class | workload | procs | update MiB/s | update IO/s | fetch MiB/s | fetch IO/s | client peak MiB |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of doc.results) {
    const ok = r.samples.filter((x) => !x.error);
    const err = r.samples.find((x) => x.error)?.error;
    const col = (t, k, d) => (ok.length ? fmt(ok.map((x) => x[t][k]), d) : err?.startsWith('skipped') ? 'skipped' : 'failed');
    const peak = r.procs === 1 ? mib(r.memory.rank_vmhwm_bytes) : `${mib(r.memory.rank_vmhwm_bytes)} (launcher ${mib(r.memory.launcher_vmhwm_bytes)})`;
    lines.push(`| ${r.class} | ${r.workload} | ${r.procs} | ${col('update', 'bandwidth_mib_s', 1)} | ${col('update', 'rate_io_s', 0)} | ${col('fetch', 'bandwidth_mib_s', 1)} | ${col('fetch', 'rate_io_s', 0)} | ${peak} |`);
  }
  const failures = doc.results.flatMap((r) => r.samples.filter((x) => x.error).map((x) => `- ${r.class}, ${r.workload}, ${r.procs} process(es): ${x.error.split('\n')[0].slice(0, 300)}`));
  if (failures.length) lines.push('', 'Failed or skipped:', '', ...failures);
  lines.push('');
  lines.push('Peak memory (VmHWM, MiB) of the servers and the agent: after the pool was created, and at the end of the runs.');
  lines.push('');
  lines.push('| process | node | after pool create | at end |');
  lines.push('|---|---|---|---|');
  for (const e of doc.memory.at_end) {
    const idle = doc.memory.after_pool_create.find((x) => x.pid === e.pid);
    lines.push(`| ${e.process} | ${e.node} | ${mib(idle?.vmhwm_bytes)} | ${mib(e.vmhwm_bytes)} |`);
  }
  const last = doc.results.at(-1)?.bdev_allocated_bytes;
  if (last) lines.push('', `Block device pages in tmpfs at the end: ${Object.entries(last).map(([n, b]) => `${n} ${mib(b)} MiB`).join(', ')}.`);
  lines.push('');
  lines.push('Commands (each with `-n <procs> -j --pool bench --agent-dir <agent dir>`, from the login namespace):');
  lines.push('');
  for (const a of [...new Set(doc.results.map((r) => r.args))]) lines.push(`    daos_perf ${a}`);
  return lines.join('\n') + '\n';
}

let code = 1;
try {
  const doc = await main();
  if (!interrupted) {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
    const md = markdown(doc);
    fs.writeFileSync(path.join(outDir, 'results.md'), md);
    process.stdout.write(md);
    log(`results in ${outDir}/results.md and results.json`);
    code = doc.results.some((r) => r.samples.some((x) => x.error && !x.error.startsWith('skipped'))) ? 1 : 0;
  }
} catch (e) {
  if (!interrupted) {
    log(`ERROR: ${e?.stack ?? e}`);
    if (cluster) log(`cluster logs (tail):\n${cluster.logs().slice(-6000)}`);
    if (agent) log(`daos_agent output:\n${(agent.stdout + agent.stderr).slice(-2000)}`);
  }
}
await cleanup();
process.exit(interrupted ? 130 : code);
