import JSZip from 'jszip';
import mammoth from 'mammoth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { extractDocx } from '../../../../server/knowledge/extract/docx.ts';
import { extractDocument } from '../../../../server/knowledge/extract/extract.ts';
import { EXTRACT_LIMITS } from '../../../../server/knowledge/extract/limits.ts';
import { readZipDirectory } from '../../../../server/knowledge/extract/zip.ts';
import { makeDocx } from '../../../helpers/documents.ts';
import { craftZip, docxEntries, lying, withPart } from '../../../helpers/zip-craft.ts';

async function replacePart(bytes: Uint8Array, name: string, content: string): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(bytes);
  zip.file(name, content);
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

afterEach(() => vi.restoreAllMocks());

describe('docx', () => {
  const paragraphs = [
    { text: 'Onboarding & <safety>', heading: 1 as const },
    { text: 'Wear a badge at all times.' },
    { text: 'Visitors', heading: 2 as const },
    { text: 'Sign in at the front desk; café on floor 2.' },
  ];

  it('extracts paragraphs separated by blank lines and the core title', async () => {
    const doc = await extractDocument(await makeDocx(paragraphs, { title: 'Handbook "2025" & more' }), { filename: 'handbook.docx' });
    expect(doc).toEqual({
      format: 'docx',
      title: 'Handbook "2025" & more',
      text: 'Onboarding & <safety>\n\nWear a badge at all times.\n\nVisitors\n\nSign in at the front desk; café on floor 2.',
    });
  });

  it('reads a Buffer inside a larger allocation', async () => {
    const docx = await makeDocx([{ text: 'From a Buffer' }]);
    const bytes = Buffer.concat([Buffer.from('prefix'), docx]).subarray(6);
    expect((await extractDocument(bytes, {})).text).toBe('From a Buffer');
  });

  it('falls back to the first line for the title, and ignores a misleading name', async () => {
    const doc = await extractDocument(await makeDocx(paragraphs), { filename: 'scan.pdf', declaredType: 'application/pdf' });
    expect(doc.format).toBe('docx');
    expect(doc.title).toBe('Onboarding & <safety>');
  });

  it('refuses a truncated file with extract_failed', async () => {
    const bytes = await makeDocx(paragraphs);
    await expect(extractDocument(bytes.slice(0, Math.floor(bytes.length * 0.6)), { filename: 'a.docx' })).rejects.toMatchObject({
      code: 'extract_failed',
      message: 'the Word document could not be read: it is damaged or not a valid .docx file',
    });
  });

  it('refuses a document whose XML is broken', async () => {
    const broken = await replacePart(await makeDocx(paragraphs), 'word/document.xml', '<w:document><w:body><w:p>unclosed');
    await expect(extractDocument(broken, {})).rejects.toMatchObject({ code: 'extract_failed', details: { reason: 'damaged' } });
  });

  it('refuses a document without text', async () => {
    await expect(extractDocument(await makeDocx([{ text: '   ' }]), {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: 'the Word document has no text',
    });
  });

  it('refuses a document.xml whose headers claim a huge size without inflating anything', async () => {
    const spy = vi.spyOn(mammoth, 'extractRawText');
    const claim = { uncompressedSize: 3_000_000_000 };
    const bomb = craftZip(lying(await docxEntries(paragraphs), 'word/document.xml', { local: claim, central: claim }));
    expect(readZipDirectory(bomb).find((e) => e.name === 'word/document.xml')?.uncompressedSize).toBe(3_000_000_000);
    await expect(extractDocument(bomb, {})).rejects.toMatchObject({
      code: 'extract_too_large',
      message: "the Word document's part word/document.xml would inflate to 2862 MB, over the 8 MB limit (EXTRACT_MAX_PART_MB)",
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it("refuses the bug report's 20 MB of XML under the default limits, before inflating it", async () => {
    const xml = `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${'<w:p><w:r><w:t>lorem ipsum dolor sit amet</w:t></w:r></w:p>'.repeat(350_000)}</w:body></w:document>`;
    const bytes = craftZip(withPart(await docxEntries(paragraphs), 'word/document.xml', xml));
    expect(bytes.length).toBeLessThan(100_000);
    await expect(extractDocument(bytes, {})).rejects.toMatchObject({ code: 'extract_too_large', details: { limit: 'EXTRACT_MAX_PART_MB' } });
  });

  it('refuses a part that inflates past the size it states', async () => {
    const spy = vi.spyOn(mammoth, 'extractRawText');
    const claim = { uncompressedSize: 1_000 };
    const liar = craftZip(lying(await docxEntries([{ text: 'x'.repeat(20_000) }]), 'word/document.xml', { local: claim, central: claim }));
    await expect(extractDocument(liar, {})).rejects.toMatchObject({
      code: 'bad_archive',
      message: 'the Word document is not a well-formed ZIP archive: word/document.xml inflates past the size it states',
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('gives mammoth a new archive of the checked XML parts only, never the uploaded bytes', async () => {
    const spy = vi.spyOn(mammoth, 'extractRawText');
    const png = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
    const upload = craftZip([...(await docxEntries(paragraphs)), { name: 'word/media/image1.png', data: png, store: true }]);
    expect((await extractDocument(upload, {})).text).toContain('Wear a badge at all times.');
    const given = (spy.mock.calls[0]![0] as { buffer: Buffer }).buffer;
    expect(Buffer.compare(given, upload)).not.toBe(0);
    const entries = readZipDirectory(given);
    expect(entries.map((e) => e.name).sort()).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'docProps/core.xml',
      'word/_rels/document.xml.rels',
      'word/document.xml',
      'word/styles.xml',
    ]);
    expect(entries.every((e) => e.method === 0)).toBe(true); // stored: jszip inflates nothing
  });

  it('enforces the per-part and total limits on real content', async () => {
    const bytes = await makeDocx([{ text: 'lorem ipsum '.repeat(200_000) }]); // ~2.4 MB of XML, deflated to a few KB
    await expect(extractDocx(bytes, { maxPartBytes: 1024 * 1024, maxTotalBytes: 100 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'extract_too_large',
      message: "the Word document's part word/document.xml would inflate to 3 MB, over the 1 MB limit (EXTRACT_MAX_PART_MB)",
    });
    await expect(extractDocx(bytes, { maxPartBytes: 10 * 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'extract_too_large',
      message: 'the Word document would inflate to 3 MB, over the 2 MB limit (EXTRACT_MAX_TOTAL_MB)',
    });
    const ok = await extractDocx(bytes, { maxPartBytes: 10 * 1024 * 1024, maxTotalBytes: 20 * 1024 * 1024 });
    expect(ok.text.trim().split(' ').length).toBe(400_000);
  });

  it('stops at the character limit', async () => {
    const bytes = await makeDocx([{ text: 'lorem ipsum '.repeat(1_000) }]);
    await expect(extractDocument(bytes, {}, { ...EXTRACT_LIMITS, maxChars: 5_000 })).rejects.toMatchObject({
      code: 'extract_too_large',
      message: "the document's text is longer than 5,000 characters (EXTRACT_MAX_CHARS)",
    });
  });
});
