/**
 * Placement benchmark: microseconds to compute an object layout (the client
 * does it per object open and per pool-map change), for several classes and
 * pool sizes. Bounded in count.
 *
 *   node dist/bench/placement.bench.js
 */
import { generateOid } from '../src/daos/oid.js';
import { OC } from '../src/daos/oclass.js';
import { objectLayout } from '../src/daos/placement.js';
import { buildPoolMap } from '../src/daos/poolmap.js';

function grid(hosts: number, ranksPerHost: number, targets: number) {
  return buildPoolMap({
    domains: Array.from({ length: hosts }, (_, h) => ({ name: `host${h}`, ranks: Array.from({ length: ranksPerHost }, (_, r) => ({ rank: h * ranksPerHost + r, targets })) })),
  });
}

const N = 5000;
for (const [name, cls] of [['S1', OC.S1], ['RP_3G1', OC.RP_3G1], ['SX', OC.SX], ['RP_2GX', OC.RP_2GX]] as const) {
  for (const [hosts, targets] of [[3, 8], [16, 16]] as const) {
    const map = grid(hosts, 1, targets);
    const oids = Array.from({ length: N }, (_, i) => generateOid({ hi32: i, lo: BigInt(i) * 7919n + 1n }, cls));
    for (const o of oids) objectLayout(map, o);
    const t0 = process.hrtime.bigint();
    for (const o of oids) objectLayout(map, o);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
    console.log(`${name.padEnd(7)} ${String(hosts * targets).padStart(4)} targets: ${us.toFixed(1)} µs per layout`);
  }
}
