/**
 * daos_admin's request handlers: a decoded request in, a reply out, with the
 * storage providers injected (real ones in daos_admin, fakes in tests).
 * Nothing here touches the process: main.ts does stdin/stdout and the checks.
 */
import type { Logger } from '../../logging/logger.js';
import { errorMessage } from '../../fault/fault.js';
import type { BdevProvider } from '../storage/types.js';
import type { LocalScmProvider } from '../storage/scm.js';
import {
  decodeRequest,
  errorReply,
  namespaceToWire,
  okReply,
  scanToWire,
  targetToScmConfig,
  type AdminReply,
  type AdminRequest,
  type ScmFormatResp,
  type ScmMountResp,
} from './protocol.js';

export interface AdminHandlerDeps {
  scm: Pick<LocalScmProvider, 'scan' | 'prepare' | 'checkFormat' | 'formatScm' | 'mount' | 'unmount'>;
  bdev: Pick<BdevProvider, 'prepare'>;
  log: Logger;
}

/** Run one request; every failure becomes an error reply (a Fault stays a Fault). */
export async function handleRequest(req: AdminRequest, deps: AdminHandlerDeps): Promise<AdminReply> {
  deps.log.debug(`daos_admin request ${req.Method} ${JSON.stringify(req.Payload)}`);
  try {
    const payload = await dispatch(req, deps);
    deps.log.debug(`daos_admin ${req.Method} done: ${JSON.stringify(payload)}`);
    return okReply(payload);
  } catch (e) {
    deps.log.error(`daos_admin ${req.Method}: ${errorMessage(e)}`);
    return errorReply(e);
  }
}

/** Decode then run; a malformed request gets an error reply too. */
export async function handleRequestText(text: string, deps: AdminHandlerDeps): Promise<AdminReply> {
  let req: AdminRequest;
  try {
    req = decodeRequest(text);
  } catch (e) {
    deps.log.error(`daos_admin: ${errorMessage(e)}`);
    return errorReply(e);
  }
  return handleRequest(req, deps);
}

async function dispatch(req: AdminRequest, deps: AdminHandlerDeps): Promise<unknown> {
  switch (req.Method) {
    case 'ScmMount': {
      const cfg = targetToScmConfig(req.Payload);
      await deps.scm.mount(cfg);
      const st = await deps.scm.checkFormat(cfg);
      return { Target: req.Payload.Mountpoint, Mounted: st.mounted } satisfies ScmMountResp;
    }
    case 'ScmUnmount': {
      const cfg = targetToScmConfig(req.Payload);
      await deps.scm.unmount(cfg);
      const st = await deps.scm.checkFormat(cfg);
      return { Target: req.Payload.Mountpoint, Mounted: st.mounted } satisfies ScmMountResp;
    }
    case 'ScmFormat': {
      const p = req.Payload;
      const r = await deps.scm.formatScm(targetToScmConfig(p), { uid: p.OwnerUID, gid: p.OwnerGID }, p.Reformat);
      return { Mountpoint: r.mountPoint, Formatted: r.formatted, Mounted: r.mounted, Mountable: r.mountable } satisfies ScmFormatResp;
    }
    case 'ScmCheckFormat': {
      const st = await deps.scm.checkFormat(targetToScmConfig(req.Payload));
      return {
        Mountpoint: req.Payload.Mountpoint,
        Formatted: st.mounted || st.mountable,
        Mounted: st.mounted,
        Mountable: st.mountable,
      } satisfies ScmFormatResp;
    }
    case 'ScmScan':
      return scanToWire(await deps.scm.scan(req.Payload.Rescan));
    case 'ScmPrepare': {
      const r = await deps.scm.prepare(req.Payload.Reset);
      return { RebootRequired: r.rebootRequired, Namespaces: r.namespaces.map(namespaceToWire), Messages: r.messages };
    }
    case 'NvmePrepare': {
      const p = req.Payload;
      const r = await deps.bdev.prepare({ pciAllowList: p.PciAllowList, nrHugepages: p.NrHugepages, targetUser: p.TargetUser, reset: p.Reset });
      return { Messages: r.messages, Rebound: r.rebound };
    }
  }
}
