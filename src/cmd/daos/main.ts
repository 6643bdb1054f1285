/**
 * daos: the user's tool. Pools (read side), containers, objects, KV objects
 * and arrays from the shell, through the client library and daos_agent.
 *
 * Both forms work: v0.8's long options (`daos container create --pool=<uuid>
 * --svc=0`; --svc is accepted and ignored, getopt-style option prefixes and
 * --chunk_size are understood) and today's positional pool and container
 * (`daos container query <pool> <cont>`), each by label or UUID. Every
 * command takes -j for one JSON document {response, error, status}.
 *
 * Exit status: 0 success; 1 a DAOS or local failure; 2 a command-line mistake.
 */
import { Command, CommanderError, Option } from 'commander';
import { CmdError, Ctx, errorJSON, errorStatus, errorText, realDeps, realIO, type DaosIO, type Deps, type GlobalOpts } from './ctx.js';
import { normalizeArgv } from './args.js';
import { addPoolCommands } from './pool.js';
import { addContCommands } from './cont.js';
import { addObjCommands } from './obj.js';
import { addKvCommands } from './kv.js';
import { addArrayCommands } from './array.js';
import { DAOS_VERSION } from '../../version.js';

type Holder = { get: () => Ctx; set: (g: GlobalOpts) => void };

export function buildProgram(h: Holder, io: DaosIO, writeErr: (s: string) => void = (s) => io.stderr.write(s)): Command {
  const program = new Command('daos')
    .description('Use DAOS from the shell: pools, containers, objects, KV objects and arrays, through daos_agent ($DAOS_AGENT_DRPC_DIR, default /var/run/daos_agent).')
    .usage('<resource> <command> [options]')
    .option('-j, --json', 'print the result as one JSON document {response, error, status}')
    .option('--sys-name <name>', 'DAOS system name (default daos_server)')
    .option('--group <name>', 'same as --sys-name (the v0.8 spelling)')
    .addOption(new Option('--svc <ranks>', 'pool service ranks (v0.8; accepted and ignored: the agent and the pool map know them)'))
    .addOption(new Option('--path <path>', 'unified namespace path (v0.8): not supported').hideHelp())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr })
    .showHelpAfterError('(daos help <resource> lists the commands and options)')
    .hook('preAction', () => {
      const g = program.opts() as GlobalOpts & { path?: string };
      h.set(g);
      if (g.path !== undefined) {
        throw new CmdError('--path (the unified namespace) is not supported: it needs the POSIX layer (DFS), which this implementation does not have', 'name the pool and container instead: daos <resource> <command> <pool> <cont>', 2);
      }
    });

  addPoolCommands(program, h);
  addContCommands(program, h);
  addObjCommands(program, h);
  addKvCommands(program, h);
  addArrayCommands(program, h);

  program
    .command('version')
    .description('Print the version')
    .action(() => {
      h.get().emit({ version: DAOS_VERSION }, `daos version ${DAOS_VERSION}\n`);
    });
  return program;
}

/** Every long option name of the program and its commands (for v0.8's prefix matching). */
export function longOptionsOf(cmd: Command): string[] {
  const out = new Set<string>(['help']);
  const walk = (c: Command) => {
    for (const o of c.options) if (o.long) out.add(o.long.replace(/^--/, ''));
    for (const s of c.commands) walk(s);
  };
  walk(cmd);
  return [...out].sort();
}

export async function main(argv: string[] = process.argv.slice(2), io: DaosIO = realIO(), deps: Deps = realDeps): Promise<number> {
  process.title = 'daos';
  let ctx: Ctx | undefined;
  const holder: Holder = {
    get: () => ctx!,
    set: (g) => {
      ctx = new Ctx(g, io, deps);
    },
  };
  // With -j, the parser's own complaints (unknown option, missing argument) go into the envelope.
  const wantJson = argv.includes('-j') || argv.includes('--json');
  let parserErr = '';
  const program = buildProgram(holder, io, wantJson ? (s) => (parserErr += s) : undefined);
  try {
    if (argv.length === 0) {
      // As v0.8: no resource is a request for help, on stdout, exit 0.
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(normalizeArgv(argv, longOptionsOf(program)), { from: 'user' });
    return ctx?.exitCode ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      if (wantJson) {
        const message = parserErr.split('\n').filter((l) => l.startsWith('error:')).join('; ').replace(/^error: /, '') || e.message;
        const error = { message, resolution: 'daos help <resource> [<command>] lists the commands and their options' };
        io.stdout.write(JSON.stringify({ response: null, error, status: 2 }, null, 2) + '\n');
      }
      return 2;
    }
    const json = ctx?.json ?? wantJson;
    const { status, exit } = errorStatus(e);
    if (json) io.stdout.write(JSON.stringify({ response: null, error: errorJSON(e), status }, null, 2) + '\n');
    else io.stderr.write(errorText(e));
    return exit;
  } finally {
    await ctx?.close();
  }
}
