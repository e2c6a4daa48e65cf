/**
 * Word documents (.docx) through mammoth, after a size check of every part
 * against the archive's own directory so a zip bomb is refused before
 * anything is inflated without a bound.
 */
import mammoth from 'mammoth';
import { AppError } from '../../lib/errors.ts';
import { readZipDirectory, readZipEntry, type ZipEntry } from './zip.ts';

/** Bounds on what one document may inflate to. */
export interface DocxLimits {
  /** Most bytes any one part (word/document.xml above all) may inflate to. */
  maxPartBytes: number;
  /** Most bytes all parts together may inflate to. */
  maxTotalBytes: number;
}

/** The defaults: far beyond any real document of a 25 MB upload. */
export const DOCX_LIMITS: DocxLimits = { maxPartBytes: 50 * 1024 * 1024, maxTotalBytes: 200 * 1024 * 1024 };

/** Text and core-properties title of a Word document. */
export interface DocxText {
  text: string;
  title?: string | undefined;
}

const MB = 1024 * 1024;

function failed(reason: string, message: string): AppError {
  return new AppError('extract_failed', message, { format: 'docx', reason });
}

const damaged = (): AppError => failed('damaged', 'the Word document could not be read: it is damaged or not a valid .docx file');

/**
 * Refuses an archive whose stated sizes are over the limits, then inflates
 * every compressed part with a bound of its stated size: jszip, under
 * mammoth, only compares sizes after inflating all of a part, so a part
 * that lies about its size would otherwise inflate without limit.
 * Returns docProps/core.xml, inflated, when there is one.
 */
export function checkDocxArchive(bytes: Uint8Array, limits: DocxLimits = DOCX_LIMITS): Uint8Array | undefined {
  const entries: ZipEntry[] | undefined = readZipDirectory(bytes);
  if (!entries) throw damaged();
  const names = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    // Two parts with one name: which one jszip picks is not what we checked.
    if (names.has(entry.name)) throw damaged();
    names.add(entry.name);
    total += entry.uncompressedSize;
    if (entry.uncompressedSize > limits.maxPartBytes) {
      throw failed('too_large', `the Word document's part ${entry.name} would inflate to ${Math.ceil(entry.uncompressedSize / MB)} MB, over the ${limits.maxPartBytes / MB} MB limit`);
    }
  }
  if (total > limits.maxTotalBytes) {
    throw failed('too_large', `the Word document would inflate to ${Math.ceil(total / MB)} MB, over the ${limits.maxTotalBytes / MB} MB limit`);
  }
  let core: Uint8Array | undefined;
  for (const entry of entries) {
    try {
      const data = readZipEntry(bytes, entry);
      if (entry.name === 'docProps/core.xml') core = data;
    } catch (error) {
      if (error instanceof RangeError) throw failed('too_large', `the Word document's part ${entry.name} inflates past its stated size`);
      throw damaged();
    }
  }
  return core;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (whole, hex?: string, dec?: string, name?: string) => {
    const code = hex ? parseInt(hex, 16) : dec ? Number(dec) : undefined;
    if (code === undefined) return ENTITIES[name!.toLowerCase()] ?? whole;
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** The `dc:title` of a docProps/core.xml, if it has one. */
export function coreTitle(coreXml: Uint8Array | undefined): string | undefined {
  if (!coreXml) return undefined;
  // core.xml is a few hundred bytes; a huge one is hostile and only its head is searched.
  const xml = new TextDecoder().decode(coreXml.subarray(0, 64 * 1024));
  const open = /<(?:[\w.-]+:)?title(?:\s[^<>]*)?>/.exec(xml);
  if (!open) return undefined;
  const start = open.index + open[0].length;
  const end = xml.indexOf('<', start);
  return end < 0 ? undefined : decodeXml(xml.slice(start, end)).trim() || undefined;
}

/**
 * Extracts the raw text of a Word document (paragraphs separated by blank
 * lines) and its title: the core properties' title, else the first line.
 * Throws `extract_failed` for a damaged file or one over the limits.
 */
export async function extractDocx(bytes: Uint8Array, limits: DocxLimits = DOCX_LIMITS): Promise<DocxText> {
  const core = checkDocxArchive(bytes, limits);
  let text: string;
  try {
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    text = result.value;
  } catch {
    throw damaged();
  }
  const firstLine = text.split('\n').find((line) => line.trim() !== '');
  return { text, title: coreTitle(core) ?? firstLine };
}
