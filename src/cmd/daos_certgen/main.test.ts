/**
 * daos_certgen show: every certificate is displayed (dates, CN, issuer, key
 * usage), whatever is wrong with it is flagged with its fix, and the exit
 * status is 1 when anything was.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './main.js';
import { caPaths, ensureCA, issue, rolePaths } from '../../security/certgen.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function certgen(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => {
      out += s;
      return true;
    },
    (s) => {
      err += s;
      return true;
    },
  );
  return { code, out, err };
}

const DAY = 86_400_000;

test('show: every certificate displayed, its problems flagged with their fix, exit 1 when any', { timeout: 60_000 }, async () => {
  const ours = fs.mkdtempSync(path.join(os.tmpdir(), 'certgen-show-'));
  const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'certgen-show-'));
  dirs.push(ours, theirs);
  await ensureCA(ours);
  await ensureCA(theirs);
  // One directory per certificate, so each keeps its own validity.
  const cert = async (name: string, opts: { days?: number; now?: Date; from?: string }) => {
    const from = opts.from ?? ours;
    await issue(from, 'admin', { renew: true, days: opts.days, now: opts.now });
    const file = path.join(ours, `${name}.crt`);
    fs.copyFileSync(rolePaths(from, 'admin').cert, file);
    fs.chmodSync(file, 0o644);
    return file;
  };
  const good = await cert('good', {});
  const expired = await cert('expired', { days: 1, now: new Date(Date.now() - 5 * DAY) });
  const future = await cert('future', { now: new Date(Date.now() + 5 * DAY) });
  const soon = await cert('soon', { days: 10 });
  const foreign = await cert('foreign', { from: theirs });
  const writable = await cert('writable', {});
  fs.chmodSync(writable, 0o666);
  const ca = caPaths(ours).cert;

  const cases: Record<string, { file: string; shows: RegExp[]; problem?: RegExp; fix?: RegExp }> = {
    'a good certificate': { file: good, shows: [/signed by CA: yes/, /\(\d+ days left\)/] },
    'an expired certificate is shown with its dates': {
      file: expired,
      shows: [/valid: +\S+ to \S+ \(EXPIRED\)/, /signed by CA: yes/],
      problem: /expired\.crt expired on /,
      fix: /daos_certgen renew/,
    },
    'a certificate not valid yet': { file: future, shows: [/\(NOT VALID YET\)/], problem: /future\.crt is not valid before /, fix: /clock/ },
    'a certificate expiring within 30 days': { file: soon, shows: [/\(9 days left, RENEW SOON\)/], problem: /soon\.crt \(admin\) expires in 9 day\(s\)/, fix: /daos_certgen renew admin/ },
    'a certificate of another CA': { file: foreign, shows: [/signed by CA: NO \(not signed by /], problem: /foreign\.crt is not signed by the CA in /, fix: /same DAOS CA/ },
    'a certificate others may change': { file: writable, shows: [/signed by CA: yes/], problem: /writable\.crt has insecure permissions 0666/, fix: /chmod go-w/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const r = await certgen(['show', '--ca', ca, tc.file]);
    assert.match(r.out, new RegExp(`^${tc.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\n`), `${name}: the certificate is shown`);
    for (const re of [/role \(CN\): +admin/, /issuer: +O=DAOS, CN=DAOS CA/, /valid: +\d{4}-\d\d-\d\dT\S+ to \d{4}-/, /key usage: +digitalSignature, keyEncipherment/, /ext\. usage: +clientAuth/, ...tc.shows]) {
      assert.match(r.out, re, name);
    }
    if (!tc.problem) {
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      assert.equal(r.err, '', name);
      assert.doesNotMatch(r.out, /PROBLEM/, name);
      continue;
    }
    assert.equal(r.code, 1, name);
    assert.match(r.out, new RegExp(`PROBLEM: +.*${tc.problem.source}`), name);
    assert.match(r.err, new RegExp(`ERROR: .*${tc.problem.source}`), name);
    assert.match(r.err, new RegExp(`ERROR: resolution: .*${tc.fix!.source}`), name);
    assert.match(r.err, /ERROR: daos_certgen show: 1 problem\(s\) found/, name);
  }

  const all = await certgen(['show', '--ca', ca, good, expired, foreign, path.join(ours, 'missing.crt')]);
  assert.equal(all.code, 1);
  assert.equal(all.out.match(/^\S+\.crt:$/gm)?.length, 3, 'every readable certificate is shown, the bad ones too');
  assert.match(all.err, /could not load the certificate .*missing\.crt: no such file/);
  assert.match(all.err, /3 problem\(s\) found/);

  // An expired CA still tells which certificates it signed, and is flagged.
  const oldCA = fs.mkdtempSync(path.join(os.tmpdir(), 'certgen-show-'));
  dirs.push(oldCA);
  await ensureCA(oldCA, { days: 1, now: new Date(Date.now() - 5 * DAY) });
  await issue(oldCA, 'admin', { days: 1, now: new Date(Date.now() - 5 * DAY) });
  const r = await certgen(['show', '--ca', caPaths(oldCA).cert, rolePaths(oldCA, 'admin').cert]);
  assert.equal(r.code, 1);
  assert.match(r.out, /signed by CA: yes/);
  assert.match(r.err, /the CA certificate .*daosCA\.crt expired on /);
});

test("create --key-type: a bad type, or one other than the existing CA's, is refused and nothing is written", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certgen-kt-'));
  dirs.push(dir);
  const ca = path.join(dir, 'ca');
  const bad = await certgen(['create', '--dir', ca, '--key-type', 'dsa']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--key-type must be one of ecdsa, rsa, not "dsa"/);
  assert.equal(fs.existsSync(ca), false, 'nothing created');
  assert.equal((await certgen(['create', '--dir', ca])).code, 0);
  const before = fs.readFileSync(caPaths(ca).cert);
  const other = await certgen(['create', '--dir', ca, '--key-type', 'rsa']);
  assert.equal(other.code, 1);
  assert.match(other.err, /has an ecdsa key.*create a new CA in another --dir/);
  assert.deepEqual(fs.readFileSync(caPaths(ca).cert), before, 'the CA is unchanged');
  assert.equal((await certgen(['create', '--dir', ca, '--key-type', 'ecdsa'])).code, 0, 'the same type is fine');
});
