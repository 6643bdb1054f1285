/**
 * Test doubles of the daos_admin channel.
 */
import { decodeReply, encodeRequest, type AdminMethod, type AdminMethods, type AdminRequest } from './protocol.js';
import { handleRequestText, type AdminHandlerDeps } from './handlers.js';
import { replyResult, type AdminInvoker } from './client.js';

/**
 * Runs requests through the real handlers in this process, with the same
 * JSON encoding both ways as the real channel, so tests exercise the wire
 * format without spawning daos_admin.
 */
export class LoopbackAdminInvoker implements AdminInvoker {
  /** Every request sent, as JSON text. */
  readonly requests: string[] = [];

  constructor(private readonly deps: AdminHandlerDeps) {}

  async invoke<M extends AdminMethod>(method: M, payload: AdminMethods[M]['req']): Promise<AdminMethods[M]['resp']> {
    const text = encodeRequest({ Method: method, Payload: payload } as AdminRequest);
    this.requests.push(text);
    const replyText = JSON.stringify(await handleRequestText(text, this.deps));
    const reply = decodeReply(replyText);
    if (!reply) throw new Error(`loopback: malformed reply ${replyText}`);
    return replyResult(method, reply);
  }
}
