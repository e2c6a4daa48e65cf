import { deflateRawSync } from 'node:zlib';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { extractDocument, sniffFormat } from '../../../../server/knowledge/extract/extract.ts';
import { isAppError } from '../../../../server/kernel/errors.ts';
import { makeDocx, makePdf } from '../../../helpers/documents.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

// The first bytes of a real PNG: signature and IHDR chunk.
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
]);

async function refusal(bytes: Uint8Array, hint = {}): Promise<{ code: string; message: string }> {
  const error: unknown = await extractDocument(bytes, hint).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('sniffFormat', () => {
  it('believes the bytes over the name, both ways', async () => {
    const pdf = await makePdf([['Quarterly figures']]);
    const docx = await makeDocx([{ text: 'Minutes' }]);
    expect(await sniffFormat(pdf, { filename: 'notes.txt', declaredType: 'text/plain' })).toBe('pdf');
    expect(await sniffFormat(docx, { filename: 'scan.pdf', declaredType: 'application/pdf' })).toBe('docx');
    expect(await sniffFormat(utf8('Just words.'), { filename: 'report.pdf', declaredType: 'application/pdf' })).toBe('txt');
    expect(await sniffFormat(utf8('# Title\n\nBody'), { filename: 'report.docx' })).toBe('txt');
    expect(await sniffFormat(utf8('<!DOCTYPE html><p>x</p>'), { filename: 'readme.md' })).toBe('html');
  });

  it('tells markdown, html and text apart from content and name', async () => {
    expect(await sniffFormat(utf8('# Title\n\nBody'), { filename: 'notes.md' })).toBe('md');
    expect(await sniffFormat(utf8('# Title\n\nBody'), { filename: 'NOTES.MARKDOWN' })).toBe('md');
    expect(await sniffFormat(utf8('# Title'), { declaredType: 'text/markdown; charset=utf-8' })).toBe('md');
    expect(await sniffFormat(utf8('plain'), { filename: 'notes.txt' })).toBe('txt');
    expect(await sniffFormat(utf8('plain'), {})).toBe('txt');
    expect(await sniffFormat(utf8('  \n<html lang="en"><p>x</p></html>'), { filename: 'a.txt' })).toBe('html');
    expect(await sniffFormat(utf8('Intro\n<body>\n<p>x</p>\n</body>'), { filename: 'a.txt' })).toBe('html');
    // A fragment is HTML only when the name or type says so.
    expect(await sniffFormat(utf8('<p>Hello <b>there</b></p>'), { filename: 'frag.html' })).toBe('html');
    expect(await sniffFormat(utf8('<p>Hello <b>there</b></p>'), { filename: 'frag.txt' })).toBe('txt');
    // Tags inside markdown code are examples, not the document's markup.
    expect(await sniffFormat(utf8('# Page\n\n```html\n<html><body>x</body></html>\n```\n'), { filename: 'how-to.md' })).toBe('md');
  });

  it('reads text whose first bytes look like a binary magic number', async () => {
    // file-type alone calls this a BMP image ("BM") and a Windows program ("MZ").
    expect(await sniffFormat(utf8('BMW annual report 2024'), {})).toBe('txt');
    expect(await sniffFormat(utf8('MZ and the team'), {})).toBe('txt');
  });
});

describe('refused uploads', () => {
  it('refuses a PNG, naming it, whatever its name', async () => {
    const r = await refusal(PNG, { filename: 'report.pdf', declaredType: 'application/pdf' });
    expect(r.code).toBe('unsupported_type');
    expect(r.message).toBe('a PNG image is not a supported document type; upload txt, md, html, pdf or docx');
  });

  it('refuses a ZIP that is not a Word document, and names Office siblings', async () => {
    const zip = new JSZip();
    zip.file('photos/a.txt', 'not a document');
    const plain = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
    const r = await refusal(plain, { filename: 'a.docx' });
    expect(r.code).toBe('unsupported_type');
    expect(r.message).toMatch(/^a ZIP archive that is not a Word document is not a supported document type/);

    const xlsx = new JSZip();
    xlsx.file(
      '[Content_Types].xml',
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    );
    xlsx.file('xl/workbook.xml', '<workbook/>');
    const s = await refusal(await xlsx.generateAsync({ type: 'uint8array' }), { filename: 'a.docx' });
    expect(s.code).toBe('unsupported_type');
    expect(s.message).toMatch(/^an Excel workbook \(xlsx\) is not a supported/);
  });

  it('refuses random binary data and text with NUL bytes', async () => {
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    for (const bytes of [random, utf8('hello\0world'), deflateRawSync(Buffer.from('x'.repeat(1000)))]) {
      const r = await refusal(bytes, { filename: 'notes.txt', declaredType: 'text/plain' });
      expect(r.code).toBe('unsupported_type');
      expect(r.message).toMatch(/^binary data .* is not a supported document type/);
    }
  });

  it('refuses invalid UTF-8, RTF and SVG', async () => {
    expect((await refusal(new Uint8Array([0x48, 0x69, 0xc3, 0x28, 0x41]), { filename: 'a.txt' })).code).toBe('unsupported_type');
    const rtf = await refusal(utf8('{\\rtf1\\ansi Hello}'), { filename: 'a.txt' });
    expect(rtf).toEqual({ code: 'unsupported_type', message: 'an RTF document is not a supported document type; upload txt, md, html, pdf or docx' });
    const svg = await refusal(utf8('<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg"><text>Hi</text></svg>'), {
      filename: 'a.txt',
    });
    expect(svg.message).toMatch(/^an SVG image is not a supported document type/);
  });

  it('refuses an empty or blank file as having no text', async () => {
    for (const bytes of [new Uint8Array(0), utf8(' \n\t\n')]) {
      expect(await refusal(bytes, { filename: 'a.txt' })).toEqual({ code: 'extract_failed', message: 'the document has no text' });
    }
  });
});
