/**
 * daos object (obj) ...: where an object lives (query), and its keys
 * (list-keys, dump: v0.8 named them but never implemented them).
 */
import type { Command } from 'commander';
import { doing, type Ctx } from './ctx.js';
import { noMore, parseOidArg, takeIds } from './args.js';
import * as pretty from './pretty.js';
import { printable } from './pretty.js';
import { formatOid, oidHasFeature, OidFeature, type Oid } from '../../daos/oid.js';
import { compareU64Keys, IodType, type DaosObject } from '../../client/object.js';

type Holder = { get: () => Ctx };

/** The class an --oid given as user bits only (no class in it) gets unless --oclass says otherwise. */
export const DEFAULT_OCLASS = 'SX';

export interface OidOpts {
  pool?: string;
  cont?: string;
  oid?: string;
  oclass?: string;
}

export const OID_HELP = 'object ID <hi>.<lo> as printed by daos; with only user bits (e.g. 0.7) the class comes from --oclass (default SX)';

/** A dkey or akey as text: a number for u64 keys, else printable text or 0x hex. */
export function keyText(k: Buffer, u64: boolean): string {
  return u64 && k.length === 8 ? k.readBigUInt64LE(0).toString() : printable(k);
}

export function addObjCommands(program: Command, h: Holder): void {
  const obj = program.command('object').alias('obj').description('Look at an object: its layout (query) and keys (list-keys, dump)');
  const ids = (cmd: Command) =>
    cmd
      .option('--pool <pool>', 'pool label or UUID')
      .option('--cont <cont>', 'container label or UUID')
      .option('--oid <hi.lo>', OID_HELP)
      .option('--oclass <class>', 'object class, for an --oid given as user bits only');

  const open = async (c: Ctx, pos: (string | undefined)[], o: OidOpts, usageLine: string) => {
    const { pool: poolId, cont: contId, rest } = takeIds(pos, o, true);
    noMore(rest, usageLine);
    const oid = parseOidArg(o.oid, o.oclass, DEFAULT_OCLASS);
    const p = await c.pool(poolId, 'r');
    const k = await c.cont(p, contId!, 'r');
    return { oid, k };
  };

  ids(obj.command('query [pool] [cont]').description('Show the layout of an object: class, groups, and the rank and target of each shard')).action(
    async (pos: string | undefined, pc: string | undefined, o: OidOpts) => {
      const c = h.get();
      const { oid, k } = await open(c, [pos, pc], o, 'daos object query <pool> <cont> --oid=<hi.lo>');
      const layout = await doing(`daos_obj_layout_get failed for ${formatOid(oid)}`, async () => k.object(oid).layout());
      c.emit(pretty.layoutJSON(oid, layout), () => pretty.renderLayout(oid, layout));
    },
  );

  ids(obj.command('list-keys [pool] [cont]').description('List the dkeys of an object (u64 dkeys as numbers)')).action(async (pos: string | undefined, pc: string | undefined, o: OidOpts) => {
    const c = h.get();
    const { oid, k } = await open(c, [pos, pc], o, 'daos object list-keys <pool> <cont> --oid=<hi.lo>');
    const u64 = oidHasFeature(oid, OidFeature.DKEY_UINT64);
    const keys: Buffer[] = [];
    await doing(`listing the dkeys of ${formatOid(oid)} failed`, async () => {
      for await (const d of k.object(oid).dkeys()) keys.push(d);
    });
    // Each group lists its own keys; present them in one order: numeric for u64 keys, else bytewise.
    keys.sort((a, b) => (u64 && a.length === 8 && b.length === 8 ? compareU64Keys(a, b) : Buffer.compare(a, b)));
    c.emit({ oid: formatOid(oid), dkeys: keys.map((d) => keyText(d, u64)) }, () => keys.map((d) => `${keyText(d, u64)}\n`).join(''));
  });

  ids(obj.command('dump [pool] [cont]').description('Show every dkey and akey of an object with its value size or extents (not the data)')).action(
    async (pos: string | undefined, pc: string | undefined, o: OidOpts) => {
      const c = h.get();
      const { oid, k } = await open(c, [pos, pc], o, 'daos object dump <pool> <cont> --oid=<hi.lo>');
      const dump = await doing(`dumping ${formatOid(oid)} failed`, () => dumpObject(k.object(oid), oid));
      c.emit({ oid: formatOid(oid), dkeys: dump }, () => renderDump(oid, dump));
    },
  );
}

interface AkeyDump {
  akey: string;
  type: 'single' | 'array';
  /** Single value: its size; array: the record size. */
  size: number;
  extents?: { idx: bigint; nr: bigint }[];
}

async function dumpObject(obj: DaosObject, oid: Oid): Promise<{ dkey: string; akeys: AkeyDump[] }[]> {
  const du64 = oidHasFeature(oid, OidFeature.DKEY_UINT64);
  const au64 = oidHasFeature(oid, OidFeature.AKEY_UINT64);
  const out: { dkey: string; akeys: AkeyDump[] }[] = [];
  const dkeys: Buffer[] = [];
  for await (const d of obj.dkeys()) dkeys.push(d);
  dkeys.sort((a, b) => (du64 && a.length === 8 && b.length === 8 ? compareU64Keys(a, b) : Buffer.compare(a, b)));
  for (const d of dkeys) {
    const akeys: AkeyDump[] = [];
    let anchor: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 100_000; i++) {
      const page = await obj.listAkeys(d, anchor);
      for (const a of page.keys) {
        if (a.type === IodType.ARRAY) {
          const extents: { idx: bigint; nr: bigint }[] = [];
          let size = 0;
          let ra: Buffer = Buffer.alloc(0);
          for (let j = 0; j < 100_000; j++) {
            const r = await obj.listRecx(d, a.key, ra);
            size = r.size || size;
            extents.push(...r.recxs.map((x) => ({ idx: x.idx, nr: x.nr })));
            if (r.eof) break;
            ra = r.anchor;
          }
          akeys.push({ akey: keyText(a.key, au64), type: 'array', size, extents });
        } else {
          const [f] = await obj.fetch(d, [{ akey: a.key, type: IodType.SINGLE, size: 0, recxs: [] }]);
          akeys.push({ akey: keyText(a.key, au64), type: 'single', size: f.size });
        }
      }
      if (page.eof) break;
      anchor = page.anchor;
    }
    out.push({ dkey: keyText(d, du64), akeys });
  }
  return out;
}

function renderDump(oid: Oid, dump: { dkey: string; akeys: AkeyDump[] }[]): string {
  const lines = [`oid: ${formatOid(oid)}`];
  for (const d of dump) {
    lines.push(`dkey: ${d.dkey}`);
    for (const a of d.akeys) {
      if (a.type === 'single') lines.push(`  akey: ${a.akey} single value, ${a.size} bytes`);
      else lines.push(`  akey: ${a.akey} array, record size ${a.size}, extents ${a.extents!.map((x) => `[${x.idx}, +${x.nr})`).join(' ') || 'none'}`);
    }
  }
  if (dump.length === 0) lines.push('no keys');
  return lines.join('\n') + '\n';
}
