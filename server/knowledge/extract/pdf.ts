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
import { AppError } from '../../lib/errors.ts';

/** Bounds on the work one PDF may cost. */
export interface PdfLimits {
  maxPages: number;
  timeoutMs: number;
}

/** The defaults: a 25 MB upload rarely has more pages; a minute is generous for text. */
export const PDF_LIMITS: PdfLimits = { maxPages: 2_000, timeoutMs: 60_000 };

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
 * damaged or encrypted file, more than `maxPages` pages, or work past
 * `timeoutMs`. pdf.js runs on this thread: the deadline is checked between
 * steps, so one pathological page can still hold the thread until it ends.
 */
export async function extractPdf(bytes: Uint8Array, limits: PdfLimits = PDF_LIMITS): Promise<PdfText> {
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
    timer = setTimeout(() => reject(failed('timeout', `the PDF took longer than ${limits.timeoutMs / 1000} s to read`)), limits.timeoutMs);
  });
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, timeout]);
  let pdf: Loaded | undefined;
  try {
    pdf = await step(task.promise);
    if (pdf.numPages > limits.maxPages) {
      throw failed('too_many_pages', `the PDF has ${pdf.numPages} pages; at most ${limits.maxPages} can be read`);
    }
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) pages.push(await step(pageText(pdf, n)));
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
