/**
 * daos_agent: runs on every compute node and serves the DAOS client library
 * (attach info and credentials) over <runtime_dir>/agent.sock.
 */
import { Command, CommanderError } from 'commander';
import { loadAgentConfig } from '../../config/client.js';
import { FileSink, JsonSink, Logger, TerminalSink } from '../../logging/logger.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import { DAOS_VERSION } from '../../version.js';
import { Agent } from '../../agent/agent.js';

interface AgentOpts {
  configPath?: string;
  insecure?: boolean;
  runtime_dir?: string;
  logfile?: string;
  debug?: boolean;
  json?: boolean;
  allowProxy?: boolean;
}

function printFault(log: Logger, e: unknown): void {
  log.error(errorMessage(e));
  if (e instanceof Fault && e.resolution) log.error(`resolution: ${e.resolution}`);
}

async function runAgent(o: AgentOpts): Promise<number> {
  const log = new Logger([{ sink: o.json ? new JsonSink(process.stdout) : new TerminalSink(), level: o.debug ? 'debug' : 'info' }]);
  if (!o.allowProxy) {
    for (const k of ['http_proxy', 'https_proxy', 'ftp_proxy', 'socks_proxy', 'no_proxy']) {
      delete process.env[k];
      delete process.env[k.toUpperCase()];
    }
  }
  try {
    const cfg = loadAgentConfig(o.configPath, { log });
    if (o.insecure) cfg.transport.allowInsecure = true;
    if (o.runtime_dir) cfg.runtimeDir = o.runtime_dir;
    if (o.logfile) cfg.logFile = o.logfile;
    const agent = new Agent(cfg, log);
    agent.preflight();
    if (cfg.logFile) {
      try {
        log.addSink(new FileSink(cfg.logFile), o.debug ? 'debug' : 'info');
        log.info(`Using logfile: ${cfg.logFile}`);
      } catch (e) {
        log.error(`unable to open log file ${cfg.logFile}: ${errorMessage(e)}; logging to the terminal only`);
      }
    }
    log.info(`Starting daos_agent (v${DAOS_VERSION}) for system ${cfg.name}, access point ${cfg.accessPoints[0]}`);
    if (cfg.transport.allowInsecure) log.info('transport security disabled (allow_insecure): credentials carry a digest, not a signature');
    for (const w of agent.warnings) log.notice(`WARNING: ${w}`);
    const env = process.env.DAOS_AGENT_DRPC_DIR;
    if (env && env !== cfg.runtimeDir) log.debug(`DAOS_AGENT_DRPC_DIR (${env}) differs from runtime_dir (${cfg.runtimeDir}); clients must use ${cfg.runtimeDir}`);
    await agent.start();
    const sig = await new Promise<string>((resolve) => {
      process.on('SIGINT', () => resolve('SIGINT'));
      process.on('SIGTERM', () => resolve('SIGTERM'));
    });
    log.info(`received ${sig}; shutting down`);
    await agent.stop();
    return 0;
  } catch (e) {
    printFault(log, e);
    return 1;
  }
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  process.title = 'daos_agent';
  let code = 0;
  const program = new Command('daos_agent')
    .description('DAOS agent: serves attach info and credentials to the DAOS client library on this node.')
    .option('-o, --config-path <file>', 'agent config file (default /etc/daos/daos_agent.yml; missing is fine)')
    .option('-i, --insecure', 'no certificates (allow_insecure)')
    .option('-s, --runtime_dir <dir>', "socket directory (overrides 'runtime_dir')")
    .option('-l, --logfile <file>', "log file (overrides 'log_file')")
    .option('-d, --debug', 'debug logging')
    .option('-j, --json', 'JSON log lines')
    .option('--allow-proxy', 'keep http_proxy and friends in the environment')
    .action(async () => {
      code = await runAgent(program.opts() as AgentOpts);
    });
  program
    .command('start', { isDefault: false })
    .description('Run the agent (the default when no command is given)')
    .action(async () => {
      code = await runAgent(program.opts() as AgentOpts);
    });
  program
    .command('version')
    .description('Print the version')
    .action(() => {
      process.stdout.write(`daos_agent version ${DAOS_VERSION}\n`);
    });
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : e.exitCode || 1;
    process.stderr.write(`ERROR: daos_agent: ${errorMessage(e)}\n`);
    return 1;
  }
}
