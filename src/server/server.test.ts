/**
 * ControlServer with fake storage providers: what a format writes and starts,
 * how block devices are labelled, and what storage scan/prepare show under
 * bdev_include/bdev_exclude. Nothing here spawns an I/O server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ControlServer } from './server.js';
import { InstanceState } from './instance.js';
import { controlService } from './ctl_svc.js';
import { prepareNvmeFiltered } from './ctl_storage.js';
import { parseServerConfig, validateServerConfig } from '../config/server.js';
import type { BdevConfig, ScmConfig } from '../config/types.js';
import type { BdevFormatResult, BdevProvider, NvmeController, NvmePrepareRequest, ScmFormatCheck, ScmProvider } from './storage/types.js';
import { BdevDeviceInUse } from './storage/faults.js';
import { ResponseStatus } from '../proto/ctl/common_pb.js';
import { Logger, MemorySink } from '../logging/logger.js';
import type { CallContext } from '../lib/grpc/service.js';

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-server-test-'));
  tmpDirs.push(d);
  return d;
}

/** SCM that records what was written; `formatted` mount points report as mounted. */
class FakeScm implements ScmProvider {
  readonly formatted = new Set<string>();
  readonly writes: string[] = [];
  async scan() {
    return { modules: [], namespaces: [], state: 'unknown' as const };
  }
  async prepare() {
    return { rebootRequired: false, namespaces: [], messages: [] };
  }
  async prepareNeedsConsent() {
    return false;
  }
  async checkFormat(cfg: ScmConfig): Promise<ScmFormatCheck> {
    return { mounted: this.formatted.has(cfg.mountPoint), mountable: false };
  }
  async format(cfg: ScmConfig): Promise<void> {
    this.writes.push(`scm format ${cfg.mountPoint}`);
    fs.mkdirSync(cfg.mountPoint, { recursive: true });
    this.formatted.add(cfg.mountPoint);
  }
  async mount() {}
  async unmount() {}
}

/** Block devices: `busy` ones are refused by a format-time validation; `ctrlrs` is what a scan finds. */
class FakeBdev implements BdevProvider {
  readonly writes: string[] = [];
  readonly prepared: NvmePrepareRequest[] = [];
  constructor(
    private readonly busy: Set<string> = new Set(),
    private readonly ctrlrs: NvmeController[] = [],
  ) {}
  async scan() {
    return this.ctrlrs;
  }
  async prepare(req: NvmePrepareRequest) {
    this.prepared.push(req);
    return { messages: [`prepared ${req.pciAllowList.join(' ') || 'all'}`], rebound: [] };
  }
  async validate(cfg: BdevConfig, opts: { forFormat?: boolean } = {}): Promise<void> {
    for (const d of cfg.deviceList) if (opts.forFormat && this.busy.has(d)) throw BdevDeviceInUse(d, `${d} is mounted at "/data"`);
  }
  async format(cfg: BdevConfig): Promise<BdevFormatResult[]> {
    this.writes.push(...cfg.deviceList.map((d) => `bdev format ${d}`));
    return cfg.deviceList.map((d) => ({ device: d, ok: true, info: 'zeroed' }));
  }
  async nvmeConf() {
    return '';
  }
  async kernelDevices() {
    return [];
  }
}

function ctrl(pciAddr: string): NvmeController {
  return { pciAddr, model: 'm', serial: 's', firmware: 'f', socketId: 0, namespaces: [{ id: 1, size: 1e9 }] };
}

/** A two-instance kdev config in a temporary directory (insecure, so no certificates). */
function makeServer(opts: { busy?: string[]; ctrlrs?: NvmeController[]; top?: Record<string, unknown> } = {}) {
  const dir = tmpDir();
  const raw = {
    port: 10001,
    access_points: ['localhost:10001'],
    transport_config: { allow_insecure: true },
    socket_dir: dir,
    ...opts.top,
    servers: [0, 1].map((i) => ({
      targets: 1,
      fabric_iface: 'lo',
      fabric_iface_port: 31416 + i,
      scm_class: 'dir',
      scm_mount: path.join(dir, `scm${i}`),
      bdev_class: 'kdev',
      bdev_list: [`/dev/daos-test-sd${'bc'[i]}`],
    })),
  };
  const file = path.join(dir, 'daos_server.yml');
  fs.writeFileSync(file, YAML.stringify(raw));
  const cfg = parseServerConfig(fs.readFileSync(file, 'utf8'), file);
  validateServerConfig(cfg);
  const scm = new FakeScm();
  const bdev = new FakeBdev(new Set(opts.busy ?? []), opts.ctrlrs ?? []);
  const sink = new MemorySink();
  const srv = new ControlServer(cfg, {
    log: new Logger([{ sink, level: 'debug' }]),
    hostname: 'node1',
    scm,
    bdev,
    ioServerBin: '/nonexistent/daos_io_server',
    version: 'test',
  });
  return { srv, scm, bdev, sink, dir };
}

const ctx = { metadata: { get: () => [] } } as unknown as CallContext;

test('a block device refused by validation refuses the whole format: nothing is written on any instance', async () => {
  const { srv, scm, bdev, dir } = makeServer({ busy: ['/dev/daos-test-sdc'] });
  const out = await srv.format(false);
  assert.deepEqual(scm.writes, [], 'no SCM formatted, not even instance 0 whose device is fine');
  assert.deepEqual(bdev.writes, []);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['daos_server.yml'], 'no mount point, superblock or conf written');
  assert.deepEqual(
    out.bdev.map((r) => [r.index, r.device, r.ok]),
    [[1, '/dev/daos-test-sdc', false]],
  );
  assert.match(out.bdev[0]!.error!, /daos-test-sdc.* is in use/);
  assert.deepEqual(out.scm.map((r) => [r.index, r.ok]), [[0, false]]);
  assert.match(out.scm[0]!.error!.description, /instance 0 was not formatted: the format was refused as a whole \(instance 1: .*daos-test-sdc/);
  assert.ok(srv.instances.every((i) => i.state === InstanceState.AwaitFormat), 'both instances still wait for a format');
  // The next format, with the device freed, is not refused as "already formatted".
  const again = makeServer();
  const ok = await again.srv.format(false);
  assert.ok(ok.scm.every((r) => r.ok), JSON.stringify(ok.scm));
});

test('a refused kdev device is labelled CTL_ERR_BDEV, not CTL_ERR_NVME', async () => {
  const { srv } = makeServer({ busy: ['/dev/daos-test-sdb'] });
  const msgs = [];
  for await (const m of controlService(srv).storageFormat({ reformat: false } as never, ctx)) msgs.push(m);
  const crets = msgs.flatMap((m) => m.crets ?? []);
  assert.equal(crets.length, 1);
  assert.equal(crets[0]!.state?.status, ResponseStatus.CTL_ERR_BDEV);
});

test('a refused format (already formatted) starts nothing: stopped instances stay stopped', async () => {
  const { srv, scm, sink } = makeServer();
  for (const inst of srv.instances) {
    scm.formatted.add(inst.cfg.scm.mountPoint);
    inst.storageReady(); // formatted and stopped, as after dmg system stop
  }
  const out = await srv.format(false);
  assert.ok(out.scm.every((r) => !r.ok && r.error?.code === 103), JSON.stringify(out.scm));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    srv.instances.map((i) => i.state),
    [InstanceState.Stopped, InstanceState.Stopped],
  );
  assert.doesNotMatch(sink.text(), /Starting I\/O server/);
});

test('format with no I/O server instances has nothing to format', async () => {
  const { srv, sink } = makeServer({ top: {} });
  const empty = new ControlServer({ ...srv.cfg, servers: [] }, srv.deps);
  const out = await empty.format(false);
  assert.deepEqual(out, { scm: [], bdev: [] });
  assert.match(sink.text(), /nothing to format: daos_server\.yml lists no I\/O server instances/);
  assert.match(empty.msNotReadyFault().description, /not running/);
});

test('storage scan shows only the controllers bdev_include keeps and bdev_exclude does not drop', async () => {
  const all = ['0000:81:00.0', '0000:87:00.0', '0000:da:00.0'].map(ctrl);
  const cases: Record<string, { include: string[]; exclude: string[]; want: string[] }> = {
    'no filter': { include: [], exclude: [], want: ['0000:81:00.0', '0000:87:00.0', '0000:da:00.0'] },
    include: { include: ['0000:81:00.0', 'DA:00.0'], exclude: [], want: ['0000:81:00.0', '0000:da:00.0'] },
    exclude: { include: [], exclude: ['0000:87:00.0'], want: ['0000:81:00.0', '0000:da:00.0'] },
    'exclude wins': { include: ['0000:81:00.0', '0000:87:00.0'], exclude: ['0000:87:00.0'], want: ['0000:81:00.0'] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const { srv } = makeServer({ ctrlrs: all, top: { bdev_include: tc.include, bdev_exclude: tc.exclude } });
    const r = await controlService(srv).storageScan({} as never, ctx);
    assert.deepEqual(r.nvme?.ctrlrs?.map((c) => c.pciaddr), tc.want, name);
  }
});

test('storage prepare touches only what bdev_include/bdev_exclude allow, and says what it left out', async () => {
  const all = ['0000:81:00.0', '0000:87:00.0'].map(ctrl);
  const req = { pciAllowList: [], nrHugepages: 0, targetUser: '', reset: false };
  const cases: Record<string, { include: string[]; exclude: string[]; asked?: string[]; prepared?: string[]; msg: RegExp }> = {
    'exclude one': { include: [], exclude: ['0000:87:00.0'], prepared: ['0000:81:00.0'], msg: /left out by bdev_include\/bdev_exclude.*: 0000:87:00\.0/ },
    'include one': { include: ['0000:87:00.0'], exclude: [], prepared: ['0000:87:00.0'], msg: /: 0000:81:00\.0/ },
    'asked for an excluded one only': { include: [], exclude: ['0000:87:00.0'], asked: ['0000:87:00.0'], msg: /nothing changed/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const bdev = new FakeBdev(new Set(), all);
    const r = await prepareNvmeFiltered(bdev, { ...req, pciAllowList: tc.asked ?? [] }, { include: tc.include, exclude: tc.exclude });
    assert.deepEqual(bdev.prepared.map((p) => p.pciAllowList), tc.prepared ? [tc.prepared] : [], name);
    assert.match(r.messages.join('\n'), tc.msg, name);
  }
  // Without a filter the request goes through as it is (an empty list means all).
  const bdev = new FakeBdev(new Set(), all);
  await prepareNvmeFiltered(bdev, req, { include: [], exclude: [] });
  assert.deepEqual(bdev.prepared, [req]);
});
