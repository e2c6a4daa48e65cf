/**
 * Format detection from the bytes. The name and declared type only choose
 * between text formats; they never make a binary file acceptable or a text
 * file binary.
 */
import { fileTypeFromBuffer } from 'file-type/core';
import { AppError } from '../../kernel/errors.ts';
import { describeType, unsupportedMessage } from './describe.ts';
import { classifyText, decodeText, PROLOGUE, type FormatHint, type TextFormat } from './text.ts';
import { looksLikeZip, readZipDirectory, scanLocalNames } from './zip.ts';

/** What the bytes are: a binary document, or text already decoded. */
export type Sniffed = { format: 'pdf' | 'docx' } | { format: TextFormat; text: string };

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-

function pdfMagicAt(bytes: Uint8Array, at: number): boolean {
  return PDF_MAGIC.every((b, i) => bytes[at + i] === b);
}

// pdf.js, like Acrobat, accepts a header within the first 1024 bytes (after junk a mailer added).
function pdfMagicWithin(bytes: Uint8Array): boolean {
  for (let i = 0; i < Math.min(1024, bytes.length); i++) if (pdfMagicAt(bytes, i)) return true;
  return false;
}

// A Word document's main part is word/document.xml (or document2.xml from some online editors).
const WORD_MAIN = /^word\/document\d*\.xml$/;

function unsupported(what: string, detected: string): AppError {
  return new AppError('unsupported_type', unsupportedMessage(what), { detected });
}

async function refuse(bytes: Uint8Array): Promise<never> {
  let type: { ext: string; mime: string } | undefined;
  try {
    type = await fileTypeFromBuffer(bytes);
  } catch {
    type = undefined;
  }
  throw unsupported(describeType(type), type?.mime ?? 'unknown');
}

// Text that is markup for another program, not prose: indexing it would index its syntax.
const NOT_PROSE: Array<[RegExp, string, string]> = [
  [/^\s*\{\\rtf/, 'an RTF document', 'application/rtf'],
  [/^%!PS/, 'a PostScript file', 'application/postscript'],
  [new RegExp(String.raw`${PROLOGUE}(?:<!doctype[^<>]*>\s*)?<svg[\s>]`, 'i'), 'an SVG image', 'image/svg+xml'],
];

function directoryNames(bytes: Uint8Array): string[] | undefined {
  try {
    return readZipDirectory(bytes).map((e) => e.name);
  } catch {
    return undefined;
  }
}

function isWordArchive(bytes: Uint8Array): boolean {
  const names = directoryNames(bytes);
  // No directory the strict reader accepts (a truncated or malformed file): the local headers
  // still name its parts, and reading it then fails the document with the reason.
  if (!names) return scanLocalNames(bytes).some((name) => name.startsWith('word/'));
  return names.some((name) => WORD_MAIN.test(name));
}

/**
 * Tells what an upload is, from its bytes: a PDF (magic at the start, or
 * within the first KiB of a file that is not text), a ZIP holding a Word
 * main part, or text (UTF-8 or UTF-16 with a BOM, no NUL) classified by
 * {@link classifyText}. Throws `unsupported_type`, naming what was found,
 * for anything else: images (SVG too), other archives, RTF and PostScript,
 * binary data.
 */
export async function sniff(bytes: Uint8Array, hint: FormatHint): Promise<Sniffed> {
  if (pdfMagicAt(bytes, 0)) return { format: 'pdf' };
  if (looksLikeZip(bytes)) {
    if (isWordArchive(bytes)) return { format: 'docx' };
    // file-type names Office and OpenDocument siblings; any other archive is a plain ZIP.
    const type = await fileTypeFromBuffer(bytes).catch(() => undefined);
    // Word parts under other names: mammoth finds the main part from the package's relationships.
    if (type?.ext === 'docx') return { format: 'docx' };
    throw unsupported(describeType(type ?? { ext: 'zip', mime: 'application/zip' }), type?.mime ?? 'application/zip');
  }
  const text = decodeText(bytes);
  if (text === undefined) {
    if (pdfMagicWithin(bytes)) return { format: 'pdf' };
    return refuse(bytes);
  }
  for (const [pattern, what, mime] of NOT_PROSE) if (pattern.test(text)) throw unsupported(what, mime);
  return { format: classifyText(text, hint), text };
}
