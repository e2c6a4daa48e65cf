// The bundle-signing keys in the forms stock tools read, and the SSH
// signature beside SHA256SUMS.sig. `openssl pkeyutl -verify -rawin` checks
// SHA256SUMS.sig with a PEM key; `ssh-keygen -Y verify` (OpenSSH 8.1 or
// later, on Linux and in Windows' own OpenSSH client) checks
// SHA256SUMS.sshsig with an allowed-signers line. Both are signatures by
// the same Ed25519 key; scripts/init.sh and init.ps1 hold the keys in
// these forms, written in at build time by embedTrustedKeys.
import { createPrivateKey, createHash, sign } from 'node:crypto';
import type { Keyring } from '../licenses/activation-code.ts';
import { keyFingerprint } from '../server/init/bundle/signature.ts';

/** The principal and namespace of SHA256SUMS.sshsig (`ssh-keygen -Y verify -I … -n …`). */
export const SSH_SIG_NAMESPACE = 'onsite-bundle';

// DER of an Ed25519 SubjectPublicKeyInfo up to the 32 key bytes (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAGIC = Buffer.from('SSHSIG');

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const sshString = (b: Buffer | string) => {
  const bytes = Buffer.from(b);
  return Buffer.concat([u32(bytes.length), bytes]);
};
const sshKeyBlob = (x: string) => Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(x, 'base64url'))]);

/** A raw Ed25519 public key (base64url) as a PEM public key, what `openssl pkeyutl -pubin -inkey` reads. */
export function publicKeyPem(x: string): string {
  const der = Buffer.concat([SPKI_PREFIX, Buffer.from(x, 'base64url')]).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${der}\n-----END PUBLIC KEY-----\n`;
}

/** A raw Ed25519 public key as one line of an OpenSSH allowed-signers file for SHA256SUMS.sshsig. */
export function allowedSignersLine(x: string): string {
  return `${SSH_SIG_NAMESPACE} namespaces="${SSH_SIG_NAMESPACE}" ssh-ed25519 ${sshKeyBlob(x).toString('base64')}`;
}

/**
 * Signs a message in OpenSSH's SSHSIG format (PROTOCOL.sshsig: SHA-512 of
 * the message, namespace {@link SSH_SIG_NAMESPACE}) and returns the armored
 * text `ssh-keygen -Y sign` would write.
 */
export function signSshSig(message: Uint8Array, privateJwk: Record<string, string>): string {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519' || !privateJwk.x) throw new Error('signSshSig needs an Ed25519 private key as a JWK');
  const hash = createHash('sha512').update(message).digest();
  const signed = Buffer.concat([MAGIC, sshString(SSH_SIG_NAMESPACE), sshString(''), sshString('sha512'), sshString(hash)]);
  const sig = Buffer.concat([sshString('ssh-ed25519'), sshString(sign(null, signed, key))]);
  const blob = Buffer.concat([
    MAGIC,
    u32(1),
    sshString(sshKeyBlob(privateJwk.x)),
    sshString(SSH_SIG_NAMESPACE),
    sshString(''),
    sshString('sha512'),
    sshString(sig),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g)!;
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

const BEGIN = '# begin trusted keys';
const END = '# end trusted keys';

/**
 * Writes the trusted keys into an operator script (init.sh or init.ps1)
 * between its `# begin trusted keys` and `# end trusted keys` lines, one
 * line per key: `<kid> <PEM body> <allowed-signers key>`. Throws when the
 * script has no such block.
 */
export function embedTrustedKeys(script: string, keyring: Keyring): string {
  const lines = script.split('\n');
  const begin = lines.findIndex((l) => l.startsWith(BEGIN));
  const end = lines.findIndex((l) => l.startsWith(END));
  if (begin < 0 || end < begin) throw new Error('the script has no "# begin trusted keys" … "# end trusted keys" block');
  const keys = Object.entries(keyring).map(([kid, x]) => `${kid} ${publicKeyPem(x).split('\n')[1]} ${allowedSignersLine(x).split(' ').at(-1)}`);
  return [...lines.slice(0, begin + 1), ...keys, ...lines.slice(end)].join('\n');
}

/**
 * The vendor keys as docs/verify.md publishes them (between its
 * `<!-- begin vendor keys -->` and `<!-- end vendor keys -->` lines): key
 * id, fingerprint as onsite init prints it, PEM and allowed-signers line.
 */
export function renderVendorKeys(keyring: Keyring): string {
  const keys = Object.entries(keyring);
  if (keys.length === 0) {
    return [
      'No vendor release key has been published yet. Every bundle so far is a development',
      'bundle, signed with the key of the machine that built it: its init.sh trusts that key',
      'alone, and a release build of onsite never accepts it.',
    ].join('\n');
  }
  return keys
    .map(([kid, x]) =>
      [
        `### Key \`${kid}\``,
        '',
        `Fingerprint (SHA-256 of the raw key, as init prints it): \`${keyFingerprint(x)}\``,
        '',
        ...publicKeyPem(x)
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
        '',
        'For ssh-keygen, the allowed-signers line:',
        '',
        `    ${allowedSignersLine(x)}`,
      ].join('\n'),
    )
    .join('\n\n');
}
