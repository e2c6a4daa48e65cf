import { generateKeyPairSync } from 'node:crypto';
import { encodeActivationCode, type ActivationClaims, type Keyring } from '../../licenses/activation-code.ts';

// A key pair made fresh for each test process: the test configuration's own
// vendor key. Nothing about it is committed or compiled into a build.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const TEST_KID = 'test-key';

/** The test vendor's private key as a JWK (what `license keygen` writes). */
export const TEST_PRIVATE_JWK = { ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: TEST_KID };

/** The keyring test servers trust. */
export const TEST_KEYRING: Keyring = Object.freeze({ [TEST_KID]: (publicKey.export({ format: 'jwk' }) as { x: string }).x });

const DAY = 86_400;

/** Issues an activation code for an installation, as the vendor tool would. */
export function issueCode(installationId: string, o: Partial<ActivationClaims> & { nowSeconds?: number; days?: number } = {}): string {
  const now = o.nowSeconds ?? Math.floor(Date.now() / 1000);
  const { nowSeconds: _n, days, ...rest } = o;
  return encodeActivationCode(
    {
      v: 1,
      keyId: TEST_KID,
      licenseId: 'L-test',
      customer: 'Test Customer',
      seats: 10,
      features: ['chat', 'rag'],
      issuedAt: now,
      notBefore: now - DAY,
      expiresAt: now + (days ?? 365) * DAY,
      graceDays: 14,
      installationId,
      ...rest,
    },
    TEST_PRIVATE_JWK,
  );
}
