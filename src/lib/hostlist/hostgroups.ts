/**
 * Many hosts, one answer: per-host results grouped by equal text under a compressed host set, as dmg
 * prints connection states, errors and scan summaries.
 */
import { compareBytes } from './compare.js';
import { HostSet, type HostSpec } from './hostlist.js';

/** A map from a result string to the set of hosts that gave it. */
export class HostGroups {
  readonly #groups = new Map<string, HostSet>();

  /** Adds one host (or a host list spec) under `result`. */
  add(host: HostSpec, result: string): void {
    let hs = this.#groups.get(result);
    if (hs === undefined) {
      hs = new HostSet();
      hs.push(host);
      this.#groups.set(result, hs);
    } else {
      hs.push(host);
    }
  }

  get(result: string): HostSet | undefined {
    return this.#groups.get(result);
  }

  /** Number of distinct results. */
  get size(): number {
    return this.#groups.size;
  }

  /** The results, sorted by byte order. */
  keys(): string[] {
    return [...this.#groups.keys()].sort(compareBytes);
  }

  /** `[result, hosts]` pairs in key order. */
  entries(): [string, HostSet][] {
    return this.keys().map((k) => [k, this.#groups.get(k)!]);
  }

  /**
   * One line per result: the host set right-aligned to the longest one, `: `, the result. Follows
   * the original, e.g. `wolf-[71-72]:10001: connected\n      boro-4:10001: dial failed\n`.
   */
  toString(): string {
    const rows = this.entries().map(([k, hs]) => [hs.toString(), k] as const);
    const width = Math.max(0, ...rows.map(([hosts]) => hosts.length));
    return rows.map(([hosts, k]) => `${hosts.padStart(width)}: ${k}\n`).join('');
  }
}

/** Groups `[host, text]` pairs by equal text. */
export function groupByValue(entries: Iterable<readonly [string, string]>): HostGroups {
  const groups = new HostGroups();
  for (const [host, text] of entries) groups.add(host, text);
  return groups;
}

/**
 * dmg's "group block" rendering, per result in key order: a rule of dashes as long as the host set,
 * the host set, the rule again, then the result text, which carries its own trailing newlines.
 */
export function renderGroupBlocks(groups: HostGroups): string {
  return groups
    .entries()
    .map(([text, hs]) => {
      const hosts = hs.toString();
      const rule = '-'.repeat(hosts.length);
      return `${rule}\n${hosts}\n${rule}\n${text}`;
    })
    .join('');
}
