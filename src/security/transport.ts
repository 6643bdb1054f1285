/**
 * gRPC channel credentials from a transport_config: plaintext when
 * allow_insecure is set, mutual TLS otherwise, after every certificate check
 * of certs.ts. This is the one place where the control channels get their
 * certificates.
 */
import net from 'node:net';
import tls from 'node:tls';
import dns from 'node:dns/promises';
import * as grpc from '@grpc/grpc-js';
import type { TransportConfig } from '../config/types.js';
import { loadIdentity, type LoadedIdentity, type Role } from './certs.js';
import { securityFaults } from './faults.js';

export interface ServerTransport {
  credentials: grpc.ServerCredentials;
  identity?: LoadedIdentity;
}

/** Credentials for a gRPC server (daos_server's control port): TLS requiring a client certificate signed by the CA. */
export function serverCredentials(t: TransportConfig, now = new Date()): ServerTransport {
  if (t.allowInsecure) return { credentials: grpc.ServerCredentials.createInsecure() };
  const id = loadIdentity(t, 'server', now);
  return {
    credentials: grpc.ServerCredentials.createSsl(id.ca.pem, [{ private_key: id.keyPem, cert_chain: id.cert.pem }], true),
    identity: id,
  };
}

export interface ClientTransport {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
  identity?: LoadedIdentity;
  insecure: boolean;
  /** The name the server's certificate must carry (transport_config.server_name); unset when insecure. */
  serverName?: string;
}

/** Credentials for a gRPC client presenting the certificate of `role`. */
export function clientCredentials(t: TransportConfig, role: Role, now = new Date()): ClientTransport {
  if (t.allowInsecure) return { credentials: grpc.credentials.createInsecure(), options: {}, insecure: true };
  if (!t.serverName) throw securityFaults.noServerName();
  const id = loadIdentity(t, role, now);
  return {
    credentials: grpc.credentials.createSsl(id.ca.pem, id.keyPem, id.cert.pem),
    // The servers' certificates name their role ("server"), not the host.
    options: { 'grpc.ssl_target_name_override': t.serverName, 'grpc.default_authority': t.serverName },
    identity: id,
    insecure: false,
    serverName: t.serverName,
  };
}

/**
 * Does the server at addr speak TLS? Used to turn a refused connection into
 * "the server requires TLS" / "the server runs insecure" instead of a
 * protocol error. 'unknown' when the probe is inconclusive.
 */
export async function detectServerTransport(addr: string, timeoutMs = 3000): Promise<'tls' | 'plaintext' | 'unknown'> {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  let ip: string;
  try {
    ip = (await dns.lookup(host)).address;
  } catch {
    return 'unknown';
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: 'tls' | 'plaintext' | 'unknown', s?: net.Socket) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s?.destroy();
      resolve(r);
    };
    // A TLS ClientHello: a TLS server answers with a handshake; a plaintext
    // HTTP/2 server answers with a protocol error (or closes).
    const sock = tls.connect({ host: ip, port, servername: 'server', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const timer = setTimeout(() => finish('unknown', sock), timeoutMs);
    sock.once('secureConnect', () => finish('tls', sock));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const m = `${e.code ?? ''} ${e.message}`;
      if (/WRONG_VERSION_NUMBER|packet length too long|record layer failure|ECONNRESET|socket disconnected before secure TLS/i.test(m)) finish('plaintext', sock);
      // The server did its part of the TLS handshake but refused us (no or bad client certificate): it is TLS.
      else if (/alert|certificate|handshake failure/i.test(m)) finish('tls', sock);
      else finish('unknown', sock);
    });
  });
}

const REJECTED_OUR_CERTIFICATE = "the server rejected our certificate (is it signed by the same DAOS CA as the server's?)";

/** Translate a TLS failure reported by grpc-js into the administrator's terms. */
export function describeTlsError(details: string): string | undefined {
  const d = details.toLowerCase();
  if (/unknown ca|alert bad certificate|certificate required|alert certificate unknown|alert handshake failure/.test(d)) {
    return REJECTED_OUR_CERTIFICATE;
  }
  if (/self[- ]signed|unable to verify|unable to get (local )?issuer|certificate signature failure|verify failed/.test(d)) {
    return "the server's certificate is not signed by our CA (install the DAOS CA that signed it as transport_config.ca_cert)";
  }
  if (/certificate has expired|certificate expired/.test(d)) return "a certificate has expired (check both ends with daos_certgen show)";
  if (/not yet valid/.test(d)) return 'a certificate is not valid yet (check the clocks of both hosts)';
  if (/hostname|altnames|does not match/.test(d)) return "the server's certificate is not for the name in transport_config.server_name (expected the server certificate)";
  return undefined;
}

/**
 * Complete a TLS handshake with the server at addr as a gRPC channel of `t`
 * would (our CA, our certificate, the server name), then wait for the
 * server's first HTTP/2 frame. NB: with TLS 1.3 the server checks the client
 * certificate after the client considers the handshake done, so only the
 * server's next message (a SETTINGS frame, or an alert) says whether it
 * accepted us. Resolves undefined when it did or when the probe is
 * inconclusive (timeout), else the reason in the administrator's terms.
 */
export async function checkTlsHandshake(addr: string, t: ClientTransport, timeoutMs = 3000): Promise<string | undefined> {
  const id = t.identity;
  if (t.insecure || !id) return undefined;
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  let ip: string;
  try {
    ip = (await dns.lookup(host)).address;
  } catch {
    return undefined;
  }
  const serverName = t.serverName || 'server';
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = tls.connect({
      host: ip,
      port,
      ca: id.ca.pem,
      cert: id.cert.pem,
      key: id.keyPem,
      servername: serverName,
      ALPNProtocols: ['h2'],
      // The servers' certificates name their role ("server"), not the host (as grpc.ssl_target_name_override).
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(serverName, cert),
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    let secured = false;
    sock.once('secureConnect', () => {
      secured = true;
      // The HTTP/2 client preface and an empty SETTINGS frame: a server that accepted us answers with its SETTINGS.
      sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    sock.once('data', () => finish(undefined));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const m = `${e.code ?? ''} ${e.message}`;
      finish(describeTlsError(m) ?? e.message);
    });
    // NB: a server refusing our certificate closes the connection once the handshake is done, without an alert Node reports.
    sock.once('close', () =>
      finish(secured ? REJECTED_OUR_CERTIFICATE : 'the server closed the connection during the TLS handshake'),
    );
  });
}
