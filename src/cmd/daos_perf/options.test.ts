import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseCount, PerfUsageError, type PerfOptions } from './options.js';

type Want = Partial<Omit<PerfOptions, 'oclass'>> & { oclass?: string };

const ok: Record<string, { argv: string[]; want: Want }> = {
  'defaults: vos, update test, the original numbers': {
    argv: [],
    want: { mode: 'vos', description: 'VOS (storage only)', scmBytes: 2 * 2 ** 30, nvmeBytes: 8 * 2 ** 30, credits: -1, objs: 1, dkeys: 1, akeys: 100, recxs: 1000, vsize: 32, array: false, tests: ['update'], oclass: undefined },
  },
  'daos without -c is LARGE (SX)': { argv: ['-T', 'daos'], want: { mode: 'daos', oclass: 'SX', description: 'DAOS LARGE (full stack, non-replica)' } },
  'echo without -c is ECHO TINY': { argv: ['-T', 'ECHO'], want: { mode: 'echo', oclass: 'S1_ECHO', description: 'ECHO TINY (network only, non-replica)' } },
  'legacy names, any case': { argv: ['-T', 'daos', '-c', 'r2s'], want: { oclass: 'RP_2G1', description: 'DAOS R2S (full stack, 2 replica)' } },
  'R4S keeps the original spelling': { argv: ['-Tdaos', '-cR4S'], want: { oclass: 'RP_4G1', description: 'DAOS R4S (full stack, 4 replics)' } },
  'legacy names in echo mode map to the echo classes': { argv: ['-T', 'echo', '-c', 'R3S'], want: { oclass: 'RP_3G1_ECHO', description: 'ECHO R3S (network only, 3-replica)' } },
  'LARGE in echo mode is ECHO TINY, as the original': { argv: ['-T', 'echo', '-c', 'LARGE'], want: { oclass: 'S1_ECHO' } },
  'any class name': { argv: ['-T', 'daos', '-c', 'RP_2GX'], want: { oclass: 'RP_2GX', description: 'DAOS RP_2GX (full stack, 2 replica)' } },
  'a class name in lower case': { argv: ['-T', 'daos', '-c', 's2'], want: { oclass: 'S2', description: 'DAOS S2 (full stack, non-replica)' } },
  'a class name in echo mode keeps its layout': { argv: ['-T', 'echo', '-c', 'SX'], want: { oclass: 'SX', description: 'ECHO SX (network only, non-replica)' } },
  'sizes: upper case binary, lower case decimal': { argv: ['-P', '512M', '-N', '2g', '-s', '1K', '-d', '2k', '-r', '1m'], want: { scmBytes: 512 << 20, nvmeBytes: 2e9, vsize: 1024, dkeys: 2000, recxs: 1e6 } },
  'hex and octal as strtoul': { argv: ['-o', '0x10', '-a', '010'], want: { objs: 16, akeys: 8 } },
  'bundled flags and attached values': { argv: ['-UFBAvS', '-s4K', '-G', '7'], want: { tests: ['update', 'fetch', 'update and fetch'], array: true, verify: true, shuffle: true, vsize: 4096, seed: 7 } },
  'long options with = and with a separate value': { argv: ['--type=daos', '--credits', '16', '--size=1M', '--array', '--pool', 'tank', '--cont=c1', '--agent-dir', '/run/a'], want: { mode: 'daos', credits: 16, vsize: 1 << 20, array: true, pool: 'tank', cont: 'c1', agentDir: '/run/a' } },
  'tests run in the original order whatever the order given': { argv: ['-B', '-I', '-F', '-U'], want: { tests: ['update', 'fetch', 'iterate', 'update and fetch'] } },
  '--nest_iter is the iterate test': { argv: ['--nest_iter'], want: { tests: ['iterate'] } },
  'value sizes of 3 and 4 become 4 (sizeof(int)), as the original': { argv: ['-s', '3'], want: { vsize: 4 } },
  'credits 0 and negative are synchronous': { argv: ['-C', '0'], want: { credits: 0 } },
  '-c with vos is ignored with the original warning': { argv: ['-c', 'R2S'], want: { mode: 'vos', oclass: undefined, warnings: ['-c option ignored for VOS test.'] } },
  '-n and the arguments the ranks get': { argv: ['-n', '4', '-T', 'echo', '-U', '--pool=tank', '-j'], want: { procs: 4, json: true, rankArgv: ['-T', 'echo', '-U', '--pool', 'tank', '-j'] } },
  '-i is insecure, -z and -w accepted': { argv: ['-i', '-z', '-w', '--dmg-config', '/etc/d.yml'], want: { insecure: true, zeroCopy: true, wait: true, dmgConfig: '/etc/d.yml' } },
  '-h': { argv: ['-h'], want: { help: true } },
  '-n inside a bundle is left out of the ranks\' arguments': { argv: ['-Un4', '-v'], want: { procs: 4, rankArgv: ['-U', '-v'] } },
  'overwrite with update only is fine': { argv: ['-t', '-U'], want: { overwrite: true, tests: ['update'] } },
};

for (const [name, tc] of Object.entries(ok)) {
  test(`options: ${name}`, () => {
    const o = parseArgs(tc.argv);
    const got: Record<string, unknown> = {};
    for (const k of Object.keys(tc.want)) got[k] = k === 'oclass' ? o.oclass?.name : o[k as keyof PerfOptions];
    assert.deepEqual(got, tc.want);
  });
}

const bad: Record<string, { argv: string[]; msg: RegExp; stream?: 'stdout' | 'stderr'; usage?: boolean }> = {
  'unknown short option': { argv: ['-q'], msg: /^Unknown option q$/ },
  'unknown long option': { argv: ['--frobnicate'], msg: /^Unknown option --frobnicate$/ },
  'missing value': { argv: ['-s'], msg: /^option requires an argument -- 's'$/ },
  'value size below 3': { argv: ['-s', '2'], msg: /^ERROR: value size must be >= 3$/ },
  'bad number': { argv: ['-r', '12Q'], msg: /invalid number "12Q" for -r/ },
  'bad type': { argv: ['-T', 'nfs'], msg: /invalid test type -T "nfs": give vos, echo or daos/, usage: true },
  'unknown class': { argv: ['-T', 'daos', '-c', 'HUGE'], msg: /invalid object class -c "HUGE".*valid classes: S1, S2/, usage: true },
  'EC class says why': { argv: ['-T', 'daos', '-c', 'EC_2P1G1'], msg: /erasure-coded classes are not supported/, usage: true },
  'fetch with overwrite: the original note on stdout': { argv: ['-t', '-F'], msg: /^Note: Fetch tests are incompatible with the overwrite option \(-t\)\.\n {6}Remove the -t option and try again\.$/, stream: 'stdout' },
  'update-and-fetch with overwrite': { argv: ['-t', '-B'], msg: /incompatible with the overwrite option/, stream: 'stdout' },
  'iterate needs vos': { argv: ['-T', 'daos', '-I'], msg: /^iterate can only run with -T "vos"$/, usage: true },
  'rebuild is refused with the reason': { argv: ['-T', 'daos', '-R'], msg: /rebuild test \(-R, -u\) is not supported/, usage: true },
  'zero counts': { argv: ['-a', '0'], msg: /^Invalid arguments 1\/1\/0\/1000\//, usage: true },
  'too many credits': { argv: ['-C', '5000'], msg: /credits 5000 is too many/ },
  'a value too large for one RPC': { argv: ['-T', 'daos', '-s', '17M'], msg: /value size 17825792 is too large for -T daos: one I\/O carries at most 16 MiB/ },
  'positional argument': { argv: ['tank'], msg: /unexpected argument "tank"/, usage: true },
  '-n 0': { argv: ['-n', '0'], msg: /give the number of client processes, 1 or more/ },
  'a flag given a value': { argv: ['--array=yes'], msg: /option '--array' doesn't allow an argument/ },
};

for (const [name, tc] of Object.entries(bad)) {
  test(`options refused: ${name}`, () => {
    assert.throws(
      () => parseArgs(tc.argv),
      (e: unknown) => {
        assert.ok(e instanceof PerfUsageError, String(e));
        assert.match(e.message, tc.msg);
        assert.equal(e.stream, tc.stream ?? 'stderr');
        assert.equal(e.showUsage, tc.usage ?? false);
        assert.equal(e.code, 255);
        return true;
      },
    );
  });
}

test('counts: suffixes and bases', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['32', 32],
    ['1k', 1000],
    ['1K', 1024],
    ['2m', 2e6],
    ['2M', 2 << 20],
    ['1g', 1e9],
    ['1G', 1 << 30],
    ['0x20', 32],
    ['017', 15],
  ];
  for (const [s, v] of cases) assert.equal(parseCount(s, '-x'), v, s);
  for (const s of ['', 'k', '1.5M', '-1', '1KB', '99999999999999999G']) assert.throws(() => parseCount(s, '-x'), PerfUsageError, s);
});
