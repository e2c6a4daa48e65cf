// Crockford base32: digits and letters without I, L, O, U, so a code can be
// read aloud, typed, or copied from paper with few mistakes.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALUES = new Map<string, number>([...ALPHABET].map((ch, i) => [ch, i]));

/** Encodes bytes as Crockford base32 (upper case, no padding). */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes Crockford base32. `lenient` accepts what people type: any case,
 * O for 0, I and L for 1; otherwise only the canonical alphabet is accepted.
 * Returns undefined on any invalid character or non-zero padding bits.
 */
export function decodeBase32(text: string, lenient = false): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let ch of text) {
    if (lenient) ch = ch.toUpperCase().replace('O', '0').replace(/[IL]/, '1');
    const v = VALUES.get(ch);
    if (v === undefined) return undefined;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  if (buffer !== 0) return undefined; // canonical encodings pad with zero bits
  return Uint8Array.from(out);
}

/** Splits text into hyphen-separated groups. */
export function group(text: string, size: number): string {
  return text.match(new RegExp(`.{1,${size}}`, 'g'))?.join('-') ?? '';
}
