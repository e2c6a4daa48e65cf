/**
 * A strict ZIP reader: one reading of an archive that no other reader can
 * read differently. Enough to tell a Word document from other archives and
 * to check every part before anything inflates it.
 *
 * Why strict: readers find entries in different ways (jszip, under mammoth,
 * searches back for the end record and trusts offsets relative to where it
 * finds the central directory; others walk local headers), so an archive
 * with a gap, a second end record, or local headers that disagree with the
 * directory shows each reader other files, and a size check made by one
 * reader says nothing about what another inflates. So the directory must end
 * exactly at the one end record, entries must follow one another from the
 * first byte with no gap or overlap, each local header must repeat its
 * directory entry, and ZIP64, encryption and unknown methods are refused.
 */

/** One file of an archive, as its central directory describes it and its local header repeats it. */
export interface ZipEntry {
  name: string;
  /** 0 stored or 8 deflated; the reader refuses any other. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** As stated by the archive: checked when the entry is inflated, never trusted before. */
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Where the entry's compressed data starts, after its local header. */
  dataStart: number;
}

/** Why an archive was refused: `missing` when it has no end record (a cut-off file), `bad` when its structure is refused. */
export class ZipRefused extends Error {
  override readonly name = 'ZipRefused';

  constructor(
    readonly kind: 'missing' | 'bad',
    message: string,
  ) {
    super(message);
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
const ENCRYPTED = 0x0001;
const HAS_DESCRIPTOR = 0x0008;

const bad = (message: string): ZipRefused => new ZipRefused('bad', message);

/** Tells whether bytes begin like a ZIP archive (a local file header or an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const NAMES = new TextDecoder('utf-8', { fatal: true });

function decodeName(bytes: Uint8Array, start: number, length: number): string {
  try {
    return NAMES.decode(bytes.subarray(start, start + length));
  } catch {
    throw bad('an entry name is not valid UTF-8');
  }
}

// Extra fields are (id, length) blocks; a ZIP64 block changes what the sizes mean, so it is refused.
function checkExtra(dv: DataView, start: number, length: number, name: string): void {
  let q = start;
  while (q + 4 <= start + length) {
    if (dv.getUint16(q, true) === ZIP64_EXTRA) throw bad(`${name} has ZIP64 fields`);
    q += 4 + dv.getUint16(q + 2, true);
  }
  if (q > start + length) throw bad(`${name} has a damaged extra field`);
}

// The one end record: in the last 22 bytes plus a comment of up to 64 KiB, with the comment reaching the end of the file.
function endRecord(bytes: Uint8Array, dv: DataView): number {
  const found: number[] = [];
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - MAX16); i--) if (bytes[i] === 0x50 && dv.getUint32(i, true) === EOCD) found.push(i);
  if (found.length === 0) throw new ZipRefused('missing', 'it has no end-of-central-directory record (the file is cut off or not a ZIP archive)');
  if (found.length > 1) throw bad('it holds more than one end-of-central-directory record');
  const eocd = found[0]!;
  if (eocd + 22 + dv.getUint16(eocd + 20, true) !== bytes.length) throw bad('its end record does not end the file');
  if (dv.getUint16(eocd + 4, true) !== 0 || dv.getUint16(eocd + 6, true) !== 0 || dv.getUint16(eocd + 8, true) !== dv.getUint16(eocd + 10, true))
    throw bad('it spans several disks');
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) throw bad('it is a ZIP64 archive');
  return eocd;
}

// The local header must repeat the directory entry; returns where the entry (data descriptor included) ends.
function checkLocal(bytes: Uint8Array, dv: DataView, e: ZipEntry, flags: number, rawName: Uint8Array, limit: number): number {
  const at = e.localHeaderOffset;
  if (at + 30 > limit || dv.getUint32(at, true) !== LOCAL) throw bad(`${e.name} has no local header where the directory says`);
  const nameLength = dv.getUint16(at + 26, true);
  const extraLength = dv.getUint16(at + 28, true);
  if (at + 30 + nameLength + extraLength > limit) throw bad(`${e.name}'s local header runs past its data`);
  const sameName = nameLength === rawName.length && rawName.every((b, i) => bytes[at + 30 + i] === b);
  if (!sameName) throw bad(`the local header of ${e.name} names another file`);
  if (dv.getUint16(at + 6, true) !== flags || dv.getUint16(at + 8, true) !== e.method) throw bad(`the local header of ${e.name} disagrees with the directory`);
  checkExtra(dv, at + 30 + nameLength, extraLength, e.name);
  e.dataStart = at + 30 + nameLength + extraLength;
  let end = e.dataStart + e.compressedSize;
  const stated = [dv.getUint32(at + 14, true), dv.getUint32(at + 18, true), dv.getUint32(at + 22, true)];
  const expected = [e.crc32, e.compressedSize, e.uncompressedSize];
  if (flags & HAS_DESCRIPTOR) {
    // Sizes follow the data; the local header may leave them zero, but must not state others.
    if (stated.some((v, i) => v !== 0 && v !== expected[i])) throw bad(`the local header of ${e.name} disagrees with the directory on sizes`);
    if (end + 4 <= limit && dv.getUint32(end, true) === DESCRIPTOR) end += 4;
    if (end + 12 > limit || [0, 4, 8].some((o, i) => dv.getUint32(end + o, true) !== expected[i]))
      throw bad(`the data descriptor of ${e.name} disagrees with the directory on sizes`);
    end += 12;
  } else if (stated.some((v, i) => v !== expected[i])) throw bad(`the local header of ${e.name} disagrees with the directory on sizes`);
  if (end > limit) throw bad(`${e.name}'s data runs into the central directory`);
  return end;
}

/**
 * Reads and checks the central directory and every local header. Throws
 * {@link ZipRefused}: `missing` without an end record, `bad` for anything
 * the reader refuses (see the top of this file). Inflates nothing.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const dv = view(bytes);
  const eocd = endRecord(bytes, dv);
  const count = dv.getUint16(eocd + 10, true);
  const size = dv.getUint32(eocd + 12, true);
  const offset = dv.getUint32(eocd + 16, true);
  if (count === MAX16 || size === MAX32 || offset === MAX32) throw bad('it is a ZIP64 archive');
  if (offset + size !== eocd) throw bad('its central directory does not end at the end record');
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const ends = new Map<ZipEntry, number>();
  let p = offset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || dv.getUint32(p, true) !== CENTRAL) throw bad('its central directory holds fewer entries than its end record says');
    const flags = dv.getUint16(p + 8, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const next = p + 46 + nameLength + extraLength + dv.getUint16(p + 32, true);
    if (next > eocd) throw bad('its central directory runs into the end record');
    const rawName = bytes.subarray(p + 46, p + 46 + nameLength);
    const entry: ZipEntry = {
      name: decodeName(bytes, p + 46, nameLength),
      method: dv.getUint16(p + 10, true),
      crc32: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      uncompressedSize: dv.getUint32(p + 24, true),
      localHeaderOffset: dv.getUint32(p + 42, true),
      dataStart: 0,
    };
    if (entry.compressedSize === MAX32 || entry.uncompressedSize === MAX32 || entry.localHeaderOffset === MAX32 || dv.getUint16(p + 34, true) !== 0)
      throw bad(`${entry.name} has ZIP64 fields`);
    checkExtra(dv, p + 46 + nameLength, extraLength, entry.name);
    if (flags & ENCRYPTED) throw bad(`${entry.name} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) throw bad(`${entry.name} uses compression method ${entry.method}`);
    if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) throw bad(`${entry.name} is stored but states two sizes`);
    // Two parts with one name: which one another reader picks is not what was checked.
    if (names.has(entry.name)) throw bad(`it holds two entries named ${entry.name}`);
    names.add(entry.name);
    ends.set(entry, checkLocal(bytes, dv, entry, flags, rawName, offset));
    entries.push(entry);
    p = next;
  }
  if (p !== eocd) throw bad('its central directory holds more than its end record says');
  // Entries one after another from the first byte to the directory: no bytes that no entry owns, none that two own.
  let expected = 0;
  for (const entry of [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)) {
    if (entry.localHeaderOffset !== expected) throw bad(`${entry.name} does not start where the entry before it ends`);
    expected = ends.get(entry)!;
  }
  if (expected !== offset) throw bad('there are bytes between its last entry and its central directory');
  return entries;
}

/**
 * Names of the local file headers found by scanning the bytes: what a
 * truncated archive that lost its central directory still shows.
 */
export function scanLocalNames(bytes: Uint8Array, max = 64): string[] {
  const dv = view(bytes);
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i + 30 <= bytes.length && names.length < max; i++) {
    if (bytes[i] !== 0x50 || dv.getUint32(i, true) !== LOCAL) continue;
    const length = dv.getUint16(i + 26, true);
    if (i + 30 + length > bytes.length) break;
    names.push(decoder.decode(bytes.subarray(i + 30, i + 30 + length)));
  }
  return names;
}
