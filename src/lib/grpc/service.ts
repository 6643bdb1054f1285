/**
 * Glue between protobuf-es generated service descriptors and @grpc/grpc-js:
 * service definitions, typed server implementations with fault propagation
 * and an authorization hook, and a typed client.
 *
 * Written by hand because protobuf-es targets Connect, not grpc-js, and the
 * glue is small; the generated code itself is never edited.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { Fault, errorMessage } from '../../fault/fault.js';
import { describeTlsError } from '../../security/transport.js';

// grpc-js prints its own errors on stderr ("E No address added..."); our
// callers report failures themselves, with a resolution.
grpc.setLogVerbosity(grpc.logVerbosity.NONE);

/** Metadata key carrying a serialized Fault in error trailers. */
export const FAULT_METADATA_KEY = 'daos-fault';

type MethodShape = Pick<GenServiceMethods[string], 'input' | 'output' | 'methodKind'>;

export interface CallContext {
  /** Full method path, e.g. /ctl.MgmtCtl/StorageScan. */
  readonly method: string;
  /** Peer address as `ip:port` (IPv6 in brackets). */
  readonly peer: string;
  /** The peer certificate's common name when the channel is mutual TLS. */
  readonly peerCN?: string;
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly metadata: grpc.Metadata;
}

type UnaryImpl<M extends MethodShape> = (
  req: MessageShape<M['input']>,
  ctx: CallContext,
) => Promise<MessageInitShape<M['output']>>;

type ServerStreamImpl<M extends MethodShape> = (
  req: MessageShape<M['input']>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<M['output']>>;

type MethodImpl<M extends MethodShape> = M['methodKind'] extends 'unary'
  ? UnaryImpl<M>
  : M['methodKind'] extends 'server_streaming'
    ? ServerStreamImpl<M>
    : never;

export type ServiceImpl<S extends GenService<GenServiceMethods>> = {
  [K in keyof S['method']]: MethodImpl<S['method'][K]>;
};

/**
 * Called before every handler; throw a Fault to refuse the call. This is the
 * seam where certificate role checks plug in.
 */
export type Authorizer = (ctx: CallContext) => void;

export function serviceDefinition(svc: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methods) {
    def[m.localName] = {
      path: `/${svc.typeName}/${m.name}`,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: (msg: unknown) => Buffer.from(toBinary(m.input, msg as never)),
      requestDeserialize: (buf: Buffer) => fromBinary(m.input, buf),
      responseSerialize: (msg: unknown) => Buffer.from(toBinary(m.output, msg as never)),
      responseDeserialize: (buf: Buffer) => fromBinary(m.output, buf),
    };
  }
  return def as grpc.ServiceDefinition;
}

/** Convert a thrown value into a gRPC error whose trailers carry the fault. */
export function toServiceError(e: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (e instanceof Fault) {
    metadata.set(FAULT_METADATA_KEY, e.toWire());
    return { code: grpc.status.FAILED_PRECONDITION, details: e.description, metadata };
  }
  if (e instanceof Error && e.name === 'AbortError') {
    return { code: grpc.status.CANCELLED, details: e.message, metadata };
  }
  return { code: grpc.status.UNKNOWN, details: errorMessage(e), metadata };
}

function commonName(cert: unknown): string | undefined {
  const subject = (cert as { subject?: { CN?: string | string[] } } | undefined)?.subject;
  const cn = subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

function callContext(
  method: string,
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
): CallContext {
  const ac = new AbortController();
  call.on('cancelled', () => ac.abort(new Error('call cancelled by the client')));
  let peerCN: string | undefined;
  try {
    peerCN = commonName(call.getAuthContext?.().sslPeerCertificate);
  } catch {
    peerCN = undefined;
  }
  return { method, peer: call.getPeer(), peerCN, signal: ac.signal, metadata: call.metadata };
}

/** Build a grpc-js implementation of a service from typed async handlers. */
export function implement<S extends GenService<GenServiceMethods>>(
  svc: S,
  impl: ServiceImpl<S>,
  authorize?: Authorizer,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  const handlers = impl as Record<string, (req: unknown, ctx: CallContext) => unknown>;
  for (const m of (svc as unknown as DescService).methods) {
    const path = `/${svc.typeName}/${m.name}`;
    const fn = handlers[m.localName];
    if (typeof fn !== 'function') {
      throw new Error(`no handler for ${path}`);
    }
    if (m.methodKind === 'unary') {
      out[m.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const ctx = callContext(path, call);
        (async () => {
          authorize?.(ctx);
          const resp = await (fn.call(impl, call.request, ctx) as Promise<object>);
          return create(m.output, resp as never);
        })().then(
          (resp) => cb(null, resp),
          (e) => cb(toServiceError(e) as grpc.ServiceError),
        );
      };
    } else if (m.methodKind === 'server_streaming') {
      out[m.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const ctx = callContext(path, call);
        (async () => {
          authorize?.(ctx);
          for await (const msg of fn.call(impl, call.request, ctx) as AsyncIterable<object>) {
            if (ctx.signal.aborted) break;
            call.write(create(m.output, msg as never));
          }
        })().then(
          () => call.end(),
          (e) => call.emit('error', Object.assign(new Error(errorMessage(e)), toServiceError(e))),
        );
      };
    } else {
      throw new Error(`unsupported method kind ${m.methodKind} for ${path}`);
    }
  }
  return out;
}

/**
 * A gRPC call that failed below the application: no connection, no answer in
 * time, or an error the server sent as plain text. `message` is written for
 * a person (`cannot connect to node1:10001: connection refused`); `code` and
 * `details` keep grpc-js's status and text for code that needs them.
 * NB: grpc-js's own text ("14 UNAVAILABLE: No connection established. Last
 * error: ... Resolution note:") never reaches an administrator.
 */
export class GrpcCallError extends Error {
  readonly code: number;
  readonly details: string;
  readonly address: string;
  /** The plain reason without the address, e.g. `connection refused`. */
  readonly reason: string;
  /** True when the server was not reached or did not answer (as opposed to answering with an error). */
  readonly transport: boolean;

  constructor(init: { code: number; details: string; address: string; reason: string; transport: boolean; message: string; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GrpcCallError';
    this.code = init.code;
    this.details = init.details;
    this.address = init.address;
    this.reason = init.reason;
    this.transport = init.transport;
  }
}

/** Why a connection failed, in plain words, from grpc-js's status details. */
export function connectionReason(details: string): string {
  const tls = describeTlsError(details);
  if (tls) return `TLS handshake failed: ${tls}`;
  const d = details;
  if (/ECONNREFUSED/.test(d)) return 'connection refused (is daos_server running and listening on this port?)';
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|Name resolution failed|DNS resolution failed/i.test(d)) return 'unknown host (name does not resolve)';
  if (/EHOSTUNREACH|ENETUNREACH/.test(d)) return 'host unreachable';
  if (/ETIMEDOUT|timed out/i.test(d)) return 'connection timed out';
  if (/ECONNRESET|EPIPE|Connection dropped|socket hang up|Connection closed|GOAWAY/i.test(d)) return 'the connection was lost';
  if (/wrong version number|packet length too long|http2|protocol error/i.test(d)) {
    return 'the server speaks another transport (TLS on one side only? check transport_config.allow_insecure on both ends)';
  }
  // E.g. "No connection established. Last error: null": the attempt had not finished yet.
  return 'no connection could be established';
}

/** Plain text of a gRPC client error that carries no fault. */
export function describeCallError(e: unknown, address: string): GrpcCallError | undefined {
  // NB: a Fault has a numeric code too (its fault code): it is never a gRPC status.
  if (e instanceof Fault) return undefined;
  const se = e as Partial<grpc.ServiceError>;
  if (typeof se.code !== 'number' || se.code === grpc.status.OK || grpc.status[se.code] === undefined) return undefined;
  const details = typeof se.details === 'string' ? se.details : '';
  let reason: string;
  let message: string;
  let transport = true;
  switch (se.code) {
    case grpc.status.UNAVAILABLE:
      reason = connectionReason(details);
      message = `cannot connect to ${address}: ${reason}`;
      break;
    case grpc.status.DEADLINE_EXCEEDED:
      reason = 'no answer before the deadline';
      message = `no answer from ${address} before the deadline`;
      break;
    case grpc.status.CANCELLED:
      reason = 'request cancelled';
      message = `request to ${address} cancelled`;
      break;
    case grpc.status.UNIMPLEMENTED:
      reason = 'the server does not know this request (is it an older version?)';
      message = `${address}: ${reason}`;
      transport = false;
      break;
    default:
      // The server answered with an error of its own: its text is the message.
      reason = details || grpc.status[se.code] || String(se.code);
      message = reason;
      transport = false;
  }
  return new GrpcCallError({ code: se.code, details, address, reason, transport, message, cause: e });
}

/** Rebuild the fault carried by a gRPC error, or describe the error in plain words. */
export function fromServiceError(e: unknown, address = 'the server'): Error {
  const se = e as Partial<grpc.ServiceError>;
  const md = se.metadata;
  if (md instanceof grpc.Metadata) {
    const v = md.get(FAULT_METADATA_KEY)[0];
    if (typeof v === 'string') {
      const f = Fault.fromWire(v);
      if (f) return f;
    }
  }
  const plain = describeCallError(e, address);
  if (plain) return plain;
  if (e instanceof Error) return e;
  return new Error(String(e));
}

/** The plain reason of a transport failure (not reached, no answer), or undefined for any other error. */
export function transportFailure(e: unknown): string | undefined {
  return e instanceof GrpcCallError && e.transport ? e.reason : undefined;
}

export interface CallOptions {
  /** Absolute deadline. */
  deadline?: Date;
  signal?: AbortSignal;
  /** Extra request metadata (key → value). */
  metadata?: Record<string, string>;
}

function requestMetadata(opts: CallOptions): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  return md;
}

/** A typed client for one service over one grpc-js channel. */
export class ServiceClient<S extends GenService<GenServiceMethods>> {
  private readonly client: grpc.Client;
  readonly address: string;
  private readonly paths = new Map<string, { path: string; input: DescMessage; output: DescMessage }>();

  constructor(
    readonly svc: S,
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions = {},
  ) {
    this.client = new grpc.Client(address, credentials, options);
    this.address = address;
    for (const m of (svc as unknown as DescService).methods) {
      this.paths.set(m.localName, { path: `/${svc.typeName}/${m.name}`, input: m.input, output: m.output });
    }
  }

  private lookup(name: string): { path: string; input: DescMessage; output: DescMessage } {
    const p = this.paths.get(name);
    if (!p) throw new Error(`unknown method ${name} of ${this.svc.typeName}`);
    return p;
  }

  unary<K extends keyof S['method'] & string>(
    name: K,
    req: MessageInitShape<S['method'][K]['input']>,
    opts: CallOptions = {},
  ): Promise<MessageShape<S['method'][K]['output']>> {
    const { path, input, output } = this.lookup(name);
    const msg = create(input, req as never);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        path,
        (m: unknown) => Buffer.from(toBinary(input, m as never)),
        (b: Buffer) => fromBinary(output, b),
        msg,
        requestMetadata(opts),
        { deadline: opts.deadline ?? Infinity },
        (err, resp) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (err) reject(fromServiceError(err, this.address));
          else resolve(resp as MessageShape<S['method'][K]['output']>);
        },
      );
      const onAbort = (): void => call.cancel();
      if (opts.signal?.aborted) call.cancel();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async *serverStream<K extends keyof S['method'] & string>(
    name: K,
    req: MessageInitShape<S['method'][K]['input']>,
    opts: CallOptions = {},
  ): AsyncGenerator<MessageShape<S['method'][K]['output']>> {
    const { path, input, output } = this.lookup(name);
    const msg = create(input, req as never);
    const call = this.client.makeServerStreamRequest(
      path,
      (m: unknown) => Buffer.from(toBinary(input, m as never)),
      (b: Buffer) => fromBinary(output, b),
      msg,
      requestMetadata(opts),
      { deadline: opts.deadline ?? Infinity },
    );
    const onAbort = (): void => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const m of call) {
        yield m as MessageShape<S['method'][K]['output']>;
      }
    } catch (e) {
      throw fromServiceError(e, this.address);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Wait until the channel is connected or the deadline passes. */
  waitForReady(deadline: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(deadline, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.client.close();
  }
}
