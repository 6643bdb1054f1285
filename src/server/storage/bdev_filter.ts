/**
 * `bdev_include` / `bdev_exclude` of daos_server.yml: which NVMe controllers
 * (PCI addresses) storage scan shows and storage prepare touches. With an
 * include list only those addresses are considered; an excluded address
 * never is (exclude wins). Addresses compare case-insensitively and the
 * short form `81:00.0` means `0000:81:00.0`.
 */
import { normalizePciAddr } from './sysfs.js';

export interface BdevFilter {
  include: string[];
  exclude: string[];
}

function norm(a: string): string {
  return normalizePciAddr(a) ?? a.trim().toLowerCase();
}

/** Whether the filter changes anything. */
export function filterActive(f: BdevFilter | undefined): f is BdevFilter {
  return f !== undefined && (f.include.length > 0 || f.exclude.length > 0);
}

/** Whether a PCI address passes the filter. */
export function bdevAllowed(pciAddr: string, f: BdevFilter | undefined): boolean {
  if (!filterActive(f)) return true;
  const a = norm(pciAddr);
  if (f.exclude.some((x) => norm(x) === a)) return false;
  return f.include.length === 0 || f.include.some((x) => norm(x) === a);
}

/** The items whose PCI address passes the filter. */
export function filterByPci<T extends { pciAddr: string }>(items: T[], f: BdevFilter | undefined): T[] {
  return items.filter((c) => bdevAllowed(c.pciAddr, f));
}

/**
 * The PCI addresses a prepare may touch: the ones asked for with
 * -w/--pci-whitelist (all present controllers when none), minus what the
 * filter leaves out. `skipped` lists the addresses the filter removed, so the
 * administrator is told; an empty `allow` means nothing to prepare (never
 * "all", which is what an empty allow list means to the provider).
 */
export function preparePciList(requested: string[], present: string[], f: BdevFilter | undefined): { allow: string[]; skipped: string[] } {
  const base = requested.length > 0 ? requested : present;
  const allow: string[] = [];
  const skipped: string[] = [];
  for (const a of base) (bdevAllowed(a, f) ? allow : skipped).push(a);
  return { allow, skipped };
}

/** One line saying what the filter left out, for logs and replies. */
export function skippedMessage(skipped: string[]): string {
  return `not prepared (left out by bdev_include/bdev_exclude in daos_server.yml): ${skipped.join(', ')}`;
}
