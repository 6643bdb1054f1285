/**
 * Config faults (domain `config`, codes 400–499). Every fault names the key,
 * the offending value and the file; every resolution names the key or flag to
 * change and, for key errors, points at the commented examples shipped in
 * utils/config/.
 *
 * Two families:
 *  - parse faults (syntax, unknown key, wrong type, duplicate, missing) carry
 *    the line: `<file>:<line>: <what>`;
 *  - validation faults (cross-field checks on the defaulted, overridden
 *    config) name the key path (`servers[1].scm_mount`) and the file.
 * Several problems found together are thrown as one `configInvalid` fault
 * whose `problems` lists them (see problemsOf).
 *
 * NB: codes are stable; add new faults at the end, never renumber.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeBlock, Domain } from '../fault/codes.js';
import { defineFault, Fault } from '../fault/fault.js';

/** utils/config/ of this installation (this file is dist/src/config/faults.js once built). */
export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../utils/config');

/** Appended to the resolution of every key error. */
export const EXAMPLES_HINT = `see the commented examples in ${EXAMPLES_DIR}`;

/** The program that reads a config, used to say what to restart. */
export type Program = 'daos_server' | 'dmg' | 'daos_agent';

/** Where a validation problem was found: the file and the program reading it. */
export interface Src {
  file: string;
  prog: Program;
}

const D = Domain.config;
const C = CodeBlock.config;
const SAMPLE_FILE = '/etc/daos/daos_server.yml';
const SRC: Src = { file: SAMPLE_FILE, prog: 'daos_server' };

function seeExamples(fix: string): string {
  return `${fix}; ${EXAMPLES_HINT}`;
}

function at(file: string, line: number, col = 0): string {
  if (line <= 0) return `${file}: `;
  return col > 0 ? `${file}:${line}:${col}: ` : `${file}:${line}: `;
}

function rerun(prog: Program): string {
  return prog === 'dmg' ? 'and run dmg again' : `and restart ${prog}`;
}

function q(v: unknown): string {
  return JSON.stringify(v);
}

/** `set 'key' ... in <file> [(or pass <flag>)] and restart <prog>; see examples`. */
function fix(src: Src, text: string, flag?: string): string {
  const or = flag ? ` (or pass ${flag} to ${src.prog === 'daos_server' ? 'daos_server start' : src.prog})` : '';
  return seeExamples(`${text} in ${src.file}${or} ${rerun(src.prog)}`);
}

/** A config fault listing several problems (`problems`), each with its own fix. */
export interface ConfigProblemsFault extends Fault {
  readonly problems: readonly Fault[];
}

/** The individual problems carried by a config fault (one for a plain fault, none for anything else). */
export function problemsOf(e: unknown): Fault[] {
  if (!(e instanceof Fault)) return [];
  const p = (e as Partial<ConfigProblemsFault>).problems;
  return p ? [...p] : [e];
}

function stripHint(r: string): string {
  const tail = `; ${EXAMPLES_HINT}`;
  return r.endsWith(tail) ? r.slice(0, -tail.length) : r;
}

// ---- 400: several problems at once ------------------------------------------

const configInvalidDef = defineFault(
  D,
  C + 0,
  'ConfigInvalid',
  (file: string, problems: Fault[]) =>
    `${problems.length} problems in ${file}:\n` + problems.map((p) => `  - ${p.description}`).join('\n'),
  (file: string, problems: Fault[]) =>
    `fix each problem in ${file}:\n` +
    problems.map((p) => `  - ${stripHint(p.resolution)}`).join('\n') +
    `\n${EXAMPLES_HINT}`,
  [
    SAMPLE_FILE,
    [
      new Fault({ domain: D, code: C + 13, description: "'port' 0 is not valid", resolution: "set 'port' to a number between 1 and 65535" }),
      new Fault({ domain: D, code: C + 41, description: 'servers[0] and servers[1] share the scm_mount "/mnt/daos"', resolution: "give each server its own 'scm_mount'" }),
    ],
  ],
);

/** One fault for several problems; keeps them in `problems`. */
export function configInvalid(file: string, problems: Fault[]): ConfigProblemsFault {
  const f = configInvalidDef(file, problems);
  Object.defineProperty(f, 'problems', { value: Object.freeze([...problems]), enumerable: false });
  return f as ConfigProblemsFault;
}

/** Throw nothing, the only problem, or one fault aggregating all of them. */
export function throwProblems(file: string, problems: Fault[]): void {
  if (problems.length === 0) return;
  if (problems.length === 1) throw problems[0];
  throw configInvalid(file, problems);
}

// ---- 401–409: the file and its YAML ------------------------------------------

export const configFileNotFound = defineFault(
  D,
  C + 1,
  'ConfigFileNotFound',
  (_prog: Program, file: string, _template: string) => `config file ${file} does not exist`,
  (prog: Program, file: string, template: string) =>
    `pass -o <path> to ${prog} to use another config file, or create ${file} from ${path.join(EXAMPLES_DIR, template)}`,
  ['daos_server' as Program, SAMPLE_FILE, 'daos_server.yml'],
);

export const configFileUnreadable = defineFault(
  D,
  C + 2,
  'ConfigFileUnreadable',
  (file: string, reason: string) => `config file ${file} could not be read: ${reason}`,
  (file: string) => `make ${file} a readable regular file (check its permissions) or pass -o <path> to use another config file`,
  [SAMPLE_FILE, 'EACCES: permission denied'],
);

export const configSyntax = defineFault(
  D,
  C + 3,
  'ConfigSyntax',
  (file: string, line: number, col: number, msg: string) => `${at(file, line, col)}invalid YAML: ${msg}`,
  (file: string, line: number) =>
    seeExamples(
      `fix the YAML at line ${line} of ${file} (indent nested keys with spaces, put ': ' after each key, quote values containing ': ' or '#')`,
    ),
  [SAMPLE_FILE, 3, 1, 'implicit keys need to be on a single line'],
);

export const configDuplicateKey = defineFault(
  D,
  C + 4,
  'ConfigDuplicateKey',
  (file: string, line: number, key: string) => `${at(file, line)}'${key}' is set more than once`,
  (file: string, line: number, key: string) =>
    seeExamples(`keep a single '${key}' in ${file} and remove the other one (line ${line})`),
  [SAMPLE_FILE, 12, 'servers[0].bdev_class'],
);

export const configUnknownKey = defineFault(
  D,
  C + 5,
  'ConfigUnknownKey',
  (file: string, line: number, key: string, _suggestion: string) => `${at(file, line)}'${key}' is not a known key`,
  (file: string, line: number, key: string, suggestion: string) =>
    seeExamples(
      suggestion
        ? `rename '${key}' to '${suggestion}' at line ${line} of ${file}`
        : `remove '${key}' from ${file} (line ${line}) or correct its spelling`,
    ),
  [SAMPLE_FILE, 20, 'servers[1].scm_mount_path', 'scm_mount'],
);

export const configBadType = defineFault(
  D,
  C + 6,
  'ConfigBadType',
  (file: string, line: number, key: string, expected: string, got: string) =>
    `${at(file, line)}'${key}' must be ${expected}, not ${got}`,
  (file: string, line: number, key: string, expected: string) =>
    seeExamples(`set '${key}' to ${expected} at line ${line} of ${file}`),
  [SAMPLE_FILE, 4, 'port', 'an integer', 'the string "ten"'],
);

export const configMissingKey = defineFault(
  D,
  C + 7,
  'ConfigMissingKey',
  (file: string, line: number, key: string) => `${at(file, line)}required key '${key}' is missing`,
  (file: string, line: number, key: string) => seeExamples(`add '${key}' to the entry at line ${line} of ${file}`),
  [SAMPLE_FILE, 14, 'servers[0].scm_class'],
);

/**
 * No longer raised: an empty 'servers' is accepted (control plane only). Kept
 * because codes are never reused.
 */
export const configNoServers = defineFault(
  D,
  C + 8,
  'ConfigNoServers',
  (file: string, line: number) => `${at(file, line)}'servers' lists no I/O server instances`,
  (file: string, _line: number) =>
    seeExamples(
      `add at least one entry under 'servers:' in ${file} (with scm_mount, scm_class, bdev_class, fabric_iface, fabric_iface_port) and restart daos_server`,
    ),
  [SAMPLE_FILE, 0],
);

export const configBadChoice = defineFault(
  D,
  C + 9,
  'ConfigBadChoice',
  (file: string, line: number, key: string, value: string, allowed: string[]) =>
    `${line > 0 ? at(file, line) : ''}'${key}' value ${q(value)} is not one of ${allowed.join(', ')}`,
  (file: string, line: number, key: string, _value: string, allowed: string[]) =>
    seeExamples(`set '${key}' to one of ${allowed.join(', ')}${line > 0 ? ` at line ${line}` : ''} in ${file}`),
  [SAMPLE_FILE, 9, 'servers[0].scm_class', 'pmem', ['ram', 'dcpm', 'dir']],
);

// ---- 410–419: top-level values -------------------------------------------------

export const ACCEPTED_PROVIDERS = ['ofi+sockets', 'ofi+tcp', 'ofi+tcp;ofi_rxm'] as const;

export const unsupportedProvider = defineFault(
  D,
  C + 10,
  'ConfigUnsupportedProvider',
  (_src: Src, key: string, provider: string) =>
    `'${key}' ${q(provider)} is not available: this implementation only has a TCP fabric`,
  (src: Src, key: string) => fix(src, `set '${key}' to 'ofi+tcp' or 'ofi+sockets' (or remove it; the default is ofi+sockets)`),
  [SRC, 'provider', 'ofi+psm2'],
);

export const accessPointCount = defineFault(
  D,
  C + 11,
  'ConfigAccessPointCount',
  (_src: Src, n: number) => `'access_points' lists ${n} entries; this release supports exactly one access point`,
  (src: Src) =>
    fix(src, `set 'access_points' to a single "host:port" entry, the same on every server of the system,`),
  [SRC, 3],
);

export const badAccessPoint = defineFault(
  D,
  C + 12,
  'ConfigBadAccessPoint',
  (_src: Src, key: string, entry: string, reason: string) => `'${key}' entry ${q(entry)} is not valid: ${reason}`,
  (src: Src, key: string) =>
    fix(src, `write each '${key}' entry as "host" or "host:port" with a port between 1 and 65535`),
  [SRC, 'access_points', 'wolf-71:0', 'port 0 is not valid'],
);

export const badPort = defineFault(
  D,
  C + 13,
  'ConfigBadPort',
  (_src: Src, key: string, value: number, _flag: string) => `'${key}' ${value} is not valid`,
  (src: Src, key: string, _value: number, flag: string) =>
    fix(src, `set '${key}' to a number between 1 and 65535`, flag || undefined),
  [SRC, 'port', 0, '-p'],
);

export const badSystemName = defineFault(
  D,
  C + 14,
  'ConfigBadSystemName',
  (_src: Src, name: string) => `'name' ${q(name)} is not a valid system name`,
  (src: Src) =>
    fix(src, `set 'name' to 1 to 15 characters among letters, digits, '_', '.' and '-'`, src.prog === 'daos_server' ? '-g' : undefined),
  [SRC, 'my system name is long'],
);

export const notAbsolutePath = defineFault(
  D,
  C + 15,
  'ConfigNotAbsolutePath',
  (_src: Src, key: string, value: string, _flag: string) => `'${key}' ${q(value)} is not an absolute path`,
  (src: Src, key: string, _value: string, flag: string) =>
    fix(src, `please specify an absolute path (starting with '/') for '${key}'`, flag || undefined),
  [SRC, 'socket_dir', 'run/daos_server', '-d'],
);

export const badLogMask = defineFault(
  D,
  C + 16,
  'ConfigBadLogMask',
  (file: string, line: number, value: string) => `${line > 0 ? at(file, line) : ''}'control_log_mask' ${q(value)} is not a log level`,
  (file: string) => seeExamples(`set 'control_log_mask' to one of DISABLED, ERROR, NOTICE, INFO, DEBUG in ${file}`),
  [SAMPLE_FILE, 7, 'VERBOSE'],
);

export const badRange = defineFault(
  D,
  C + 17,
  'ConfigOutOfRange',
  (_src: Src, key: string, value: number, min: number, max: number, _flag: string) =>
    `'${key}' ${value} is out of range (${min} to ${max})`,
  (src: Src, key: string, _value: number, min: number, max: number, flag: string) =>
    fix(src, `set '${key}' to a number between ${min} and ${max} (values are refused, not clamped)`, flag || undefined),
  [SRC, 'servers[0].nr_xs_helpers', 3, 0, 2, '-x'],
);

// ---- 420–439: one I/O server instance -------------------------------------------

export const missingServerKey = defineFault(
  D,
  C + 20,
  'ConfigMissingServerKey',
  (_src: Src, key: string, _what: string, _flag: string) => `'${key}' is not set`,
  (src: Src, key: string, what: string, flag: string) => fix(src, `set '${key}' to ${what}`, flag || undefined),
  [SRC, 'servers[0].fabric_iface', "the data-plane network interface (e.g. eth0 or lo, see 'daos_server network scan') here or at the top level,", ''],
);

export const scmRamNeedsSize = defineFault(
  D,
  C + 21,
  'ConfigScmRamNeedsSize',
  (_src: Src, i: number, value: number) => `'servers[${i}].scm_size' ${value} is too small for scm_class ram (at least 1 GB)`,
  (src: Src, i: number) => fix(src, `set 'servers[${i}].scm_size' to the size of the tmpfs in GB (1 or more)`),
  [SRC, 0, 0],
);

export const scmDcpmNeedsOneDevice = defineFault(
  D,
  C + 22,
  'ConfigScmDcpmDevices',
  (_src: Src, i: number, n: number) =>
    `'servers[${i}].scm_list' lists ${n} devices; scm_class dcpm needs exactly one pmem device`,
  (src: Src, i: number) =>
    fix(src, `set 'servers[${i}].scm_list' to one pmem device such as [/dev/pmem0] (see dmg storage scan)`),
  [SRC, 0, 0],
);

export const scmKeyNotUsed = defineFault(
  D,
  C + 23,
  'ConfigScmKeyNotUsed',
  (_src: Src, key: string, cls: string, why: string) => `'${key}' is set but scm_class ${cls} ${why}`,
  (src: Src, key: string) => fix(src, `remove '${key}' (or change 'scm_class')`),
  [SRC, 'servers[0].scm_size', 'dcpm', 'takes its size from the device'],
);

export const badBdevDevice = defineFault(
  D,
  C + 24,
  'ConfigBadBdevDevice',
  (_src: Src, key: string, value: string, cls: string, what: string) =>
    `'${key}' ${q(value)} is not valid for bdev_class ${cls}: expected ${what}`,
  (src: Src, key: string, _value: string, _cls: string, what: string) => fix(src, `set '${key}' to ${what}`),
  [SRC, 'servers[0].bdev_list[0]', '81:00.0', 'nvme', 'a PCI address DDDD:BB:DD.F such as "0000:81:00.0" (see dmg storage scan)'],
);

export const bdevEmptyEntry = defineFault(
  D,
  C + 25,
  'ConfigBdevEmptyEntry',
  (_src: Src, i: number, j: number) => `'servers[${i}].bdev_list' entry ${j} is empty (index ${j})`,
  (src: Src, i: number, j: number) => fix(src, `remove the empty entry at index ${j} of 'servers[${i}].bdev_list'`),
  [SRC, 0, 1],
);

export const bdevNeedsValue = defineFault(
  D,
  C + 26,
  'ConfigBdevNeedsValue',
  (_src: Src, key: string, value: number, cls: string, what: string) =>
    `'${key}' ${value} is too small for bdev_class ${cls}: ${what} must be at least 1`,
  (src: Src, key: string, _value: number, _cls: string, what: string) => fix(src, `set '${key}' to the ${what} (1 or more)`),
  [SRC, 'servers[0].bdev_size', 0, 'file', 'size of each file in GB'],
);

export const bdevListNotUsed = defineFault(
  D,
  C + 27,
  'ConfigBdevListNotUsed',
  (_src: Src, i: number, cls: string) => `'servers[${i}].bdev_list' is set but bdev_class ${cls} uses no device list`,
  (src: Src, i: number) =>
    fix(src, `remove 'servers[${i}].bdev_list' and size the memory devices with bdev_number and bdev_size`),
  [SRC, 0, 'malloc'],
);

export const bdevDuplicateEntry = defineFault(
  D,
  C + 28,
  'ConfigBdevDuplicateEntry',
  (_src: Src, i: number, value: string) => `'servers[${i}].bdev_list' lists ${q(value)} more than once`,
  (src: Src, i: number, value: string) => fix(src, `list ${q(value)} once in 'servers[${i}].bdev_list'`),
  [SRC, 0, '0000:81:00.0'],
);

export const bdevExcluded = defineFault(
  D,
  C + 29,
  'ConfigBdevExcluded',
  (_src: Src, i: number, value: string) => `'servers[${i}].bdev_list' uses ${q(value)}, which 'bdev_exclude' excludes`,
  (src: Src, i: number, value: string) =>
    fix(src, `remove ${q(value)} from either 'servers[${i}].bdev_list' or 'bdev_exclude'`),
  [SRC, 0, '0000:81:00.0'],
);

export const badEnvVar = defineFault(
  D,
  C + 30,
  'ConfigBadEnvVar',
  (_src: Src, i: number, j: number, value: string) => `'servers[${i}].env_vars[${j}]' ${q(value)} is not KEY=VALUE`,
  (src: Src, i: number, j: number) =>
    fix(src, `write 'servers[${i}].env_vars[${j}]' as KEY=VALUE with a non-empty KEY (the value may contain '=')`),
  [SRC, 0, 2, '=30'],
);

export const rankOutOfRange = defineFault(
  D,
  C + 31,
  'ConfigRankOutOfRange',
  (_src: Src, i: number, rank: number) => `'servers[${i}].rank' ${rank} is out of range [0, 4294967294]`,
  (src: Src, i: number) =>
    fix(src, `set 'servers[${i}].rank' between 0 and 4294967294, or remove it to let the management service assign one,`),
  [SRC, 0, 4294967295],
);

export const unknownUser = defineFault(
  D,
  C + 32,
  'ConfigUnknownUser',
  (_src: Src, key: string, name: string) => `'${key}' ${q(name)} is not a user or group of this host`,
  (src: Src, key: string) =>
    fix(src, `set '${key}' to an existing ${key === 'user_name' ? 'user (see getent passwd)' : 'group (see getent group)'}, or remove it to run the I/O servers as the user running daos_server,`),
  [SRC, 'user_name', 'daos'],
);

export const ownerNeedsRoot = defineFault(
  D,
  C + 33,
  'ConfigOwnerNeedsRoot',
  (_src: Src, owner: string, current: string) => `'user_name'/'group_name' ask for ${owner} but daos_server runs as ${current}, not root, and cannot change users`,
  (src: Src) => fix(src, `run daos_server as root (e.g. from utils/systemd/daos_server.service), or remove 'user_name' and 'group_name'`),
  [SRC, 'daos:daos', 'uid 1000'],
);

export const bdevNotIncluded = defineFault(
  D,
  C + 34,
  'ConfigBdevNotIncluded',
  (_src: Src, i: number, value: string) => `'servers[${i}].bdev_list' uses ${q(value)}, which 'bdev_include' does not list`,
  (src: Src, i: number, value: string) =>
    fix(src, `add ${q(value)} to 'bdev_include' or remove it from 'servers[${i}].bdev_list'`),
  [SRC, 0, '0000:87:00.0'],
);

// ---- 440–459: conflicts between I/O server instances ------------------------------

export const duplicateRank = defineFault(
  D,
  C + 40,
  'ConfigDuplicateRank',
  (_src: Src, i: number, j: number, rank: number) => `servers[${i}] and servers[${j}] both ask for rank ${rank}`,
  (src: Src, i: number, j: number) =>
    fix(src, `give servers[${i}] and servers[${j}] different 'rank' values, or remove 'rank' to let the management service assign them,`),
  [SRC, 0, 1, 3],
);

export const sharedScmMount = defineFault(
  D,
  C + 41,
  'ConfigSharedScmMount',
  (_src: Src, i: number, j: number, a: string, b: string) =>
    a === b
      ? `servers[${i}] and servers[${j}] share the scm_mount ${q(a)}`
      : `servers[${j}] scm_mount ${q(b)} is inside servers[${i}] scm_mount ${q(a)}`,
  (src: Src, i: number, j: number) =>
    fix(src, `give servers[${i}] and servers[${j}] separate 'scm_mount' directories, neither inside the other (e.g. /mnt/daos0 and /mnt/daos1),`),
  [SRC, 0, 1, '/mnt/daos', '/mnt/daos'],
);

export const sharedFabric = defineFault(
  D,
  C + 42,
  'ConfigSharedFabric',
  (_src: Src, i: number, j: number, iface: string, port: number) =>
    `servers[${i}] and servers[${j}] share fabric_iface ${q(iface)} with fabric_iface_port ${port}`,
  (src: Src, i: number, j: number) =>
    fix(src, `give servers[${i}] and servers[${j}] different 'fabric_iface_port' values (e.g. 31416 and 31516) or different 'fabric_iface'`),
  [SRC, 0, 1, 'eth0', 31416],
);

export const sharedScmDevice = defineFault(
  D,
  C + 43,
  'ConfigSharedScmDevice',
  (_src: Src, i: number, j: number, dev: string) => `servers[${i}] and servers[${j}] share the scm_list device ${q(dev)}`,
  (src: Src, i: number, j: number) =>
    fix(src, `give servers[${i}] and servers[${j}] each their own pmem device in 'scm_list' (e.g. /dev/pmem0 and /dev/pmem1)`),
  [SRC, 0, 1, '/dev/pmem0'],
);

export const sharedBdevDevice = defineFault(
  D,
  C + 44,
  'ConfigSharedBdevDevice',
  (_src: Src, i: number, j: number, dev: string) => `servers[${i}] and servers[${j}] share the bdev_list device ${q(dev)}`,
  (src: Src, i: number, j: number, dev: string) =>
    fix(src, `list ${q(dev)} in the 'bdev_list' of only one of servers[${i}] and servers[${j}]`),
  [SRC, 0, 1, '0000:81:00.0'],
);
