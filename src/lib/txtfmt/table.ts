/**
 * Plain-text tables and key/value views in the layout dmg prints (DAOS v1.0 `txtfmt`): columns padded
 * with spaces to their longest cell plus one space, a row of dashes under the titles.
 *
 * NB: the original leaves the padding at the end of every line; we trim it, so our output matches the
 * deployment guide's text and survives editors and diff tools unchanged.
 */

/** A row is either cells in title order or an object keyed by title. */
export type TableRow = readonly (string | undefined)[] | Readonly<Record<string, string | undefined>>;

/** What a cell with no value prints as (the original's wording). */
export const MISSING_CELL = 'None';

/** Display width in code points, the unit the original pads by. */
function width(s: string): number {
  return [...s].length;
}

function padEnd(s: string, to: number): string {
  return s + ' '.repeat(Math.max(0, to - width(s)));
}

function cellsOf(titles: readonly string[], row: TableRow, index: number): string[] {
  if (Array.isArray(row)) {
    const cells = row as readonly (string | undefined)[];
    if (cells.length > titles.length) {
      throw new RangeError(`table row ${index} has ${cells.length} cells for ${titles.length} titles`);
    }
    return titles.map((_, i) => cells[i] ?? MISSING_CELL);
  }
  const rec = row as Readonly<Record<string, string | undefined>>;
  return titles.map((t) => rec[t] ?? MISSING_CELL);
}

/**
 * Formats a table: the titles, a dashes row (each as long as its title), then the rows. Every column
 * is as wide as its longest cell plus one space; trailing spaces are trimmed and every line ends in
 * `\n`. A missing cell prints `None`. No titles → "".
 */
export function formatTable(titles: readonly string[], rows: readonly TableRow[]): string {
  if (titles.length === 0) return '';
  const lines = [titles.slice(), titles.map((t) => '-'.repeat(width(t))), ...rows.map((r, i) => cellsOf(titles, r, i))];
  const widths = titles.map((_, c) => Math.max(...lines.map((l) => width(l[c]!))));
  return lines.map((l) => l.map((cell, c) => padEnd(cell, widths[c]! + 1)).join('').trimEnd() + '\n').join('');
}

/**
 * Formats one entity as aligned `key: value` lines under an optional title and dashes row, e.g.
 * `address: 10.0.0.1:10001` / `uuid:    5b3d...`. Values start in one column.
 */
export function formatEntity(title: string, attrs: readonly (readonly [string, string])[]): string {
  const head = title === '' ? '' : `${title}\n${'-'.repeat(width(title))}\n`;
  const keyWidth = Math.max(0, ...attrs.map(([k]) => width(k) + 1));
  return head + attrs.map(([k, v]) => `${padEnd(`${k}:`, keyWidth)} ${v}`.trimEnd() + '\n').join('');
}

/** Prefixes every non-empty line with `n` spaces (empty lines stay empty, so no trailing spaces). */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}
