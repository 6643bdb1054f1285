/**
 * daos container (cont) ...: create, destroy, list and query containers, their
 * properties, attributes and snapshots. v0.8's --pool/--cont form and today's
 * positional `<pool> <cont>`, both by label or UUID.
 */
import type { Command } from 'commander';
import { doing, usage, type Ctx } from './ctx.js';
import { containerCreateSpec, noMore, parseEpoch, parseEpochRange, takeIds } from './args.js';
import { attrNameValue, type AttrOpts } from './pool.js';
import * as pretty from './pretty.js';
import { formatOid } from '../../daos/oid.js';
import { bytesJSON, printable } from './pretty.js';

type Holder = { get: () => Ctx };

interface IdOpts {
  pool?: string;
  cont?: string;
}

export function addContCommands(program: Command, h: Holder): void {
  const cont = program.command('container').alias('cont').description('Create, destroy, list and query containers; properties, attributes and snapshots');

  cont
    .command('create [pool] [label]')
    .description('Create a container in a pool, optionally labelled; prints its UUID')
    .option('--pool <pool>', 'pool label or UUID (v0.8 form)')
    .option('--cont <uuid>', 'the UUID to give the container (v0.8; default: a new one); a non-UUID is taken as the label')
    .option('--label <label>', 'a label to find the container by')
    .option('--type <type>', 'container layout type: POSIX or HDF5 (recorded as the layout_type property)')
    .option('--oclass <class>', 'default object class of the container (recorded; used by daos array import)')
    .option('--chunk-size <size>', 'default chunk size (recorded; used by daos array import), e.g. 1M')
    .option('--properties <list>', 'properties as name:value pairs separated by commas, e.g. label:c1,cksum:crc32,rf:0')
    .action(async (pos: string | undefined, posLabel: string | undefined, o: IdOpts & { label?: string; type?: string; oclass?: string; chunkSize?: string; properties?: string }) => {
      const c = h.get();
      // With --pool given, a lone positional argument is the label.
      const args = [pos, posLabel].filter((x): x is string => x !== undefined);
      const poolId = o.pool ?? args.shift();
      if (!poolId) throw usage('the pool is required', 'give the pool label or UUID as the first argument, or with --pool=<pool>');
      const label = args.shift();
      noMore(args, 'daos container create <pool> [<label>]');
      const spec = containerCreateSpec({ ...o, cont: o.cont }, label);
      const p = await c.pool(poolId, 'rw');
      const r = await doing('failed to create container', () => p.containerCreate(spec), {
        [-1004]: 'a container with this UUID or label exists already in the pool: choose another label (daos container list shows them)',
      });
      c.emit({ pool: p.uuid, uuid: r.uuid, label: r.label, properties: spec.props }, `Successfully created container ${r.uuid}\n${r.label ? `Container label: ${r.label}\n` : ''}`);
    });

  cont
    .command('destroy [pool] [cont]')
    .description('Destroy a container and all its data')
    .option('--pool <pool>', 'pool label or UUID')
    .option('--cont <cont>', 'container label or UUID')
    .option('--force', 'destroy even when the container is open')
    .action(async (pos: string | undefined, pc: string | undefined, o: IdOpts & { force?: boolean }) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos container destroy <pool> <cont>');
      const p = await c.pool(poolId, 'rw');
      // The v0.8 line names the UUID; find it when a label was given.
      const list = await doing('pool list containers failed', () => p.listContainers());
      const found = list.find((x) => x.uuid === contId!.toLowerCase() || x.label === contId);
      await doing(`failed to destroy container ${contId}`, () => p.containerDestroy(contId!, o.force === true), {
        [-1005]: `check the container label or UUID: daos container list ${poolId} shows the containers of the pool`,
        [-1012]: 'the container is open: close it in the programs using it, or add --force',
      });
      const uuid = found?.uuid ?? contId!;
      c.emit({ pool: p.uuid, uuid, label: found?.label ?? '' }, `Successfully destroyed container ${uuid}\n`);
    });

  cont
    .command('list [pool]')
    .alias('ls')
    .description('List the containers of a pool: UUID and label')
    .option('--pool <pool>', 'pool label or UUID')
    .action(async (pos: string | undefined, o: IdOpts) => {
      const c = h.get();
      const { pool: poolId, rest } = takeIds([pos], o, false);
      noMore(rest, 'daos container list <pool>');
      const p = await c.pool(poolId, 'r');
      const list = await doing('pool list containers failed', () => p.listContainers());
      c.emit({ pool: p.uuid, containers: list }, () => pretty.renderContList(list));
    });

  const query = async (pos: string | undefined, pc: string | undefined, o: IdOpts) => {
    const c = h.get();
    const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
    noMore(rest, 'daos container query <pool> <cont>');
    const p = await c.pool(poolId, 'r');
    const k = await c.cont(p, contId!, 'r');
    const q = await doing('Container query failed', () => k.query());
    c.emit(pretty.contQueryJSON(p.uuid, q), () => pretty.renderContQuery(p.uuid, q));
  };
  const idOpts = (cmd: Command) => cmd.option('--pool <pool>', 'pool label or UUID').option('--cont <cont>', 'container label or UUID');
  idOpts(cont.command('query [pool] [cont]').description('Show a container: UUID, label, snapshots, open handles')).action(query);
  // NB: v0.8 named `stat` but never implemented it; here it is the same report as query.
  idOpts(cont.command('stat [pool] [cont]').description('Same as query')).action(query);

  idOpts(cont.command('get-prop [pool] [cont]').description('Show the properties of a container')).action(async (pos: string | undefined, pc: string | undefined, o: IdOpts) => {
    const c = h.get();
    const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
    noMore(rest, 'daos container get-prop <pool> <cont>');
    const p = await c.pool(poolId, 'r');
    const k = await c.cont(p, contId!, 'r');
    const q = await doing('container get-prop failed', () => k.query());
    c.emit({ pool: p.uuid, uuid: k.uuid, properties: pretty.propsJSON(q.props) }, () => pretty.renderContProps(q.props));
  });

  idOpts(cont.command('set-prop [args...]').description('Change properties: set-prop <pool> <cont> name:value[,name:value] (label, max_snapshot, acl, owner, owner_group)'))
    .option('--properties <list>', 'name:value pairs separated by commas, e.g. label:new,max_snapshot:10')
    .action(async (args: string[], o: IdOpts & { properties?: string }) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const list = o.properties ?? rest.shift();
      noMore(rest, 'daos container set-prop <pool> <cont> name:value[,name:value]');
      if (!list) throw usage('no property to set', 'give name:value pairs, e.g. daos container set-prop <pool> <cont> label:new (or --properties=label:new)');
      const props: Record<string, string> = {};
      for (const item of list.split(',')) {
        const i = item.indexOf(':');
        if (i <= 0) throw usage(`bad property ${JSON.stringify(item)}`, 'write each property as name:value, e.g. label:new');
        props[item.slice(0, i).trim()] = item.slice(i + 1).trim();
      }
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      await doing('container set-prop failed', () => k.setProps(props), {
        [-1003]: 'settable properties are label, max_snapshot, acl, owner and owner_group (name@); the others are fixed at create time',
        [-1001]: 'the container ACL does not allow you to change this property; its owner can',
      });
      c.emit({ pool: p.uuid, uuid: k.uuid, properties: props }, `Properties were successfully set\n`);
    });
  idOpts(cont.command('list-objects [pool] [cont]').alias('list-obj').description('List the IDs of the objects stored in a container'))
    .action(async (pos: string | undefined, pc: string | undefined, o: IdOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos container list-objects <pool> <cont>');
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const oids = await doing('container list-objects failed', () => k.listObjects(), {
        [-1006]: 'a target of the pool is unreachable, so the list would be incomplete: check dmg system query',
      });
      c.emit({ pool: p.uuid, uuid: k.uuid, objects: oids.map(formatOid) }, () => oids.map((x) => `${formatOid(x)}\n`).join(''));
    });
  idOpts(cont.command('rollback [args...]').description('Roll a container back to a snapshot: rollback <pool> <cont> <snapshot name> (or --snap / --epc)'))
    .option('--snap <name>', 'snapshot name')
    .option('--epc <epoch>', 'snapshot epoch')
    .action(async (args: string[], o: IdOpts & { snap?: string; epc?: string }) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const name = o.snap ?? rest.shift();
      noMore(rest, 'daos container rollback <pool> <cont> [<name>] [--epc=<epoch>]');
      if ((name !== undefined) === (o.epc !== undefined)) throw usage('give exactly one of a snapshot name and --epc', 'daos container list-snaps <pool> <cont> shows the snapshots, their epochs and names');
      const which = o.epc !== undefined ? { epoch: parseEpoch(o.epc) } : { name: name! };
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      const epoch = await doing(`failed to roll back to snapshot ${o.epc ?? JSON.stringify(name)}`, () => k.rollback(which), {
        [-1012]: 'close the container in every other program first: a rollback changes what they read',
        [-1005]: 'daos container list-snaps <pool> <cont> shows the snapshots, their epochs and names',
      });
      c.emit({ pool: p.uuid, uuid: k.uuid, epoch }, `Successfully rolled back container ${k.uuid} to snapshot/epoch ${epoch}\n`);
    });

  // ---- attributes ----
  const u = {
    set: 'daos container set-attr <pool> <cont> <name> <value> (or --attr=<name> --value=<value>)',
    get: 'daos container get-attr <pool> <cont> <name> (or --attr=<name>)',
    del: 'daos container del-attr <pool> <cont> <name> (or --attr=<name>)',
  };
  idOpts(cont.command('set-attr [args...]').description('Set an attribute: set-attr <pool> <cont> <name> <value>'))
    .option('--attr <name>', 'attribute name')
    .option('--value <value>', 'attribute value')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const a = attrNameValue(rest, o, true, u.set);
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      await doing(`container set-attr ${a.name} failed`, () => k.setAttrs({ [a.name]: a.value! }));
      c.emit({ pool: p.uuid, uuid: k.uuid, name: a.name, value: a.value }, `Container's ${a.name} attribute set\n`);
    });
  idOpts(cont.command('get-attr [args...]').description('Show an attribute: get-attr <pool> <cont> <name>'))
    .option('--attr <name>', 'attribute name')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const a = attrNameValue(rest, o, false, u.get);
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const m = await doing(`container get-attr ${a.name} failed`, () => k.getAttrs([a.name]), {
        [-1005]: `daos container list-attrs ${poolId} ${contId} shows the attributes of the container`,
      });
      const v = m.get(a.name)!;
      c.emit({ pool: p.uuid, uuid: k.uuid, name: a.name, ...bytesJSON(v) }, `Container's ${a.name} attribute value: ${printable(v)}\n`);
    });
  idOpts(cont.command('list-attrs [pool] [cont]').description('List the attribute names of a container (-v: with values)'))
    .option('-v, --verbose', 'show the values too')
    .action(async (pos: string | undefined, pc: string | undefined, o: AttrOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos container list-attrs <pool> <cont>');
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const m = await doing('container list-attrs failed', () => k.getAttrs());
      c.emit({ pool: p.uuid, uuid: k.uuid, attrs: Object.fromEntries([...m].map(([n, v]) => [n, bytesJSON(v)])) }, () => pretty.renderAttrList('Container', m, o.verbose === true));
    });
  idOpts(cont.command('del-attr [args...]').description('Delete an attribute: del-attr <pool> <cont> <name>'))
    .option('--attr <name>', 'attribute name')
    .action(async (args: string[], o: AttrOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const a = attrNameValue(rest, o, false, u.del);
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      await doing(`container del-attr ${a.name} failed`, () => k.delAttrs([a.name]), {
        [-1005]: `daos container list-attrs ${poolId} ${contId} shows the attributes of the container`,
      });
      c.emit({ pool: p.uuid, uuid: k.uuid, name: a.name }, `Container's ${a.name} attribute deleted\n`);
    });

  // ---- snapshots ----
  idOpts(cont.command('create-snap [args...]').description('Take a snapshot: create-snap <pool> <cont> [<name>]; prints its epoch'))
    .option('--snap <name>', 'snapshot name')
    .action(async (args: string[], o: IdOpts & { snap?: string }) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const name = o.snap ?? rest.shift() ?? '';
      noMore(rest, 'daos container create-snap <pool> <cont> [<name>]');
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      const epoch = await doing('failed to create snapshot', () => k.createSnapshot(name));
      c.emit({ pool: p.uuid, uuid: k.uuid, epoch, name }, `snapshot/epoch ${epoch} has been created\n`);
    });
  idOpts(cont.command('list-snaps [pool] [cont]').description('List the snapshots of a container: epoch and name'))
    .action(async (pos: string | undefined, pc: string | undefined, o: IdOpts) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds([pos, pc], o, true);
      noMore(rest, 'daos container list-snaps <pool> <cont>');
      const p = await c.pool(poolId, 'r');
      const k = await c.cont(p, contId!, 'r');
      const snaps = await doing('failed to list snapshots', () => k.listSnapshots());
      c.emit({ pool: p.uuid, uuid: k.uuid, snapshots: snaps }, () => pretty.renderSnaps(snaps));
    });
  idOpts(cont.command('destroy-snap [args...]').description('Destroy snapshots: by name (--snap or argument), epoch (--epc) or epoch range (--epcrange A-B)'))
    .option('--snap <name>', 'snapshot name')
    .option('--epc <epoch>', 'snapshot epoch')
    .option('--epcrange <A-B>', 'every snapshot with an epoch from A to B')
    .action(async (args: string[], o: IdOpts & { snap?: string; epc?: string; epcrange?: string }) => {
      const c = h.get();
      const { pool: poolId, cont: contId, rest } = takeIds(args, o, true);
      const name = o.snap ?? rest.shift();
      noMore(rest, 'daos container destroy-snap <pool> <cont> [<name>] [--epc=<epoch> | --epcrange=<A-B>]');
      const given = [name !== undefined, o.epc !== undefined, o.epcrange !== undefined].filter(Boolean).length;
      if (given !== 1) throw usage('give exactly one of a snapshot name, --epc or --epcrange', 'daos container list-snaps <pool> <cont> shows the snapshots, their epochs and names');
      const epoch = o.epc !== undefined ? parseEpoch(o.epc) : undefined;
      const range = o.epcrange !== undefined ? parseEpochRange(o.epcrange) : undefined;
      const p = await c.pool(poolId, 'rw');
      const k = await c.cont(p, contId!, 'rw');
      const destroyed: bigint[] = [];
      if (range) {
        const snaps = await doing('failed to list snapshots', () => k.listSnapshots());
        for (const s of snaps.filter((x) => x.epoch >= range.lo && x.epoch <= range.hi)) {
          destroyed.push(await doing(`failed to destroy snapshot ${s.epoch}`, () => k.destroySnapshot({ epoch: s.epoch })));
        }
      } else {
        const which = epoch !== undefined ? { epoch } : { name: name! };
        destroyed.push(await doing(`failed to destroy snapshot ${epoch ?? JSON.stringify(name)}`, () => k.destroySnapshot(which)));
      }
      c.emit({ pool: p.uuid, uuid: k.uuid, destroyed }, () => (destroyed.length ? destroyed.map((e) => `snapshot/epoch ${e} has been destroyed\n`).join('') : 'no snapshot in that range\n'));
    });

}
