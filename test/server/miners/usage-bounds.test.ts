import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILENT_TOKENS, TEMPLATE_TOKENS } from '../../../server/miners/usage-bounds.ts';
import { connectRogueMiner, type JobOf, type RogueMiner } from '../../helpers/rogue-miner.ts';
import { CHAT_MODEL, EMBED_MODEL, startStack, type Stack } from '../../helpers/stack.ts';

// A miner speaking the real protocol that claims whatever token counts it likes.
describe('token counts a miner reports are bounded by what the server sent and saw', () => {
  let st: Stack;
  let rogue: RogueMiner;
  let key: string;
  beforeAll(async () => {
    st = await startStack({ miners: 0, env: { TOKEN_BUDGET_DAILY: '100000' } });
    key = (await st.admin.post('/api/keys', { name: 'usage' })).body.key as string;
    rogue = await connectRogueMiner(st.url, { workerId: 'bundled', secret: st.s.config.MINER_ENROLLMENT_SECRET }, [
      { name: CHAT_MODEL, kind: 'chat' },
      { name: EMBED_MODEL, kind: 'embedding' },
    ]);
    await st.waitForMiners(1);
  });
  afterAll(async () => {
    await rogue?.close();
    await st?.close();
  });

  const v1 = (path: string, body: unknown) =>
    fetch(`${st.url}/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // Asks a question and answers the job it becomes with `deltas`, then a done frame claiming `claim`.
  const exchange = async (deltas: string[], claim: { promptTokens: number; completionTokens: number }) => {
    const pending = v1('/chat/completions', { model: CHAT_MODEL, messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    const job = (await rogue.nextJob()) as JobOf<'chat'>;
    for (const delta of deltas) rogue.send({ type: 'chunk', jobId: job.jobId, delta });
    rogue.send({ type: 'done', jobId: job.jobId, ...claim, doneReason: 'stop', truncated: false, durationMs: 5 });
    const res = await pending;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    return { job, usage: body.usage, row: st.s.usage.recent(1)[0]! };
  };
  const clamps = () => st.s.identity.audit.list({ action: 'miner.usage_clamped' });

  it('absurd counts are clamped to the bound, logged and audited, and only the bound is charged', async () => {
    const { job, usage, row } = await exchange(['Hello', ' wor', 'ld'], { promptTokens: 1_000_000_000_000, completionTokens: 1_000_000_000 });
    const promptBytes = job.messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    const charged = { promptTokens: Math.min(job.options.num_ctx, promptBytes + TEMPLATE_TOKENS), completionTokens: 'Hello world'.length + SILENT_TOKENS };
    expect(row).toMatchObject({ ...charged, minerId: rogue.minerId, outcome: 'ok' });
    expect(usage).toMatchObject({ prompt_tokens: charged.promptTokens, completion_tokens: charged.completionTokens });
    const audit = clamps();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorId: rogue.minerId,
      actorLabel: 'miner:bundled',
      outcome: 'failure',
      details: { model: CHAT_MODEL, kind: 'chat', reported: { promptTokens: 1_000_000_000_000, completionTokens: 1_000_000_000 }, charged },
    });
    expect(st.s.logs.text()).toMatch(/a miner reported token counts beyond what the server sent and saw; charged the bound/);
    // The budget holds what was charged, not what was claimed: the user can still ask.
    expect(st.s.usage.status(row.userId).daily.used).toBe(charged.promptTokens + charged.completionTokens);
  });

  it('an answer claiming fewer tokens than the chunks it streamed is charged one per chunk', async () => {
    const { row } = await exchange(['a', 'b', 'c', 'd'], { promptTokens: 5, completionTokens: 0 });
    expect(row).toMatchObject({ promptTokens: 5, completionTokens: 4 });
    expect(clamps()).toHaveLength(2);
  });

  it('counts within the bounds are charged as reported and not audited', async () => {
    const { row } = await exchange(['Hi', ' there'], { promptTokens: 12, completionTokens: 2 });
    expect(row).toMatchObject({ promptTokens: 12, completionTokens: 2 });
    expect(clamps()).toHaveLength(2);
  });

  it('embeddings: the prompt tokens claimed are bounded by the inputs sent', async () => {
    const input = ['hello world', 'x'];
    const pending = v1('/embeddings', { model: EMBED_MODEL, input });
    const job = (await rogue.nextJob()) as JobOf<'embed'>;
    rogue.send({
      type: 'embeddings',
      jobId: job.jobId,
      embeddings: input.map(() => Array.from({ length: 768 }, () => 0.01)),
      promptTokens: 999_999_999,
      truncated: false,
    });
    const res = await pending;
    expect(res.status).toBe(200);
    const bound = input.reduce((n, t) => n + Buffer.byteLength(t) + SILENT_TOKENS, 0);
    expect(((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(bound);
    expect(st.s.usage.recent(1)[0]).toMatchObject({ source: 'api', promptTokens: bound, completionTokens: 0 });
    expect(clamps()[0]).toMatchObject({ details: { kind: 'embed', reported: { promptTokens: 999_999_999 } } });
  });
});
