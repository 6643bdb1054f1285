import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandNotFoundError, CommandTimeoutError, ExecCommandRunner, ScriptedRunner } from './runner.js';

const real = new ExecCommandRunner();

test('ExecCommandRunner: exit status and output of a command that ran', async () => {
  assert.deepEqual(await real.run('sh', ['-c', 'echo out; echo err >&2; exit 3']), { code: 3, stdout: 'out\n', stderr: 'err\n' });
  assert.deepEqual(await real.run('true', []), { code: 0, stdout: '', stderr: '' });
});

test('ExecCommandRunner: environment is inherited, extended, and in the C locale', async () => {
  const r = await real.run('sh', ['-c', 'echo "$LC_ALL $EXTRA"'], { env: { EXTRA: 'x=1' } });
  assert.equal(r.stdout, 'C x=1\n');
});

test('ExecCommandRunner: stdin is closed so a prompting tool gets EOF instead of hanging', async () => {
  const r = await real.run('sh', ['-c', 'read answer; echo "got:$answer:$?"'], { timeoutMs: 5000 });
  assert.equal(r.stdout, 'got::1\n');
});

test('ExecCommandRunner: a command that runs too long is killed', async () => {
  const t0 = Date.now();
  await assert.rejects(real.run('sleep', ['30'], { timeoutMs: 200 }), (e: unknown) => e instanceof CommandTimeoutError && e.timeoutMs === 200);
  assert.ok(Date.now() - t0 < 10_000);
});

test('ExecCommandRunner: a timeout also kills what the command started, and answers at once', async () => {
  const t0 = Date.now();
  await assert.rejects(real.run('sh', ['-c', 'sleep 30 & sleep 30'], { timeoutMs: 200 }), CommandTimeoutError);
  assert.ok(Date.now() - t0 < 5_000, `answered after ${Date.now() - t0} ms`);
});

test('ExecCommandRunner: a command killed by a signal reports 128+n', async () => {
  assert.equal((await real.run('sh', ['-c', 'kill -9 $$'])).code, 137);
});

test('ExecCommandRunner: a missing command', async () => {
  await assert.rejects(real.run('no-such-tool-daos', []), CommandNotFoundError);
  assert.equal(await real.which('no-such-tool-daos'), undefined);
  assert.match((await real.which('sh')) ?? '', /\/sh$/);
});

test('ExecCommandRunner.which searches the sbin directories even when PATH lacks them', async () => {
  const r = new ExecCommandRunner('/nonexistent');
  assert.ok(await r.which('sh'));
});

test('ScriptedRunner replays a script and reports the first divergence', async () => {
  const r = new ScriptedRunner([
    { cmd: 'ipmctl', args: ['show', '-region'], result: { stdout: 'x' } },
    { cmd: 'ndctl', result: (args) => ({ code: args.length }) },
  ]);
  assert.deepEqual(await r.run('ipmctl', ['show', '-region']), { code: 0, stdout: 'x', stderr: '' });
  assert.equal((await r.run('ndctl', ['a', 'b'])).code, 2);
  await assert.rejects(r.run('mount', []), /script exhausted/);
  const r2 = new ScriptedRunner([{ cmd: 'umount', args: ['/a'] }]);
  await assert.rejects(r2.run('umount', ['/b']), /unexpected command "umount \/b", want "umount \/a"/);
  const r3 = new ScriptedRunner([], ['mount']);
  assert.equal(await r3.which('ndctl'), undefined);
  await assert.rejects(r3.run('ndctl', []), CommandNotFoundError);
  assert.deepEqual(r.calls, ['ipmctl show -region', 'ndctl a b', 'mount']);
});
