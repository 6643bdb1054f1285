/** The control log file: the original's text lines, or JSON lines with control_log_json. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSink, Logger } from './logger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daos-logger-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('file sink: one text line per message line', () => {
  const file = path.join(dir, 'text.log');
  const sink = new FileSink(file);
  new Logger([{ sink, level: 'info' }]).info('a\nb');
  sink.close();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, new RegExp(`^${os.hostname()} INFO \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d a$`));
});

test('file sink with json (control_log_json): one JSON object per message', () => {
  const file = path.join(dir, 'json.log');
  const sink = new FileSink(file, { json: true });
  const log = new Logger([{ sink, level: 'info' }]);
  log.info('listening on 0.0.0.0:10001');
  log.error('two\nlines');
  log.debug('not at info');
  sink.close();
  const docs = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  assert.deepEqual(docs.map((d) => [d.host, d.level, d.message]), [
    [os.hostname(), 'info', 'listening on 0.0.0.0:10001'],
    [os.hostname(), 'error', 'two\nlines'],
  ]);
  assert.ok(!Number.isNaN(Date.parse(docs[0]!.time!)));
});
