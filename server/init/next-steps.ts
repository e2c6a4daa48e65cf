import { ENV_FILE } from './env/write.ts';
import { TLS_DIR } from './tls/ensure.ts';

/** What the closing message needs to know. */
export interface NextStepsInput {
  /** The bootstrap token, or where it comes from when `.env` names a file. */
  bootstrap: { token: string } | { file: string } | undefined;
  values: ReadonlyMap<string, string>;
  caFingerprint?: string;
}

/**
 * The closing lines of `onsite init`: the bootstrap token (the one secret
 * the operator must see) and the next steps. Paths are relative to the
 * bundle folder, because init runs in a container that sees it elsewhere.
 */
export function nextSteps(input: NextStepsInput): string[] {
  const base = input.values.get('APP_BASE_URL') || 'http://localhost:8000';
  const host = URL.canParse(base) ? new URL(base).hostname : 'localhost';
  const lines: string[] = [''];
  if (input.bootstrap && 'token' in input.bootstrap) {
    lines.push('Bootstrap token (claims the first admin account; it stops working once an admin exists):', '', `    ${input.bootstrap.token}`, '');
  } else if (input.bootstrap) lines.push(`Bootstrap token: in ${input.bootstrap.file} (ONSITE_BOOTSTRAP_TOKEN_FILE)`, '');
  else lines.push('Bootstrap token: none set; the first admin cannot be claimed until ONSITE_BOOTSTRAP_TOKEN is in .env', '');
  lines.push(
    'Next steps:',
    `  1. Check ${ENV_FILE}: APP_BASE_URL must be the address users open (now ${base}).`,
    '  2. In this folder: docker compose up -d',
    `  3. Open ${base.replace(/\/$/, '')}/setup and claim the admin account with the bootstrap token.`,
    `     For HTTPS (https://${host.includes(':') ? `[${host}]` : host}:${input.values.get('HTTPS_PORT') || '8443'}/), trust ${TLS_DIR}/ca.crt on the clients` +
      (input.caFingerprint ? `;\n     its SHA-256 fingerprint is ${input.caFingerprint}` : ''),
    '  4. Admin → License: send the request code to the vendor and install the activation code',
    '     they return (or: docker compose exec server onsite license request | install CODE).',
    `  Running init again keeps every secret in ${ENV_FILE} and every file in ${TLS_DIR}/; it only adds what is missing.`,
  );
  return lines;
}
