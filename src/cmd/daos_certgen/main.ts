/**
 * daos_certgen: the DAOS certificate tool. Creates a private CA and the
 * certificates of the roles (admin for dmg, agent for daos_agent, server for
 * daos_server), shows certificates, renews them and installs them on a node.
 */
import fs from 'node:fs';

import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { X509Certificate } from 'node:crypto';
import {
  EXPIRY_WARNING_DAYS,
  ROLES,
  certificateProblems,
  daysLeft,
  readCertificate,
  signedBy,
  type LoadedCert,
  type Role,
} from '../../security/certs.js';
import { securityFaults } from '../../security/faults.js';
import {
  DEFAULT_CA_DAYS,
  DEFAULT_CERT_DAYS,
  caPaths,
  ensureCA,
  KEY_TYPES,
  keyTypeOf,
  type KeyType,
  install,
  installInstructions,
  issue,
  keyUsages,
} from '../../security/certgen.js';
import { Fault, errorMessage } from '../../fault/fault.js';
import { DAOS_VERSION } from '../../version.js';

const EKU_NAMES: Record<string, string> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

function validity(x: X509Certificate, left: number, now = new Date()): string {
  if (new Date(x.validFrom) > now) return 'NOT VALID YET';
  if (new Date(x.validTo) < now) return 'EXPIRED';
  return `${left} days left${left < EXPIRY_WARNING_DAYS ? ', RENEW SOON' : ''}`;
}

function parseRoles(s: string | undefined): Role[] {
  if (!s) return [...ROLES];
  const out: Role[] = [];
  for (const r of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(ROLES as readonly string[]).includes(r)) throw new Error(`unknown role ${JSON.stringify(r)}: use admin, agent or server`);
    out.push(r as Role);
  }
  return out;
}

function days(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 36500) throw new Error(`${flag} must be a number of days between 1 and 36500, not ${JSON.stringify(v)}`);
  return n;
}

function ownerOf(spec: string | undefined): { uid: number; gid: number } | undefined {
  if (!spec) return undefined;
  const [u, g] = spec.split(':');
  const lookup = (file: string, name: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
    if (!line) throw new Error(`no such ${file === '/etc/passwd' ? 'user' : 'group'} ${JSON.stringify(name)}`);
    return Number(line.split(':')[2]);
  };
  const uid = lookup('/etc/passwd', u);
  let gid: number;
  if (g) gid = lookup('/etc/group', g);
  else {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    gid = line ? Number(line.split(':')[3]) : uid;
  }
  return { uid, gid };
}

export async function main(argv = process.argv.slice(2), out = (s: string) => process.stdout.write(s), err = (s: string) => process.stderr.write(s)): Promise<number> {
  process.title = 'daos_certgen';
  let code = 0;
  const program = new Command('daos_certgen').description(
    'Create and manage the DAOS certificates: a private CA, and one certificate per role (admin: dmg, agent: daos_agent, server: daos_server).',
  );

  program
    .command('create')
    .description('Create the CA (unless it exists) and the certificates of the roles (unless they exist)')
    .option('-d, --dir <dir>', 'where to write the CA and certificates', './daosCA')
    .option('-r, --roles <roles>', 'comma-separated roles', 'admin,agent,server')
    .option('--days <n>', 'validity of the role certificates in days', String(DEFAULT_CERT_DAYS))
    .option('--ca-days <n>', 'validity of a new CA in days', String(DEFAULT_CA_DAYS))
    .option('-k, --key-type <type>', 'key type of a new CA, and so of its certificates: ecdsa (P-256, the default) or rsa (4096 bits, as the original made them)')
    .action(async (o: { dir: string; roles: string; days: string; caDays: string; keyType?: string }) => {
      const dir = path.resolve(o.dir);
      if (o.keyType !== undefined && !(KEY_TYPES as readonly string[]).includes(o.keyType)) throw new Error(`--key-type must be one of ${KEY_TYPES.join(', ')}, not ${JSON.stringify(o.keyType)}`);
      const caKey = caPaths(dir).key;
      if (o.keyType !== undefined && fs.existsSync(caKey)) {
        const have = keyTypeOf(fs.readFileSync(caKey, 'utf8'));
        if (have !== o.keyType) throw new Error(`the CA in ${dir} has an ${have} key, and its certificates are ${have} too; for ${o.keyType} certificates create a new CA in another --dir (this one is never replaced)`);
      }
      const ca = await ensureCA(dir, { days: days('--ca-days', o.caDays), keyType: o.keyType as KeyType | undefined });
      out(ca.created ? `Created the DAOS CA in ${dir}\n` : `Using the existing DAOS CA in ${dir} (it is never replaced by this command)\n`);
      for (const role of parseRoles(o.roles)) {
        const r = await issue(dir, role, { days: days('--days', o.days) });
        out(r.created ? `  ${role}: created ${r.cert} and ${r.key}\n` : `  ${role}: ${r.cert} exists; kept (use "daos_certgen renew ${role}" to replace it)\n`);
      }
      out('\n' + installInstructions(dir) + '\n');
    });

  program
    .command('renew')
    .description('Issue new certificates for roles, keeping the old files with a timestamp suffix')
    .argument('<roles>', 'comma-separated roles (admin, agent, server)')
    .option('-d, --dir <dir>', 'the CA directory', './daosCA')
    .option('--days <n>', 'validity in days', String(DEFAULT_CERT_DAYS))
    .action(async (roles: string, o: { dir: string; days: string }) => {
      const dir = path.resolve(o.dir);
      if (!fs.existsSync(caPaths(dir).key)) throw new Error(`no CA in ${dir}; create one with daos_certgen create --dir ${dir}`);
      for (const role of parseRoles(roles)) {
        const r = await issue(dir, role, { days: days('--days', o.days), renew: true });
        out(`  ${role}: created ${r.cert} and ${r.key}${r.archived.length ? ` (previous: ${r.archived.join(', ')})` : ''}\n`);
      }
      out('\nInstall the new files on the nodes and restart the components that use them:\n' + installInstructions(dir) + '\n');
    });

  program
    .command('install')
    .description('Install the files a role needs on this node, with the right modes (run as root)')
    .argument('<role>', 'admin, agent or server')
    .option('-f, --from <dir>', 'the CA directory created by daos_certgen create', './daosCA')
    .option('-t, --to <dir>', 'target directory (transport_config default)', '/etc/daos/certs')
    .option('-o, --owner <user[:group]>', 'owner of the installed files (default: the current user)')
    .action((role: string, o: { from: string; to: string; owner?: string }) => {
      const [r] = parseRoles(role);
      const files = install(path.resolve(o.from), r, path.resolve(o.to), ownerOf(o.owner));
      out(`Installed for ${r}:\n${files.map((f) => `  ${f}\n`).join('')}`);
    });

  program
    .command('show')
    .description(
      'Show certificates (role, issuer, validity, key usage, and whether the CA signed them) and flag what is wrong: expired, not yet valid, expiring within 30 days, not signed by the CA, insecure mode. Exits 1 when anything is wrong.',
    )
    .argument('<files...>', 'certificate files')
    .option('--ca <file>', 'check the signature against this CA certificate')
    .action((files: string[], o: { ca?: string }) => {
      const problems: { file: string; description: string; resolution: string }[] = [];
      const fail = (file: string, e: unknown) => {
        problems.push({ file, description: errorMessage(e), resolution: e instanceof Fault ? e.resolution : '' });
      };
      let ca: LoadedCert | undefined;
      if (o.ca) {
        try {
          ca = readCertificate('CA certificate', o.ca);
          // The CA is shown only through its problems; an expired CA still tells which certificates it signed.
          for (const p of certificateProblems(ca, { what: 'CA certificate' })) problems.push({ file: o.ca, ...p });
          if (!ca.x509.ca) fail(o.ca, securityFaults.notCA(o.ca));
        } catch (e) {
          fail(o.ca, e);
        }
      }
      for (const f of files) {
        let c: LoadedCert & { mode: number };
        try {
          c = readCertificate('certificate', f);
        } catch (e) {
          fail(f, e);
          continue;
        }
        const x = c.x509;
        const left = daysLeft(x);
        const found = certificateProblems(c, { ca });
        out(`${f}:\n`);
        out(`  role (CN):    ${c.commonName || '(none)'}\n`);
        out(`  subject:      ${x.subject.replace(/\n/g, ', ')}\n`);
        out(`  issuer:       ${x.issuer.replace(/\n/g, ', ')}\n`);
        out(`  serial:       ${x.serialNumber}\n`);
        out(`  valid:        ${new Date(x.validFrom).toISOString()} to ${new Date(x.validTo).toISOString()} (${validity(x, left)})\n`);
        out(`  CA:           ${x.ca ? 'yes' : 'no'}\n`);
        const ku = keyUsages(c.pem);
        out(`  key usage:    ${ku.length ? ku.join(', ') : '(none)'}\n`);
        if (x.keyUsage?.length) out(`  ext. usage:   ${x.keyUsage.map((k) => EKU_NAMES[k] ?? k).join(', ')}\n`);
        if (x.subjectAltName) out(`  alt names:    ${x.subjectAltName}\n`);
        if (ca) out(`  signed by CA: ${signedBy(c, ca) ? 'yes' : `NO (not signed by ${o.ca})`}\n`);
        for (const p of found) out(`  PROBLEM:      ${p.description}\n`);
        for (const p of found) problems.push({ file: f, ...p });
      }
      for (const p of problems) {
        err(`ERROR: ${p.description}\n`);
        if (p.resolution) err(`ERROR: resolution: ${p.resolution}\n`);
      }
      if (problems.length) {
        err(`ERROR: daos_certgen show: ${problems.length} problem(s) found\n`);
        code = 1;
      }
    });

  program
    .command('version')
    .description('Print the version')
    .action(() => {
      out(`daos_certgen version ${DAOS_VERSION}\n`);
    });

  program.exitOverride();
  program.configureOutput({ writeOut: out, writeErr: err });
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 1;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : e.exitCode || 1;
    err(`ERROR: daos_certgen: ${errorMessage(e)}\n`);
    if (e instanceof Fault && e.resolution) err(`ERROR: resolution: ${e.resolution}\n`);
    return 1;
  }
}

