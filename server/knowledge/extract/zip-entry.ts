/**
 * Inflating one checked entry of an archive, and writing a new archive
 * from entries already read: what another reader (jszip, under mammoth) is
 * given instead of the uploaded bytes.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { ZipRefused, type ZipEntry } from './zip.ts';

/**
 * Inflates one entry of {@link readZipDirectory}'s, never producing more
 * than its stated size. Throws {@link ZipRefused} (`bad`) for data that
 * inflates past that size or short of it, does not inflate, or fails its
 * CRC: the archive lied about it.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const data = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) out = data;
  else {
    try {
      // maxOutputLength makes zlib stop (RangeError) instead of allocating whatever the stream says.
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      throw new ZipRefused('bad', error instanceof RangeError ? `${entry.name} inflates past the size it states` : `${entry.name}'s data does not inflate`);
    }
  }
  if (out.length !== entry.uncompressedSize) throw new ZipRefused('bad', `${entry.name} inflates to another size than it states`);
  if (crc32(out) !== entry.crc32) throw new ZipRefused('bad', `${entry.name} fails its CRC check`);
  return out;
}

const UTF8_NAMES = 0x0800;

/**
 * A new archive holding exactly `files`, stored (not compressed), names
 * flagged UTF-8: one end record, no gaps, nothing a reader could take for
 * anything else.
 */
export function storedZip(files: ReadonlyMap<string, Uint8Array>): Buffer {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const rawName = encoder.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + rawName.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, UTF8_NAMES, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, rawName.length, true);
    local.set(rawName, 30);
    const entry = new Uint8Array(46 + rawName.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, UTF8_NAMES, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, rawName.length, true);
    cv.setUint32(42, offset, true);
    entry.set(rawName, 46);
    parts.push(local, data);
    central.push(entry);
    offset += local.length + data.length;
  }
  const size = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.size, true);
  ev.setUint16(10, files.size, true);
  ev.setUint32(12, size, true);
  ev.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, end]);
}
