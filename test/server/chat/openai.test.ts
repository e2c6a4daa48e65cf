import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText, expectedReply } from '../../fixtures/ollama/server.ts';
import { codeOf } from '../../helpers/client.ts';
import { addUser } from '../../helpers/identity.ts';
import { collectReply } from '../../helpers/sse.ts';
import { CHAT_MODEL, EMBED_MODEL, startStack, type Stack } from '../../helpers/stack.ts';

describe('OpenAI-compatible API with the official openai client, unchanged', () => {
  let st: Stack;
  let client: OpenAI;
  let key: string;
  beforeAll(async () => {
    st = await startStack({ miners: 1 });
    key = (await st.admin.post('/api/keys', { name: 'sdk' })).body.key as string;
    client = new OpenAI({ apiKey: key, baseURL: `${st.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await st?.close();
  });

  it('lists the enabled catalog models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual([CHAT_MODEL, EMBED_MODEL].sort());
  });

  it('completes a chat without streaming', async () => {
    const r = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
    const expected = expectedReply(CHAT_MODEL, 'Say hello');
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]!.message).toMatchObject({ role: 'assistant', content: expected.join('') });
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({ completion_tokens: expected.length });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(0);
    const row = st.s.usage.recent(1)[0]!;
    expect(row).toMatchObject({ source: 'api', outcome: 'ok', completionTokens: expected.length });
    const keys = (await st.admin.get('/api/keys')).body.keys as Array<{ id: string; name: string }>;
    expect(row.apiKeyId).toBe(keys.find((k) => k.name === 'sdk')?.id);
  });

  it('streams a chat, chunk by chunk, with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 10,
    });
    const deltas: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(deltas).toEqual(expectedReply(CHAT_MODEL, 'Stream please', 10));
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 10 });
  });

  it('creates embeddings (the client asks for base64 by default) and floats when asked', async () => {
    const r = await client.embeddings.create({ model: EMBED_MODEL, input: ['alpha beta', 'gamma'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(768);
    const want = embedText(EMBED_MODEL, 'alpha beta', 768);
    r.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const floats = await client.embeddings.create({ model: EMBED_MODEL, input: 'gamma', encoding_format: 'float' });
    floats.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(r.data[1]!.embedding[i]!, 5));
  });

  it('answers a bad key with 401 in OpenAI error shape', async () => {
    const bad = new OpenAI({ apiKey: 'osk_nope_nope', baseURL: `${st.url}/v1`, maxRetries: 0 });
    const err = await bad.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
    const raw = await fetch(`${st.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  });

  it('reports unknown models and bad bodies in OpenAI error shape', async () => {
    const err = (await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(404);
    expect(err.code).toBe('model_unknown');
    const res = await fetch(`${st.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODEL, messages: [] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'validation_failed', type: 'invalid_request_error' });
  });
});

describe('token budgets', () => {
  let st: Stack;
  beforeAll(async () => {
    st = await startStack({ miners: 1, env: { TOKEN_BUDGET_DAILY: '60' } });
  });
  afterAll(async () => {
    await st?.close();
  });

  it('a user over the daily budget gets 402 budget_exceeded; others are unaffected', async () => {
    const alice = await addUser(st.s, st.admin, 'alice@example.test');
    // Bob's address starts with a character spreadsheets read as a formula (see the CSV below).
    const bob = await addUser(st.s, st.admin, '+bob@example.test');
    const aliceKey = (await alice.client.post('/api/keys', { name: 'k' })).body.key as string;
    const openai = new OpenAI({ apiKey: aliceKey, baseURL: `${st.url}/v1`, maxRetries: 0 });
    // Each answer costs the prompt plus 24 tokens: the second or third crosses 60.
    let refused: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 5 && !refused; i++) {
      refused = (await openai.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: `question ${i}` }] }).then(
        () => undefined,
        (e: unknown) => e,
      )) as typeof refused;
    }
    expect(refused?.status).toBe(402);
    expect(refused?.code).toBe('budget_exceeded');
    expect(refused?.message).toMatch(/daily token budget used up/);
    const conv = await alice.client.post('/api/conversations', {});
    const viaUi = await alice.client.post(`/api/conversations/${conv.body.id}/messages`, { content: 'and here?' });
    expect(viaUi.status).toBe(402);
    expect(codeOf(viaUi)).toBe('budget_exceeded');
    expect((await alice.client.get(`/api/conversations/${conv.body.id}`)).body.messages).toEqual([]);

    const bobConv = await bob.client.post('/api/conversations', {});
    const bobReply = await bob.client.raw('POST', `/api/conversations/${bobConv.body.id}/messages`, { content: 'hello' });
    expect(bobReply.status).toBe(200);
    expect((await collectReply(bobReply)).final?.message.status).toBe('complete');

    // A budget for nobody is a clear 404 that writes nothing, not a server error.
    const nobody = await st.admin.request('PUT', '/api/usage/budgets/no-such-user', { daily: 10, monthly: null });
    expect(nobody.status).toBe(404);
    expect(codeOf(nobody)).toBe('not_found');
    // An admin lifts Alice's budget (0 = unlimited) and she can go on.
    expect((await st.admin.request('PUT', `/api/usage/budgets/${alice.id}`, { daily: 0, monthly: null })).status).toBe(200);
    expect(
      (await openai.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'again' }] })).choices[0]!.message.content,
    ).toBeTruthy();
    const totals = (await st.admin.get('/api/usage?days=1')).body.totals as Array<{ email: string }>;
    expect(totals.map((t) => t.email)).toEqual(expect.arrayContaining(['alice@example.test', '+bob@example.test']));
    const csv = await st.admin.raw('GET', '/api/usage?days=1&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('user_id,email,model,requests,prompt_tokens,completion_tokens,failed');
    expect(lines.find((l) => l.includes('bob@'))).toMatch(new RegExp(`^${bob.id},'\\+bob@example\\.test,${CHAT_MODEL.replace(/[.]/g, '\\.')},1,\\d+,\\d+,0$`));
  });
});
