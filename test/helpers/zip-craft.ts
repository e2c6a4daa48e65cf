/**
 * ZIP archives written byte by byte, with the lies a hostile upload tells:
 * local headers that disagree with the central directory, gaps, second end
 * records, ZIP64 fields. For the strict reader's tests (extract/zip.ts).
 */
import { crc32, deflateRawSync } from 'node:zlib';
import JSZip from 'jszip';
import { makeDocx, type DocxParagraph } from './documents.ts';

/** One entry to write, and what its headers should claim instead of the truth. */
export interface CraftEntry {
  name: string;
  data: Uint8Array;
  /** Stored instead of deflated. */
  store?: boolean;
  /** Fields of the local header that differ from the truth. */
  local?: { name?: string; method?: number; flags?: number; crc32?: number; compressedSize?: number; uncompressedSize?: number; extra?: Uint8Array };
  /** Sizes in a data descriptor after the data (flag bit 3), the local header's left zero; what it claims. */
  descriptor?: { uncompressedSize?: number };
  /** Fields of the central directory entry that differ from the truth. */
  central?: { flags?: number; crc32?: number; compressedSize?: number; uncompressedSize?: number; offset?: number; extra?: Uint8Array };
  /** Bytes written right after this entry's data (a gap before the next one). */
  after?: Uint8Array;
}

/** What the end record and the bytes around it should say. */
export interface CraftOptions {
  /** Bytes between the central directory and the end record. */
  beforeEnd?: Uint8Array;
  /** The end record's comment. */
  comment?: Uint8Array;
  /** Fields of the end record that differ from the truth. */
  end?: { count?: number; size?: number; offset?: number };
}

const enc = new TextEncoder();

/** An end-of-central-directory record. */
export function endRecord(count: number, size: number, offset: number, comment: Uint8Array = new Uint8Array()): Uint8Array {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(size, 12);
  b.writeUInt32LE(offset, 16);
  b.writeUInt16LE(comment.length, 20);
  return Buffer.concat([b, comment]);
}

/** An extra field block: a ZIP64 one is id 1. */
export function extraField(id: number, body: Uint8Array): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(id, 0);
  b.writeUInt16LE(body.length, 2);
  return Buffer.concat([b, body]);
}

/** Writes an archive: honest unless an entry's or the options' overrides say otherwise. */
export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const packed = e.store ? e.data : deflateRawSync(e.data);
    const method = e.store ? 0 : 8;
    const crc = crc32(e.data);
    const lname = enc.encode(e.local?.name ?? e.name);
    const lextra = e.local?.extra ?? new Uint8Array();
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    const flags = 0x0800 | (e.descriptor ? 0x0008 : 0);
    local.writeUInt16LE(e.local?.flags ?? flags, 6);
    local.writeUInt16LE(e.local?.method ?? method, 8);
    if (!e.descriptor) {
      local.writeUInt32LE(e.local?.crc32 ?? crc, 14);
      local.writeUInt32LE(e.local?.compressedSize ?? packed.length, 18);
      local.writeUInt32LE(e.local?.uncompressedSize ?? e.data.length, 22);
    }
    local.writeUInt16LE(lname.length, 26);
    local.writeUInt16LE(lextra.length, 28);
    const cname = enc.encode(e.name);
    const cextra = e.central?.extra ?? new Uint8Array();
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(20, 6);
    head.writeUInt16LE(e.central?.flags ?? flags, 8);
    head.writeUInt16LE(method, 10);
    head.writeUInt32LE(e.central?.crc32 ?? crc, 16);
    head.writeUInt32LE(e.central?.compressedSize ?? packed.length, 20);
    head.writeUInt32LE(e.central?.uncompressedSize ?? e.data.length, 24);
    head.writeUInt16LE(cname.length, 28);
    head.writeUInt16LE(cextra.length, 30);
    head.writeUInt32LE(e.central?.offset ?? offset, 42);
    central.push(head, cname, cextra);
    const descriptor = Buffer.alloc(e.descriptor ? 16 : 0);
    if (e.descriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(packed.length, 8);
      descriptor.writeUInt32LE(e.descriptor.uncompressedSize ?? e.data.length, 12);
    }
    const after = Buffer.concat([descriptor, e.after ?? new Uint8Array()]);
    chunks.push(local, lname, lextra, packed, after);
    offset += local.length + lname.length + lextra.length + packed.length + after.length;
  }
  const directory = Buffer.concat(central);
  const end = endRecord(options.end?.count ?? entries.length, options.end?.size ?? directory.length, options.end?.offset ?? offset, options.comment);
  return Buffer.concat([...chunks, directory, options.beforeEnd ?? new Uint8Array(), end]);
}

/** The parts of a {@link makeDocx} document, as entries to craft an archive from. */
export async function docxEntries(paragraphs: DocxParagraph[], opts: { title?: string } = {}): Promise<CraftEntry[]> {
  const zip = await JSZip.loadAsync(await makeDocx(paragraphs, opts));
  const entries: CraftEntry[] = [];
  for (const file of Object.values(zip.files)) if (!file.dir) entries.push({ name: file.name, data: await file.async('uint8array') });
  return entries;
}

/** Replaces the data of one entry. */
export function withPart(entries: CraftEntry[], name: string, data: Uint8Array | string): CraftEntry[] {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return entries.map((e) => (e.name === name ? { ...e, data: bytes } : e));
}

/** Changes what one entry's headers claim. */
export function lying(entries: CraftEntry[], name: string, lie: Pick<CraftEntry, 'local' | 'central' | 'after' | 'store' | 'descriptor'>): CraftEntry[] {
  if (!entries.some((e) => e.name === name)) throw new Error(`${name} is not an entry`);
  return entries.map((e) => (e.name === name ? { ...e, ...lie } : e));
}
