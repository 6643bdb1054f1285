/**
 * daos_perf's command line: the original's getopt_long options (reference
 * pools-tools-tests.md §6.1) and ours.
 *
 * NB: parsed by hand rather than with commander because the original's
 * getopt rules are part of its interface: bundled flags (`-UFv`), attached
 * values (`-s1K`), `--size=1K`, and its messages and exit status 255
 * (`Unknown option <c>`, `ERROR: value size must be >= 3`).
 *
 * Where ours meet the original's letters:
 *  - `-n N` runs N client processes; the original's `-n` (nested iterator,
 *    implies -I) is `--nest_iter` here;
 *  - `-i` is --insecure (for the pool this program creates); the original's
 *    `-i` and `-u` modified the rebuild test (-R), which is not supported.
 */
import { classByName, type ObjectClass } from '../../daos/oclass.js';
import { DaosError } from '../../daos/errors.js';

export type PerfMode = 'vos' | 'echo' | 'daos';
export type TestName = 'update' | 'fetch' | 'iterate' | 'rebuild' | 'update and fetch';
/** The original's test order. */
export const TEST_ORDER: readonly TestName[] = ['update', 'fetch', 'iterate', 'rebuild', 'update and fetch'];

export interface PerfOptions {
  mode: PerfMode;
  /** What -c said (TINY, LARGE, R2S, ..., or a class name), undefined when not given. */
  classArg?: string;
  /** The class objects are generated with (undefined for vos). */
  oclass?: ObjectClass;
  /** The header's description, e.g. "DAOS LARGE (full stack, non-replica)". */
  description: string;
  scmBytes: number;
  nvmeBytes: number;
  /** As given (negative or 0: synchronous). */
  credits: number;
  objs: number;
  dkeys: number;
  akeys: number;
  recxs: number;
  array: boolean;
  /** Value size (single) or extent size in bytes (array; records of 1 byte). */
  vsize: number;
  zeroCopy: boolean;
  overwrite: boolean;
  shuffle: boolean;
  /** 0: pick one. */
  seed: number;
  verify: boolean;
  tests: TestName[];
  /** -f: VOS directory (vos mode). */
  file?: string;
  wait: boolean;
  json: boolean;
  /** -n: client processes to start (undefined: this process is one rank). */
  procs?: number;
  /** The arguments without -n, for the ranks the launcher starts. */
  rankArgv: string[];
  pool?: string;
  cont?: string;
  agentDir?: string;
  dmgConfig?: string;
  insecure: boolean;
  help: boolean;
  /** Notes for stderr (e.g. "-c option ignored for VOS test."). */
  warnings: string[];
}

/** A command-line mistake: `message` on `stream`, exit `code` (255, as the original's `return -1`). */
export class PerfUsageError extends Error {
  override name = 'PerfUsageError';
  constructor(
    message: string,
    readonly stream: 'stdout' | 'stderr' = 'stderr',
    readonly showUsage = false,
    readonly code = 255,
  ) {
    super(message);
  }
}

interface OptDef {
  short?: string;
  long: string;
  arg: boolean;
}

const OPTS: OptDef[] = [
  { short: 'P', long: 'pool_scm', arg: true },
  { short: 'N', long: 'pool_nvme', arg: true },
  { short: 'T', long: 'type', arg: true },
  { short: 'C', long: 'credits', arg: true },
  { short: 'c', long: 'class', arg: true },
  { short: 'o', long: 'obj', arg: true },
  { short: 'd', long: 'dkey', arg: true },
  { short: 'a', long: 'akey', arg: true },
  { short: 'r', long: 'recx', arg: true },
  { short: 'A', long: 'array', arg: false },
  { short: 's', long: 'size', arg: true },
  { short: 'z', long: 'zcopy', arg: false },
  { short: 't', long: 'overwrite', arg: false },
  { short: 'S', long: 'shuffle', arg: false },
  { short: 'G', long: 'seed', arg: true },
  { short: 'U', long: 'update', arg: false },
  { short: 'F', long: 'fetch', arg: false },
  { short: 'B', long: 'update_fetch', arg: false },
  { short: 'I', long: 'iterate', arg: false },
  { short: 'R', long: 'rebuild', arg: false },
  { short: 'u', long: 'rebuild_no_update', arg: false },
  { long: 'nest_iter', arg: false },
  { short: 'v', long: 'verify', arg: false },
  { short: 'f', long: 'file', arg: true },
  { short: 'w', long: 'wait', arg: false },
  { short: 'h', long: 'help', arg: false },
  { short: 'j', long: 'json', arg: false },
  { short: 'n', long: 'procs', arg: true },
  { short: 'i', long: 'insecure', arg: false },
  { long: 'pool', arg: true },
  { long: 'cont', arg: true },
  { long: 'agent-dir', arg: true },
  { long: 'dmg-config', arg: true },
];

/** The original's ts_val_factor: k/m/g decimal (×1000), K/M/G binary (×1024). Base prefixes as strtoul(…, 0). */
export function parseCount(s: string, what: string): number {
  const m = /^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kmgKMG]?)$/.exec(s);
  if (!m) throw new PerfUsageError(`invalid number ${JSON.stringify(s)} for ${what}: give a whole number with an optional k, m, g (x1000) or K, M, G (x1024) suffix`);
  const base = /^0[xX]/.test(m[1]) ? Number.parseInt(m[1].slice(2), 16) : m[1].length > 1 && m[1].startsWith('0') ? Number.parseInt(m[1], 8) : Number(m[1]);
  const f: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, K: 1 << 10, M: 1 << 20, G: 1 << 30 };
  const v = base * f[m[2]];
  if (!Number.isSafeInteger(v)) throw new PerfUsageError(`number ${JSON.stringify(s)} for ${what} is too large`);
  return v;
}

function parseInt32(s: string, what: string): number {
  if (!/^\s*[-+]?\d+$/.test(s)) throw new PerfUsageError(`invalid number ${JSON.stringify(s)} for ${what}`);
  const v = Number(s);
  if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 31 - 1) throw new PerfUsageError(`number ${JSON.stringify(s)} for ${what} is out of range`);
  return v;
}

/** The legacy names of -c and what they mean (v0.8: S1, SX, RP_2G1, RP_3G1, RP_4G1). */
const LEGACY: Record<string, { daos: string; echo: string }> = {
  TINY: { daos: 'S1', echo: 'S1_ECHO' },
  LARGE: { daos: 'SX', echo: 'S1_ECHO' },
  R2S: { daos: 'RP_2G1', echo: 'RP_2G1_ECHO' },
  R3S: { daos: 'RP_3G1', echo: 'RP_3G1_ECHO' },
  R4S: { daos: 'RP_4G1', echo: 'RP_4G1_ECHO' },
};

/** The original's header descriptions, by class name. */
const DESCRIPTIONS: Record<string, string> = {
  S1: 'DAOS TINY (full stack, non-replica)',
  SX: 'DAOS LARGE (full stack, non-replica)',
  RP_2G1: 'DAOS R2S (full stack, 2 replica)',
  RP_3G1: 'DAOS R3S (full stack, 3 replica)',
  // NB: "replics" (sic) is the original's spelling.
  RP_4G1: 'DAOS R4S (full stack, 4 replics)',
  S1_ECHO: 'ECHO TINY (network only, non-replica)',
  RP_2G1_ECHO: 'ECHO R2S (network only, 2-replica)',
  RP_3G1_ECHO: 'ECHO R3S (network only, 3-replica)',
  RP_4G1_ECHO: 'ECHO R4S (network only, 4-replica)',
};

/** The object class of a mode and -c value; throws a usage error naming the valid ones. */
export function resolveClass(mode: 'echo' | 'daos', arg: string | undefined): ObjectClass {
  const legacy = arg === undefined ? undefined : LEGACY[arg.toUpperCase()];
  let name: string;
  if (arg === undefined) name = mode === 'echo' ? 'S1_ECHO' : 'SX';
  else if (legacy) name = legacy[mode];
  else name = arg;
  try {
    try {
      return classByName(name);
    } catch (e) {
      if (name.toUpperCase() !== name) return classByName(name.toUpperCase());
      throw e;
    }
  } catch (e) {
    const why = e instanceof DaosError && e.detail ? e.detail : (e as Error).message;
    throw new PerfUsageError(`invalid object class -c ${JSON.stringify(arg)}: ${why}; or one of TINY, LARGE, R2S, R3S, R4S`, 'stderr', true);
  }
}

export function describe(mode: PerfMode, cls: ObjectClass | undefined): string {
  if (mode === 'vos' || !cls) return 'VOS (storage only)';
  const known = DESCRIPTIONS[cls.name];
  if (known && known.startsWith(mode === 'echo' ? 'ECHO ' : 'DAOS ')) return known;
  const r = cls.replicas;
  if (mode === 'echo') return `ECHO ${cls.name} (network only, ${r === 1 ? 'non-replica' : `${r}-replica`})`;
  return `DAOS ${cls.name} (full stack, ${r === 1 ? 'non-replica' : `${r} replica`})`;
}

export const DEFAULTS = {
  scmBytes: 2 * 2 ** 30,
  nvmeBytes: 8 * 2 ** 30,
  credits: -1,
  objs: 1,
  dkeys: 1,
  akeys: 100,
  recxs: 1000,
  vsize: 32,
} as const;

/** The smallest -s (the original's TEST_VAL_SIZE). */
export const MIN_VALUE_SIZE = 3;
/** The largest value one data-plane request carries (src/rpc/wire.ts allows 16 MiB of data plus metadata). */
export const MAX_RPC_VALUE = 16 * 2 ** 20;
/** The largest -C: far above any useful window. */
export const MAX_CREDITS = 1024;

/** Parse argv (without the program name). Throws PerfUsageError. */
export function parseArgs(argv: readonly string[]): PerfOptions {
  const raw: { opt: OptDef; value?: string; spelled: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      if (i + 1 < argv.length) throw new PerfUsageError(`unexpected argument ${JSON.stringify(argv[i + 1])}: daos_perf takes options only`, 'stderr', true);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const opt = OPTS.find((o) => o.long === name);
      if (!opt) throw new PerfUsageError(`Unknown option ${a}`);
      let value: string | undefined;
      if (opt.arg) {
        if (eq >= 0) value = a.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else throw new PerfUsageError(`option '--${name}' requires an argument`);
      } else if (eq >= 0) throw new PerfUsageError(`option '--${name}' doesn't allow an argument`);
      raw.push({ opt, value, spelled: `--${name}` });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k];
        const opt = OPTS.find((o) => o.short === c);
        if (!opt) throw new PerfUsageError(`Unknown option ${c}`);
        if (opt.arg) {
          let value = a.slice(k + 1);
          if (value === '') {
            if (i + 1 >= argv.length) throw new PerfUsageError(`option requires an argument -- '${c}'`);
            value = argv[++i];
          }
          raw.push({ opt, value, spelled: `-${c}` });
          break;
        }
        raw.push({ opt, spelled: `-${c}` });
      }
      continue;
    }
    throw new PerfUsageError(`unexpected argument ${JSON.stringify(a)}: daos_perf takes options only`, 'stderr', true);
  }

  const o: PerfOptions = {
    mode: 'vos',
    description: '',
    scmBytes: DEFAULTS.scmBytes,
    nvmeBytes: DEFAULTS.nvmeBytes,
    credits: DEFAULTS.credits,
    objs: DEFAULTS.objs,
    dkeys: DEFAULTS.dkeys,
    akeys: DEFAULTS.akeys,
    recxs: DEFAULTS.recxs,
    array: false,
    vsize: DEFAULTS.vsize,
    zeroCopy: false,
    overwrite: false,
    shuffle: false,
    seed: 0,
    verify: false,
    tests: [],
    wait: false,
    json: false,
    insecure: false,
    help: false,
    warnings: [],
    rankArgv: raw.filter((r) => r.opt.long !== 'procs').flatMap((r) => (r.value === undefined ? [r.spelled] : [r.spelled, r.value])),
  };
  const tests = new Set<TestName>();
  let rebuildModifier = false;
  for (const { opt, value, spelled } of raw) {
    const v = value ?? '';
    switch (opt.long) {
      case 'pool_scm':
        o.scmBytes = parseCount(v, spelled);
        break;
      case 'pool_nvme':
        o.nvmeBytes = parseCount(v, spelled);
        break;
      case 'type': {
        const t = v.toLowerCase();
        if (t !== 'vos' && t !== 'echo' && t !== 'daos') throw new PerfUsageError(`invalid test type -T ${JSON.stringify(v)}: give vos, echo or daos`, 'stderr', true);
        o.mode = t;
        break;
      }
      case 'credits':
        o.credits = parseInt32(v, spelled);
        if (o.credits > MAX_CREDITS) throw new PerfUsageError(`credits ${o.credits} is too many: give at most ${MAX_CREDITS} (0 or a negative number for synchronous I/O)`);
        break;
      case 'class':
        o.classArg = v;
        break;
      case 'obj':
        o.objs = parseCount(v, spelled);
        break;
      case 'dkey':
        o.dkeys = parseCount(v, spelled);
        break;
      case 'akey':
        o.akeys = parseCount(v, spelled);
        break;
      case 'recx':
        o.recxs = parseCount(v, spelled);
        break;
      case 'array':
        o.array = true;
        break;
      case 'size':
        o.vsize = parseCount(v, spelled);
        if (o.vsize < MIN_VALUE_SIZE) throw new PerfUsageError(`ERROR: value size must be >= ${MIN_VALUE_SIZE}`);
        break;
      case 'zcopy':
        o.zeroCopy = true;
        break;
      case 'overwrite':
        o.overwrite = true;
        break;
      case 'shuffle':
        o.shuffle = true;
        break;
      case 'seed':
        o.seed = parseInt32(v, spelled) >>> 0;
        break;
      case 'update':
        tests.add('update');
        break;
      case 'fetch':
        tests.add('fetch');
        break;
      case 'update_fetch':
        tests.add('update and fetch');
        break;
      case 'iterate':
      case 'nest_iter':
        tests.add('iterate');
        break;
      case 'rebuild':
        tests.add('rebuild');
        break;
      case 'rebuild_no_update':
        rebuildModifier = true;
        break;
      case 'verify':
        o.verify = true;
        break;
      case 'file':
        o.file = v;
        break;
      case 'wait':
        o.wait = true;
        break;
      case 'help':
        o.help = true;
        break;
      case 'json':
        o.json = true;
        break;
      case 'procs': {
        const n = parseCount(v, spelled);
        if (n < 1) throw new PerfUsageError(`-n ${v}: give the number of client processes, 1 or more`);
        o.procs = n;
        break;
      }
      case 'insecure':
        o.insecure = true;
        break;
      case 'pool':
        o.pool = v;
        break;
      case 'cont':
        o.cont = v;
        break;
      case 'agent-dir':
        o.agentDir = v;
        break;
      case 'dmg-config':
        o.dmgConfig = v;
        break;
    }
  }
  if (o.help) return o;

  if (o.mode === 'vos') {
    if (o.classArg !== undefined) o.warnings.push('-c option ignored for VOS test.');
  } else {
    o.oclass = resolveClass(o.mode, o.classArg);
  }
  o.description = describe(o.mode, o.oclass);

  // It runs the update test when no test is chosen (as the original).
  if (tests.size === 0) tests.add('update');
  o.tests = TEST_ORDER.filter((t) => tests.has(t));

  if ((tests.has('fetch') || tests.has('update and fetch')) && o.overwrite) {
    throw new PerfUsageError('Note: Fetch tests are incompatible with the overwrite option (-t).\n      Remove the -t option and try again.', 'stdout');
  }
  if (tests.has('rebuild') || rebuildModifier) {
    throw new PerfUsageError('rebuild test (-R, -u) is not supported by this daos_perf: time a rebuild with dmg pool exclude and dmg pool query instead', 'stderr', true);
  }
  if (tests.has('iterate') && o.mode !== 'vos') throw new PerfUsageError('iterate can only run with -T "vos"', 'stderr', true);
  if (o.objs === 0 || o.dkeys === 0 || o.akeys === 0 || o.recxs === 0) {
    throw new PerfUsageError(`Invalid arguments ${o.objs}/${o.dkeys}/${o.akeys}/${o.recxs}/ (objects/dkeys/akeys/records must all be 1 or more)`, 'stderr', true);
  }
  if (o.mode !== 'vos' && o.vsize > MAX_RPC_VALUE) {
    throw new PerfUsageError(`value size ${o.vsize} is too large for -T ${o.mode}: one I/O carries at most ${MAX_RPC_VALUE / 2 ** 20} MiB (the data-plane message limit); use more records (-r) instead`);
  }
  // NB: the original raises values of 4 bytes or less to sizeof(int) after the ">= 3" check; kept.
  if (o.vsize <= 4) o.vsize = 4;
  return o;
}

export const USAGE = `daos_perf: point-to-point update and fetch performance of one DAOS layer

Usage: daos_perf [options]

Layer (-T):
  -T, --type vos|echo|daos   vos: the versioned object store alone, in this process, no servers
                             (the default); echo: the network and RPC path alone, the I/O servers
                             answer without storing; daos: the full stack
Workload (numbers take k/m/g for x1000 and K/M/G for x1024):
  -o, --obj N        objects per process (default 1)
  -d, --dkey N       dkeys per object (default 1)
  -a, --akey N       akeys per dkey (default 100)
  -r, --recx N       records per akey: I/Os per akey (default 1000)
  -A, --array        array values: each I/O writes one extent of -s bytes (1-byte records);
                     default: single values of -s bytes
  -s, --size N       value or extent size in bytes, 3 or more (default 32)
  -t, --overwrite    every I/O to the same extent at the same epoch (no fetch tests)
  -S, --shuffle      visit the extents of an akey in a shuffled order; -G seed
  -c CLASS           object class: TINY (S1), LARGE (SX, the default), R2S, R3S, R4S (RP_nG1),
                     or a class name (S1, S2, S4, SX, RP_2G1, RP_2GX, RP_3G1, ...)
  -C, --credits N    I/Os in flight per process (1 to ${MAX_CREDITS}); 0 or negative: one at a time
                     (default -1)
Tests (in this order; the update test when none is chosen):
  -U    update          -F    fetch (updates first, times the fetches only)
  -I    iterate (vos; --nest_iter is accepted and the same)
  -B    update and fetch (times an update pass followed by a fetch pass)
  -v, --verify       after each test, fetch everything again and compare (not timed)
Pool and storage:
  --pool POOL        use this pool (label or UUID); the normal case for echo and daos
  --cont CONT        use this container (daos); default: create one and destroy it at the end
  -P, --pool_scm N   SCM size of the pool created when --pool is not given, and of the VOS (2G)
  -N, --pool_nvme N  NVMe size likewise (8G; 0: no block device in vos mode)
  -i, --insecure     talk to daos_server without certificates (creating a pool)
  --dmg-config FILE  dmg's config, for creating a pool (default: dmg's search path); creating
                     a pool needs the admin certificate
  --agent-dir DIR    daos_agent's socket directory (default $DAOS_AGENT_DRPC_DIR, else
                     /var/run/daos_agent)
  -f, --file DIR     vos: directory for the VOS files (default: a temporary directory, removed
                     at the end)
  -z, --zcopy        accepted; no effect
Running:
  -n N               start N client processes (without orterun); under orterun or mpirun the
                     ranks come from MPI
  -j, --json         one JSON document with the parameters and results (rank 0)
  -w, --wait         pause before the tests until Enter is pressed
  -h, --help         this help
`;
