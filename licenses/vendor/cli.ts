// The vendor's license tool (npm run license -- keygen | issue | inspect).
// Runs on the vendor's machine only: it is never bundled into the customer
// binary (bundle/build-binary.ts refuses a bundle containing licenses/vendor).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodeActivationCode, verifyActivationCode, type ActivationClaims } from '../activation-code.ts';
import { isAppError } from '../../server/kernel/errors.ts';
import { decodeRequestCode } from '../request-code.ts';

const USAGE = `usage:
  npm run license -- keygen --key-id ID --out PRIVATE.json
      new Ed25519 key pair; writes the private key (keep it offline, mode 0600)
      and prints the public key entry for licenses/keys/vendor-public-keys.json
  npm run license -- issue --key PRIVATE.json --request CODE --customer NAME --seats N
                           [--days 365 | --expires YYYY-MM-DD] [--not-before YYYY-MM-DD]
                           [--grace 14] [--features a,b] [--license-id ID]
      checks the request code and prints the activation code
  npm run license -- inspect (--request CODE | --activation CODE [--public-keys FILE])`;

const out = (s: string) => process.stdout.write(`${s}\n`);
const day = 86_400;
const seconds = (iso: string) => {
  const t = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(t)) throw new Error(`not a date: ${iso}`);
  return Math.floor(t / 1000);
};

function keygen(args: string[]): void {
  const { values } = parseArgs({ args, options: { 'key-id': { type: 'string' }, out: { type: 'string' } } });
  if (!values['key-id'] || !values.out) throw new Error('keygen needs --key-id and --out');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: values['key-id'] } as Record<string, string>;
  writeFileSync(values.out, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  out(`private key written to ${values.out} (keep it offline)`);
  out(`public key entry: ${JSON.stringify({ [values['key-id']]: x })}`);
}

function issue(args: string[]): void {
  const { values: v } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      request: { type: 'string' },
      customer: { type: 'string' },
      seats: { type: 'string' },
      days: { type: 'string' },
      expires: { type: 'string' },
      'not-before': { type: 'string' },
      grace: { type: 'string', default: '14' },
      features: { type: 'string', default: '' },
      'license-id': { type: 'string' },
      now: { type: 'string' },
    },
  });
  if (!v.key || !v.request || !v.customer || !v.seats) throw new Error('issue needs --key, --request, --customer and --seats');
  const request = decodeRequestCode(v.request);
  const jwk = JSON.parse(readFileSync(v.key, 'utf8')) as Record<string, string>;
  if (!jwk.kid || !jwk.d) throw new Error(`${v.key} is not a private key made by keygen`);
  const now = v.now ? seconds(v.now) : Math.floor(Date.now() / 1000);
  const notBefore = v['not-before'] ? seconds(v['not-before']) : now - day; // a day of slack for skewed clocks
  const expiresAt = v.expires ? seconds(v.expires) : now + Number(v.days ?? 365) * day;
  const claims: ActivationClaims = {
    v: 1,
    keyId: jwk.kid,
    licenseId: v['license-id'] ?? `L-${randomBytes(6).toString('hex')}`,
    customer: v.customer,
    seats: Number(v.seats),
    features: v.features
      ? v.features
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : [],
    issuedAt: now,
    notBefore,
    expiresAt,
    graceDays: Number(v.grace),
    installationId: request.installationId,
  };
  out(encodeActivationCode(claims, jwk));
}

function inspect(args: string[]): void {
  const { values } = parseArgs({ args, options: { request: { type: 'string' }, activation: { type: 'string' }, 'public-keys': { type: 'string' } } });
  if (values.request) {
    out(JSON.stringify(decodeRequestCode(values.request), null, 2));
    return;
  }
  if (!values.activation) throw new Error('inspect needs --request or --activation');
  const file = values['public-keys'] ?? new URL('../keys/vendor-public-keys.json', import.meta.url).pathname;
  out(JSON.stringify(verifyActivationCode(values.activation, JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>), null, 2));
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'keygen') keygen(rest);
  else if (command === 'issue') issue(rest);
  else if (command === 'inspect') inspect(rest);
  else {
    out(USAGE);
    process.exit(command ? 2 : 0);
  }
} catch (err) {
  const prefix = isAppError(err, 'request_code_invalid') ? 'request code rejected' : 'error';
  process.stderr.write(`license: ${prefix}: ${(err as Error).message}\n`);
  process.exit(1);
}
