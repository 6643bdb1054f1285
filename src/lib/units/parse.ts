/**
 * Size strings from the command line (`dmg pool create -s 16G`) to byte counts.
 *
 * NB: every unit here is binary, `GB` included (= GiB = 2^30), because that is what DAOS dmg means by
 * it; `1.5GB` and `1.5GiB` are the same size.
 */

export class SizeParseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SizeParseError';
  }
}

const SHIFTS: Readonly<Record<string, bigint>> = { B: 0n, KB: 10n, MB: 20n, GB: 30n, TB: 40n, PB: 50n, EB: 60n };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * v0.8 dmg pool-size semantics: empty → 0; upper-cased, `B` appended unless present; the leading
 * digits are the number and the rest must be one of B, KB, MB, GB, TB, PB, EB (binary). So `2g`,
 * `2Gb`, `2GB` are 2 GiB and `1.5G` fails. Messages are the original's; dmg prefixes them with
 * `illegal scm size: <input>: `. The original also lists long unit names (`KILOBYTE`...), but none
 * can match once the `B` is appended, so they are left out.
 */
export function parseSizeV08(s: string): number {
  if (s === '') return 0;
  if (!/\d/.test(s)) throw new SizeParseError("size string doesn't specify a number");
  let t = s.toUpperCase();
  if (!t.endsWith('B')) t += 'B';
  const m = /^(\d*)(.*)$/s.exec(t)!;
  const digits = m[1] ?? '';
  const unit = m[2] ?? '';
  const shift = SHIFTS[unit.trim()];
  if (digits === '' || shift === undefined) throw new SizeParseError(`Unrecognized size suffix ${unit}`);
  const bytes = BigInt(digits) << shift;
  if (bytes > MAX_SAFE) throw new SizeParseError(`size ${JSON.stringify(s)} is too large`);
  return Number(bytes);
}

// Friendly units, matched case-insensitively: bare, SI-looking and IEC spellings all binary.
const FRIENDLY_SHIFTS: Readonly<Record<string, bigint>> = {
  '': 0n,
  b: 0n,
  ...Object.fromEntries(
    ['k', 'm', 'g', 't', 'p', 'e'].flatMap((p, i) => {
      const shift = BigInt(10 * (i + 1));
      return [
        [p, shift],
        [`${p}b`, shift],
        [`${p}ib`, shift],
      ];
    }),
  ),
};

const ACCEPTED = 'a number with an optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, P/PB/PiB or E/EB/EiB (all binary), e.g. 4096, 512M, 1.5GiB';

/**
 * Parses a size for today's inputs: decimals allowed (`1.5G`), any unit spelling in any case
 * (`512M`, `1.5GB`, `1.5GiB`, `1t`), surrounding whitespace ignored, no unit = bytes. Returns whole
 * bytes, rounded down. Refuses negatives and sizes beyond Number.MAX_SAFE_INTEGER.
 */
export function parseSize(s: string): number {
  const m = /^\s*([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(s);
  if (m === null) throw new SizeParseError(`invalid size ${JSON.stringify(s)}: expected ${ACCEPTED}`);
  const [, sign = '', num = '', unitText = ''] = m;
  const shift = FRIENDLY_SHIFTS[unitText.toLowerCase()];
  if (shift === undefined) {
    throw new SizeParseError(`invalid size ${JSON.stringify(s)}: unknown unit ${JSON.stringify(unitText)}; expected ${ACCEPTED}`);
  }
  if (sign === '-') throw new SizeParseError(`invalid size ${JSON.stringify(s)}: must not be negative`);
  const [whole = '', frac = ''] = num.split('.');
  const scale = 10n ** BigInt(frac.length);
  const bytes = ((BigInt(whole || '0') * scale + BigInt(frac || '0')) << shift) / scale;
  if (bytes > MAX_SAFE) {
    throw new SizeParseError(`invalid size ${JSON.stringify(s)}: larger than ${Number.MAX_SAFE_INTEGER} bytes`);
  }
  return Number(bytes);
}
