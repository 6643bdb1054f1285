/**
 * Faults of the storage providers and of the daos_admin helper.
 *
 * Codes: `general` 1 and `storage` 102–105, `scm` 206–207, `bdev` 308–309 are
 * the original's (same numbers, same meaning); everything else is ours,
 * allocated from `storage` 110, `scm` 210 and `bdev` 310 upwards. Never
 * renumber a code, only add.
 */
import { defineFault } from '../../fault/fault.js';
import { CodeBlock, Domain } from '../../fault/codes.js';

const q = (s: unknown): string => JSON.stringify(String(s));

/** Which OS package provides a tool, for the resolution of a missing one. */
const packageOf: Record<string, string> = {
  ndctl: 'ndctl',
  ipmctl: 'ipmctl',
  'mkfs.ext4': 'e2fsprogs',
  mount: 'mount (util-linux)',
  umount: 'mount (util-linux)',
};

// ---- general ----------------------------------------------------------------

/** NB: code and wording follow the original ("ndctl utility not found"). */
export const MissingSoftwareDependency = defineFault(
  Domain.general,
  CodeBlock.general + 1,
  'MissingSoftwareDependency',
  (tool: string) => `${tool} utility not found`,
  (tool: string) => `install the ${packageOf[tool] ?? tool} software for your OS`,
  ['ndctl'],
);

// ---- storage (100-199) --------------------------------------------------------

export const StorageUnknown = defineFault(
  Domain.storage,
  CodeBlock.storage + 2,
  'StorageUnknown',
  (msg: string) => `unknown storage error: ${msg}`,
  () => 'check the daos_server log for details',
  ['boom'],
);

/** NB: description and resolution are the original's, word for word (dmg shows them). */
export const StorageAlreadyFormatted = defineFault(
  Domain.storage,
  CodeBlock.storage + 3,
  'StorageAlreadyFormatted',
  () => 'format request for already-formatted storage and reformat not specified',
  () => 'retry the operation with reformat option to overwrite existing format',
  [],
);

export const StorageFilesystemAlreadyMounted = defineFault(
  Domain.storage,
  CodeBlock.storage + 4,
  'StorageFilesystemAlreadyMounted',
  (mountPoint: string, fsType: string) => `a ${fsType} filesystem not managed by DAOS is already mounted at ${q(mountPoint)}`,
  (mountPoint: string) => `unmount ${q(mountPoint)} (umount ${mountPoint}) or set scm_mount in daos_server.yml to another directory`,
  ['/mnt/daos', 'ext4'],
);

export const StorageDeviceAlreadyMounted = defineFault(
  Domain.storage,
  CodeBlock.storage + 5,
  'StorageDeviceAlreadyMounted',
  (device: string, mountPoint: string) => `device ${q(device)} is already mounted at ${q(mountPoint)}`,
  (device: string, mountPoint: string) =>
    `unmount it (umount ${mountPoint}) or choose another device for ${q(device)} in daos_server.yml`,
  ['/dev/pmem0', '/mnt/other'],
);

export const AdminFailed = defineFault(
  Domain.storage,
  CodeBlock.storage + 10,
  'AdminFailed',
  (method: string, msg: string) => `privileged binary execution failed: daos_admin ${method}: ${msg}`,
  () =>
    'check the daos_server log for the output of daos_admin; set helper_log_file in daos_server.yml to get a debug log of the helper',
  ['ScmMount', 'exit code 1'],
);

export const AdminNotFound = defineFault(
  Domain.storage,
  CodeBlock.storage + 11,
  'AdminNotFound',
  (searched: string) => `daos_admin not found (looked in ${searched})`,
  () => 'install daos_admin together with daos_server (npm install -g .) or add the bin directory holding it to PATH',
  ['/usr/bin, PATH'],
);

export const AdminTimeout = defineFault(
  Domain.storage,
  CodeBlock.storage + 12,
  'AdminTimeout',
  (method: string, ms: number) => `daos_admin ${method} did not answer within ${ms / 1000}s and was killed`,
  () => 'check the daos_server log for the output of daos_admin and whether the storage device is responsive, then retry',
  ['ScmFormat', 60000],
);

export const AdminNotRoot = defineFault(
  Domain.storage,
  CodeBlock.storage + 13,
  'AdminNotRoot',
  (euid: number) => `daos_admin must run as root (effective uid is ${euid})`,
  () => 'run daos_server as root: it starts daos_admin for mounts, mkfs and device preparation',
  [1000],
);

/** NB: the description is the original's. */
export const AdminBadParent = defineFault(
  Domain.storage,
  CodeBlock.storage + 14,
  'AdminBadParent',
  (version: string) => `daos_admin (version ${version}) may only be invoked by daos_server`,
  () => 'do not run daos_admin by hand; daos_server starts it for privileged storage operations',
  ['0.8.0'],
);

export const AdminBadRequest = defineFault(
  Domain.storage,
  CodeBlock.storage + 15,
  'AdminBadRequest',
  (msg: string) => `invalid daos_admin request: ${msg}`,
  () => 'daos_admin and daos_server come from different versions; reinstall both from the same package',
  ['unhandled method "Foo"'],
);

export const CommandFailed = defineFault(
  Domain.storage,
  CodeBlock.storage + 16,
  'CommandFailed',
  (cmdline: string, code: number | null, output: string) =>
    `command ${q(cmdline)} failed (exit ${code ?? 'signal'})${output ? `: ${output}` : ''}`,
  (cmdline: string) => `run ${q(cmdline)} by hand as root to see the full error, fix its cause and retry`,
  ['mount -t tmpfs tmpfs /mnt/daos', 32, 'mount: permission denied'],
);

export const CommandTimeout = defineFault(
  Domain.storage,
  CodeBlock.storage + 17,
  'CommandTimeout',
  (cmdline: string, ms: number) => `command ${q(cmdline)} did not finish within ${ms / 1000}s and was killed`,
  (cmdline: string) => `run ${q(cmdline)} by hand as root to see why it hangs, fix its cause and retry`,
  ['ndctl create-namespace', 600000],
);

// ---- scm (200-299) --------------------------------------------------------------

export const ScmUnknown = defineFault(
  Domain.scm,
  CodeBlock.scm + 6,
  'ScmUnknown',
  (msg: string) => `unknown SCM error: ${msg}`,
  () => 'check the daos_server log for details',
  ['boom'],
);

export const ScmFormatBadParam = defineFault(
  Domain.scm,
  CodeBlock.scm + 7,
  'ScmFormatBadParam',
  (msg: string) => `bad SCM format request: ${msg}`,
  () => 'check scm_class, scm_mount, scm_list and scm_size in daos_server.yml',
  ['scm_class "pmem" not supported'],
);

export const ScmNoModules = defineFault(
  Domain.scm,
  CodeBlock.scm + 10,
  'ScmNoModules',
  (host: string) => `no SCM modules (DCPMM) detected on ${host}; nothing to prepare`,
  () =>
    'nothing was changed; to emulate SCM set scm_class: ram (tmpfs of scm_size GB) or scm_class: dir (an existing directory, development only) in daos_server.yml, neither needs a prepare',
  ['node1'],
);

export const ScmMountNeedsRoot = defineFault(
  Domain.scm,
  CodeBlock.scm + 11,
  'ScmMountNeedsRoot',
  (action: string) => `${action} needs root privileges`,
  () =>
    'run daos_server as root (it mounts tmpfs and pmem through daos_admin), or set scm_class: dir in daos_server.yml for development (an existing directory stands in for SCM, no root needed)',
  ['mounting tmpfs at "/mnt/daos"'],
);

export const ScmDeviceMissing = defineFault(
  Domain.scm,
  CodeBlock.scm + 12,
  'ScmDeviceMissing',
  (device: string) => `SCM device ${q(device)} does not exist`,
  () =>
    'create the pmem namespaces with `daos_server storage prepare --scm-only` (a reboot may be needed in between), then set scm_list in daos_server.yml to a device shown by `daos_server storage scan`',
  ['/dev/pmem0'],
);

export const ScmDeviceNotBlock = defineFault(
  Domain.scm,
  CodeBlock.scm + 13,
  'ScmDeviceNotBlock',
  (device: string) => `SCM device ${q(device)} is not a block device`,
  () => 'set scm_list in daos_server.yml to a pmem block device such as /dev/pmem0 (see `daos_server storage scan`)',
  ['/tmp/pmem0'],
);

export const ScmDirNotEmpty = defineFault(
  Domain.scm,
  CodeBlock.scm + 14,
  'ScmDirNotEmpty',
  (dir: string, entries: string[], total: number) =>
    `scm_mount directory ${q(dir)} is not empty and was not prepared by DAOS (holds ${entries.map((e) => q(e)).join(', ')}${
      total > entries.length ? ` and ${total - entries.length} more` : ''
    })`,
  (dir: string) =>
    `empty ${q(dir)} or set scm_mount in daos_server.yml to another directory; DAOS never deletes files it did not create`,
  ['/srv/daos', ['notes.txt'], 1],
);

export const ScmNotDirectory = defineFault(
  Domain.scm,
  CodeBlock.scm + 15,
  'ScmNotDirectory',
  (p: string) => `scm_mount ${q(p)} exists and is not a directory`,
  () => 'set scm_mount in daos_server.yml to a directory path',
  ['/srv/daos'],
);

export const ScmPrepareUnexpectedState = defineFault(
  Domain.scm,
  CodeBlock.scm + 16,
  'ScmPrepareUnexpectedState',
  (want: string, got: string) => `unexpected SCM state: want ${want}, got ${got}`,
  () => 'check the SCM regions with `ipmctl show -region` and the namespaces with `ndctl list -N`, then retry the prepare',
  ['free-capacity', 'unknown'],
);

export const ScmToolOutput = defineFault(
  Domain.scm,
  CodeBlock.scm + 17,
  'ScmToolOutput',
  (tool: string, msg: string) => `unexpected output from ${tool}: ${msg}`,
  (tool: string) => `check that ${tool} works when run by hand as root; its output format may have changed (install a supported version)`,
  ['ipmctl', 'no regions listed'],
);

export const ScmPrepareNeedsRoot = defineFault(
  Domain.scm,
  CodeBlock.scm + 18,
  'ScmPrepareNeedsRoot',
  () => 'SCM prepare needs root privileges',
  () => 'run `daos_server storage prepare --scm-only` as root (sudo), or run daos_server as root for dmg storage prepare',
  [],
);

export const ScmMountBelow = defineFault(
  Domain.scm,
  CodeBlock.scm + 19,
  'ScmMountBelow',
  (dir: string, inner: string) => `cannot wipe scm_mount ${q(dir)}: a filesystem is mounted inside it at ${q(inner)}`,
  (_dir: string, inner: string) => `unmount ${q(inner)} (umount ${inner}) and retry the format`,
  ['/srv/daos', '/srv/daos/x'],
);

export const ScmPrepareIncomplete = defineFault(
  Domain.scm,
  CodeBlock.scm + 20,
  'ScmPrepareIncomplete',
  (n: number) => `SCM regions still have free capacity after creating ${n} namespaces`,
  () => 'check the regions with `ipmctl show -region` and the namespaces with `ndctl list -N`; reset with `daos_server storage prepare --scm-only --reset` if they are inconsistent',
  [8],
);

export const ScmNotFormatted = defineFault(
  Domain.scm,
  CodeBlock.scm + 21,
  'ScmNotFormatted',
  (device: string) => `SCM device ${q(device)} holds no filesystem`,
  () => 'format the storage with `dmg storage format`',
  ['/dev/pmem0'],
);

// ---- bdev (300-399) --------------------------------------------------------------

export const BdevUnknown = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 8,
  'BdevUnknown',
  (msg: string) => `unknown block device error: ${msg}`,
  () => 'check the daos_server log for details',
  ['boom'],
);

/** NB: the original's description for an unhandled class; ours adds the class. */
export const BdevFormatBadParam = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 9,
  'BdevFormatBadParam',
  (msg: string) => `format request contains unhandled block device class: ${msg}`,
  () => 'set bdev_class in daos_server.yml to one of nvme, malloc, kdev, file',
  ['"spdk"'],
);

export const BdevNvmeNotFound = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 10,
  'BdevNvmeNotFound',
  (pci: string) => `no NVMe controller at PCI address ${q(pci)}`,
  () => 'check bdev_list in daos_server.yml against the NVMe PCI column of `daos_server storage scan`',
  ['0000:81:00.0'],
);

export const BdevNvmeNotKernelBound = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 11,
  'BdevNvmeNotKernelBound',
  (pci: string, driver: string) =>
    driver
      ? `NVMe controller ${q(pci)} is bound to driver ${q(driver)}, not to the kernel nvme driver`
      : `NVMe controller ${q(pci)} is not bound to any driver`,
  () => 'run `daos_server storage prepare --nvme-only --reset` as root to bind it back to the kernel nvme driver',
  ['0000:81:00.0', 'vfio-pci'],
);

export const BdevNvmeNoNamespace = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 12,
  'BdevNvmeNoNamespace',
  (pci: string) => `NVMe controller ${q(pci)} has no namespace`,
  (pci: string) => `create a namespace on ${pci} (e.g. with nvme-cli: nvme create-ns / attach-ns) or remove it from bdev_list in daos_server.yml`,
  ['0000:81:00.0'],
);

export const BdevNotNvme = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 13,
  'BdevNotNvme',
  (pci: string, cls: string) => `PCI device ${q(pci)} is not an NVMe controller (class ${cls})`,
  () => 'check bdev_list in daos_server.yml against the NVMe PCI column of `daos_server storage scan`',
  ['0000:00:1f.2', '0x010601'],
);

export const BdevDeviceMissing = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 14,
  'BdevDeviceMissing',
  (dev: string) => `block device ${q(dev)} does not exist`,
  () => 'check bdev_list in daos_server.yml (kdev: block device paths such as /dev/sdb; see lsblk)',
  ['/dev/sdx'],
);

export const BdevNotBlockDevice = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 15,
  'BdevNotBlockDevice',
  (dev: string) => `${q(dev)} is not a block device`,
  () => 'for bdev_class: kdev list block devices in bdev_list; use bdev_class: file for regular files',
  ['/tmp/disk.img'],
);

export const BdevBadPath = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 16,
  'BdevBadPath',
  (p: string, why: string) => `bdev_list entry ${q(p)} ${why}`,
  () => 'set bdev_list in daos_server.yml to absolute paths of regular files (bdev_class: file)',
  ['disk.img', 'is not an absolute path'],
);

export const BdevNeedsRoot = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 17,
  'BdevNeedsRoot',
  (action: string) => `${action} needs root privileges`,
  () => 'run daos_server as root (or `sudo daos_server storage prepare --nvme-only`)',
  ['binding NVMe controllers to the kernel nvme driver'],
);

export const BdevDeviceInUse = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 18,
  'BdevDeviceInUse',
  (dev: string, by: string) => `block device ${q(dev)} is in use (${by})`,
  (dev: string) => `stop using ${q(dev)} or remove it from bdev_list in daos_server.yml; DAOS does not overwrite devices in use`,
  ['/dev/sdb', 'mounted at "/data"'],
);

export const BdevNvmeDriverMissing = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 19,
  'BdevNvmeDriverMissing',
  () => 'the kernel nvme driver is not loaded',
  () => 'load it with `modprobe nvme` and retry',
  [],
);

export const BdevBadSize = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 20,
  'BdevBadSize',
  (key: string, value: number) => `${key} must be greater than 0 (got ${value})`,
  (key: string) => `set ${key} in daos_server.yml to a positive number`,
  ['bdev_size', 0],
);

export const BdevBindFailed = defineFault(
  Domain.bdev,
  CodeBlock.bdev + 21,
  'BdevBindFailed',
  (pci: string, msg: string) => `binding NVMe controller ${q(pci)} to the kernel nvme driver failed: ${msg}`,
  (pci: string) => `check the kernel log (dmesg) for ${pci}; the device may need a reset or a reboot`,
  ['0000:81:00.0', 'EBUSY'],
);
