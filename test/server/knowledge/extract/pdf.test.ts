import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../../../server/knowledge/extract/extract.ts';
import { extractPdf } from '../../../../server/knowledge/extract/pdf.ts';
import { makeEncryptedLookingPdf, makeImageOnlyPdf, makePdf } from '../../../helpers/documents.ts';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('pdf', () => {
  it('extracts the text of every page, in order, and the document title', async () => {
    const bytes = await makePdf([['Revenue grew in every region.', 'Costs fell by 3.14 %.'], ['Page two: café and naïve.']], { title: 'Annual report 2024' });
    const doc = await extractDocument(bytes, { filename: 'report.pdf', declaredType: 'application/pdf' });
    expect(doc).toEqual({
      format: 'pdf',
      title: 'Annual report 2024',
      text: 'Revenue grew in every region.\nCosts fell by 3.14 %.\n\nPage two: café and naïve.',
    });
  });

  it('reads a PDF whatever its name says', async () => {
    const doc = await extractDocument(await makePdf([['Hidden in a txt']]), { filename: 'notes.txt', declaredType: 'text/plain' });
    expect(doc.format).toBe('pdf');
    expect(doc.text).toBe('Hidden in a txt');
    expect(doc.title).toBeUndefined();
  });

  it('keeps every word of lines wrapped to the page', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const doc = await extractDocument(await makePdf([[long]]), {});
    expect(doc.text.split(/\s+/)).toEqual(long.split(' '));
    expect(doc.text.split('\n').length).toBeGreaterThan(1);
  });

  it('refuses truncated and corrupt files with extract_failed', async () => {
    const bytes = await makePdf([['Some text that will be cut off.'], ['More.']]);
    const garbage = new Uint8Array([...new TextEncoder().encode('%PDF-1.7\n'), ...Array.from({ length: 800 }, (_, i) => (i * 7919 + 13) & 0xff)]);
    for (const broken of [bytes.slice(0, Math.floor(bytes.length / 2)), bytes.slice(0, 40), garbage]) {
      await expect(extractDocument(broken, { filename: 'a.pdf' })).rejects.toMatchObject({
        code: 'extract_failed',
        message: 'the PDF could not be read: it is damaged or not a valid PDF',
      });
    }
  });

  it('says an image-only PDF has no text layer and OCR is not available', async () => {
    const error = await failure(extractDocument(await makeImageOnlyPdf(), { filename: 'scan.pdf' }));
    expect(error).toMatchObject({ code: 'extract_failed', details: { reason: 'no_text' } });
    expect((error as Error).message).toMatch(/no text layer.*OCR is not available/);
  });

  it('refuses an encrypted PDF', async () => {
    await expect(extractDocument(await makeEncryptedLookingPdf(), {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: expect.stringMatching(/encrypted/),
      details: { reason: 'encrypted' },
    });
  });

  it('refuses more pages than the limit before reading them', async () => {
    const bytes = await makePdf([['a'], ['b'], ['c']]);
    await expect(extractPdf(bytes, { maxPages: 2, timeoutMs: 60_000, maxChars: 1_000 })).rejects.toMatchObject({
      code: 'extract_failed',
      message: 'the PDF has 3 pages; at most 2 can be read',
    });
    expect((await extractPdf(bytes, { maxPages: 3, timeoutMs: 60_000, maxChars: 1_000 })).text).toBe('a\n\nb\n\nc');
  });

  it('gives up past the time limit', async () => {
    const bytes = await makePdf(Array.from({ length: 300 }, (_, i) => [`Page ${i}`]));
    await expect(extractPdf(bytes, { timeoutMs: 5, maxChars: 1_000_000 })).rejects.toMatchObject({
      code: 'extract_timeout',
      message: 'reading the document took longer than 0.005 s (EXTRACT_TIMEOUT_S)',
    });
  });

  it('stops at the character limit, counted page by page', async () => {
    const bytes = await makePdf(Array.from({ length: 5 }, (_, i) => [`Page ${i} ${'lorem ipsum '.repeat(20)}`]));
    await expect(extractPdf(bytes, { timeoutMs: 60_000, maxChars: 500 })).rejects.toMatchObject({
      code: 'extract_too_large',
      message: "the document's text is longer than 500 characters (EXTRACT_MAX_CHARS)",
    });
    expect((await extractPdf(bytes, { timeoutMs: 60_000, maxChars: 2_000 })).text).toMatch(/^Page 0 lorem/);
  });

  it('reads a Buffer inside a larger allocation and leaves it intact', async () => {
    const pdf = await makePdf([['Keep me']]);
    // Like an upload: a Buffer that is a window on a bigger one.
    const bytes = Buffer.concat([Buffer.from('junk before'), pdf, Buffer.from('junk after')]).subarray(11, 11 + pdf.length);
    const copy = Buffer.from(bytes);
    expect((await extractDocument(bytes, {})).text).toBe('Keep me');
    expect(bytes.byteLength).toBe(copy.byteLength);
    expect(Buffer.compare(bytes, copy)).toBe(0);
  });
});
