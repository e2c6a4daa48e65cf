import { base32Decode, totp } from '../../server/auth/totp.ts';
import type { Clock } from '../../server/kernel/clock.ts';
import type { TestClient } from './client.ts';

/** A confirmed TOTP factor of a test account: its secret, a code maker and the recovery codes. */
export interface TestFactor {
  secret: string;
  /** The code the app would show at the clock's time now. */
  code(): string;
  recoveryCodes: string[];
}

/** Enrols the client's account through the API, as an app would, and confirms it with the current code. */
export async function enrolMfa(client: TestClient, clock: Clock): Promise<TestFactor> {
  const started = await client.post('/api/auth/mfa/enrol');
  if (started.status !== 201) throw new Error(`enrol failed: ${JSON.stringify(started.body)}`);
  const secret = started.body.secret as string;
  const code = () => totp(base32Decode(secret), clock());
  const confirmed = await client.post('/api/auth/mfa/confirm', { code: code() });
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
  return { secret, code, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}
