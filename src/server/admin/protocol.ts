/**
 * The daos_admin wire protocol: daos_server writes one JSON request on the
 * helper's stdin and reads one JSON reply from its stdout.
 *
 *   request  {"Method": "<name>", "Payload": {...}}
 *   reply    {"Error": null | {"Message": "...", "Fault": {domain, code, description, resolution} | null},
 *             "Payload": {...} | null}
 *
 * NB: the envelope and the method names are the original's (Go default field
 * names); the payload fields are ours where the original's did not fit (SCM
 * targets instead of raw mount arguments, state names instead of numbers,
 * prepare messages, NvmePrepare which the original never forwarded), and
 * Error.Fault carries a typed fault so it survives the process boundary.
 */
import type { ScmConfig } from '../../config/types.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import type { ScmModule, PmemNamespace, ScmScanResult, ScmState } from '../storage/types.js';
import { AdminBadRequest } from '../storage/faults.js';

export const ADMIN_METHODS = ['ScmMount', 'ScmUnmount', 'ScmFormat', 'ScmCheckFormat', 'ScmScan', 'ScmPrepare', 'NvmePrepare'] as const;
export type AdminMethod = (typeof ADMIN_METHODS)[number];

/** The SCM an operation applies to: exactly one of Ramdisk (class ram) and Dcpm (class dcpm). */
export interface ScmTarget {
  Mountpoint: string;
  Ramdisk: { Size: number } | null;
  Dcpm: { Device: string } | null;
}

export interface ScmFormatReq extends ScmTarget {
  Reformat: boolean;
  OwnerUID: number;
  OwnerGID: number;
}

export interface ScmFormatResp {
  Mountpoint: string;
  Formatted: boolean;
  Mounted: boolean;
  Mountable: boolean;
}

export interface ScmMountResp {
  Target: string;
  Mounted: boolean;
}

export interface WireScmModule {
  PhysicalID: number;
  Capacity: number;
  SocketID: number;
  ControllerID: number;
  ChannelID: number;
  ChannelPosition: number;
}

/** ndctl's field names, as the original. */
export interface WirePmemNamespace {
  uuid: string;
  blockdev: string;
  dev: string;
  numa_node: number;
  size: number;
}

export interface ScmScanResp {
  State: ScmState;
  Modules: WireScmModule[];
  Namespaces: WirePmemNamespace[];
  Notes: string[];
}

export interface ScmPrepareResp {
  RebootRequired: boolean;
  Namespaces: WirePmemNamespace[];
  Messages: string[];
}

export interface NvmePrepareReq {
  PciAllowList: string[];
  NrHugepages: number;
  TargetUser: string;
  Reset: boolean;
}

export interface NvmePrepareResp {
  Messages: string[];
  Rebound: string[];
}

/** Request and response payload of every method. */
export interface AdminMethods {
  ScmMount: { req: ScmTarget; resp: ScmMountResp };
  ScmUnmount: { req: ScmTarget; resp: ScmMountResp };
  ScmFormat: { req: ScmFormatReq; resp: ScmFormatResp };
  ScmCheckFormat: { req: ScmTarget; resp: ScmFormatResp };
  ScmScan: { req: { Rescan: boolean }; resp: ScmScanResp };
  ScmPrepare: { req: { Reset: boolean }; resp: ScmPrepareResp };
  NvmePrepare: { req: NvmePrepareReq; resp: NvmePrepareResp };
}

export type AdminRequest = { [M in AdminMethod]: { Method: M; Payload: AdminMethods[M]['req'] } }[AdminMethod];

export interface WireFault {
  domain: string;
  code: number;
  description: string;
  resolution: string;
}

export interface AdminReply {
  Error: { Message: string; Fault: WireFault | null } | null;
  Payload: unknown;
}

// ---- conversions ------------------------------------------------------------------

export function scmConfigToTarget(cfg: ScmConfig): ScmTarget {
  switch (cfg.class) {
    case 'ram':
      return { Mountpoint: cfg.mountPoint, Ramdisk: { Size: cfg.ramSizeGB }, Dcpm: null };
    case 'dcpm':
      return { Mountpoint: cfg.mountPoint, Ramdisk: null, Dcpm: { Device: cfg.deviceList[0] ?? '' } };
    default:
      throw AdminBadRequest(`scm_class ${JSON.stringify(cfg.class)} is not handled by daos_admin`);
  }
}

export function targetToScmConfig(t: ScmTarget): ScmConfig {
  if (t.Ramdisk) return { class: 'ram', mountPoint: t.Mountpoint, ramSizeGB: t.Ramdisk.Size, deviceList: [] };
  return { class: 'dcpm', mountPoint: t.Mountpoint, ramSizeGB: 0, deviceList: [t.Dcpm!.Device] };
}

export function moduleToWire(m: ScmModule): WireScmModule {
  return {
    PhysicalID: m.physicalId,
    Capacity: m.capacity,
    SocketID: m.socketId,
    ControllerID: m.controllerId,
    ChannelID: m.channelId,
    ChannelPosition: m.channelPosition,
  };
}

export function moduleFromWire(m: WireScmModule): ScmModule {
  return {
    physicalId: m.PhysicalID,
    capacity: m.Capacity,
    socketId: m.SocketID,
    controllerId: m.ControllerID,
    channelId: m.ChannelID,
    channelPosition: m.ChannelPosition,
  };
}

export function namespaceToWire(n: PmemNamespace): WirePmemNamespace {
  return { uuid: n.uuid, blockdev: n.blockDevice, dev: n.name, numa_node: n.numaNode, size: n.size };
}

export function namespaceFromWire(n: WirePmemNamespace): PmemNamespace {
  return { uuid: n.uuid, blockDevice: n.blockdev, name: n.dev, numaNode: n.numa_node, size: n.size };
}

export function scanToWire(s: ScmScanResult): ScmScanResp {
  return { State: s.state, Modules: s.modules.map(moduleToWire), Namespaces: s.namespaces.map(namespaceToWire), Notes: s.notes ?? [] };
}

export function scanFromWire(w: ScmScanResp): ScmScanResult {
  const r: ScmScanResult = { state: w.State, modules: w.Modules.map(moduleFromWire), namespaces: w.Namespaces.map(namespaceFromWire) };
  if (w.Notes.length) r.notes = [...w.Notes];
  return r;
}

// ---- encoding and strict decoding ------------------------------------------------------

export function encodeRequest(req: AdminRequest): string {
  return JSON.stringify(req);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw AdminBadRequest(`${what} is not an object`);
  return v as Obj;
}
function str(o: Obj, k: string, what: string): string {
  if (typeof o[k] !== 'string') throw AdminBadRequest(`${what}.${k} is not a string`);
  return o[k] as string;
}
function bool(o: Obj, k: string, what: string): boolean {
  if (typeof o[k] !== 'boolean') throw AdminBadRequest(`${what}.${k} is not a boolean`);
  return o[k] as boolean;
}
function uint(o: Obj, k: string, what: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw AdminBadRequest(`${what}.${k} is not a non-negative integer`);
  return v;
}
function strList(o: Obj, k: string, what: string): string[] {
  const v = o[k];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw AdminBadRequest(`${what}.${k} is not a list of strings`);
  return [...(v as string[])];
}

function decodeTarget(p: Obj): ScmTarget {
  const Mountpoint = str(p, 'Mountpoint', 'Payload');
  if (!Mountpoint.startsWith('/')) throw AdminBadRequest(`Payload.Mountpoint ${JSON.stringify(Mountpoint)} is not an absolute path`);
  const rd = p.Ramdisk ?? null;
  const dc = p.Dcpm ?? null;
  if ((rd === null) === (dc === null)) throw AdminBadRequest('Payload needs exactly one of Ramdisk and Dcpm');
  return {
    Mountpoint,
    Ramdisk: rd === null ? null : { Size: uint(obj(rd, 'Payload.Ramdisk'), 'Size', 'Payload.Ramdisk') },
    Dcpm: dc === null ? null : { Device: str(obj(dc, 'Payload.Dcpm'), 'Device', 'Payload.Dcpm') },
  };
}

/** Parse and check a request; throws AdminBadRequest saying what is wrong. */
export function decodeRequest(text: string): AdminRequest {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw AdminBadRequest(`request is not JSON: ${errorMessage(e)}`);
  }
  const o = obj(j, 'request');
  const method = o.Method;
  if (typeof method !== 'string') throw AdminBadRequest('request has no Method');
  const p = obj(o.Payload, 'Payload');
  switch (method) {
    case 'ScmMount':
    case 'ScmUnmount':
    case 'ScmCheckFormat':
      return { Method: method, Payload: decodeTarget(p) };
    case 'ScmFormat':
      return {
        Method: method,
        Payload: {
          ...decodeTarget(p),
          Reformat: bool(p, 'Reformat', 'Payload'),
          OwnerUID: uint(p, 'OwnerUID', 'Payload'),
          OwnerGID: uint(p, 'OwnerGID', 'Payload'),
        },
      };
    case 'ScmScan':
      return { Method: method, Payload: { Rescan: bool(p, 'Rescan', 'Payload') } };
    case 'ScmPrepare':
      return { Method: method, Payload: { Reset: bool(p, 'Reset', 'Payload') } };
    case 'NvmePrepare':
      return {
        Method: method,
        Payload: {
          PciAllowList: strList(p, 'PciAllowList', 'Payload'),
          NrHugepages: uint(p, 'NrHugepages', 'Payload'),
          TargetUser: str(p, 'TargetUser', 'Payload'),
          Reset: bool(p, 'Reset', 'Payload'),
        },
      };
    default:
      // NB: the original's wording.
      throw AdminBadRequest(`unhandled method ${JSON.stringify(method)}`);
  }
}

export function okReply(payload: unknown): AdminReply {
  return { Error: null, Payload: payload };
}

export function errorReply(e: unknown): AdminReply {
  if (e instanceof Fault) return { Error: { Message: e.toString(), Fault: e.toJSON() }, Payload: null };
  return { Error: { Message: errorMessage(e), Fault: null }, Payload: null };
}

/** Parse a reply; undefined when the text is not a well-formed reply. */
export function decodeReply(text: string): AdminReply | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null || !('Error' in j) || !('Payload' in j)) return undefined;
  const r = j as { Error: unknown; Payload: unknown };
  if (r.Error === null) return { Error: null, Payload: r.Payload };
  if (typeof r.Error !== 'object' || typeof (r.Error as Obj).Message !== 'string') return undefined;
  const f = (r.Error as Obj).Fault;
  let fault: WireFault | null = null;
  if (typeof f === 'object' && f !== null) {
    const fo = f as Obj;
    if (typeof fo.domain === 'string' && typeof fo.code === 'number' && typeof fo.description === 'string') {
      fault = { domain: fo.domain, code: fo.code, description: fo.description, resolution: typeof fo.resolution === 'string' ? fo.resolution : '' };
    }
  }
  return { Error: { Message: (r.Error as Obj).Message as string, Fault: fault }, Payload: r.Payload };
}

/** The fault carried by a reply, rebuilt as the same Fault. */
export function faultFromReply(r: AdminReply): Fault | undefined {
  const f = r.Error?.Fault;
  return f ? new Fault({ domain: f.domain, code: f.code, description: f.description, resolution: f.resolution }) : undefined;
}
