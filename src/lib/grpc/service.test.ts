/**
 * gRPC client errors reach people in plain words: no "14 UNAVAILABLE: No
 * connection established ... Resolution note:", no "2 UNKNOWN:" prefix;
 * faults still survive the wire as faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { DescService } from '@bufbuild/protobuf';
import { MgmtCtl } from '../../proto/ctl/control_pb.js';
import { Fault } from '../../fault/fault.js';
import { GrpcCallError, ServiceClient, connectionReason, describeCallError, implement, serviceDefinition, transportFailure, type ServiceImpl } from './service.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const RAW_GRPC = /UNAVAILABLE|UNKNOWN|No connection established|Resolution note|Last error/;

test('connection refused: plain words naming the address', async () => {
  const port = await freePort();
  const c = new ServiceClient(MgmtCtl, `127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const e = await c.unary('systemQuery', {}, { deadline: new Date(Date.now() + 10_000) }).then(
      () => assert.fail('answered'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof GrpcCallError);
    assert.equal(e.code, 14);
    assert.match(e.message, new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
    assert.doesNotMatch(e.message, RAW_GRPC);
    assert.match(transportFailure(e) ?? '', /^connection refused/);
  } finally {
    c.close();
  }
});

test('a server error arrives as its own text; a fault as the same fault', async () => {
  const handlers: Record<string, unknown> = {};
  for (const m of (MgmtCtl as unknown as DescService).methods) {
    handlers[m.localName] =
      m.methodKind === 'unary'
        ? async () => {
            if (m.localName === 'systemStop') throw new Fault({ domain: 'system', code: 506, description: 'the management service is not running', resolution: 'format' });
            throw new Error('cannot reach the management service: connection refused');
          }
        : async function* () {
            yield* [];
          };
  }
  const server = new grpc.Server();
  server.addService(serviceDefinition(MgmtCtl), implement(MgmtCtl, handlers as ServiceImpl<typeof MgmtCtl>));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const c = new ServiceClient(MgmtCtl, `127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const deadline = () => ({ deadline: new Date(Date.now() + 10_000) });
    const plain = await c.unary('systemQuery', {}, deadline()).then(() => undefined, (x: unknown) => x);
    assert.ok(plain instanceof GrpcCallError);
    assert.equal(plain.message, 'cannot reach the management service: connection refused');
    assert.equal(transportFailure(plain), undefined, 'the server answered: not a transport failure');
    const f = await c.unary('systemStop', {}, deadline()).then(() => undefined, (x: unknown) => x);
    assert.ok(f instanceof Fault);
    assert.equal(f.code, 506);
  } finally {
    c.close();
    server.forceShutdown();
  }
});

const reasons: Record<string, RegExp> = {
  'No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:10001. Resolution note: ': /^connection refused/,
  'Name resolution failed for target dns:no-such-host.invalid:10001': /^unknown host/,
  'No connection established. Last error: Error: getaddrinfo ENOTFOUND node9': /^unknown host/,
  'No connection established. Last error: Error: connect EHOSTUNREACH 10.0.0.9:10001': /^host unreachable/,
  'Connection dropped': /^the connection was lost/,
  'No connection established. Last error: Error: 140:error:0A00010B:SSL routines::wrong version number': /another transport/,
};
for (const [details, want] of Object.entries(reasons)) {
  test(`connection reason: ${details.slice(0, 60)}`, () => {
    const r = connectionReason(details);
    assert.match(r, want);
    assert.doesNotMatch(r, RAW_GRPC);
  });
}

test('a fault is never mistaken for a gRPC status (its code is a fault code)', () => {
  const f = new Fault({ domain: 'server', code: 611, description: 'cannot format storage with running I/O server instances', resolution: 'stop them' });
  assert.equal(describeCallError(f, 'node1:10001'), undefined);
  assert.equal(describeCallError(Object.assign(new Error('x'), { code: 611 }), 'node1:10001'), undefined);
});
