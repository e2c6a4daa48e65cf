import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedReply } from '../fixtures/ollama/server.ts';
import { secret } from '../helpers/env.ts';
import { createTestServer, observe } from '../helpers/server.ts';
import { readSse } from '../helpers/sse.ts';
import { CHAT_MODEL, startStack, type Stack } from '../helpers/stack.ts';
import { startSidecarRig, type SidecarRig } from '../browser/harness.ts';

// The chat reading a page through the REAL browser sidecar (Chromium, pool,
// guard), all on loopback: pages come from a test site on 127.0.0.2 (the
// sidecar's allow list), 127.0.0.1 stays refused.
describe('end to end: a chat question with a URL, through the real browser sidecar', () => {
  let rig: SidecarRig;
  let st: Stack;

  beforeAll(async () => {
    rig = await startSidecarRig();
    st = await startStack({ miners: 1, env: { BROWSER_SERVICE_URL: rig.sidecar.url, BROWSER_SERVICE_AUTH_TOKEN: rig.token } });
  }, 90_000);
  afterAll(async () => {
    await st?.s.knowledge.worker.stop();
    await st?.close();
    await rig?.stop();
  });

  const lastPrompt = () =>
    (st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: Array<{ role: string; content: string }> }).messages;

  async function ask(content: string) {
    const id = (await st.admin.post('/api/conversations', {})).body.id as string;
    const res = await st.admin.raw('POST', `/api/conversations/${id}/messages`, { content });
    expect(res.status).toBe(200);
    const names: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are checked field by field
    const data: Record<string, any> = {};
    for await (const e of readSse(res)) {
      if (names.at(-1) !== e.event) names.push(e.event);
      data[e.event] = JSON.parse(e.data);
    }
    return { id, names, sources: data.sources?.sources, final: data.done?.message };
  }

  it('reads the page, gives its text to the model with citation rules, and cites it under the answer', async () => {
    const url = `${rig.site.url}/article`;
    const question = `Summarise this page: ${url}`;
    const r = await ask(question);
    expect(r.names).toEqual(['start', 'sources', 'token', 'done']);
    const source = { kind: 'web', url, finalUrl: url, title: 'Onsite field notes' };
    expect(r.sources).toEqual([source]);
    expect(r.final).toMatchObject({ status: 'complete', content: expectedReply(CHAT_MODEL, question).join(''), sources: [source] });

    const [system, user] = lastPrompt();
    expect(system!.role).toBe('system');
    expect(system!.content).toContain(`[1] Onsite field notes — ${url}`);
    expect(system!.content).toContain("Air-gapped appliances keep every document and every prompt on the customer's own network.");
    expect(system!.content).not.toContain('Copyright footer');
    expect(user).toEqual({ role: 'user', content: question });
    const stored = (await st.admin.get(`/api/conversations/${r.id}`)).body.messages as Array<{ sources: unknown[] }>;
    expect(stored[1]!.sources).toEqual([source]);
  });

  it('a URL the guard refuses is named on the answer with the reason; the answer still comes; nothing reaches the target', async () => {
    const refused = `${rig.target.url}/secret`;
    const r = await ask(`Compare ${rig.site.url}/scripted with ${refused}`);
    expect(r.final.status).toBe('complete');
    expect(r.final.sources[0]).toMatchObject({ url: `${rig.site.url}/scripted`, title: 'Rendered by script' });
    expect(r.final.sources[1]).toMatchObject({ kind: 'web', url: refused, error: { code: 'page_refused', message: expect.any(String) } });
    expect(lastPrompt()[0]!.content).toContain(`[2] ${refused}\nThis page could not be read:`);
    expect(rig.targetHits()).toBe(0);
  });

  it('imports a web page into a collection through the sidecar; a refused URL fails with the guard’s reason and reaches nothing', async () => {
    st.s.knowledge.worker.start();
    const collection = (await st.admin.post('/api/collections', { name: 'Web' })).body.id as number;
    const ok = await st.admin.post(`/api/collections/${collection}/documents`, { url: `${rig.site.url}/article` });
    expect(ok.status).toBe(202);
    const refused = await st.admin.post(`/api/collections/${collection}/documents`, { url: `${rig.target.url}/secret` });
    expect(refused.status).toBe(202);
    const [okId, refusedId] = [ok, refused].map((r) => (r.body.documents as Array<{ id: number }>)[0]!.id);
    const doc = async (id: number) =>
      (await st.admin.get(`/api/documents/${id}`)).body as { status: string; title: string; error: string | null; format: string };
    for (let t = 0; t < 300 && ((await doc(okId!)).status !== 'ready' || (await doc(refusedId!)).status !== 'failed'); t++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await doc(okId!)).toMatchObject({ status: 'ready', title: 'Onsite field notes', format: 'html' });
    expect((await doc(refusedId!)).status).toBe('failed');
    expect((await doc(refusedId!)).error).toMatch(/refused|not allowed|loopback/i);
    const found = await st.admin.post('/api/search', { query: 'air-gapped appliances keep every prompt', collectionIds: [collection] });
    expect((found.body.results as Array<{ title: string; text: string }>)[0]).toMatchObject({ title: 'Onsite field notes' });
    expect(JSON.stringify(found.body)).not.toContain('Copyright footer');
    expect(rig.targetHits()).toBe(0);
  });

  it('health and the admin system page show the sidecar and its pool', async () => {
    const ready = (await (await observe(st.s, '/health/ready')).json()) as { checks: Record<string, { ok: boolean; message?: string }> };
    expect(ready.checks.browser).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^ok, 2\/2 browsers up, \d+ fetching, \d+ waiting \(version test\)$/),
    });
    const page = await st.admin.request('GET', '/admin/system');
    expect(page.status).toBe(200);
    const html = page.body.text as string;
    expect(html).toContain('data-testid="browser-pool"');
    expect(html).toMatch(/Browsers in the pool<\/th><td>2<\/td>/);
    expect(html).toMatch(/data-testid="browser-version">test</);
  });

  it('a server holding another token is told which setting to fix', async () => {
    const other = await createTestServer({ BROWSER_SERVICE_URL: rig.sidecar.url, BROWSER_SERVICE_AUTH_TOKEN: secret() });
    try {
      const ready = (await (await observe(other, '/health/ready')).json()) as { checks: Record<string, unknown> };
      expect(ready.checks.browser).toMatchObject({
        ok: false,
        critical: false,
        reason: 'browser_token_refused',
        message: expect.stringMatching(/BROWSER_SERVICE_AUTH_TOKEN must be the same/),
      });
    } finally {
      other.cleanup();
    }
  });
});
