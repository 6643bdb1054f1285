/**
 * Local files of the daos tool (values to put, files to import, export
 * targets), with errors that name the file and the fix. `-` is stdin/stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CmdError } from './ctx.js';

const WHY: Record<string, [string, string]> = {
  ENOENT: ['no such file or directory', 'check the path'],
  EACCES: ['permission denied', 'check the permissions of the file and its directories'],
  EISDIR: ['it is a directory', 'give a regular file'],
  ENOTDIR: ['a part of the path is not a directory', 'check the path'],
  EROFS: ['read-only file system', 'write somewhere else'],
  ENOSPC: ['no space left on the device', 'free some space or write somewhere else'],
};

export function fileError(e: unknown, file: string, verb: 'read' | 'write'): CmdError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const [why, fix] = WHY[code] ?? [(e as Error).message ?? String(e), 'check the path'];
  return new CmdError(`cannot ${verb} ${file}: ${why}`, fix, 1);
}

/** The whole content of a file (or stdin for `-`). */
export async function readWhole(file: string, stdin: Readable): Promise<Buffer> {
  if (file === '-') {
    const parts: Buffer[] = [];
    for await (const c of stdin) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
    return Buffer.concat(parts);
  }
  try {
    const st = await fs.promises.stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    return await fs.promises.readFile(file);
  } catch (e) {
    throw fileError(e, file, 'read');
  }
}

/** An opened input for streaming: its size when known (a regular file), and the stream. */
export async function openInput(file: string, stdin: Readable, highWaterMark: number): Promise<{ size?: number; stream: Readable; close: () => Promise<void> }> {
  if (file === '-') return { stream: stdin, close: async () => undefined };
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    throw fileError(e, file, 'read');
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    const stream = fh.createReadStream({ highWaterMark, autoClose: false });
    return { size: st.isFile() ? st.size : undefined, stream, close: () => fh.close().catch(() => undefined) };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw fileError(e, file, 'read');
  }
}

/** Check early that a file can be created (its directory exists and is writable), before any DAOS work. */
export async function checkWritable(file: string): Promise<void> {
  if (file === '-') return;
  try {
    const st = await fs.promises.stat(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (st?.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    await fs.promises.access(st ? file : path.dirname(path.resolve(file)), fs.constants.W_OK);
  } catch (e) {
    throw fileError(e, file, 'write');
  }
}
