import { crc32 } from 'node:zlib';
import { AppError } from '../server/kernel/errors.ts';
import { decodeBase32, encodeBase32, group } from './base32.ts';

/** What an installation tells the vendor when asking for an activation code. */
export interface LicenseRequest {
  /** 16 random bytes, hex; created once per installation. */
  installationId: string;
  /** Product version, `major.minor.patch`. */
  productVersion: string;
  /** Active user accounts now. */
  activeSeats: number;
  /** When the code was made (seconds since the epoch). */
  time: number;
  /** 8 random bytes, hex, so two codes never look alike. */
  nonce: string;
}

/** Text in front of every request code. */
export const REQUEST_PREFIX = 'ONSR1';
const VERSION = 1;
const LENGTH = 1 + 16 + 3 + 4 + 4 + 8; // version, id, x.y.z, seats, time, nonce

// A request code that cannot be read: mistyped, cut short, or not one at all.
const invalid = (message: string) => new AppError('request_code_invalid', message);

/**
 * Encodes a request as `ONSR1-XXXXX-…`: 36 bytes plus a CRC-32, Crockford
 * base32 in groups of five. CRC-32 catches every single-character typo.
 */
export function encodeRequestCode(r: LicenseRequest): string {
  const body = Buffer.alloc(LENGTH);
  let o = body.writeUInt8(VERSION, 0);
  o += Buffer.from(r.installationId, 'hex').copy(body, o);
  const [maj = 0, min = 0, pat = 0] = r.productVersion.split('.').map((n) => Number.parseInt(n, 10));
  o = body.writeUInt8(maj, o);
  o = body.writeUInt8(min, o);
  o = body.writeUInt8(pat, o);
  o = body.writeUInt32BE(r.activeSeats, o);
  o = body.writeUInt32BE(r.time, o);
  Buffer.from(r.nonce, 'hex').copy(body, o);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(body));
  return `${REQUEST_PREFIX}-${group(encodeBase32(Buffer.concat([body, sum])), 5)}`;
}

/**
 * Decodes a request code as typed: any case, spaces or hyphens anywhere,
 * O/I/L for 0/1. A typo fails the checksum with a message saying so.
 */
export function decodeRequestCode(text: string): LicenseRequest {
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  if (!compact.startsWith(REQUEST_PREFIX)) throw invalid(`a request code starts with ${REQUEST_PREFIX}`);
  const bytes = decodeBase32(compact.slice(REQUEST_PREFIX.length), true);
  if (!bytes || bytes.length !== LENGTH + 4) {
    throw invalid('the request code has the wrong length or a character that is not allowed; check it was copied whole');
  }
  const buf = Buffer.from(bytes);
  const body = buf.subarray(0, LENGTH);
  if (crc32(body) !== buf.readUInt32BE(LENGTH)) {
    throw invalid('the request code checksum does not match: a character was mistyped; compare it with the code on the screen');
  }
  if (body.readUInt8(0) !== VERSION) throw invalid(`unsupported request code version ${body.readUInt8(0)}`);
  return {
    installationId: body.subarray(1, 17).toString('hex'),
    productVersion: `${body.readUInt8(17)}.${body.readUInt8(18)}.${body.readUInt8(19)}`,
    activeSeats: body.readUInt32BE(20),
    time: body.readUInt32BE(24),
    nonce: body.subarray(28, 36).toString('hex'),
  };
}
