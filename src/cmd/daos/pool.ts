/**
 * daos pool ...: the read side of a pool for its users (dmg manages pools).
 * v0.8's commands with --pool, and today's with the pool as first argument.
 */
import type { Command } from 'commander';
import { doing, usage, type Ctx } from './ctx.js';
import { noMore, takeIds } from './args.js';
import * as pretty from './pretty.js';
import { bytesJSON, printable } from './pretty.js';

type Holder = { get: () => Ctx };

export interface AttrOpts {
  pool?: string;
  cont?: string;
  attr?: string;
  value?: string;
  verbose?: boolean;
}

/** The attribute name and value of set-attr: --attr/--value, or the positional arguments left. */
export function attrNameValue(rest: string[], o: AttrOpts, needValue: boolean, usageLine: string): { name: string; value?: string } {
  const r = [...rest];
  const name = o.attr ?? r.shift();
  if (!name) throw usage('the attribute name is required', `give it as an argument or with --attr=<name>; usage: ${usageLine}`);
  if (!needValue) {
    noMore(r, usageLine);
    return { name };
  }
  const value = o.value ?? r.shift();
  if (value === undefined) throw usage(`the value of attribute ${name} is required`, `give it as an argument or with --value=<value>; usage: ${usageLine}`);
  noMore(r, usageLine);
  return { name, value };
}

export function addPoolCommands(program: Command, h: Holder): void {
  const pool = program.command('pool').description('Look at a pool: query, containers, properties and attributes (dmg manages pools)');

  const query = async (pos: string | undefined, o: { pool?: string }) => {
    const c = h.get();
    const { pool: id, rest } = takeIds([pos], o, false);
    noMore(rest, 'daos pool query <pool>');
    const p = await c.pool(id, 'r');
    const q = await doing('pool query failed', () => p.query());
    c.emit(pretty.poolQueryJSON(q), () => pretty.renderPoolQuery(q));
  };
  pool.command('query [pool]').description('Show the targets, space and rebuild state of a pool').option('--pool <pool>', 'pool label or UUID (v0.8 form)').action(query);
  // NB: v0.8 named `stat` but never implemented it; here it is the same report as query.
  pool.command('stat [pool]').description('Same as query').option('--pool <pool>', 'pool label or UUID').action(query);

  pool
    .command('list-containers [pool]')
    .alias('list-cont')
    .description('List the UUIDs of the containers of a pool, one per line (v0.8 output; see also container list)')
    .option('--pool <pool>', 'pool label or UUID')
    .action(async (pos: string | undefined, o: { pool?: string }) => {
      const c = h.get();
      const { pool: id, rest } = takeIds([pos], o, false);
      noMore(rest, 'daos pool list-containers <pool>');
      const p = await c.pool(id, 'r');
      const list = await doing('pool list containers failed', () => p.listContainers());
      c.emit({ containers: list }, () => list.map((x) => `${x.uuid}\n`).join(''));
    });

  pool
    .command('get-prop [pool]')
    .description('Show the properties of a pool')
    .option('--pool <pool>', 'pool label or UUID')
    .action(async (pos: string | undefined, o: { pool?: string }) => {
      const c = h.get();
      const { pool: id, rest } = takeIds([pos], o, false);
      noMore(rest, 'daos pool get-prop <pool>');
      const p = await c.pool(id, 'r');
      const props = await doing('pool get-prop failed', () => p.getProps());
      c.emit({ uuid: p.uuid, properties: pretty.propsJSON(props) }, () => pretty.renderPoolProps(props));
    });

  const u = {
    set: 'daos pool set-attr <pool> <name> <value> (or --attr=<name> --value=<value>)',
    get: 'daos pool get-attr <pool> <name> (or --attr=<name>)',
    del: 'daos pool del-attr <pool> <name> (or --attr=<name>)',
  };
  pool
    .command('set-attr [args...]')
    .description('Set an attribute of a pool: set-attr <pool> <name> <value>')
    .option('--pool <pool>', 'pool label or UUID')
    .option('--attr <name>', 'attribute name')
    .option('--value <value>', 'attribute value')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: id, rest } = takeIds(args, o, false);
      const a = attrNameValue(rest, o, true, u.set);
      const p = await c.pool(id, 'rw');
      await doing(`pool set-attr ${a.name} failed`, () => p.setAttrs({ [a.name]: a.value! }));
      c.emit({ pool: p.uuid, name: a.name, value: a.value }, `Pool's ${a.name} attribute set\n`);
    });
  pool
    .command('get-attr [args...]')
    .description("Show an attribute of a pool: get-attr <pool> <name>")
    .option('--pool <pool>', 'pool label or UUID')
    .option('--attr <name>', 'attribute name')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: id, rest } = takeIds(args, o, false);
      const a = attrNameValue(rest, o, false, u.get);
      const p = await c.pool(id, 'r');
      const m = await doing(`pool get-attr ${a.name} failed`, () => p.getAttrs([a.name]), {
        [-1005]: `daos pool list-attrs ${id} shows the attributes of the pool`,
      });
      const v = m.get(a.name)!;
      c.emit({ pool: p.uuid, name: a.name, ...bytesJSON(v) }, `Pool's ${a.name} attribute value: ${printable(v)}\n`);
    });
  pool
    .command('list-attrs [pool]')
    .description('List the attribute names of a pool (-v: with values)')
    .option('--pool <pool>', 'pool label or UUID')
    .option('-v, --verbose', 'show the values too')
    .action(async (pos: string | undefined, o: AttrOpts) => {
      const c = h.get();
      const { pool: id, rest } = takeIds([pos], o, false);
      noMore(rest, 'daos pool list-attrs <pool>');
      const p = await c.pool(id, 'r');
      const m = await doing('pool list-attrs failed', () => p.getAttrs());
      c.emit({ pool: p.uuid, attrs: Object.fromEntries([...m].map(([k, v]) => [k, bytesJSON(v)])) }, () => pretty.renderAttrList('Pool', m, o.verbose === true));
    });
  pool
    .command('del-attr [args...]')
    .description('Delete an attribute of a pool: del-attr <pool> <name>')
    .option('--pool <pool>', 'pool label or UUID')
    .option('--attr <name>', 'attribute name')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: id, rest } = takeIds(args, o, false);
      const a = attrNameValue(rest, o, false, u.del);
      const p = await c.pool(id, 'rw');
      await doing(`pool del-attr ${a.name} failed`, () => p.delAttrs([a.name]), {
        [-1005]: `daos pool list-attrs ${id} shows the attributes of the pool`,
      });
      c.emit({ pool: p.uuid, name: a.name }, `Pool's ${a.name} attribute deleted\n`);
    });
}
