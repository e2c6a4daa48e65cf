import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../server/db/client.ts';
import { PASSWORD } from '../helpers/client.ts';
import { makeDocx, makeInflatingPdf } from '../helpers/documents.ts';
import { secret, tempDir } from '../helpers/env.ts';
import { freePort, startTs, type Proc } from '../helpers/processes.ts';

type Doc = { id: number; title: string; status: string; stage: string; error: string | null; attempts: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bug report's Word document: about 60 KB whose word/document.xml inflates to 20 MB. */
async function twentyMbXmlDocx(): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(await makeDocx([{ text: 'x' }]));
  const p = '<w:p><w:r><w:t>lorem ipsum dolor sit amet consectetur adipiscing elit sed do</w:t></w:r></w:p>';
  zip.file(
    'word/document.xml',
    `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${p.repeat(Math.ceil(20e6 / p.length))}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

/** A real server process on a data folder of its own, restartable on the same folder and port. */
function serverOn(extra: Record<string, string>) {
  const data = tempDir('onsite-extract-e2e-');
  const secrets = {
    SESSION_SECRET: secret(),
    MFA_REQUIRED: 'off', // the admin goes on with a password alone; MFA is tested in test/server/auth/
    DB_ENCRYPTION_KEY: secret(),
    MINER_ENROLLMENT_SECRET: secret(),
    BROWSER_SERVICE_AUTH_TOKEN: secret(),
    ONSITE_BOOTSTRAP_TOKEN: secret(),
  };
  const s = { proc: undefined as Proc | undefined, port: '0', url: '', cookie: '', csrf: '', collection: 0, data };
  const procs: Proc[] = [];
  const start = async () => {
    if (s.port === '0') s.port = String(await freePort()); // APP_BASE_URL names the port: the CSRF check accepts that origin only
    s.proc = startTs(
      'server/cli/main.ts',
      ['serve'],
      {
        ONSITE_DATA_DIR: data.dir,
        PORT: s.port,
        APP_BASE_URL: `http://127.0.0.1:${s.port}`,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_MINUTE: '100000',
        BROWSER_SERVICE_URL: 'http://127.0.0.1:2',
        ...secrets,
        ...extra,
      },
      { single: true },
    );
    procs.push(s.proc);
    s.port = (await s.proc.waitFor(/"port":(\d+)/, 60_000))[1]!;
    s.url = `http://127.0.0.1:${s.port}`;
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { origin: s.url, cookie: s.cookie, 'x-csrf-token': s.csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const setUp = async () => {
    await start();
    const claim = await fetch(`${s.url}/api/setup/claim`, {
      method: 'POST',
      headers: { origin: s.url, 'content-type': 'application/json' },
      body: JSON.stringify({ token: secrets.ONSITE_BOOTSTRAP_TOKEN, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
    });
    expect(claim.status).toBe(201);
    s.cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
    s.csrf = ((await claim.json()) as { csrfToken: string }).csrfToken;
    s.collection = (await api('POST', '/api/collections', { name: 'Uploads' })).body.id as number;
  };
  const upload = async (files: Array<{ name: string; bytes: Uint8Array }>) => {
    const form = new FormData();
    for (const f of files) form.append('file', new Blob([Buffer.from(f.bytes)]), f.name);
    const res = await fetch(`${s.url}/api/collections/${s.collection}/documents`, {
      method: 'POST',
      headers: { origin: s.url, cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: form,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { documents: Doc[] }).documents;
  };
  const documents = async () => (await api('GET', `/api/collections/${s.collection}`)).body.documents as Doc[];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    data.cleanup();
  };
  return Object.assign(s, { start, setUp, api, upload, documents, stopAll });
}

describe('end to end: hostile documents cannot take the server down', () => {
  const servers: Array<ReturnType<typeof serverOn>> = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stopAll()));
  });

  it('the 20 MB-XML docx and a PDF that inflates to 20 MB each fail with their reason while /health/live keeps answering', { timeout: 120_000 }, async () => {
    const s = serverOn({});
    servers.push(s);
    await s.setUp();
    const [docx, pdf] = [await twentyMbXmlDocx(), await makeInflatingPdf(100)];
    expect(docx.length).toBeLessThan(100_000);
    let reading = true;
    let sawProcessing = false;
    const answers: Array<number | string> = [];
    // A liveness probe as an orchestrator sends it: a request every 100 ms, each given 2.5 s.
    const probe = (async () => {
      while (reading) {
        answers.push(
          await fetch(`${s.url}/health/live`, { signal: AbortSignal.timeout(2_500) }).then(
            (r) => r.status,
            (e: Error) => e.name,
          ),
        );
        await sleep(100);
      }
    })();
    await s.upload([
      { name: 'report.docx', bytes: docx },
      { name: 'scan.pdf', bytes: pdf },
    ]);
    let docs: Doc[];
    try {
      for (let t = 0; ; t++) {
        docs = await s.documents();
        if (docs.some((d) => d.status === 'processing')) sawProcessing = true;
        if (docs.length === 2 && docs.every((d) => d.status === 'failed' || d.status === 'ready')) break;
        if (t > 600) throw new Error(`not done: ${JSON.stringify(docs)}`);
        await sleep(100);
      }
    } finally {
      reading = false;
      await probe;
    }
    const byTitle = Object.fromEntries(docs.map((d) => [d.title, d]));
    expect(byTitle['report.docx']).toMatchObject({
      status: 'failed',
      error: "extract_too_large: the Word document's part word/document.xml would inflate to 20 MB, over the 8 MB limit (EXTRACT_MAX_PART_MB)",
    });
    expect(byTitle['scan.pdf']).toMatchObject({
      status: 'failed',
      error: "extract_too_large: the document's text is longer than 5,000,000 characters (EXTRACT_MAX_CHARS)",
    });
    expect(sawProcessing).toBe(true);
    expect(answers.length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((a) => a !== 200)).toEqual([]);
    // The document page shows the reason as it shows every failure.
    const page = await s.api('GET', `/documents/${byTitle['report.docx']!.id}`);
    expect(page.text).toContain('extract_too_large: the Word document&#39;s part word/document.xml would inflate to 20 MB');
  });

  it(
    'a document the server died on three times is failed with crashed_during_extraction on the fourth start, not run, and a user can retry it',
    { timeout: 240_000 },
    async () => {
      // A PDF that takes pdf.js minutes and limits that let it: the server is killed while it reads.
      const s = serverOn({ EXTRACT_MAX_CHARS: '1000000000', EXTRACT_TIMEOUT_S: '3600' });
      servers.push(s);
      await s.setUp();
      const [doc] = await s.upload([{ name: 'slow.pdf', bytes: await makeInflatingPdf(400) }]);
      const get = async () => (await s.api('GET', `/api/documents/${doc!.id}`)).body as unknown as Doc;
      for (let kill = 1; kill <= 3; kill++) {
        // Claimed by this process (its try counted) and in the extract stage.
        for (let t = 0; ; t++) {
          const d = await get();
          if (d.attempts === kill && d.status === 'processing' && d.stage === 'extract') break;
          if (t > 600) throw new Error(`extraction ${kill} never started: ${JSON.stringify(d)}`);
          await sleep(100);
        }
        await sleep(500);
        expect(await s.proc!.kill('SIGKILL')).toBeNull();
        await s.start();
      }
      await s.proc!.waitFor(/ingestion resumed after a restart/);
      const failed = await get();
      expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
      expect(failed.error).toMatch(/^crashed_during_extraction: the server stopped 3 times while reading this document/);
      await sleep(3_000);
      expect(await get()).toMatchObject({ status: 'failed', attempts: 3 }); // not run again
      expect(s.proc!.output()).toContain('ingestion job failed: the server stopped during it too often');
      const page = await s.api('GET', `/documents/${doc!.id}`);
      expect(page.text).toContain('crashed_during_extraction: the server stopped 3 times');

      // A user retries it: it runs again, and a clean stop gives its try back instead of counting it.
      expect((await s.api('POST', `/api/documents/${doc!.id}/retry`)).status).toBe(202);
      for (let t = 0; ; t++) {
        const d = await get();
        if (d.attempts === 1 && d.status === 'processing' && d.stage === 'extract') break;
        if (t > 600) throw new Error(`the retry never ran: ${JSON.stringify(d)}`);
        await sleep(100);
      }
      expect(await s.proc!.kill('SIGTERM')).toBe(0);
      const db = openSqlite(join(s.data.dir, 'onsite.db'), { dataDir: s.data.dir, readonly: true });
      try {
        expect(db.prepare('select state, attempts from ingestion_jobs where document_id = ?').get(doc!.id)).toEqual({ state: 'queued', attempts: 0 });
      } finally {
        db.close();
      }
    },
  );
});
