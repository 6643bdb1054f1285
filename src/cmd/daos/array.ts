/**
 * daos array import|export: a file into a new array object and back,
 * streamed in blocks with several in flight (transfer.ts), a progress bar on
 * stderr when it is a terminal.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { CmdError, OpError, doing, usage, writeTo, type Ctx } from './ctx.js';
import { noMore, parseChunkSize, parseOclass, parseOidArg, takeIds } from './args.js';
import { OID_HELP, type OidOpts } from './obj.js';
import { checkWritable, fileError, openInput } from './files.js';
import { progressBar, humanBytes } from './progress.js';
import { blocksOf, exportBlocks, importBlocks, type ByteArrayObject } from './transfer.js';
import { arrayOid, ARRAY_FEATURES, type DaosArray } from '../../client/array.js';
import { formatOid, oidClass } from '../../daos/oid.js';
import { className } from '../../daos/oclass.js';
import { DaosError } from '../../daos/errors.js';

type Holder = { get: () => Ctx };

/** Defaults of import: class SX (one group per target: chunks spread over every target), 1 MiB chunks. */
export const IMPORT_DEFAULT_OCLASS = 'SX';
export const IMPORT_DEFAULT_CHUNK = 1 << 20;
/** Blocks in flight, and the largest block: memory stays below INFLIGHT * MAX_BLOCK. */
const INFLIGHT = 8;
const MAX_BLOCK = 4 << 20;

interface ArrayOpts extends OidOpts {
  file?: string;
  chunkSize?: string;
}

/** Bytes per transfer block: the chunk size, capped at MAX_BLOCK, or a run of small chunks near 1 MiB. */
export function blockBytes(chunkBytes: number): number {
  if (chunkBytes >= MAX_BLOCK) return MAX_BLOCK;
  if (chunkBytes >= 1 << 20) return chunkBytes;
  return chunkBytes * Math.max(1, Math.floor((1 << 20) / chunkBytes));
}

/** A DaosArray seen as bytes, whatever its cell size (offsets and lengths in whole cells). */
function asBytes(arr: DaosArray): ByteArrayObject {
  const cell = BigInt(arr.cellSize);
  return {
    write: (data, at) => arr.write(data, at / cell),
    read: (into, at) => arr.read(into, at / cell),
  };
}

export function addArrayCommands(program: Command, h: Holder): void {
  const array = program.command('array').description('Copy a file into a new array object (import) and back (export)');

  array
    .command('import [pool] [cont]')
    .description(`Copy a file (- for stdin) into a new array object; prints its object ID. Defaults: --oclass ${IMPORT_DEFAULT_OCLASS}, --chunk-size 1M (or the container's oclass and chunk_size properties)`)
    .option('--pool <pool>', 'pool label or UUID')
    .option('--cont <cont>', 'container label or UUID')
    .requiredOption('--file <file>', 'the file to import (- for stdin)')
    .option('--oclass <class>', `object class (default: the container's oclass property, else ${IMPORT_DEFAULT_OCLASS})`)
    .option('--chunk-size <size>', "bytes per chunk, e.g. 1M (default: the container's chunk_size property, else 1 MiB)")
    .option('--oid <hi.lo>', 'create the array at this object ID instead of a new one')
    .action(async (pos: string | undefined, pc: string | undefined, o: ArrayOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos array import <pool> <cont> --file=<file> [--oclass=<class>] [--chunk-size=<size>]');
      if (o.oclass !== undefined) parseOclass(o.oclass);
      let chunk = o.chunkSize !== undefined ? parseChunkSize(o.chunkSize) : undefined;
      const wanted = o.oid !== undefined ? parseOidArg(o.oid, o.oclass, IMPORT_DEFAULT_OCLASS, ARRAY_FEATURES) : undefined;
      // The file first: a missing file fails before anything is created.
      const input = await openInput(o.file!, c.io.stdin, 1 << 20);
      try {
        const p = await c.pool(poolId, 'rw');
        const k = await c.cont(p, contId!, 'rw');
        let oclass = o.oclass;
        if (oclass === undefined || chunk === undefined) {
          const props = (await doing('Container query failed', () => k.query())).props;
          oclass ??= props.find((x) => x.name === 'oclass')?.value || IMPORT_DEFAULT_OCLASS;
          chunk ??= Number(props.find((x) => x.name === 'chunk_size')?.value) || IMPORT_DEFAULT_CHUNK;
        }
        const cls = parseOclass(oclass);
        const chunkBytes = chunk ?? IMPORT_DEFAULT_CHUNK;
        let oid = wanted;
        if (oid) {
          const exists = await k.arrayOpen(oid).then(
            () => true,
            () => false,
          );
          if (exists) throw new CmdError(`object ${formatOid(oid)} already holds an array`, 'leave out --oid to import into a new object, or give another object ID', 1);
        } else {
          oid = arrayOid(cls.id, await doing('failed to allocate an object ID', () => k.allocOids(1n)));
        }
        const arr = await doing(`failed to create array ${formatOid(oid)}`, () => k.arrayCreate(oid, 1, chunkBytes));
        const bar = progressBar(c.io, !c.json, 'import', input.size);
        let bytes: bigint;
        try {
          bytes = await importBlocks(asBytes(arr), blocksOf(input.stream, blockBytes(chunkBytes)), { blockSize: blockBytes(chunkBytes), inflight: INFLIGHT, onProgress: (n) => bar.tick(n) });
        } catch (e) {
          bar.stop();
          // Leave nothing half-imported behind.
          await arr.destroy().catch(() => undefined);
          if (e instanceof DaosError) throw new OpError(`failed to import ${o.file} into array ${formatOid(oid)}; the partial array was removed`, e);
          if ((e as NodeJS.ErrnoException).code) throw fileError(e, o.file!, 'read');
          throw e;
        }
        bar.stop();
        const clsName = className(oidClass(oid)) ?? String(oidClass(oid));
        c.emit(
          { oid: formatOid(oid), bytes, oclass: clsName, chunk_size: chunkBytes, cell_size: 1 },
          `oid: ${formatOid(oid)}\nimported ${bytes} bytes (${humanBytes(Number(bytes))}), object class ${clsName}, chunk size ${chunkBytes}\n`,
        );
      } finally {
        await input.close();
      }
    });

  array
    .command('export [pool] [cont]')
    .description('Copy an array object to a file (- for stdout)')
    .option('--pool <pool>', 'pool label or UUID')
    .option('--cont <cont>', 'container label or UUID')
    .option('--oid <hi.lo>', OID_HELP)
    .option('--oclass <class>', 'object class, for an --oid given as user bits only (default SX)')
    .requiredOption('--file <file>', 'where to write (- for stdout)')
    .action(async (pos: string | undefined, pc: string | undefined, o: ArrayOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos array export <pool> <cont> --oid=<hi.lo> --file=<file>');
      const oid = parseOidArg(o.oid, o.oclass, IMPORT_DEFAULT_OCLASS, ARRAY_FEATURES);
      const toStdout = o.file === '-';
      if (toStdout && c.json) throw usage('-j cannot be used with --file=- : the data and the JSON would both go to stdout', 'give --file=<path>, or leave out -j');
      await checkWritable(o.file!);
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const arr = await doing(`failed to open array ${formatOid(oid)}`, () => k.arrayOpen(oid), {
        [-1005]: 'check the object ID: daos array import prints it',
        [-1003]: 'give the object ID that daos array import printed (an array ID carries the ARRAY feature)',
      });
      const size = (await doing(`failed to get the size of array ${formatOid(oid)}`, () => arr.getSize())) * BigInt(arr.cellSize);
      const blockCells = Math.max(1, Math.floor(blockBytes(arr.chunkSize * arr.cellSize) / arr.cellSize));
      const block = blockCells * arr.cellSize;
      let fh: fs.promises.FileHandle | undefined;
      if (!toStdout) {
        try {
          fh = await fs.promises.open(o.file!, 'w');
        } catch (e) {
          throw fileError(e, o.file!, 'write');
        }
      }
      const bar = progressBar(c.io, !c.json, 'export', Number(size));
      let bytes: bigint;
      try {
        const sink = fh
          ? async (b: Buffer) => {
              let off = 0;
              while (off < b.length) off += (await fh!.write(b, off, b.length - off)).bytesWritten;
            }
          : (b: Buffer) => writeTo(c.io.stdout, b);
        bytes = await exportBlocks(asBytes(arr), size, sink, { blockSize: block, inflight: INFLIGHT, onProgress: (n) => bar.tick(n) });
      } catch (e) {
        bar.stop();
        await fh?.close().catch(() => undefined);
        if (fh) await fs.promises.rm(o.file!, { force: true }).catch(() => undefined);
        if (e instanceof DaosError) throw new OpError(`failed to export array ${formatOid(oid)}`, e);
        if ((e as NodeJS.ErrnoException).code) throw fileError(e, o.file!, 'write');
        throw e;
      }
      bar.stop();
      await fh?.close();
      if (toStdout) return; // stdout holds the data
      c.emit({ oid: formatOid(oid), bytes, file: o.file }, `exported ${bytes} bytes (${humanBytes(Number(bytes))}) of array ${formatOid(oid)} to ${o.file}\n`);
    });

}
