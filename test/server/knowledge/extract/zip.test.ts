import JSZip from 'jszip';
import mammoth from 'mammoth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { extractDocument, sniffFormat } from '../../../../server/knowledge/extract/extract.ts';
import { readZipDirectory, ZipRefused } from '../../../../server/knowledge/extract/zip.ts';
import { makeDocx } from '../../../helpers/documents.ts';
import { craftZip, docxEntries, endRecord, extraField, lying, type CraftEntry } from '../../../helpers/zip-craft.ts';

const DOC = 'word/document.xml';
const ZIP64_LOCATOR = Buffer.from([0x50, 0x4b, 0x06, 0x07, ...new Array<number>(16).fill(0)]);
const PARAGRAPHS = [{ text: 'Strict reading', heading: 1 as const }, { text: 'Every entry is checked before mammoth sees it.' }];

async function refusal(bytes: Uint8Array): Promise<{ code: string; message: string }> {
  return extractDocument(bytes, { filename: 'crafted.docx' }).then(
    () => ({ code: 'none', message: 'extracted' }),
    (e: unknown) => e as { code: string; message: string },
  );
}

/** End record fields of a plain archive (no comment): entries, directory size and offset. */
function tail(bytes: Uint8Array): { count: number; size: number; offset: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = b.length - 22;
  return { count: b.readUInt16LE(at + 10), size: b.readUInt32LE(at + 12), offset: b.readUInt32LE(at + 16) };
}

/**
 * The archive of the bug report: the end record states the benign
 * directory's offset, but a gap before the end record makes jszip shift
 * every offset by the gap, where a second directory lists a bomb.
 */
function shiftedDirectory(benign: Uint8Array, bomb: Uint8Array): { bytes: Uint8Array; directory: Uint8Array } {
  const a = tail(benign);
  const b = tail(bomb);
  if (a.count !== b.count || a.size !== b.size || b.offset > a.offset) throw new Error('the two archives do not fit together');
  const directory = benign.subarray(a.offset, a.offset + a.size);
  const bytes = Buffer.concat([
    benign.subarray(0, a.offset + a.size), // benign entries and their directory, where the end record points
    bomb.subarray(0, b.offset), // the bomb's entries, as many bytes later than its directory says as the gap is long
    new Uint8Array(a.offset - b.offset),
    bomb.subarray(b.offset, b.offset + b.size), // its directory, at the stated offset plus `shift`
    endRecord(a.count, a.size, a.offset),
  ]);
  return { bytes, directory };
}

afterEach(() => vi.restoreAllMocks());

describe('the strict zip reader', () => {
  it('reads an honest archive written byte by byte (the control for every case below)', async () => {
    const doc = await extractDocument(craftZip(await docxEntries(PARAGRAPHS, { title: 'Crafted' })), {});
    expect(doc).toEqual({ format: 'docx', title: 'Crafted', text: 'Strict reading\n\nEvery entry is checked before mammoth sees it.' });
  });

  it('accepts sizes in a data descriptor that agrees with the directory', async () => {
    const entries = (await docxEntries(PARAGRAPHS)).map((e): CraftEntry => ({ ...e, descriptor: {} }));
    expect((await extractDocument(craftZip(entries), {})).text).toContain('Strict reading');
  });

  it("refuses the bug report's archive, whose directory jszip finds shifted by a gap before the end record", async () => {
    const benign = await makeDocx([{ text: Array.from({ length: 30_000 }, (_, i) => (i * 7919).toString(36)).join(' ') }]);
    const bombXml = `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${'<w:p><w:r><w:t>lorem ipsum dolor sit amet</w:t></w:r></w:p>'.repeat(350_000)}</w:body></w:document>`;
    const bombZip = await JSZip.loadAsync(await makeDocx([{ text: 'x' }]));
    bombZip.file(DOC, bombXml);
    const bomb = await bombZip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    const { bytes, directory } = shiftedDirectory(benign, bomb);
    // The fixture really is a differential: a reader that trusts the stated offset finds the
    // benign directory there, while jszip (what mammoth reads with) inflates the 20 MB part.
    expect(Buffer.compare(bytes.subarray(tail(bytes).offset, tail(bytes).offset + directory.length), directory)).toBe(0);
    expect((await (await JSZip.loadAsync(bytes)).file(DOC)!.async('uint8array')).length).toBeGreaterThan(20_000_000);
    const spy = vi.spyOn(mammoth, 'extractRawText');
    expect(await refusal(bytes)).toEqual(
      expect.objectContaining({
        code: 'bad_archive',
        message: 'the Word document is not a well-formed ZIP archive: its central directory does not end at the end record',
      }),
    );
    expect(spy).not.toHaveBeenCalled();
  }, 30_000);

  const cases: Array<[string, (entries: CraftEntry[]) => Uint8Array, RegExp]> = [
    [
      'bytes between the central directory and the end record',
      (e) => craftZip(e, { beforeEnd: new Uint8Array(16) }),
      /central directory does not end at the end record/,
    ],
    ['a second end record in the comment', (e) => craftZip(e, { comment: endRecord(0, 0, 0) }), /more than one end-of-central-directory record/],
    ['a second end record after the first', (e) => Buffer.concat([craftZip(e), endRecord(e.length, 0, 0)]), /more than one end-of-central-directory record/],
    ['bytes after the end record', (e) => Buffer.concat([craftZip(e), new Uint8Array(8)]), /end record does not end the file/],
    [
      'a local header naming another file',
      (e) => craftZip(lying(e, DOC, { local: { name: 'word/documenx.xml' } })),
      /local header of word\/document\.xml names another file/,
    ],
    [
      'a local header stating another inflated size',
      (e) => craftZip(lying(e, DOC, { local: { uncompressedSize: 1 } })),
      /disagrees with the directory on sizes/,
    ],
    [
      'a local header stating another compressed size',
      (e) => craftZip(lying(e, DOC, { local: { compressedSize: 3 } })),
      /disagrees with the directory on sizes/,
    ],
    ['a local header stating another method', (e) => craftZip(lying(e, DOC, { local: { method: 0 } })), /disagrees with the directory/],
    [
      'a data descriptor stating another size',
      (e) => craftZip(lying(e, DOC, { descriptor: { uncompressedSize: 5 } })),
      /data descriptor of word\/document\.xml disagrees/,
    ],
    ['a ZIP64 extra field in the directory', (e) => craftZip(lying(e, DOC, { central: { extra: extraField(1, new Uint8Array(16)) } })), /has ZIP64 fields/],
    ['a ZIP64 extra field in a local header', (e) => craftZip(lying(e, DOC, { local: { extra: extraField(1, new Uint8Array(16)) } })), /has ZIP64 fields/],
    ['ZIP64 size markers', (e) => craftZip(lying(e, DOC, { central: { uncompressedSize: 0xffffffff } })), /has ZIP64 fields/],
    ['a ZIP64 entry count', (e) => craftZip(e, { end: { count: 0xffff } }), /ZIP64/],
    // The locator counted into the directory's size, so only the ZIP64 check can catch it.
    [
      'a ZIP64 end locator',
      (e) => craftZip(e, { beforeEnd: ZIP64_LOCATOR, end: { size: tail(craftZip(e)).size + ZIP64_LOCATOR.length } }),
      /it is a ZIP64 archive/,
    ],
    ['bytes between two entries', (e) => craftZip(lying(e, e[0]!.name, { after: new Uint8Array(40) })), /does not start where the entry before it ends/],
    [
      'two directory entries on one local header',
      (e) => craftZip([...e, { ...e[0]!, name: 'word/other.xml', central: { offset: 0 } }]),
      /names another file|does not start/,
    ],
    [
      'two entries with one name',
      (e) => craftZip([...e, { ...e.find((x) => x.name === DOC)!, data: new TextEncoder().encode('<w:document/>') }]),
      /two entries named word\/document\.xml/,
    ],
    ['an encrypted entry', (e) => craftZip(lying(e, DOC, { central: { flags: 0x0801 }, local: { flags: 0x0801 } })), /is encrypted/],
    [
      'a part that inflates past the size both headers state',
      (e) => craftZip(lying(e, DOC, { central: { uncompressedSize: 100 }, local: { uncompressedSize: 100 } })),
      /word\/document\.xml inflates past the size it states/,
    ],
    ['a part that fails its CRC', (e) => craftZip(lying(e, DOC, { central: { crc32: 1 }, local: { crc32: 1 } })), /word\/document\.xml fails its CRC check/],
  ];
  for (const [what, craft, reason] of cases) {
    it(`refuses ${what} with bad_archive`, async () => {
      const spy = vi.spyOn(mammoth, 'extractRawText');
      const bytes = craft(await docxEntries(PARAGRAPHS));
      // Still taken for a Word document at upload (the local headers say so): reading it fails the document.
      expect(await sniffFormat(bytes, { filename: 'crafted.docx' })).toBe('docx');
      const error = await refusal(bytes);
      expect(error.code).toBe('bad_archive');
      expect(error.message).toMatch(/^the Word document is not a well-formed ZIP archive: /);
      expect(error.message).toMatch(reason);
      expect(spy).not.toHaveBeenCalled();
    });
  }

  it('tells a cut-off archive (no end record) from a malformed one', async () => {
    const bytes = craftZip(await docxEntries(PARAGRAPHS));
    expect(() => readZipDirectory(bytes.subarray(0, bytes.length - 30))).toThrow(expect.objectContaining({ kind: 'missing' }) as Error);
    expect(() => readZipDirectory(craftZip([], { beforeEnd: new Uint8Array(4) }))).toThrow(ZipRefused);
  });
});
