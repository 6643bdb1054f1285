/**
 * The production storage providers: local work in-process, privileged work
 * (mounts, mkfs, ndctl/ipmctl, driver binding) through daos_admin.
 */
import type { Logger } from '../logging/logger.js';
import type { BdevProvider, ScmProvider } from './storage/types.js';
import { LocalScmProvider } from './storage/scm.js';
import { LocalBdevProvider } from './storage/bdev.js';
import { ExecCommandRunner } from './storage/runner.js';
import { ProcessAdminInvoker } from './admin/client.js';
import { ForwardingBdevProvider, ForwardingScmProvider } from './admin/forwarding.js';

export function createStorageProviders(opts: { log: Logger }): { scm: ScmProvider; bdev: BdevProvider } {
  const admin = new ProcessAdminInvoker({ log: opts.log });
  const localScm = new LocalScmProvider({ runner: new ExecCommandRunner(), log: opts.log });
  const localBdev = new LocalBdevProvider({ log: opts.log });
  return {
    scm: new ForwardingScmProvider({ local: localScm, admin }),
    bdev: new ForwardingBdevProvider({ local: localBdev, admin }),
  };
}
