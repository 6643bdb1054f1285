/**
 * gRPC channel credentials from a transport_config: plaintext when
 * allow_insecure is set, mutual TLS otherwise. This is the one place where
 * certificates are loaded for the control channels.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { TransportConfig } from '../config/types.js';
import { securityFaults } from './faults.js';

function readPem(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw securityFaults.unreadable(what, file, (e as NodeJS.ErrnoException).code ?? String(e));
  }
}

/** Credentials for a gRPC server (daos_server's control port). */
export function serverCredentials(t: TransportConfig): grpc.ServerCredentials {
  if (t.allowInsecure) return grpc.ServerCredentials.createInsecure();
  const ca = readPem('CA certificate', t.caCert);
  const cert = readPem('certificate', t.cert);
  const key = readPem('private key', t.key);
  return grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], true);
}

export interface ClientTransport {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/** Credentials for a gRPC client (dmg, daos_agent, daos_server calling the MS). */
export function clientCredentials(t: TransportConfig): ClientTransport {
  if (t.allowInsecure) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if (!t.serverName) throw securityFaults.noServerName();
  const ca = readPem('CA certificate', t.caCert);
  const cert = readPem('certificate', t.cert);
  const key = readPem('private key', t.key);
  return {
    credentials: grpc.credentials.createSsl(ca, key, cert),
    // The servers' certificates name the role ("server"), not the host.
    options: { 'grpc.ssl_target_name_override': t.serverName, 'grpc.default_authority': t.serverName },
  };
}
