import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatNvmeCapacity } from './format.js';
import { SizeParseError, parseSize, parseSizeV08 } from './parse.js';

// Vectors: reference/control-plane-v0.8.md §2.4 "Capacity strings" and §2.3 "Pool size parsing".

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;

const formatCases: Record<string, { n: number | bigint; want: string }> = {
  'zero': { n: 0, want: '0.00B' },
  'bytes': { n: 1023, want: '1023.00B' },
  'one KB': { n: 1024, want: '1.00KB' },
  '12345': { n: 12345, want: '12.06KB' },
  '539661172736': { n: 539661172736, want: '502.60GB' },
  '3183575302144': { n: 3183575302144, want: '2.90TB' },
  'sum of two 2.90TB namespaces': { n: 2 * 3183575302144, want: '5.79TB' },
  'exact tie rounds to even (down)': { n: 1152, want: '1.12KB' }, // 1.125 KB
  'exact tie rounds to even (up)': { n: 1408, want: '1.38KB' }, // 1.375 KB
  'just below a unit': { n: MiB - 1, want: '1024.00KB' },
  'EB': { n: 2n ** 61n, want: '2.00EB' },
  'beyond EB stays EB': { n: 2n ** 64n - 1n, want: '16.00EB' },
  'bigint': { n: 539661172736n, want: '502.60GB' },
  'fraction dropped': { n: 1024.9, want: '1.00KB' },
  'negative': { n: -12345, want: '-12.06KB' },
};

for (const [name, tc] of Object.entries(formatCases)) {
  test(`formatBytes ${name}`, () => {
    assert.equal(formatBytes(tc.n), tc.want);
  });
}

test('formatBytes refuses non-finite numbers', () => {
  for (const n of [NaN, Infinity]) assert.throws(() => formatBytes(n), RangeError);
});

const nvmeCases: Record<string, { bytes: number | bigint; want: string }> = {
  '750 GB drive': { bytes: 750e9, want: '750.00GB' },
  '1.6 TB drive': { bytes: 1.6e12, want: '1.56TB' },
  'truncates to whole GB': { bytes: 750e9 + 999_999_999, want: '750.00GB' },
  'under 1 GB': { bytes: 999_999_999, want: '0.00B' },
  'bigint': { bytes: 800_166_076_416n, want: '800.00GB' },
};

for (const [name, tc] of Object.entries(nvmeCases)) {
  test(`formatNvmeCapacity ${name}`, () => {
    assert.equal(formatNvmeCapacity(tc.bytes), tc.want);
  });
}

const v08Cases: Record<string, { s: string; want?: number; error?: string }> = {
  '2g': { s: '2g', want: 2 * GiB },
  '2G': { s: '2G', want: 2 * GiB },
  '2gb': { s: '2gb', want: 2 * GiB },
  '2Gb': { s: '2Gb', want: 2 * GiB },
  '2gB': { s: '2gB', want: 2 * GiB },
  '2GB': { s: '2GB', want: 2 * GiB },
  '8000m': { s: '8000m', want: 8000 * MiB },
  '16t': { s: '16t', want: 16 * TiB },
  '0': { s: '0', want: 0 },
  '0B': { s: '0B', want: 0 },
  'empty': { s: '', want: 0 },
  'bytes': { s: '4096', want: 4096 },
  'k': { s: '1k', want: 1024 },
  'space before unit': { s: '2 G', want: 2 * GiB },
  'B': { s: 'B', error: "size string doesn't specify a number" },
  'letters': { s: 'GB', error: "size string doesn't specify a number" },
  'Z0': { s: 'Z0', error: 'Unrecognized size suffix Z0B' },
  'decimal': { s: '1.5G', error: 'Unrecognized size suffix .5GB' },
  'GiB': { s: '1GiB', error: 'Unrecognized size suffix GIB' },
  'too large': { s: '8E', error: 'size "8E" is too large' },
};

for (const [name, tc] of Object.entries(v08Cases)) {
  test(`parseSizeV08 ${name}`, () => {
    if (tc.error !== undefined) {
      assert.throws(() => parseSizeV08(tc.s), { name: 'SizeParseError', message: tc.error });
    } else {
      assert.equal(parseSizeV08(tc.s), tc.want);
    }
  });
}

const ACCEPTED =
  'a number with an optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, P/PB/PiB or E/EB/EiB (all binary), e.g. 4096, 512M, 1.5GiB';

const friendlyCases: Record<string, { s: string; want?: number; error?: string }> = {
  '1.5G': { s: '1.5G', want: 1.5 * GiB },
  '1.5GB means GiB': { s: '1.5GB', want: 1.5 * GiB },
  '1.5GiB': { s: '1.5GiB', want: 1.5 * GiB },
  '512M': { s: '512M', want: 512 * MiB },
  '4096': { s: '4096', want: 4096 },
  '4096B': { s: '4096B', want: 4096 },
  '1T': { s: '1T', want: TiB },
  'K': { s: '2K', want: 2 * KiB },
  'KB': { s: '2KB', want: 2 * KiB },
  'KiB': { s: '2KiB', want: 2 * KiB },
  'lower case': { s: '2kib', want: 2 * KiB },
  'mixed case': { s: '3gB', want: 3 * GiB },
  'P': { s: '1P', want: 2 ** 50 },
  'whitespace': { s: '  16 G\t', want: 16 * GiB },
  'leading dot': { s: '.5K', want: 512 },
  'trailing dot': { s: '2.G', want: 2 * GiB },
  'plus sign': { s: '+1K', want: 1024 },
  'rounds down': { s: '1.1K', want: 1126 }, // 1126.4
  'tiny fraction rounds to 0': { s: '0.1', want: 0 },
  'exact decimal arithmetic': { s: '0.3M', want: 314572 }, // 314572.8
  'largest safe': { s: '9007199254740991', want: Number.MAX_SAFE_INTEGER },
  'just under 8E is too large': { s: '7.99E', error: `invalid size "7.99E": larger than ${Number.MAX_SAFE_INTEGER} bytes` },
  'one past safe': { s: '9007199254740992', error: `invalid size "9007199254740992": larger than ${Number.MAX_SAFE_INTEGER} bytes` },
  'negative': { s: '-1G', error: 'invalid size "-1G": must not be negative' },
  'negative zero': { s: '-0', error: 'invalid size "-0": must not be negative' },
  'NaN': { s: 'NaN', error: `invalid size "NaN": expected ${ACCEPTED}` },
  'empty': { s: '', error: `invalid size "": expected ${ACCEPTED}` },
  'unit only': { s: 'G', error: `invalid size "G": expected ${ACCEPTED}` },
  'exponent': { s: '1e9', error: `invalid size "1e9": expected ${ACCEPTED}` },
  'two numbers': { s: '1 2G', error: `invalid size "1 2G": expected ${ACCEPTED}` },
  'unknown unit': { s: '5Z', error: `invalid size "5Z": unknown unit "Z"; expected ${ACCEPTED}` },
  'plural unit': { s: '5GiBs', error: `invalid size "5GiBs": unknown unit "GiBs"; expected ${ACCEPTED}` },
};

for (const [name, tc] of Object.entries(friendlyCases)) {
  test(`parseSize ${name}`, () => {
    if (tc.error !== undefined) {
      assert.throws(
        () => parseSize(tc.s),
        (err: unknown) => {
          assert.ok(err instanceof SizeParseError, `not a SizeParseError: ${String(err)}`);
          assert.equal(err.message, tc.error);
          return true;
        },
      );
    } else {
      assert.equal(parseSize(tc.s), tc.want);
    }
  });
}
