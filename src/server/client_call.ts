/**
 * Client metadata requests (pools, containers, attributes, snapshots), as
 * daos_agent forwards them with the caller's credential. The credential is
 * verified here, with the agent certificate from client_cert_dir (or the
 * digest, insecure), before the pool service sees who is asking.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { ClientCallReq } from '../proto/mgmt/client_pb.js';
import * as C from '../proto/mgmt/client_pb.js';
import { SysSchema } from '../proto/auth/auth_pb.js';
import { DaosError, DER } from '../daos/errors.js';
import { Fault, errorMessage } from '../fault/fault.js';
import { unmarshalCredential, verifyCredential } from '../security/auth_sys.js';
import { loadClientCert } from '../security/certs.js';
import { Capa } from '../security/handle_token.js';
import type { ContRecord, Credential, PoolRecord, PoolService } from '../system/mgmt_pool.js';
import { isUuid } from '../system/mgmt_pool.js';
import type { ControlServer } from './server.js';
import { poolQueryToProto } from './mgmt_pool_svc.js';

type Handler = (body: Uint8Array, cred: Credential, hlc: bigint) => Promise<Uint8Array> | Uint8Array;

function dec<D extends DescMessage>(schema: D, body: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(schema, body);
  } catch (e) {
    throw new DaosError(-DER.PROTO, `undecodable request: ${errorMessage(e)}`);
  }
}

function enc<D extends DescMessage>(schema: D, v: MessageInitShape<D>): Uint8Array {
  return toBinary(schema, create(schema, v));
}

const EMPTY = new Uint8Array();

function propsOfPool(p: PoolRecord): MessageInitShape<typeof C.PropSchema>[] {
  return [
    { name: 'label', value: p.label || 'pool label not set' },
    { name: 'space_rb', value: String(p.props.space_rb ?? 0), number: BigInt(Number(p.props.space_rb ?? 0)) },
    { name: 'self_heal', value: String(p.props.self_heal ?? 3), number: BigInt(Number(p.props.self_heal ?? 3)) },
    { name: 'reclaim', value: String(p.props.reclaim ?? 'snapshot') },
    { name: 'acl', value: '', acl: p.acl },
    { name: 'owner', value: p.owner },
    { name: 'owner_group', value: p.ownerGroup },
  ];
}

export function propsOfCont(c: ContRecord): MessageInitShape<typeof C.PropSchema>[] {
  const out: MessageInitShape<typeof C.PropSchema>[] = [];
  for (const [name, v] of Object.entries(c.props)) out.push({ name, value: String(v), number: typeof v === 'number' ? BigInt(v) : 0n });
  out.push({ name: 'acl', value: '', acl: c.acl }, { name: 'owner', value: c.owner }, { name: 'owner_group', value: c.ownerGroup });
  return out;
}

function attrs(rec: { attrs: Record<string, Buffer> }, names: string[]): MessageInitShape<typeof C.AttrSchema>[] {
  const list = names.length ? names : Object.keys(rec.attrs).sort();
  return list.map((name) => {
    const v = rec.attrs[name];
    if (v === undefined) throw new DaosError(-DER.NONEXIST, `no attribute ${JSON.stringify(name)}`, { hint: 'list the attributes with list-attrs' });
    return { name, value: v };
  });
}

function setAttrs(rec: { attrs: Record<string, Buffer> }, list: { name: string; value: Uint8Array }[]): void {
  for (const a of list) {
    if (!a.name) throw new DaosError(-DER.INVAL, 'an attribute needs a name');
    rec.attrs[a.name] = Buffer.from(a.value);
  }
}

function delAttrs(rec: { attrs: Record<string, Buffer> }, names: string[]): void {
  for (const n of names) {
    if (!(n in rec.attrs)) throw new DaosError(-DER.NONEXIST, `no attribute ${JSON.stringify(n)}`);
    delete rec.attrs[n];
  }
}

function handlers(ps: PoolService): Record<string, Handler> {
  const poolOf = (pool: string, handle: string, write = false) => {
    const p = ps.pool(pool);
    const h = ps.poolHandle(p.uuid, handle);
    if (write && h.capas === Capa.RO) throw new DaosError(-DER.NO_PERM, 'changing pool attributes needs a read-write pool connection', { hint: 'connect to the pool read-write' });
    return p;
  };
  const contOf = (pool: string, handle: string, write = false) => {
    const p = ps.pool(pool);
    const h = ps.contHandle(p.uuid, handle);
    if (write && h.capas !== Capa.RW) throw new DaosError(-DER.NO_PERM, 'the container was opened read-only');
    return { pool: p, cont: ps.cont(p, h.cont) };
  };
  return {
    PoolConnect: (b, cred) => {
      const q = dec(C.PoolConnectReqSchema, b);
      const r = ps.connect(q.pool, q.flags, cred);
      const map = r.pool.poolMap;
      return enc(C.PoolConnectRespSchema, { uuid: r.pool.uuid, label: r.pool.label, handle: r.handle, token: r.token, poolMap: map, mapVersion: r.pool.mapVersion, ranks: ps.rankUris(r.pool), capas: r.capas });
    },
    PoolDisconnect: (b) => {
      const q = dec(C.PoolHandleReqSchema, b);
      ps.disconnect(ps.pool(q.pool).uuid, q.handle);
      return EMPTY;
    },
    PoolQuery: async (b) => {
      const q = dec(C.PoolHandleReqSchema, b);
      const p = poolOf(q.pool, q.handle);
      const info = await ps.query(p.uuid);
      return enc(C.PoolQueryClientRespSchema, { info: poolQueryToProto(info), poolMap: p.poolMap, ranks: ps.rankUris(p) });
    },
    PoolListCont: (b) => {
      const q = dec(C.PoolHandleReqSchema, b);
      const p = poolOf(q.pool, q.handle);
      return enc(C.ContListRespSchema, { conts: ps.conts(p.uuid).map((c) => ({ uuid: c.uuid, label: c.label })) });
    },
    PoolGetProp: (b) => {
      const q = dec(C.PoolHandleReqSchema, b);
      return enc(C.PropRespSchema, { props: propsOfPool(poolOf(q.pool, q.handle)) });
    },
    PoolGetAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      return enc(C.AttrRespSchema, { attrs: attrs(poolOf(q.pool, q.handle), q.names) });
    },
    PoolSetAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      const p = poolOf(q.pool, q.handle, true);
      setAttrs(p, q.attrs);
      ps.poolUpdate(p);
      return EMPTY;
    },
    PoolDelAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      const p = poolOf(q.pool, q.handle, true);
      delAttrs(p, q.names);
      ps.poolUpdate(p);
      return EMPTY;
    },
    ContCreate: (b, cred) => {
      const q = dec(C.ContCreateReqSchema, b);
      const props: Record<string, string | number> = {};
      for (const pr of q.props) props[pr.name] = pr.value;
      const c = ps.contCreate(q.pool, q.handle, q.uuid, q.label, props, cred);
      return enc(C.ContOpenRespSchema, { uuid: c.uuid, label: c.label });
    },
    ContOpen: (b, cred) => {
      const q = dec(C.ContOpenReqSchema, b);
      const r = ps.contOpen(q.pool, q.handle, q.cont, q.flags, cred);
      return enc(C.ContOpenRespSchema, { uuid: r.cont.uuid, label: r.cont.label, handle: r.handle, token: r.token, capas: r.capas });
    },
    ContClose: async (b) => {
      const q = dec(C.ContHandleReqSchema, b);
      await ps.contClose(ps.pool(q.pool).uuid, q.handle);
      return EMPTY;
    },
    ContDestroy: async (b, cred) => {
      const q = dec(C.ContHandleReqSchema, b);
      await ps.contDestroy(q.pool, q.handle, q.cont, q.force, cred);
      return EMPTY;
    },
    ContList: (b) => {
      const q = dec(C.PoolHandleReqSchema, b);
      const p = poolOf(q.pool, q.handle);
      return enc(C.ContListRespSchema, { conts: ps.conts(p.uuid).map((c) => ({ uuid: c.uuid, label: c.label })) });
    },
    ContQuery: (b) => {
      const q = dec(C.ContHandleReqSchema, b);
      const { pool, cont } = contOf(q.pool, q.handle);
      const latest = cont.snapshots.length ? BigInt(cont.snapshots[cont.snapshots.length - 1].epoch) : 0n;
      const nh = ps.conts(pool.uuid).length >= 0 ? ps.contHandlesOf(pool.uuid, cont.uuid).length : 0;
      return enc(C.ContQueryRespSchema, { uuid: cont.uuid, label: cont.label, nsnapshots: BigInt(cont.snapshots.length), latestSnapshot: latest, hae: 0n, props: propsOfCont(cont), nhandles: nh });
    },
    ContSetProp: (b, cred) => {
      const q = dec(C.ContSetPropReqSchema, b);
      ps.contSetProps(q.pool, q.handle, q.props.map((pr) => ({ name: pr.name, value: pr.value, acl: pr.acl })), cred);
      return EMPTY;
    },
    ContGetAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      return enc(C.AttrRespSchema, { attrs: attrs(contOf(q.pool, q.handle).cont, q.names) });
    },
    ContSetAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      const { cont } = contOf(q.pool, q.handle, true);
      setAttrs(cont, q.attrs);
      ps.contUpdate(cont);
      return EMPTY;
    },
    ContDelAttr: (b) => {
      const q = dec(C.AttrReqSchema, b);
      const { cont } = contOf(q.pool, q.handle, true);
      delAttrs(cont, q.names);
      ps.contUpdate(cont);
      return EMPTY;
    },
    ContCreateSnap: (b, _cred, hlc) => {
      const q = dec(C.SnapReqSchema, b);
      const { cont } = contOf(q.pool, q.handle, true);
      return enc(C.SnapRespSchema, { epoch: ps.snapCreate(cont, q.name, hlc) });
    },
    ContListSnaps: (b) => {
      const q = dec(C.SnapReqSchema, b);
      const { cont } = contOf(q.pool, q.handle);
      return enc(C.SnapRespSchema, { epochs: cont.snapshots.map((s) => BigInt(s.epoch)), names: cont.snapshots.map((s) => s.name) });
    },
    ContDestroySnap: (b) => {
      const q = dec(C.SnapReqSchema, b);
      const { cont } = contOf(q.pool, q.handle, true);
      return enc(C.SnapRespSchema, { epoch: ps.snapDestroy(cont, q.epoch, q.name) });
    },
    ContRollback: async (b) => {
      const q = dec(C.SnapReqSchema, b);
      return enc(C.SnapRespSchema, { epoch: await ps.contRollback(q.pool, q.handle, q.name ? { name: q.name } : { epoch: q.epoch }) });
    },
    ContAllocOids: (b) => {
      const q = dec(C.OidAllocReqSchema, b);
      const { cont } = contOf(q.pool, q.handle, true);
      return enc(C.OidAllocRespSchema, { lo: ps.allocOids(cont, q.count) });
    },
  };
}

/** Who the caller is: the credential its agent signed (or digested, insecure). */
export function verifyCaller(srv: ControlServer, credBytes: Uint8Array): Credential {
  if (!credBytes.length) throw new DaosError(-DER.NO_PERM, 'the request carries no credential', { hint: 'send it through daos_agent' });
  let cred;
  try {
    cred = unmarshalCredential(credBytes);
  } catch {
    throw new DaosError(-DER.PROTO, 'undecodable credential');
  }
  const ca = srv.caCertificate;
  let pub = null;
  if (ca) {
    try {
      pub = loadClientCert(srv.cfg.transport.clientCertDir, cred.origin, ca).x509.publicKey;
    } catch (e) {
      throw new DaosError(-DER.NO_PERM, errorMessage(e), { hint: e instanceof Fault ? e.resolution : undefined });
    }
  }
  let sys;
  try {
    sys = verifyCredential(cred, pub);
  } catch (e) {
    throw new DaosError(-DER.NO_PERM, errorMessage(e), { hint: e instanceof Fault ? e.resolution : undefined });
  }
  void SysSchema;
  return { user: sys.user, group: sys.group, groups: sys.groups, machine: sys.machinename };
}

export async function clientCall(srv: ControlServer, req: ClientCallReq): Promise<MessageInitShape<typeof C.ClientCallRespSchema>> {
  try {
    const ps = srv.poolService;
    const h = handlers(ps)[req.method];
    if (!h) throw new DaosError(-DER.NOSYS, `unknown client request ${JSON.stringify(req.method)}`);
    const cred = verifyCaller(srv, req.credential);
    const body = await h(req.body, cred, req.hlc);
    return { status: 0, body, hlc: srv.hlc.now() };
  } catch (e) {
    const de = e instanceof DaosError ? e : new DaosError(-DER.IO, errorMessage(e));
    return { status: de.rc, error: JSON.stringify(de.toJSON()), hlc: srv.hlc.now() };
  }
}

export { isUuid };
