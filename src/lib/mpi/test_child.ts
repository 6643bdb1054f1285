/**
 * A rank program for the process-group tests (group.test.ts): runs one
 * scenario and prints one JSON line with what it saw.
 *
 *   node test_child.js <scenario>
 */
import { ProcessGroup, PgError } from './index.js';

function out(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

async function collectives(g: ProcessGroup): Promise<void> {
  const r = g.rank;
  await g.barrier();
  const b = await g.bcast(r === 1 % g.size ? Buffer.from(`from rank ${r}`) : undefined, 1 % g.size);
  const gathered = await g.gather(Buffer.from(`r${r}`), g.size - 1);
  const all = await g.allgather(Buffer.alloc(r, r));
  const min = await g.reduce(10 + r, 'min', 0);
  const max = await g.reduce(10 + r, 'max', 0);
  const sum = await g.allreduce(r + 0.5, 'sum');
  const json = await g.bcastJson(r === 0 ? { pool: 'tank', n: 3 } : undefined, 0);
  const big = await g.bcast(r === 0 ? Buffer.alloc(3 << 20, 7) : undefined, 0);
  await g.finalize();
  out({
    rank: r,
    size: g.size,
    source: g.source,
    pids: g.pids.length,
    bcast: b.toString(),
    gather: gathered?.map(String),
    allgather: all.map((x) => x.toString('hex')),
    min,
    max,
    sum,
    json,
    big: big.length === 3 << 20 && big.every((x) => x === 7),
  });
}

async function main(): Promise<void> {
  const scenario = process.argv[2];
  let g: ProcessGroup;
  try {
    g = await ProcessGroup.init({ joinTimeoutMs: Number(process.env.TEST_JOIN_MS ?? 20_000) });
  } catch (e) {
    out({ rank: Number(process.env.DAOS_PG_RANK ?? -1), error: (e as Error).message });
    return;
  }
  try {
    switch (scenario) {
      case 'collectives':
        await collectives(g);
        return;
      case 'die':
        await g.barrier();
        if (g.rank === 2) process.exit(3);
        await g.barrier();
        out({ rank: g.rank, error: 'none' });
        return;
      case 'late':
        // The first barrier has a bound of its own, so that only the second (DAOS_PG_TIMEOUT) can time out.
        await g.barrier({ timeoutMs: 30_000 });
        if (g.rank === g.size - 1) await new Promise((r) => setTimeout(r, 6000));
        await g.barrier();
        out({ rank: g.rank, error: 'none' });
        return;
      case 'abort':
        await g.barrier();
        if (g.rank === 1) await g.abort(7, 'boom');
        await g.barrier({ timeoutMs: 20_000 });
        out({ rank: g.rank, error: 'none' });
        return;
      case 'mismatch':
        if (g.rank === 1) await g.bcast(Buffer.from('x'), 0);
        else await g.barrier();
        out({ rank: g.rank, error: 'none' });
        return;
      default:
        throw new Error(`unknown scenario ${scenario}`);
    }
  } catch (e) {
    out({ rank: g.rank, error: (e as Error).message, pg: e instanceof PgError });
    await g.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`test_child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
