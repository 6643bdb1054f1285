/**
 * Connections from this I/O server to the others (forwarding to replicas,
 * DTX commit and check), one per peer address, reopened when lost.
 */
import { RpcConnection, type MessageClock } from '../rpc/conn.js';
import { DaosError, DER } from '../daos/errors.js';

/** `ofi+tcp://10.0.0.1:31416` → host and port. */
export function parseUri(uri: string): { host: string; port: number } {
  const m = /^[^:]+:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(uri);
  if (!m) throw new DaosError(-DER.INVAL, `bad fabric address ${JSON.stringify(uri)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export class Peers {
  private readonly conns = new Map<string, Promise<RpcConnection>>();

  constructor(private readonly clock: MessageClock) {}

  conn(uri: string): Promise<RpcConnection> {
    let p = this.conns.get(uri);
    if (!p) {
      const { host, port } = parseUri(uri);
      p = RpcConnection.connect(host, port, this.clock, { timeoutMs: 5000 });
      this.conns.set(uri, p);
      p.then(
        (c) => c.onClose(() => this.conns.delete(uri)),
        () => this.conns.delete(uri),
      );
    }
    return p;
  }

  close(): void {
    for (const p of this.conns.values()) p.then((c) => c.close(), () => undefined);
    this.conns.clear();
  }
}
