import { defineFault } from '../fault/fault.js';
import { CodeBlock, Domain } from '../fault/codes.js';

// The I/O server shares the drpc block (800-899), from 850 up.
const c = CodeBlock.drpc + 50;

export const engineFaults = {
  badArg: defineFault(
    Domain.server,
    c + 1,
    'EngineBadArgument',
    (flag: string, value: string, range: string) => `daos_io_server: bad value ${JSON.stringify(value)} for ${flag} (expected ${range})`,
    () => 'daos_io_server is started by daos_server; check the servers section of daos_server.yml',
    ['-t', 'x', '1..64'],
  ),
  fabricEnv: defineFault(
    Domain.server,
    c + 2,
    'EngineFabricEnv',
    (name: string) => `daos_io_server: ${name} is not set or not valid`,
    () => "daos_io_server is started by daos_server, which sets it from 'fabric_iface' and 'fabric_iface_port'",
    ['OFI_INTERFACE'],
  ),
  fabricIface: defineFault(
    Domain.server,
    c + 3,
    'EngineFabricIface',
    (iface: string) => `fabric interface ${iface} has no IPv4 address`,
    () => "set 'fabric_iface' to an interface listed by daos_server network scan",
    ['ib0'],
  ),
  fabricListen: defineFault(
    Domain.server,
    c + 4,
    'EngineFabricListen',
    (addr: string, reason: string) => `unable to listen on fabric address ${addr}: ${reason}`,
    () => "another process holds the port: give each I/O server its own 'fabric_iface_port' and stop stray daos_io_server processes",
    ['10.0.0.1:31416', 'EADDRINUSE'],
  ),
  nvmeConf: defineFault(
    Domain.server,
    c + 5,
    'EngineNvmeConf',
    (file: string, reason: string) => `unable to read ${file}: ${reason}`,
    () => 'daos_server writes this file at every start; restart the instance with dmg system start',
    ['/mnt/daos/daos_nvme.conf', 'ENOENT'],
  ),
  deviceOpen: defineFault(
    Domain.server,
    c + 6,
    'EngineDeviceOpen',
    (dev: string, reason: string) => `unable to open block device ${dev}: ${reason}`,
    () => "check 'bdev_list' in daos_server.yml and that the device exists; a missing bdev file means the storage must be reformatted",
    ['/var/lib/daos/bdev0', 'ENOENT'],
  ),
  rankChange: defineFault(
    Domain.server,
    c + 7,
    'EngineRankChange',
    (have: number, want: number) => `rank is already ${have}, refusing to change it to ${want}`,
    () => 'restart the instance with dmg system stop / start',
    [1, 2],
  ),
  setUpBeforeRank: defineFault(
    Domain.server,
    c + 8,
    'EngineSetUpBeforeRank',
    () => 'set-up requested before a rank was assigned',
    () => 'this is a daos_server bug; restart the instance',
    [],
  ),
  wrongSystem: defineFault(
    Domain.server,
    c + 9,
    'EngineWrongSystem',
    (mount: string, sbSystem: string, group: string) => `storage at ${mount} belongs to system ${JSON.stringify(sbSystem)}, not ${JSON.stringify(group)}`,
    () => "use the same 'name' as when the storage was formatted, or reformat it with dmg storage format --reformat",
    ['/mnt/daos', 'daos_a', 'daos_b'],
  ),
};
