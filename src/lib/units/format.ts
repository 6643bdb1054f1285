/**
 * Byte counts for people, in the original's style: binary units labelled B, KB, MB, GB, TB, PB, EB
 * (1 KB = 1024 B), two decimals, no space: `502.60GB`.
 */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/**
 * `value / 2^shift` with two decimals, rounded half to even on an exact tie (as Go's `%.2f` does),
 * computed on integers so no rounding error creeps in.
 */
function fixed2(value: bigint, shift: bigint): string {
  const divisor = 1n << shift;
  const scaled = value * 100n;
  let q = scaled / divisor;
  const twiceRem = (scaled % divisor) * 2n;
  if (twiceRem > divisor || (twiceRem === divisor && q % 2n === 1n)) q += 1n;
  const whole = q / 100n;
  const cents = (q % 100n).toString().padStart(2, '0');
  return `${whole}.${cents}`;
}

/**
 * Formats a byte count with the largest unit not above it: 0 → `0.00B`, 12345 → `12.06KB`,
 * 3183575302144 → `2.90TB`. Takes a bigint too (protobuf uint64 fields). Fractions of a byte are
 * dropped.
 */
export function formatBytes(n: number | bigint): string {
  if (typeof n === 'number' && !Number.isFinite(n)) throw new RangeError(`cannot format ${n} bytes`);
  let v = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  const sign = v < 0n ? '-' : '';
  if (v < 0n) v = -v;
  let u = 0;
  while (u < UNITS.length - 1 && v >= 1n << BigInt(10 * (u + 1))) u++;
  return `${sign}${fixed2(v, BigInt(10 * u))}${UNITS[u]}`;
}

/**
 * Formats an NVMe namespace size as the original displays it. NB: quirk kept on purpose: it truncates
 * to whole decimal GB and shows that many binary GB, so 750e9 bytes → `750.00GB`, 1.6e12 → `1.56TB`.
 */
export function formatNvmeCapacity(bytes: number | bigint): string {
  if (typeof bytes === 'number' && !Number.isFinite(bytes)) throw new RangeError(`cannot format ${bytes} bytes`);
  const b = typeof bytes === 'bigint' ? bytes : BigInt(Math.trunc(bytes));
  return formatBytes((b / 1_000_000_000n) << 30n);
}
