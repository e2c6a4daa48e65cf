import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../server/db/client.ts';
import { chunkText } from '../../server/knowledge/chunking/chunker.ts';
import { PASSWORD } from '../helpers/client.ts';
import { makeDocx, makePdf } from '../helpers/documents.ts';
import { secret, tempDir } from '../helpers/env.ts';
import { freePort, startTs, type Proc } from '../helpers/processes.ts';
import { readSse } from '../helpers/sse.ts';

const CHAT = 'llama3.2:1b';
const EMBED = 'nomic-embed-text';
const CHUNK = { sizeTokens: 64, overlapTokens: 8 };

type Doc = { id: number; title: string; status: string; chunks: number; embeddedChunks: number; error: string | null };

// Real processes on loopback: the server (killed with SIGKILL mid-ingestion
// and started again on the same data), a miner, and a test Ollama whose
// embeddings take 150 ms a batch so the kill lands while vectors are written.
describe('end to end: documents through real processes, and a crash during ingestion', () => {
  const procs: Proc[] = [];
  const data = tempDir('onsite-kb-e2e-');
  const minerDir = tempDir('onsite-kb-e2e-m-');
  const secrets = {
    SESSION_SECRET: secret(),
    MFA_REQUIRED: 'off', // the admin goes on with a password alone; MFA is tested in test/server/auth/
    DB_ENCRYPTION_KEY: secret(),
    MINER_ENROLLMENT_SECRET: secret(),
    BROWSER_SERVICE_AUTH_TOKEN: secret(),
    ONSITE_BOOTSTRAP_TOKEN: secret(),
  };
  let server: Proc;
  let port = '0';
  let url = '';
  let cookie = '';
  let csrf = '';
  let collection = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { origin: url, cookie, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const upload = async (files: Array<{ name: string; bytes: Uint8Array | string }>) => {
    const form = new FormData();
    for (const f of files) form.append('file', new Blob([typeof f.bytes === 'string' ? f.bytes : Buffer.from(f.bytes)]), f.name);
    const res = await fetch(`${url}/api/collections/${collection}/documents`, {
      method: 'POST',
      headers: { origin: url, cookie, 'x-csrf-token': csrf },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as { documents: Doc[] } };
  };
  const documents = async () => (await api('GET', `/api/collections/${collection}`)).body.documents as Doc[];
  const waitAll = async (n: number, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const docs = await documents();
      const failed = docs.find((d) => d.status === 'failed');
      if (failed) throw new Error(`${failed.title} failed: ${failed.error}`);
      if (docs.length === n && docs.every((d) => d.status === 'ready')) return docs;
      if (Date.now() > end) throw new Error(`not ready in time: ${JSON.stringify(docs.map((d) => [d.title, d.status, d.embeddedChunks, d.chunks]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  async function startServer(): Promise<void> {
    if (port === '0') port = String(await freePort()); // APP_BASE_URL names the port: the CSRF check accepts that origin only
    server = startTs(
      'server/cli/main.ts',
      ['serve'],
      {
        ONSITE_DATA_DIR: data.dir,
        PORT: port,
        APP_BASE_URL: `http://127.0.0.1:${port}`,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        MINER_HEARTBEAT_INTERVAL: '1',
        RATE_LIMIT_PER_MINUTE: '100000',
        CHUNK_SIZE_TOKENS: String(CHUNK.sizeTokens),
        CHUNK_OVERLAP_TOKENS: String(CHUNK.overlapTokens),
        ...secrets,
      },
      { single: true },
    );
    procs.push(server);
    port = (await server.waitFor(/"port":(\d+)/))[1]!;
    url = `http://127.0.0.1:${port}`;
  }

  beforeAll(async () => {
    await startServer();
    const ollama = startTs('test/fixtures/ollama/main.ts', [], {
      FAKE_OLLAMA_PORT: '0',
      FAKE_OLLAMA_TOKENS_PER_SECOND: '0',
      FAKE_OLLAMA_FAULT: JSON.stringify({ kind: 'slow-first-token', delayMs: 150 }),
      FAKE_OLLAMA_FAULT_PATH: '/api/embed',
    });
    procs.push(ollama);
    const ollamaUrl = (await ollama.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const claim = await fetch(`${url}/api/setup/claim`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/json' },
      body: JSON.stringify({ token: secrets.ONSITE_BOOTSTRAP_TOKEN, name: 'Admin', email: 'admin@example.test', password: PASSWORD }),
    });
    expect(claim.status).toBe(201);
    cookie = claim.headers.get('set-cookie')!.split(';')[0]!;
    csrf = ((await claim.json()) as { csrfToken: string }).csrfToken;
    expect((await api('POST', '/api/models', { name: CHAT, kind: 'chat', contextLength: 4096, isDefault: true })).status).toBe(201);
    expect((await api('POST', '/api/models', { name: EMBED, kind: 'embedding', contextLength: 2048, dimensions: 768, isDefault: true })).status).toBe(201);
    procs.push(
      startTs('server/cli/main.ts', ['miner'], {
        SERVER_URL: url,
        OLLAMA_HOST: ollamaUrl,
        MINER_ENROLLMENT_SECRET: secrets.MINER_ENROLLMENT_SECRET,
        MINER_STATE_DIR: minerDir.dir,
        WORKER_ID: 'kb-e2e',
        PORT: '0',
        HOST: '127.0.0.1',
        MINER_HEARTBEAT_INTERVAL: '1',
        LOG_LEVEL: 'info',
      }),
    );
    for (let t = 0; t < 200; t++) {
      const list = (await api('GET', '/api/miners')).body as { miners: Array<{ healthy: boolean }> };
      if (list.miners.some((m) => m.healthy)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    collection = (await api('POST', '/api/collections', { name: 'Handbook' })).body.id as number;
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    data.cleanup();
    minerDir.cleanup();
  });

  it('uploads one file of each type; each becomes searchable and a chat answer cites the right one', { timeout: 90_000 }, async () => {
    const files = [
      { name: 'kettle.txt', bytes: 'Descale the Brightwater kettle monthly with citric acid.' },
      { name: 'badges.md', bytes: '# Badge office\n\nLost badges are replaced at the Halcyon desk for a fee of twelve euros.' },
      {
        name: 'bikes.html',
        bytes: '<html><head><title>Bicycle storage</title></head><body><p>Bicycles go in the Juniper shed behind building C.</p></body></html>',
      },
      { name: 'fleet.pdf', bytes: await makePdf([['Pool cars are booked through the Tamarind portal two days ahead.']], { title: 'Pool cars' }) },
      {
        name: 'desks.docx',
        bytes: await makeDocx([{ text: 'Hot desks', heading: 1 }, { text: 'Hot desks on floor four are reserved in the Saffron app.' }], {
          title: 'Hot desks',
        }),
      },
    ];
    const r = await upload(files);
    expect(r.status).toBe(202);
    await waitAll(5);
    for (const [query, title] of [
      ['Brightwater descale', 'kettle.txt'],
      ['Halcyon desk lost badge', 'Badge office'],
      ['Juniper shed', 'Bicycle storage'],
      ['Tamarind portal', 'Pool cars'],
      ['Saffron app', 'Hot desks'],
    ]) {
      const found = await api('POST', '/api/search', { query });
      expect((found.body.results as Array<{ title: string }>)[0]?.title, query).toBe(title);
    }
    const conv = (await api('POST', '/api/conversations', { knowledge: { collectionIds: [collection] } })).body as { id: string };
    const res = await fetch(`${url}/api/conversations/${conv.id}/messages`, {
      method: 'POST',
      headers: { origin: url, cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'How do I book a pool car?' }),
    });
    let sources: Array<{ kind: string; title: string }> = [];
    let end = '';
    for await (const e of readSse(res)) {
      if (e.event === 'sources') sources = (JSON.parse(e.data) as { sources: typeof sources }).sources;
      if (e.event === 'done' || e.event === 'error') end = e.event;
    }
    expect(end).toBe('done');
    expect(sources[0]).toMatchObject({ kind: 'document', title: 'Pool cars' });
  });

  it('a server killed with SIGKILL mid-ingestion resumes after restart and indexes every document exactly once', { timeout: 120_000 }, async () => {
    const texts = ['Aster', 'Birch', 'Cedar'].map((name) =>
      Array.from(
        { length: 30 },
        (_, i) => `${name} procedure step ${i + 1}: check valve ${name}-${i} and record the pressure in the ${name} log before moving on.`,
      ).join('\n\n'),
    );
    const r = await upload(texts.map((t, i) => ({ name: `manual-${i}.txt`, bytes: t })));
    expect(r.status).toBe(202);
    // Kill once vectors are being written but before they are all there.
    for (let t = 0; ; t++) {
      const docs = (await documents()).filter((d) => d.title.startsWith('manual-'));
      if (docs.some((d) => d.embeddedChunks > 0) && docs.some((d) => d.status !== 'ready')) break;
      if (t > 600) throw new Error('ingestion was never caught in progress');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await server.kill('SIGKILL')).toBeNull();
    const before = (() => {
      const db = openSqlite(join(data.dir, 'onsite.db'), { dataDir: data.dir, readonly: true });
      try {
        return db.prepare(`select count(*) n from ingestion_jobs where state = 'running'`).get() as { n: number };
      } finally {
        db.close();
      }
    })();
    expect(before.n).toBeGreaterThan(0); // the crash left work in flight

    await startServer();
    expect(server.output()).toContain('ingestion resumed after a restart');
    const docs = (await waitAll(8, 90_000)).filter((d) => d.title.startsWith('manual-'));
    const db = openSqlite(join(data.dir, 'onsite.db'), { dataDir: data.dir, readonly: true });
    try {
      const one = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
      for (const d of docs) {
        const text = texts[Number(/manual-(\d)/.exec(d.title)![1])]!;
        const expected = chunkText(text, CHUNK).length;
        expect(d.chunks, d.title).toBe(expected);
        expect(one('select count(*) n from chunks where document_id = ?', d.id)).toBe(expected);
        expect(one('select count(distinct seq) n from chunks where document_id = ?', d.id)).toBe(expected);
        expect(one('select count(*) n from chunk_vectors v join chunks c on c.id = v.chunk_id where c.document_id = ?', d.id)).toBe(expected);
        expect(d.embeddedChunks).toBe(expected);
      }
      const space = db.prepare(`select id from vector_spaces where state = 'active'`).get() as { id: number };
      const tables = (
        db.prepare(`select name from sqlite_master where name like 'kb_space_${space.id}%' and type = 'table'`).all() as Array<{ name: string }>
      ).map((t) => t.name);
      expect(tables.length).toBeGreaterThan(0);
      // Every chunk has one vector row, FTS row and bookkeeping row: nothing twice, nothing missing.
      const chunks = one('select count(*) n from chunks');
      expect(one('select count(*) n from chunk_vectors')).toBe(chunks);
      expect(one(`select count(*) n from chunks_fts`)).toBe(chunks);
      expect(one('select count(*) n from ingestion_jobs')).toBe(0);
    } finally {
      db.close();
    }
  });
});
