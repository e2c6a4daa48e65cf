/**
 * Document text extraction for the knowledge base: sniffs what an upload
 * really is and turns it into normalised plain text and a title.
 */
import { AppError } from '../../kernel/errors.ts';
import { extractDocx } from './docx.ts';
import { htmlTitle, htmlToText } from './html.ts';
import { EXTRACT_LIMITS, tooManyChars, type ExtractLimits } from './limits.ts';
import { cleanTitle, hasText, normaliseText } from './normalise.ts';
import { extractPdf } from './pdf.ts';
import { sniff } from './sniff.ts';
import { markdownTitle, type FormatHint } from './text.ts';

export type { FormatHint } from './text.ts';
export type { ExtractLimits } from './limits.ts';

/** The formats the knowledge base accepts. */
export type DocumentFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx';

/** Plain text of a document, ready for the chunker, and its title when it states one. */
export interface ExtractedDocument {
  format: DocumentFormat;
  title?: string | undefined;
  /** Normalised: \n line ends, no control characters but \t, paragraphs split by one blank line, trimmed. */
  text: string;
}

const NO_TEXT: Record<DocumentFormat, string> = {
  pdf: 'the PDF has no text layer (it may be a scan or contain only images), and OCR is not available',
  docx: 'the Word document has no text',
  html: 'the HTML page has no text',
  md: 'the document has no text',
  txt: 'the document has no text',
};

/**
 * Sniffs the real format from the bytes (never trusting name or declared
 * type alone): see {@link sniff}. Throws `unsupported_type` naming what was
 * found when it is none of txt, md, html, pdf or docx.
 */
export async function sniffFormat(bytes: Uint8Array, hint: FormatHint): Promise<DocumentFormat> {
  return (await sniff(bytes, hint)).format;
}

async function extractRaw(
  bytes: Uint8Array,
  hint: FormatHint,
  limits: ExtractLimits,
): Promise<{ format: DocumentFormat; text: string; title?: string | undefined }> {
  const found = await sniff(bytes, hint);
  switch (found.format) {
    case 'pdf':
      return { format: 'pdf', ...(await extractPdf(bytes, limits)) };
    case 'docx':
      return { format: 'docx', ...(await extractDocx(bytes, limits)) };
    case 'html':
      return { format: 'html', text: htmlToText(found.text), title: htmlTitle(found.text) };
    case 'md':
      return { format: 'md', text: found.text, title: markdownTitle(found.text) };
    case 'txt':
      return { format: 'txt', text: found.text };
  }
}

/**
 * Sniffs the real format from the bytes and extracts plain text and a
 * title (markdown's first `# ` heading, HTML's `<title>` or first `<h1>`,
 * a PDF's document title, a Word document's core title or first line).
 * Throws {@link AppError} only: `unsupported_type` for formats it does not
 * read, `extract_failed` for damaged or encrypted files and for documents
 * without text (`details.reason` says which), `bad_archive` for a
 * malformed .docx, `extract_too_large` and `extract_timeout` past the
 * limits. Runs on the calling thread: the server calls it only inside the
 * extraction process (see isolate.ts), which also bounds its memory.
 */
export async function extractDocument(bytes: Uint8Array, hint: FormatHint, limits: ExtractLimits = EXTRACT_LIMITS): Promise<ExtractedDocument> {
  let doc: { format: DocumentFormat; text: string; title?: string | undefined };
  try {
    doc = await extractRaw(bytes, hint, limits);
  } catch (error) {
    if (error instanceof AppError) throw error;
    // A library failing in a way we did not foresee (html-to-text on hostile markup, a stack overflow).
    throw new AppError('extract_failed', 'the document could not be read', { reason: 'damaged', cause: String(error) });
  }
  const text = normaliseText(doc.text);
  if (text.length > limits.maxChars) throw tooManyChars(limits);
  if (!hasText(text)) throw new AppError('extract_failed', NO_TEXT[doc.format], { format: doc.format, reason: 'no_text' });
  return { format: doc.format, title: cleanTitle(doc.title), text };
}
