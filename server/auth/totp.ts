import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), with the base32
 * of RFC 4648 that authenticator apps read secrets in. node:crypto only.
 */

/** The HMAC hash of a one-time password. Authenticator apps use SHA-1; the others are for the RFC's vectors. */
export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** Parameters of a TOTP: what the issuer and the app agree on. */
export interface TotpOptions {
  /** Digits of a code (6 in apps, 8 in the RFC's vectors). */
  digits?: number;
  /** Length of a time step in seconds. */
  period?: number;
  algorithm?: OtpAlgorithm;
}

const DEFAULTS = { digits: 6, period: 30, algorithm: 'sha1' as OtpAlgorithm };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Encodes bytes as RFC 4648 base32, without padding (as otpauth URIs carry it). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes RFC 4648 base32 (case, spaces and padding ignored); throws on any other character. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new RangeError(`not a base32 character: ${JSON.stringify(ch)}`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The HOTP value of `counter` (RFC 4226 section 5.3: HMAC, dynamic truncation, modulo 10^digits), zero-padded. */
export function hotp(secret: Uint8Array, counter: number, digits = DEFAULTS.digits, algorithm: OtpAlgorithm = DEFAULTS.algorithm): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step of a moment (RFC 6238 section 4: T = floor(unix seconds / period)). */
export function timeStep(nowMs: number, period = DEFAULTS.period): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The TOTP code at a moment. */
export function totp(secret: Uint8Array, nowMs: number, options: TotpOptions = {}): string {
  const o = { ...DEFAULTS, ...options };
  return hotp(secret, timeStep(nowMs, o.period), o.digits, o.algorithm);
}

// Compares codes of equal length without leaking where they differ.
const sameCode = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Checks a code against the steps around `nowMs` (±`window`, 1 by default:
 * a clock off by up to a period, or a code typed as it turned). Returns the
 * step it matched, for replay protection, or undefined. Every step is
 * computed and compared, so the time taken says nothing about which matched.
 */
export function verifyTotp(secret: Uint8Array, code: string, nowMs: number, options: TotpOptions & { window?: number } = {}): number | undefined {
  const o = { ...DEFAULTS, ...options };
  const window = options.window ?? 1;
  const typed = code.replace(/\s/g, '');
  if (!/^\d+$/.test(typed) || typed.length !== o.digits) return undefined;
  const now = timeStep(nowMs, o.period);
  let matched: number | undefined;
  for (let step = now - window; step <= now + window; step++) {
    if (sameCode(hotp(secret, step, o.digits, o.algorithm), typed) && matched === undefined) matched = step;
  }
  return matched;
}

/** The `otpauth://totp/…` URI an authenticator app reads from a QR code (issuer "Onsite", labelled with the account). */
export function otpauthUri(secretBase32: string, account: string, issuer = 'Onsite'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({ secret: secretBase32, issuer, algorithm: 'SHA1', digits: String(DEFAULTS.digits), period: String(DEFAULTS.period) });
  return `otpauth://totp/${label}?${params.toString()}`;
}
