// Extraction in a child process (server/knowledge/extract/isolate.ts): real
// processes, real documents, each limit reached for real.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { extractDocument } from '../../../../server/knowledge/extract/extract.ts';
import { extractIsolated } from '../../../../server/knowledge/extract/isolate.ts';
import { EXTRACT_LIMITS } from '../../../../server/knowledge/extract/limits.ts';
import { makeDocx, makeInflatingPdf, makePdf } from '../../../helpers/documents.ts';
import { tempDir } from '../../../helpers/env.ts';
import { startTs } from '../../../helpers/processes.ts';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
const tmp = tempDir('onsite-isolate-');
afterAll(() => tmp.cleanup());

// A zombie (state Z) has exited already: only a parent, here gone, would reap it.
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function bigXmlDocx(paragraphs: number): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(await makeDocx([{ text: 'x' }]));
  const p = '<w:p><w:r><w:t>lorem ipsum dolor sit amet consectetur adipiscing elit sed do</w:t></w:r></w:p>';
  zip.file(
    'word/document.xml',
    `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${p.repeat(paragraphs)}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

describe('extraction in a child process', () => {
  it('gives what extraction on this thread gives, for each kind of document', async () => {
    const docs: Array<[Uint8Array, string]> = [
      [await makePdf([['Child PDF text']], { title: 'Child' }), 'a.pdf'],
      [await makeDocx([{ text: 'Child Word text' }], { title: 'Word' }), 'b.docx'],
      [new TextEncoder().encode('<html><head><title>Page</title></head><body><p>Child HTML</p></body></html>'), 'c.html'],
      [new TextEncoder().encode('# Notes\n\nChild markdown'), 'd.md'],
    ];
    for (const [bytes, filename] of docs) {
      expect(await extractIsolated(bytes, { filename }, EXTRACT_LIMITS)).toEqual(await extractDocument(bytes, { filename }));
    }
  });

  it("passes the child's refusals on with their codes", async () => {
    expect(await failure(extractIsolated(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]), {}, EXTRACT_LIMITS))).toMatchObject({
      code: 'unsupported_type',
    });
    expect(await failure(extractIsolated(new TextEncoder().encode('word '.repeat(400)), {}, { ...EXTRACT_LIMITS, maxChars: 1_000 }))).toMatchObject({
      code: 'extract_too_large',
      message: "the document's text is longer than 1,000 characters (EXTRACT_MAX_CHARS)",
    });
  });

  it('fails a document whose parse needs more than the memory limit with extract_out_of_memory', async () => {
    const bytes = await bigXmlDocx(60_000); // 5 MB of XML: mammoth needs some 250 MB of heap
    const limits = { ...EXTRACT_LIMITS, memoryMb: 64 };
    expect(await failure(extractIsolated(bytes, {}, limits))).toMatchObject({
      code: 'extract_out_of_memory',
      message: 'reading the document needed more than 64 MB of memory (EXTRACT_MEMORY_MB)',
    });
    expect((await extractIsolated(bytes, {}, { ...limits, memoryMb: 768 })).text.length).toBeGreaterThan(3_000_000);
  }, 60_000);

  it('kills a parse that runs past the time limit with extract_timeout', async () => {
    const bytes = await makeInflatingPdf(200);
    const started = Date.now();
    expect(await failure(extractIsolated(bytes, {}, { ...EXTRACT_LIMITS, maxChars: 1_000_000_000, timeoutMs: 1_500 }))).toMatchObject({
      code: 'extract_timeout',
      message: 'reading the document took longer than 1.5 s (EXTRACT_TIMEOUT_S)',
    });
    // Not the 200 pages' worth of work (tens of seconds): the process was killed at the limit.
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  it('kills the child when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = failure(extractIsolated(await makeInflatingPdf(200), {}, { ...EXTRACT_LIMITS, maxChars: 1_000_000_000 }, controller.signal));
    setTimeout(() => controller.abort(new Error('document deleted')), 300);
    expect(await pending).toMatchObject({ message: 'document deleted' });
  }, 30_000);

  it('does not outlive a server killed with SIGKILL', async () => {
    const pdf = join(tmp.dir, 'slow.pdf');
    writeFileSync(pdf, await makeInflatingPdf(300)); // over a minute of pdf.js work
    const parent = startTs('test/fixtures/extract-parent.ts', [pdf], {}, { single: true });
    await parent.waitFor(/extracting/);
    const pid = parent.child.pid!;
    let child = 0;
    for (let t = 0; t < 100 && !child; t++) {
      child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0] || 0);
      if (!child) await new Promise((r) => setTimeout(r, 50));
    }
    expect(child).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_000)); // well into the document
    expect(await parent.kill('SIGKILL')).toBeNull();
    let alive = true;
    for (let t = 0; t < 200 && alive; t++) {
      alive = running(child);
      if (alive) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive).toBe(false);
  }, 60_000);
});
