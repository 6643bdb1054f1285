/**
 * The README's first set-up command: `npm start` brings up a one-node system
 * on emulated storage without root and shows dmg system query.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, run } from './harness/proc.js';

test('npm start brings up a one-node system and shows it', { timeout: 180_000 }, async () => {
  const r = await run(process.execPath, [path.join(REPO, 'scripts/quickstart.mjs'), '--exit'], { timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /localhost: storage format ok/);
  assert.match(r.stdout, /DAOS I\/O server \(v\d+\.\d+\.\d+\) process \d+ started on rank 0 with 4 target/);
  assert.match(r.stdout, /^0\s+[0-9a-f-]{36}\s+127\.0\.0\.1:\d+\s+\/\S+\s+Joined$/m);
  const dir = /daos-quickstart-\w+/.exec(r.stdout)?.[0];
  assert.ok(dir);
  assert.equal(fs.existsSync(path.join('/tmp', dir)), false, 'temporary directory removed');
});
