import JSZip from 'jszip';
import mammoth from 'mammoth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { extractDocx } from '../../../../server/knowledge/extract/docx.ts';
import { extractDocument } from '../../../../server/knowledge/extract/index.ts';
import { readZipDirectory } from '../../../../server/knowledge/extract/zip.ts';
import { makeDocx } from '../../../helpers/documents.ts';

/** Rewrites the uncompressed size that the central directory states for one entry. */
function claimSize(bytes: Uint8Array, name: string, size: number): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  const target = new TextEncoder().encode(name);
  for (let i = 0; i + 46 < out.length; i++) {
    if (dv.getUint32(i, true) !== 0x02014b50 || dv.getUint16(i + 28, true) !== target.length) continue;
    if (Buffer.compare(out.subarray(i + 46, i + 46 + target.length), target) === 0) {
      dv.setUint32(i + 24, size, true);
      return out;
    }
  }
  throw new Error(`${name} not in the central directory`);
}

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

  it('refuses a document.xml that claims a huge size without inflating anything', async () => {
    const spy = vi.spyOn(mammoth, 'extractRawText');
    const bomb = claimSize(await makeDocx(paragraphs), 'word/document.xml', 3_000_000_000);
    expect(readZipDirectory(bomb)?.find((e) => e.name === 'word/document.xml')?.uncompressedSize).toBe(3_000_000_000);
    await expect(extractDocument(bomb, {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: "the Word document's part word/document.xml would inflate to 2862 MB, over the 50 MB limit",
      details: { reason: 'too_large' },
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a part that inflates past the size it states', async () => {
    const spy = vi.spyOn(mammoth, 'extractRawText');
    const bytes = await makeDocx([{ text: 'x'.repeat(20_000) }]);
    const liar = claimSize(bytes, 'word/document.xml', 1_000);
    await expect(extractDocument(liar, {})).rejects.toMatchObject({
      code: 'extract_failed',
      message: "the Word document's part word/document.xml inflates past its stated size",
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('enforces the per-part and total limits on real content', async () => {
    const bytes = await makeDocx([{ text: 'lorem ipsum '.repeat(200_000) }]); // ~2.4 MB of XML, deflated to a few KB
    await expect(extractDocx(bytes, { maxPartBytes: 1024 * 1024, maxTotalBytes: 100 * 1024 * 1024 })).rejects.toMatchObject({
      details: { reason: 'too_large' },
    });
    await expect(extractDocx(bytes, { maxPartBytes: 10 * 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 })).rejects.toMatchObject({
      message: expect.stringMatching(/^the Word document would inflate to 3 MB, over the 2 MB limit$/),
    });
    const ok = await extractDocx(bytes, { maxPartBytes: 10 * 1024 * 1024, maxTotalBytes: 20 * 1024 * 1024 });
    expect(ok.text.trim().split(' ').length).toBe(400_000);
  });
});
