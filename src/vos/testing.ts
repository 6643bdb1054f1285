/**
 * Helpers for the VOS tests (not used by the library itself): temporary
 * directories, a seeded random generator, OIDs with feature bits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { UnitOid } from './types.js';

/** A fresh directory under the system temp dir (or /dev/shm when present: it is faster). */
export function tmpDir(tag: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, `vos-test-${tag}-`));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** mulberry32: a small deterministic generator, so that a failing seed can be replayed. */
export function rng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(a: readonly T[]) => T; bytes: (n: number) => Buffer } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(arr: readonly T[]): T => arr[int(arr.length)]!,
    bytes: (n: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** An OID with the given feature bits (bits 59..44 of hi) and class 1. */
export function oidWith(lo: bigint, features = 0, shard = 0): UnitOid {
  return { hi: (1n << 60n) | (BigInt(features) << 44n) | (1n << 32n) | 7n, lo, shard };
}

export function u64le(n: number | bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

export const B = (s: string): Buffer => Buffer.from(s);
