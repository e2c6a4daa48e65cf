/**
 * A minimal ZIP reader: the central directory and bounded inflation of one
 * entry. Enough to tell a Word document from other archives and to check
 * sizes before mammoth (through jszip) inflates anything, since jszip
 * inflates an entry fully before comparing it with its stated size.
 */
import { inflateRawSync } from 'node:zlib';

/** One file of an archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else is refused when read. */
  method: number;
  compressedSize: number;
  /** As stated by the archive: checked by {@link readZipEntry}, never trusted before. */
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_MARK = 0xffffffff;

/** Tells whether bytes begin like a ZIP archive (a local file header or an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeName(bytes: Uint8Array, start: number, length: number): string {
  return new TextDecoder().decode(bytes.subarray(start, start + length));
}

/**
 * Reads the central directory; `undefined` when there is none to read
 * (a truncated or damaged archive) or it uses ZIP64, which no document
 * under the upload limit needs.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] | undefined {
  const dv = view(bytes);
  // The end record sits in the last 22 bytes plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = dv.getUint16(eocd + 10, true);
  const size = dv.getUint32(eocd + 12, true);
  const offset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === ZIP64_MARK || offset + size > eocd) return undefined;
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || dv.getUint32(p, true) !== CENTRAL) return undefined;
    const nameLength = dv.getUint16(p + 28, true);
    const entry: ZipEntry = {
      method: dv.getUint16(p + 10, true),
      compressedSize: dv.getUint32(p + 20, true),
      uncompressedSize: dv.getUint32(p + 24, true),
      localHeaderOffset: dv.getUint32(p + 42, true),
      name: decodeName(bytes, p + 46, nameLength),
    };
    if (entry.compressedSize === ZIP64_MARK || entry.uncompressedSize === ZIP64_MARK) return undefined;
    entries.push(entry);
    p += 46 + nameLength + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return entries;
}

/**
 * Names of the local file headers found by scanning the bytes: what a
 * truncated archive that lost its central directory still shows.
 */
export function scanLocalNames(bytes: Uint8Array, max = 64): string[] {
  const dv = view(bytes);
  const names: string[] = [];
  for (let i = 0; i + 30 <= bytes.length && names.length < max; i++) {
    if (bytes[i] !== 0x50 || dv.getUint32(i, true) !== LOCAL) continue;
    const length = dv.getUint16(i + 26, true);
    if (i + 30 + length > bytes.length) break;
    names.push(decodeName(bytes, i + 30, length));
  }
  return names;
}

/**
 * Inflates one entry, never producing more than its stated size: an entry
 * whose data inflates past it (a lying header) or short of it, or uses an
 * unknown method, throws.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const dv = view(bytes);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || dv.getUint32(at, true) !== LOCAL) throw new Error(`${entry.name}: bad local header`);
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new Error(`${entry.name}: data past the end of the archive`);
  const data = bytes.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) out = data;
  else if (entry.method === 8) {
    // maxOutputLength makes zlib stop (RangeError) instead of allocating whatever the stream says.
    out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } else throw new Error(`${entry.name}: compression method ${entry.method} is not supported`);
  if (out.length !== entry.uncompressedSize) throw new Error(`${entry.name}: size differs from the directory`);
  return out;
}
