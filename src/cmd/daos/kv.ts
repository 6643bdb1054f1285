/**
 * daos kv put|get|list|remove: a KV object from the shell. Values are bytes:
 * --value for text, --file for anything (get writes the raw value to stdout
 * or to --file, so scripts can use it).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { doing, usage, writeTo, type Ctx } from './ctx.js';
import { noMore, parseOclass, parseOidArg, takeIds } from './args.js';
import { DEFAULT_OCLASS, OID_HELP, type OidOpts } from './obj.js';
import { bytesJSON, printable } from './pretty.js';
import { checkWritable, fileError, readWhole } from './files.js';
import { DaosError, DER } from '../../daos/errors.js';
import { formatOid, generateOid } from '../../daos/oid.js';

type Holder = { get: () => Ctx };

interface KvOpts extends OidOpts {
  key?: string;
  value?: string;
  file?: string;
}

function needKey(o: KvOpts, usageLine: string): string {
  if (o.key === undefined || o.key === '') throw usage('the key is required', `give it with --key=<key>; usage: ${usageLine}`);
  return o.key;
}

export function addKvCommands(program: Command, h: Holder): void {
  const kv = program.command('kv').description('Put, get, list and remove the keys of a KV object');
  const ids = (cmd: Command) =>
    cmd
      .option('--pool <pool>', 'pool label or UUID')
      .option('--cont <cont>', 'container label or UUID')
      .option('--oid <hi.lo>', OID_HELP)
      .option('--oclass <class>', `object class (default ${DEFAULT_OCLASS})`);

  ids(kv.command('put [pool] [cont]').description('Store a value under a key: --value <text> or --file <file> (- for stdin); without --oid a new object is made and its ID printed'))
    .option('--key <key>', 'the key')
    .option('--value <value>', 'the value, as text')
    .option('--file <file>', 'take the value from this file (- for stdin)')
    .action(async (pos: string | undefined, pc: string | undefined, o: KvOpts) => {
      const c = h.get();
      const line = 'daos kv put <pool> <cont> [--oid=<hi.lo>] --key=<key> (--value=<text> | --file=<file>)';
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, line);
      const key = needKey(o, line);
      if ((o.value === undefined) === (o.file === undefined)) throw usage('give exactly one of --value and --file', line);
      const oid0 = o.oid === undefined ? undefined : parseOidArg(o.oid, o.oclass, DEFAULT_OCLASS);
      const cls = o.oid === undefined ? parseOclass(o.oclass ?? DEFAULT_OCLASS) : undefined;
      const value = o.value !== undefined ? Buffer.from(o.value, 'utf8') : await readWhole(o.file!, c.io.stdin);
      if (value.length === 0) throw usage(`the value of key ${key} is empty`, 'give a non-empty value; to delete a key use daos kv remove');
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      const oid = oid0 ?? generateOid({ lo: await doing('failed to allocate an object ID', () => k.allocOids(1n)) }, cls!.id);
      await doing(`failed to put key ${key} into object ${formatOid(oid)}`, () => k.kv(oid).put(key, value), {
        [-2013]: 'a KV value travels in one message and must fit its limit: store large files as arrays (daos array import)',
      });
      c.emit({ oid: formatOid(oid), key, size: value.length }, `oid: ${formatOid(oid)}\nput key ${key}: ${value.length} bytes\n`);
    });

  ids(kv.command('get [pool] [cont]').description('Write the value of a key to stdout (raw bytes), or to --file'))
    .option('--key <key>', 'the key')
    .option('--file <file>', 'write the value to this file instead of stdout')
    .action(async (pos: string | undefined, pc: string | undefined, o: KvOpts) => {
      const c = h.get();
      const line = 'daos kv get <pool> <cont> --oid=<hi.lo> --key=<key> [--file=<file>]';
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, line);
      const key = needKey(o, line);
      const oid = parseOidArg(o.oid, o.oclass, DEFAULT_OCLASS);
      const toFile = o.file !== undefined && o.file !== '-';
      if (toFile) await checkWritable(o.file!);
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const v = await doing(`failed to get key ${key} from object ${formatOid(oid)}`, () => k.kv(oid).get(key));
      if (v === undefined) {
        throw new DaosError(-DER.NONEXIST, `key ${JSON.stringify(key)} does not exist in object ${formatOid(oid)}`, {
          hint: `daos kv list ${poolId} ${contId} --oid=${formatOid(oid)} shows its keys`,
        });
      }
      if (toFile) {
        try {
          await fs.promises.writeFile(o.file!, v);
        } catch (e) {
          throw fileError(e, o.file!, 'write');
        }
        c.emit({ oid: formatOid(oid), key, size: v.length, file: o.file }, `wrote ${v.length} bytes to ${o.file}\n`);
      } else if (c.json) {
        c.emit({ oid: formatOid(oid), key, ...bytesJSON(v) }, '');
      } else {
        await writeTo(c.io.stdout, v);
      }
    });

  ids(kv.command('list [pool] [cont]').description('List the keys of a KV object, one per line'))
    .action(async (pos: string | undefined, pc: string | undefined, o: KvOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos kv list <pool> <cont> --oid=<hi.lo>');
      const oid = parseOidArg(o.oid, o.oclass, DEFAULT_OCLASS);
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const keys = await doing(`failed to list the keys of object ${formatOid(oid)}`, () => k.kv(oid).list());
      const text = keys.map(printable).sort();
      c.emit({ oid: formatOid(oid), keys: text }, () => text.map((t) => `${t}\n`).join(''));
    });

  ids(kv.command('remove [pool] [cont]').alias('rm').description('Remove a key from a KV object'))
    .option('--key <key>', 'the key')
    .action(async (pos: string | undefined, pc: string | undefined, o: KvOpts) => {
      const c = h.get();
      const line = 'daos kv remove <pool> <cont> --oid=<hi.lo> --key=<key>';
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, line);
      const key = needKey(o, line);
      const oid = parseOidArg(o.oid, o.oclass, DEFAULT_OCLASS);
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      const kvo = k.kv(oid);
      // NB: a punch of a missing key succeeds in DAOS; say so instead of pretending it was removed.
      const had = await doing(`failed to get key ${key} from object ${formatOid(oid)}`, () => kvo.get(key));
      if (had === undefined) {
        throw new DaosError(-DER.NONEXIST, `key ${JSON.stringify(key)} does not exist in object ${formatOid(oid)}`, {
          hint: `daos kv list ${poolId} ${contId} --oid=${formatOid(oid)} shows its keys`,
        });
      }
      await doing(`failed to remove key ${key} from object ${formatOid(oid)}`, () => kvo.remove(key));
      c.emit({ oid: formatOid(oid), key }, `removed key ${key}\n`);
    });
}
