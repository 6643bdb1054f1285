/**
 * Byte-order string comparison: the order of the strings' UTF-8 encodings, which is what the original
 * sorts host lists and result keys by. JavaScript's default comparison is by UTF-16 code unit, which
 * differs only when one side is an astral character (a surrogate pair) and the other is U+E000..U+FFFF.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // NB: a surrogate encodes a code point above U+FFFF, so it sorts after any other BMP unit.
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
