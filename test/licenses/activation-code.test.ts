import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyActivationCode } from '../../licenses/activation-code.ts';
import { AppError } from '../../server/kernel/errors.ts';
import { decodeBase32, encodeBase32 } from '../../licenses/base32.ts';
import { decodeRequestCode, encodeRequestCode } from '../../licenses/request-code.ts';
import { tempDir } from '../helpers/env.ts';
import { issueCode, TEST_KEYRING, TEST_PRIVATE_JWK } from '../helpers/license.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const request = {
  installationId: randomBytes(16).toString('hex'),
  productVersion: '1.2.3',
  activeSeats: 7,
  time: 1_790_000_000,
  nonce: randomBytes(8).toString('hex'),
};

describe('base32', () => {
  it('round-trips any bytes and refuses stray characters', () => {
    for (let n = 0; n < 64; n++) {
      const b = randomBytes(n);
      expect(Buffer.from(decodeBase32(encodeBase32(b))!)).toEqual(b);
    }
    expect(decodeBase32('0U')).toBeUndefined();
    expect(decodeBase32('o1', true)).toEqual(decodeBase32('01', true));
  });
});

describe('request codes', () => {
  it('round-trip and read well', () => {
    const code = encodeRequestCode(request);
    expect(code).toMatch(/^ONSR1(-[0-9A-HJKMNP-TV-Z]{1,5})+$/);
    expect(decodeRequestCode(code)).toEqual(request);
    // As typed from paper: lower case, spaces instead of hyphens, O for 0.
    expect(decodeRequestCode(code.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o'))).toEqual(request);
  });

  it('catches every single mistyped character with the checksum', () => {
    const code = encodeRequestCode(request);
    for (let i = 6; i < code.length; i++) {
      if (code[i] === '-') continue;
      for (const ch of ALPHABET) {
        if (ch === code[i]) continue;
        const typo = code.slice(0, i) + ch + code.slice(i + 1);
        expect(() => decodeRequestCode(typo), `${i}:${ch}`).toThrow(expect.objectContaining({ code: 'request_code_invalid' }));
      }
    }
  });

  it('the vendor tool names a mistyped request code clearly', () => {
    const code = encodeRequestCode(request);
    const typo = code.slice(0, 10) + (code[10] === 'A' ? 'B' : 'A') + code.slice(11);
    const keyFile = join(tmp.dir, 'vendor.json');
    writeFileSync(keyFile, JSON.stringify(TEST_PRIVATE_JWK));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'licenses/vendor/cli.ts', 'issue', '--key', keyFile, '--request', typo, '--customer', 'ACME', '--seats', '5'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/request code rejected: the request code checksum does not match: a character was mistyped/);
    const ok = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'licenses/vendor/cli.ts', 'issue', '--key', keyFile, '--request', code, '--customer', 'ACME', '--seats', '5'],
      { encoding: 'utf8' },
    ).trim();
    const claims = verifyActivationCode(ok, TEST_KEYRING);
    expect(claims).toMatchObject({ customer: 'ACME', seats: 5, installationId: request.installationId, keyId: 'test-key' });
  });
});

describe('activation codes', () => {
  const code = issueCode(request.installationId);

  it('verify with the right key and refuse unknown keys', () => {
    expect(verifyActivationCode(code, TEST_KEYRING).installationId).toBe(request.installationId);
    expect(() => verifyActivationCode(code, {})).toThrow(expect.objectContaining({ code: 'unknown_key' }));
    const other = { 'test-key': Buffer.alloc(32, 7).toString('base64url') };
    expect(() => verifyActivationCode(code, other)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });

  it('refuse every single-character change at every position', () => {
    const body = code.length;
    let tried = 0;
    for (let i = 0; i < body; i++) {
      for (const ch of `${ALPHABET}-ilo `) {
        if (ch === code[i]) continue;
        const changed = code.slice(0, i) + ch + code.slice(i + 1);
        if (changed.trim() === code) continue; // only surrounding whitespace added
        tried++;
        expect(() => verifyActivationCode(changed, TEST_KEYRING), `${i}:${ch}`).toThrow(AppError);
      }
    }
    expect(tried).toBeGreaterThan(body * 30);
  });

  it('refuse every single-bit flip at every position', () => {
    const bytes = Buffer.from(code, 'latin1');
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[i] = flipped[i]! ^ (1 << bit);
        const text = flipped.toString('latin1');
        if (text.trim() === code) continue;
        expect(() => verifyActivationCode(text, TEST_KEYRING), `${i}/${bit}`).toThrow(AppError);
      }
    }
  });

  it('a code re-signed with a tampered payload fails the signature', () => {
    // Swap the payload for one with more seats, keep the original signature, fix the checksum.
    const other = issueCode(request.installationId, { seats: 10_000 });
    const a = Buffer.from(decodeBase32(code.slice(5).replaceAll('-', ''))!);
    const b = Buffer.from(decodeBase32(other.slice(5).replaceAll('-', ''))!);
    const lenB = b.readUInt16BE(0);
    const forgedBody = Buffer.concat([b.subarray(0, 2 + lenB), a.subarray(a.length - 4 - 64, a.length - 4)]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(forgedBody));
    const forged = `OSA1-${encodeBase32(Buffer.concat([forgedBody, sum]))
      .match(/.{1,5}/g)!
      .join('-')}`;
    expect(() => verifyActivationCode(forged, TEST_KEYRING)).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });
});
