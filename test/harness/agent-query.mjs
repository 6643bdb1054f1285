#!/usr/bin/env node
// Ask a daos_agent for attach info the way the client library does, and print
// it as JSON. Used by tests that run it on a test host (network namespace).
//   agent-query.mjs <agent runtime dir>
import { AgentClient } from '../../dist/src/client/agent.js';

const c = await AgentClient.connect(`${process.argv[2]}/agent.sock`);
try {
  process.stdout.write(JSON.stringify(await c.getAttachInfo()) + '\n');
} finally {
  c.close();
}
