/**
 * `host:port` address lists for dmg `-l`: a host list whose entries may carry a port, flattened to one
 * sorted `host:port` string per host with the default port filled in.
 */
import { compareBytes } from './compare.js';
import { HostListError, createHostSet } from './hostlist.js';

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * Expands `spec` and returns `host:port` for every host, sorted by byte order, without duplicates.
 * An entry without a port gets `defaultPort`; a port must be an integer 1..65535.
 * E.g. `localhost:10001,abc-[1-3]` with 9999 → `abc-1:9999,abc-2:9999,abc-3:9999,localhost:10001`.
 */
export function flattenHostAddrs(spec: string, defaultPort: number): string[] {
  if (!isPort(defaultPort)) throw new RangeError(`default port ${defaultPort} is not in 1..65535`);
  const out = new Set<string>();
  for (const entry of createHostSet(spec)) {
    const parts = entry.split(':');
    if (parts.length > 2) throw new HostListError(`cannot parse ${JSON.stringify(entry)}`);
    const [host = '', portText] = parts;
    if (portText === undefined) {
      out.add(`${host}:${defaultPort}`);
      continue;
    }
    if (portText === '') throw new HostListError('invalid port ""');
    // NB: the original reports Go's strconv error here; we say the same thing in our words.
    if (!/^\d+$/.test(portText)) {
      throw new HostListError(`cannot parse ${JSON.stringify(entry)}: port ${JSON.stringify(portText)} is not a number`);
    }
    if (!isPort(Number(portText))) throw new HostListError(`invalid port ${JSON.stringify(portText)} (must be 1..65535)`);
    out.add(`${host}:${Number(portText)}`);
  }
  return [...out].sort(compareBytes);
}
