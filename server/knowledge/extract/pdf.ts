/**
 * PDF text through unpdf's serverless build of pdf.js.
 *
 * Bundling: unpdf loads that build with `import('unpdf/pdfjs')`, a literal
 * specifier, so esbuild inlines it into the one CommonJS file of the binary;
 * the build carries its worker in-process (`globalThis.pdfjsWorker`), so no
 * worker file is read at run time. Its `import.meta.resolve('pdfjs-dist/…')`
 * for standard fonts fails inside a try in CJS and is skipped: text
 * extraction needs no font files.
 */
import { getResolvedPDFJS } from 'unpdf';
import { AppError } from '../../kernel/errors.ts';
import { tookTooLong, tooManyChars, type ExtractLimits } from './limits.ts';

/** Most pages read by default: a 25 MB upload rarely has more. */
export const MAX_PDF_PAGES = 2_000;

/** Bounds on the work one PDF may cost. */
export type PdfLimits = Pick<ExtractLimits, 'maxChars' | 'timeoutMs'> & { maxPages?: number | undefined };

/** Text and metadata title of a PDF. */
export interface PdfText {
  text: string;
  title?: string | undefined;
}

type Loaded = Awaited<ReturnType<Awaited<ReturnType<typeof getResolvedPDFJS>>['getDocument']>['promise']>;

function failed(reason: string, message: string): AppError {
  return new AppError('extract_failed', message, { format: 'pdf', reason });
}

function describe(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return failed('encrypted', 'the PDF is encrypted (password-protected); upload an unprotected copy');
  return failed('damaged', 'the PDF could not be read: it is damaged or not a valid PDF');
}

async function pageText(pdf: Loaded, n: number): Promise<string> {
  const page = await pdf.getPage(n);
  try {
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) {
      if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
    }
    return text;
  } finally {
    page.cleanup();
  }
}

/**
 * Extracts the text of a PDF, pages separated by blank lines, and the
 * Title of its document information. Throws `extract_failed` for a
 * damaged or encrypted file or more than `maxPages` pages (default {@link MAX_PDF_PAGES}),
 * `extract_too_large` once the text passes `maxChars` (counted page by
 * page, so a huge document stops early) and `extract_timeout` for work
 * past `timeoutMs`, checked between steps. The process that runs this is
 * killed at the same deadline (isolate.ts), as one pathological page can
 * hold its thread.
 */
export async function extractPdf(bytes: Uint8Array, limits: PdfLimits): Promise<PdfText> {
  const maxPages = limits.maxPages ?? MAX_PDF_PAGES;
  const { getDocument } = await getResolvedPDFJS();
  const task = getDocument({
    // A plain Uint8Array copy: pdf.js refuses a Buffer and may detach what it is given.
    data: new Uint8Array(bytes),
    verbosity: 0,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    disableAutoFetch: true,
    disableStream: true,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tookTooLong(limits)), limits.timeoutMs);
  });
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, timeout]);
  let pdf: Loaded | undefined;
  try {
    pdf = await step(task.promise);
    if (pdf.numPages > maxPages) {
      throw failed('too_many_pages', `the PDF has ${pdf.numPages} pages; at most ${maxPages} can be read`);
    }
    const pages: string[] = [];
    let chars = 0;
    for (let n = 1; n <= pdf.numPages; n++) {
      const text = await step(pageText(pdf, n));
      chars += text.length;
      if (chars > limits.maxChars) throw tooManyChars(limits);
      pages.push(text);
    }
    const meta = await step(pdf.getMetadata()).catch(() => undefined);
    const title = (meta?.info as { Title?: unknown } | undefined)?.Title;
    return { text: pages.join('\n\n'), title: typeof title === 'string' ? title : undefined };
  } catch (error) {
    throw describe(error);
  } finally {
    clearTimeout(timer);
    // destroy() ends pending work too; a failure here must not hide the result.
    await task.destroy().catch(() => undefined);
  }
}
