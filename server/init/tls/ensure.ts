import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AppError } from '../../kernel/errors.ts';
import { chownIf, exists, writeFileAtomic, type Owner } from '../files.ts';
import { createCertificate } from './x509.ts';

/** The bundle folder's TLS files, mounted read-only into the server container. */
export const TLS_DIR = 'tls';
/**
 * The group the server process runs as in the onsite image
 * (bundle/images/onsite.Dockerfile): it must read server.key through the
 * read-only ./tls mount, while the key stays closed to everyone else.
 */
export const SERVER_GID = 10001;

const CA_YEARS = 10;
// 825 days: the longest validity Apple platforms accept for a TLS server certificate.
const SERVER_DAYS = 825;
const HOUR = 3_600_000;

/** What the TLS step did. */
export interface TlsResult {
  created: string[];
  kept: string[];
  /** Names and addresses the server certificate covers (when init made it) or was asked to cover. */
  hosts: string[];
  /** Requested names the kept server certificate does not cover. */
  uncovered: string[];
  /** SHA-256 fingerprint of the local CA, for checking it where it is installed as trusted. */
  caFingerprint?: string;
  warnings: string[];
}

const covers = (cert: X509Certificate, host: string) => (isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined);

async function loadPair(dir: string, name: string): Promise<{ cert: X509Certificate; key: KeyObject } | 'none'> {
  const crt = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const [hasCrt, hasKey] = [await exists(crt), await exists(keyPath)];
  if (!hasCrt && !hasKey) return 'none';
  if (hasCrt !== hasKey) {
    const [present, absent] = hasCrt ? [`${name}.crt`, `${name}.key`] : [`${name}.key`, `${name}.crt`];
    throw new AppError('tls_invalid', `${TLS_DIR}/${present} exists without ${TLS_DIR}/${absent}: restore it, or delete both to have init make new ones`);
  }
  try {
    const cert = new X509Certificate(await readFile(crt));
    const key = createPrivateKey(await readFile(keyPath));
    if (!cert.checkPrivateKey(key)) throw new Error('the key does not belong to the certificate');
    return { cert, key };
  } catch (err) {
    throw new AppError('tls_invalid', `${TLS_DIR}/${name}.crt and ${name}.key: ${(err as Error).message}; fix them or delete both to have init make new ones`);
  }
}

/**
 * Checks the TLS files already in the bundle folder without changing them:
 * each pair complete, each key matching its certificate. Throws
 * {@link AppError} `tls_invalid`; lets init refuse before its first change.
 */
export async function checkTlsFiles(bundleDir: string): Promise<void> {
  await loadPair(join(bundleDir, TLS_DIR), 'ca');
  await loadPair(join(bundleDir, TLS_DIR), 'server');
}

const newKey = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
const keyPem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/**
 * Makes sure `<bundle>/tls` holds a local CA (ca.crt, ca.key) and a server
 * certificate it signed (server.crt, server.key) for `hosts`. Existing
 * files are kept, never replaced: a kept server certificate that lacks a
 * requested name is reported, not reissued. Files are owned by `owner` when
 * given; ca.key is mode 0600; server.key is 0640 with group `keyGroup` (the
 * server's) when given, else 0600.
 */
export async function ensureTls(bundleDir: string, options: { hosts: string[]; owner?: Owner; keyGroup?: number; now?: Date }): Promise<TlsResult> {
  const dir = join(bundleDir, TLS_DIR);
  const now = options.now ?? new Date();
  const result: TlsResult = { created: [], kept: [], hosts: options.hosts, uncovered: [], warnings: [] };
  const ca = await loadPair(dir, 'ca');
  const server = await loadPair(dir, 'server');
  if (ca !== 'none') {
    result.kept.push(`${TLS_DIR}/ca.crt`, `${TLS_DIR}/ca.key`);
    result.caFingerprint = ca.cert.fingerprint256;
  }
  if (server !== 'none') {
    result.kept.push(`${TLS_DIR}/server.crt`, `${TLS_DIR}/server.key`);
    if (options.keyGroup !== undefined) {
      const key = await stat(join(dir, 'server.key'));
      const readable = key.mode & 0o004 || (key.mode & 0o040 && key.gid === options.keyGroup);
      if (!readable)
        result.warnings.push(
          `the server (group ${options.keyGroup}) cannot read ${TLS_DIR}/server.key: chgrp ${options.keyGroup} tls/server.key && chmod 640 tls/server.key`,
        );
    }
    result.uncovered = options.hosts.filter((h) => !covers(server.cert, h));
    if (new Date(server.cert.validTo) < now)
      result.warnings.push(`${TLS_DIR}/server.crt expired on ${server.cert.validTo}: delete tls/server.* and run init again`);
    return result;
  }

  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chownIf(dir, options.owner);
  const write = async (file: string, text: string, mode: number, owner = options.owner) => {
    await writeFileAtomic(join(dir, file), text, mode, owner);
    result.created.push(`${TLS_DIR}/${file}`);
  };
  let issuer: { certificate: X509Certificate; privateKey: KeyObject; notAfter: Date };
  if (ca === 'none') {
    const privateKey = newKey(3072);
    const publicKey = createPublicKey(privateKey);
    // A name of its own per installation: two sites' CAs never look alike in a trust store.
    const name = { commonName: `Onsite local CA ${randomBytes(4).toString('hex')}`, organization: 'Onsite' };
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
    const pem = createCertificate({ subject: name, publicKey, issuer: { privateKey }, notBefore: new Date(now.getTime() - HOUR), notAfter, ca: true });
    await write('ca.key', keyPem(privateKey), 0o600);
    await write('ca.crt', pem, 0o644);
    const certificate = new X509Certificate(pem);
    result.caFingerprint = certificate.fingerprint256;
    issuer = { certificate, privateKey, notAfter };
  } else {
    if (!ca.cert.ca) throw new AppError('tls_invalid', `${TLS_DIR}/ca.crt is not a CA certificate; delete tls/ca.* to have init make a local CA`);
    const notAfter = new Date(ca.cert.validTo);
    if (notAfter < now) throw new AppError('tls_invalid', `${TLS_DIR}/ca.crt expired on ${ca.cert.validTo}; delete tls/ca.* to have init make a new local CA`);
    issuer = { certificate: ca.cert, privateKey: ca.key, notAfter };
  }
  const privateKey = newKey(2048);
  const wanted = new Date(now.getTime() + SERVER_DAYS * 24 * HOUR);
  const pem = createCertificate({
    subject: { commonName: options.hosts[0] ?? 'localhost', organization: 'Onsite' },
    publicKey: createPublicKey(privateKey),
    issuer,
    notBefore: new Date(now.getTime() - HOUR), // tolerates a client clock a little behind
    notAfter: wanted < issuer.notAfter ? wanted : issuer.notAfter, // never outlives its CA
    ca: false,
    hosts: options.hosts,
  });
  // The issuer name is the CA's subject written again attribute by attribute: an
  // unusual CA name that would not survive that is refused here, not at the first client.
  const issued = new X509Certificate(pem);
  if (!issued.checkIssued(issuer.certificate) || !issued.verify(issuer.certificate.publicKey)) {
    throw new AppError(
      'tls_invalid',
      `a server certificate issued from ${TLS_DIR}/ca.crt does not chain to it; issue tls/server.crt and tls/server.key with your own tools`,
    );
  }
  if (options.keyGroup === undefined) await write('server.key', keyPem(privateKey), 0o600);
  else await write('server.key', keyPem(privateKey), 0o640, { uid: options.owner?.uid ?? process.getuid!(), gid: options.keyGroup });
  await write('server.crt', pem, 0o644);
  return result;
}
