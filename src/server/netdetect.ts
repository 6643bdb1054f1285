/**
 * Fabric detection for `network scan` and the I/O servers' fabric address.
 *
 * Our data plane is TCP, so every up interface with an IPv4 address is usable
 * with each TCP-based provider name; the list is ordered best first
 * (`ofi+tcp;ofi_rxm`, `ofi+tcp`, `ofi+sockets`), interfaces by name within a
 * provider, loopback last.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Provider names this implementation serves, best first. */
export const SUPPORTED_PROVIDERS = ['ofi+tcp;ofi_rxm', 'ofi+tcp', 'ofi+sockets'] as const;

export interface FabricInterface {
  provider: string;
  device: string;
  numaNode: number;
  priority: number;
}

export interface NetDetectSeams {
  interfaces: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  sysfsRoot: string;
}

const realSeams: NetDetectSeams = { interfaces: () => os.networkInterfaces(), sysfsRoot: '/sys' };

function numaNode(sysfsRoot: string, iface: string): number {
  try {
    const n = parseInt(fs.readFileSync(path.join(sysfsRoot, 'class/net', iface, 'device/numa_node'), 'utf8').trim(), 10);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** IPv4 address of an interface, or undefined when it has none. */
export function interfaceIPv4(iface: string, seams: NetDetectSeams = realSeams): string | undefined {
  const addrs = seams.interfaces()[iface] ?? [];
  return addrs.find((a) => a.family === 'IPv4')?.address;
}

/** Names of the interfaces that have an IPv4 address, loopback last. */
export function usableInterfaces(seams: NetDetectSeams = realSeams): string[] {
  const all = seams.interfaces();
  const names = Object.keys(all).filter((n) => (all[n] ?? []).some((a) => a.family === 'IPv4'));
  const loop = names.filter((n) => (all[n] ?? []).every((a) => a.internal));
  const other = names.filter((n) => !loop.includes(n)).sort();
  return [...other, ...loop.sort()];
}

/** Every local IP address (for recognising this host's entries in access_points). */
export function localAddresses(seams: NetDetectSeams = realSeams): Set<string> {
  const out = new Set<string>();
  for (const addrs of Object.values(seams.interfaces())) for (const a of addrs ?? []) out.add(a.address);
  return out;
}

/** Normalise a provider spec for matching: `ofi+tcp; ofi_rxm` → `ofi+tcp;ofi_rxm`. */
export function normaliseProvider(p: string): string {
  return p
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(';');
}

export function isSupportedProvider(p: string): boolean {
  return (SUPPORTED_PROVIDERS as readonly string[]).includes(normaliseProvider(p));
}

/** Scan the fabric; `provider` empty means all providers. */
export function scanFabric(provider = '', seams: NetDetectSeams = realSeams): FabricInterface[] {
  const want = provider ? normaliseProvider(provider) : '';
  const providers = want ? SUPPORTED_PROVIDERS.filter((p) => p === want) : [...SUPPORTED_PROVIDERS];
  const ifaces = usableInterfaces(seams);
  const out: FabricInterface[] = [];
  for (const p of providers) {
    for (const dev of ifaces) {
      out.push({ provider: p, device: dev, numaNode: numaNode(seams.sysfsRoot, dev), priority: out.length });
    }
  }
  return out;
}
