import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, otpauthUri, totp, verifyTotp, type OtpAlgorithm } from '../../../server/auth/totp.ts';

// RFC 6238 Appendix B: the seed of each hash is the ASCII of "1234567890" repeated to the hash's length.
const SEEDS: Record<OtpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

const RFC6238: Array<[number, string, OtpAlgorithm]> = [
  [59, '94287082', 'sha1'],
  [59, '46119246', 'sha256'],
  [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'],
  [1111111109, '68084774', 'sha256'],
  [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'],
  [1111111111, '67062674', 'sha256'],
  [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'],
  [1234567890, '91819424', 'sha256'],
  [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'],
  [2000000000, '90698825', 'sha256'],
  [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'],
  [20000000000, '77737706', 'sha256'],
  [20000000000, '47863826', 'sha512'],
];

// RFC 4226 Appendix D: HOTP of the SHA-1 seed for counters 0 to 9.
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it.each(RFC6238)('RFC 6238 Appendix B: T=%i gives %s with %s', (seconds, code, algorithm) => {
    expect(totp(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(code);
    expect(verifyTotp(SEEDS[algorithm], code, seconds * 1000, { digits: 8, algorithm })).toBe(Math.floor(seconds / 30));
  });

  it.each(RFC4226.map((code, counter) => [counter, code] as const))('RFC 4226 Appendix D: counter %i gives %s', (counter, code) => {
    expect(hotp(SEEDS.sha1, counter)).toBe(code);
  });

  it('accepts the steps either side and nothing further, and says which step matched', () => {
    const t = 1_700_000_000_000;
    const step = Math.floor(t / 30_000);
    expect(verifyTotp(SEEDS.sha1, totp(SEEDS.sha1, t - 30_000), t)).toBe(step - 1);
    expect(verifyTotp(SEEDS.sha1, totp(SEEDS.sha1, t + 30_000), t)).toBe(step + 1);
    expect(verifyTotp(SEEDS.sha1, totp(SEEDS.sha1, t - 60_000), t)).toBeUndefined();
    expect(verifyTotp(SEEDS.sha1, totp(SEEDS.sha1, t + 60_000), t)).toBeUndefined();
  });

  it('refuses codes of the wrong shape', () => {
    const t = 1_700_000_000_000;
    const code = totp(SEEDS.sha1, t);
    expect(verifyTotp(SEEDS.sha1, `${code.slice(0, 3)} ${code.slice(3)}`, t)).toBeDefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`]) expect(verifyTotp(SEEDS.sha1, bad, t)).toBeUndefined();
  });

  it('base32 follows RFC 4648 section 10', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(`${encoded.toLowerCase()}======`).toString()).toBe(plain);
    }
    expect(base32Encode(SEEDS.sha1)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(() => base32Decode('MZ1')).toThrow(RangeError);
  });

  it('builds the otpauth URI apps read', () => {
    const text = otpauthUri('GEZDGNBVGY3TQOJQ', 'ada@example.test');
    expect(text.startsWith('otpauth://totp/Onsite:ada%40example.test?')).toBe(true);
    const uri = new URL(text);
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQ');
    expect(uri.searchParams.get('issuer')).toBe('Onsite');
  });
});
