import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fault } from '../../fault/fault.js';
import { StorageAlreadyFormatted } from '../storage/faults.js';
import {
  decodeReply,
  decodeRequest,
  errorReply,
  faultFromReply,
  okReply,
  scanFromWire,
  scanToWire,
  scmConfigToTarget,
  targetToScmConfig,
  type AdminRequest,
} from './protocol.js';
import { replyResult } from './client.js';

const target = { Mountpoint: '/mnt/daos', Ramdisk: { Size: 4 }, Dcpm: null };

const good: Record<string, AdminRequest> = {
  ScmMount: { Method: 'ScmMount', Payload: target },
  ScmUnmount: { Method: 'ScmUnmount', Payload: { Mountpoint: '/mnt/daos', Ramdisk: null, Dcpm: { Device: '/dev/pmem0' } } },
  ScmCheckFormat: { Method: 'ScmCheckFormat', Payload: target },
  ScmFormat: { Method: 'ScmFormat', Payload: { ...target, Reformat: true, OwnerUID: 1000, OwnerGID: 1000 } },
  ScmScan: { Method: 'ScmScan', Payload: { Rescan: false } },
  ScmPrepare: { Method: 'ScmPrepare', Payload: { Reset: true } },
  NvmePrepare: { Method: 'NvmePrepare', Payload: { PciAllowList: ['0000:81:00.0'], NrHugepages: 4096, TargetUser: 'daos', Reset: false } },
};

for (const [name, req] of Object.entries(good)) {
  test(`decodeRequest accepts ${name}`, () => {
    assert.deepEqual(decodeRequest(JSON.stringify(req)), req);
  });
}

const bad: Record<string, [string, RegExp]> = {
  'not JSON': ['{', /request is not JSON/],
  'not an object': ['[]', /request is not an object/],
  'no Method': ['{"Payload":{}}', /request has no Method/],
  'unknown method (the original wording)': ['{"Method":"ScmExplode","Payload":{}}', /unhandled method "ScmExplode"/],
  'no Payload': ['{"Method":"ScmScan"}', /Payload is not an object/],
  'wrong type': ['{"Method":"ScmScan","Payload":{"Rescan":"yes"}}', /Payload\.Rescan is not a boolean/],
  'relative mount point': ['{"Method":"ScmMount","Payload":{"Mountpoint":"mnt","Ramdisk":{"Size":1},"Dcpm":null}}', /not an absolute path/],
  'both Ramdisk and Dcpm': [
    '{"Method":"ScmMount","Payload":{"Mountpoint":"/m","Ramdisk":{"Size":1},"Dcpm":{"Device":"/dev/pmem0"}}}',
    /exactly one of Ramdisk and Dcpm/,
  ],
  'neither': ['{"Method":"ScmMount","Payload":{"Mountpoint":"/m","Ramdisk":null,"Dcpm":null}}', /exactly one/],
  'negative size': ['{"Method":"ScmMount","Payload":{"Mountpoint":"/m","Ramdisk":{"Size":-1},"Dcpm":null}}', /Ramdisk\.Size is not a non-negative integer/],
  'uid missing': ['{"Method":"ScmFormat","Payload":{"Mountpoint":"/m","Ramdisk":{"Size":1},"Dcpm":null,"Reformat":true,"OwnerGID":0}}', /OwnerUID/],
  'allow list of numbers': ['{"Method":"NvmePrepare","Payload":{"PciAllowList":[1],"NrHugepages":0,"TargetUser":"","Reset":false}}', /PciAllowList is not a list of strings/],
};

for (const [name, [text, match]] of Object.entries(bad)) {
  test(`decodeRequest refuses: ${name}`, () => {
    assert.throws(() => decodeRequest(text), (e: unknown) => e instanceof Fault && e.domain === 'storage' && e.code === 115 && match.test(e.description));
  });
}

test('replies: ok, fault, plain error, and malformed', () => {
  assert.deepEqual(decodeReply(JSON.stringify(okReply({ Target: '/m', Mounted: true }))), { Error: null, Payload: { Target: '/m', Mounted: true } });
  const f = StorageAlreadyFormatted();
  const r = decodeReply(JSON.stringify(errorReply(f)))!;
  assert.equal(r.Error!.Message, f.toString());
  const back = faultFromReply(r)!;
  assert.ok(back instanceof Fault);
  assert.deepEqual(back.toJSON(), f.toJSON());
  assert.throws(() => replyResult('ScmFormat', r), (e: unknown) => e instanceof Fault && e.code === 103 && e.resolution === f.resolution);
  const plain = decodeReply(JSON.stringify(errorReply(new Error('EIO'))))!;
  assert.deepEqual(plain.Error, { Message: 'EIO', Fault: null });
  assert.throws(() => replyResult('ScmMount', plain), (e: unknown) => e instanceof Fault && e.code === 110 && /daos_admin ScmMount: EIO/.test(e.description));
  assert.throws(() => replyResult('ScmMount', { Error: null, Payload: null }), /reply has no payload/);
  for (const s of ['', 'null', '{"Error":null}', '{"Error":{"Message":1},"Payload":null}']) assert.equal(decodeReply(s), undefined, s);
});

test('SCM configs and scan results convert both ways', () => {
  const ram = { class: 'ram' as const, mountPoint: '/mnt/daos', ramSizeGB: 4, deviceList: [] };
  const dcpm = { class: 'dcpm' as const, mountPoint: '/mnt/daos', ramSizeGB: 0, deviceList: ['/dev/pmem0'] };
  assert.deepEqual(targetToScmConfig(scmConfigToTarget(ram)), ram);
  assert.deepEqual(targetToScmConfig(scmConfigToTarget(dcpm)), dcpm);
  assert.throws(() => scmConfigToTarget({ ...ram, class: 'dir' }), /not handled by daos_admin/);
  const scan = {
    modules: [{ physicalId: 1, capacity: 2, socketId: 3, controllerId: 4, channelId: 5, channelPosition: 6 }],
    namespaces: [{ uuid: 'u', blockDevice: 'pmem0', name: 'namespace0.0', numaNode: 1, size: 9 }],
    state: 'no-capacity' as const,
    notes: ['n'],
  };
  const wire = scanToWire(scan);
  assert.deepEqual(wire.Namespaces, [{ uuid: 'u', blockdev: 'pmem0', dev: 'namespace0.0', numa_node: 1, size: 9 }]);
  assert.deepEqual(wire.Modules, [{ PhysicalID: 1, Capacity: 2, SocketID: 3, ControllerID: 4, ChannelID: 5, ChannelPosition: 6 }]);
  assert.deepEqual(scanFromWire(JSON.parse(JSON.stringify(wire))), scan);
});
