// A real OpenLDAP directory for the LDAP tests: Debian's slapd on 127.0.0.1,
// on free ports, with a generated configuration, CA and entries, in a temp
// folder removed at stop. It speaks only to 127.0.0.1.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createCertificate } from '../../server/init/tls/x509.ts';
import { directoryLdif, ldifOf, SUFFIX, type Entry } from './slapd-entries.ts';
import { tempDir } from './env.ts';

export { SUFFIX, PEOPLE, GROUPS, SERVICE_DN, SERVICE_PASSWORD, USERS, TRICKY_DN } from './slapd-entries.ts';

const SLAPD = '/usr/sbin/slapd';
const LDAPMODIFY = '/usr/bin/ldapmodify';
const ROOT_DN = `cn=root,${SUFFIX}`;
const ROOT_PASSWORD = 'root-secret-for-tests';
const START_MS = 15_000;

/** A running test directory. */
export interface Slapd {
  /** ldap:// URL (StartTLS offered when TLS is on). */
  url: string;
  /** ldaps:// URL (only when TLS is on). */
  ldapsUrl: string;
  /** The PEM file of the CA that signed the server's certificate. */
  caFile: string;
  pid: number;
  /** Applies LDIF change records as the directory's root (with the Relax control, so operational ppolicy attributes may be set). */
  modify(ldif: string): Promise<void>;
  /** Locks an entry with ppolicy's pwdAccountLockedTime: the disabled filter matches it and its bind fails. */
  disable(dn: string): Promise<void>;
  /** Deletes an entry. */
  remove(dn: string): Promise<void>;
  /** Adds (or removes) `memberDn` to the group `cn=<group>` under ou=groups. */
  addToGroup(group: string, memberDn: string): Promise<void>;
  removeFromGroup(group: string, memberDn: string): Promise<void>;
  /** Freezes the process (SIGSTOP): connections are accepted by the kernel but never answered. */
  freeze(): void;
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void;
  /** Kills the process and removes its folder. */
  stop(): Promise<void>;
}

/** Throws a clear error naming the Debian packages when slapd or ldap-utils is not installed; never a silent skip. */
export function requireSlapd(programs = [SLAPD, LDAPMODIFY]): void {
  const missing = programs.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `the LDAP tests need a real OpenLDAP: ${missing.join(', ')} missing; install the Debian packages slapd and ldap-utils (test/run.sh does as root)`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function makeTls(dir: string): { ca: string; cert: string; key: string } {
  const now = Date.now();
  const caKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const caPem = createCertificate({
    subject: { commonName: 'Onsite test directory CA' },
    publicKey: createPublicKey(caKey),
    issuer: { privateKey: caKey },
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    ca: true,
  });
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const pem = createCertificate({
    subject: { commonName: 'localhost' },
    publicKey: createPublicKey(key),
    issuer: { privateKey: caKey, certificate: new X509Certificate(caPem) },
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    ca: false,
    hosts: ['localhost', '127.0.0.1'],
  });
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  writeFileSync(files.ca, caPem);
  writeFileSync(files.cert, pem);
  writeFileSync(files.key, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return files;
}

function slapdConf(dir: string, tls: { ca: string; cert: string; key: string } | undefined): string {
  const schema = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`).join('\n');
  return `${schema}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile ${join(dir, 'slapd.pid')}
argsfile ${join(dir, 'slapd.args')}
${tls ? `TLSCACertificateFile ${tls.ca}\nTLSCertificateFile ${tls.cert}\nTLSCertificateKeyFile ${tls.key}` : ''}
database mdb
maxsize 33554432
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PASSWORD}
directory ${join(dir, 'db')}
index objectClass eq
index uid,mail,cn eq
index member,memberOf eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${SUFFIX}"
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="cn=onsite,ou=service,${SUFFIX}" read
  by self read
  by * none
`;
}

function run(file: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 10_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${file} ${args[0]}: ${err.message} ${stderr}`)) : resolve(),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function waitReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + START_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${output()}`);
    try {
      await run('/usr/bin/ldapwhoami', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-o', 'nettimeout=1']);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`slapd did not answer within ${START_MS} ms: ${output()}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts slapd with the test entries (see slapd-entries.ts). `tls: false`
 * starts it without TLS (no StartTLS, no ldaps://), for the plaintext tests.
 */
export async function startSlapd(options: { tls?: boolean; extra?: Entry[] } = {}): Promise<Slapd> {
  requireSlapd();
  // The ports are free when chosen, but another test process may take one before slapd binds
  // it; slapd then exits at once. Such a start is tried again on new ports, a bounded few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/^slapd exited/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(options: { tls?: boolean; extra?: Entry[] }): Promise<Slapd> {
  const tmp = tempDir('onsite-slapd-');
  mkdirSync(join(tmp.dir, 'db'));
  const tls = options.tls === false ? undefined : makeTls(tmp.dir);
  const conf = join(tmp.dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(tmp.dir, tls));
  const [port, securePort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${securePort}`;
  const listen = tls ? `${url}/ ${ldapsUrl}/` : `${url}/`;
  const child = spawn(SLAPD, ['-d', '0', '-f', conf, '-h', listen], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test process that dies without stop() must not leave a directory running.
  const orphanGuard = () => void child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
    tmp.cleanup();
  };
  const rootArgs = ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-o', 'nettimeout=5'];
  const modify = (ldif: string) => run(LDAPMODIFY, [...rootArgs, '-e', 'relax'], ldif);
  try {
    await waitReady(child, url, () => output);
    await run(LDAPMODIFY, [...rootArgs, '-a'], ldifOf([...directoryLdif(), ...(options.extra ?? [])]));
  } catch (err) {
    await kill();
    throw err;
  }
  const groupDn = (g: string) => `cn=${g},ou=groups,${SUFFIX}`;
  return {
    url,
    ldapsUrl: tls ? ldapsUrl : '',
    caFile: tls ? tls.ca : '',
    pid: child.pid!,
    modify,
    disable: (dn) => modify(`dn: ${dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`),
    remove: (dn) => modify(`dn: ${dn}\nchangetype: delete\n`),
    addToGroup: (g, m) => modify(`dn: ${groupDn(g)}\nchangetype: modify\nadd: member\nmember: ${m}\n`),
    removeFromGroup: (g, m) => modify(`dn: ${groupDn(g)}\nchangetype: modify\ndelete: member\nmember: ${m}\n`),
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    stop: kill,
  };
}
