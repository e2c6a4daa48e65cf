/**
 * Word documents (.docx) through mammoth, given only parts this module has
 * read and checked: the archive's structure by the strict reader (zip.ts),
 * every part mammoth may read within the inflated limits, and then a new
 * archive of just those parts, so what mammoth reads is what was checked.
 */
import mammoth from 'mammoth';
import { AppError } from '../../kernel/errors.ts';
import { tooLargeInflated, type ExtractLimits } from './limits.ts';
import { readZipEntry, storedZip } from './zip-entry.ts';
import { readZipDirectory, ZipRefused, type ZipEntry } from './zip.ts';

/** Text and core-properties title of a Word document. */
export interface DocxText {
  text: string;
  title?: string | undefined;
}

const damaged = (): AppError =>
  new AppError('extract_failed', 'the Word document could not be read: it is damaged or not a valid .docx file', { format: 'docx', reason: 'damaged' });

function refused(error: unknown): AppError {
  if (!(error instanceof ZipRefused) || error.kind === 'missing') return damaged();
  return new AppError('bad_archive', `the Word document is not a well-formed ZIP archive: ${error.message}`, { format: 'docx' });
}

// What mammoth reads: XML parts and their relationships. Images, fonts and embedded
// files never reach it, and are not inflated at all.
const READ_PART = /\.(?:xml|rels)$/i;

/**
 * The parts of a Word document that mammoth may read, inflated and
 * checked: throws `bad_archive` for an archive the strict reader refuses or
 * a part that lies about its size or CRC, `extract_too_large` when a part
 * or all of them would inflate past the limits (checked on the stated
 * sizes before anything is inflated, then held to while inflating),
 * `extract_failed` for a file without a directory.
 */
export function readDocxParts(bytes: Uint8Array, limits: Pick<ExtractLimits, 'maxPartBytes' | 'maxTotalBytes'>): Map<string, Uint8Array> {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes).filter((e) => READ_PART.test(e.name));
  } catch (error) {
    throw refused(error);
  }
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    if (entry.uncompressedSize > limits.maxPartBytes)
      throw tooLargeInflated(`the Word document's part ${entry.name}`, entry.uncompressedSize, limits.maxPartBytes, 'EXTRACT_MAX_PART_MB');
  }
  if (total > limits.maxTotalBytes) throw tooLargeInflated('the Word document', total, limits.maxTotalBytes, 'EXTRACT_MAX_TOTAL_MB');
  const parts = new Map<string, Uint8Array>();
  for (const entry of entries) {
    try {
      parts.set(entry.name, readZipEntry(bytes, entry));
    } catch (error) {
      throw refused(error);
    }
  }
  return parts;
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
 * Throws as {@link readDocxParts} does, and `extract_failed` for a document
 * mammoth cannot read.
 */
export async function extractDocx(bytes: Uint8Array, limits: Pick<ExtractLimits, 'maxPartBytes' | 'maxTotalBytes'>): Promise<DocxText> {
  const parts = readDocxParts(bytes, limits);
  let text: string;
  try {
    text = (await mammoth.extractRawText({ buffer: storedZip(parts) })).value;
  } catch {
    throw damaged();
  }
  const firstLine = text.split('\n').find((line) => line.trim() !== '');
  return { text, title: coreTitle(parts.get('docProps/core.xml')) ?? firstLine };
}
