import { afterEach, describe, expect, it } from 'vitest';
import type { MinerFrame } from '../../server/kernel/protocol/miner.ts';
import { expectedReply } from '../fixtures/ollama/server.ts';
import { createRig, until, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function activeRig(extra: Record<string, string> = {}): Promise<Rig> {
  rig = await createRig();
  await rig.start(extra);
  await rig.server.waitForFrame('hello');
  await until(() => rig!.miner!.status() === 'active', 5000, 'active status');
  return rig;
}

const framesOf = (r: Rig, jobId: string) => r.server.frames.filter((f): f is Extract<MinerFrame, { jobId: string }> => 'jobId' in f && f.jobId === jobId);

describe('miner jobs', () => {
  it('advertises every Ollama model with its kind in hello', async () => {
    const r = await activeRig();
    const hello = await r.server.waitForFrame('hello');
    expect(hello).toMatchObject({ protocol: 1, version: 'test', workerId: 'test-miner', capacity: 4, healthy: true });
    expect(hello.models).toEqual([
      { name: 'llama3.2:1b', kind: 'chat', contextLength: 4096 },
      { name: 'nomic-embed-text:latest', kind: 'embedding', contextLength: 2048, dimensions: 768 },
    ]);
    expect(r.server.authorizations[0]).toMatch(/^Bearer m_[0-9a-f]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('advertises only the MODELS asked for', async () => {
    const r = await activeRig({ MODELS: 'nomic-embed-text' });
    expect((await r.server.waitForFrame('hello')).models.map((m) => m.name)).toEqual(['nomic-embed-text:latest']);
  });

  it('streams a chat as chunk frames and ends with done and token counts', async () => {
    const r = await activeRig();
    r.server.send({ type: 'chat', jobId: 'j1', model: 'llama3.2:1b', messages: [{ role: 'user', content: 'Hello there' }], options: { num_ctx: 4096 } });
    const done = await r.server.waitForFrame('done', (f) => f.jobId === 'j1');
    const chunks = framesOf(r, 'j1').filter((f) => f.type === 'chunk');
    const expected = expectedReply('llama3.2:1b', 'Hello there');
    expect(chunks.map((c) => c.delta)).toEqual(expected);
    expect(done).toMatchObject({ completionTokens: expected.length, doneReason: 'stop', truncated: false });
    expect(done.promptTokens).toBeGreaterThan(0);
    expect(done.durationMs).toBeGreaterThanOrEqual(0);
    const request = await r.ollama.waitFor((q) => q.path === '/api/chat' && q.outcome === 'completed');
    expect((request.body as { options: { num_ctx: number } }).options.num_ctx).toBe(4096);
  });

  it('flags and logs a truncated prompt when it fills num_ctx', async () => {
    const r = await activeRig();
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    r.server.send({ type: 'chat', jobId: 'j2', model: 'llama3.2:1b', messages: [{ role: 'user', content: long }], options: { num_ctx: 256, num_predict: 3 } });
    const done = await r.server.waitForFrame('done', (f) => f.jobId === 'j2');
    expect(done).toMatchObject({ truncated: true, promptTokens: 256, completionTokens: 3, doneReason: 'length' });
    expect(r.logEntries().some((l) => l.level === 'warn' && l.jobId === 'j2' && /truncated/.test(String(l.msg)))).toBe(true);
  });

  it('embeds in batches of at most 64 inputs and answers one embeddings frame', async () => {
    const r = await activeRig();
    const input = Array.from({ length: 100 }, (_, i) => `text number ${i}`);
    r.server.send({ type: 'embed', jobId: 'e1', model: 'nomic-embed-text', input, numCtx: 2048 });
    const frame = await r.server.waitForFrame('embeddings', (f) => f.jobId === 'e1');
    expect(frame.embeddings).toHaveLength(100);
    expect(frame.embeddings[0]).toHaveLength(768);
    expect(frame.truncated).toBe(false);
    expect(frame.promptTokens).toBeGreaterThan(0);
    const calls = r.ollama.requests.filter((q) => q.path === '/api/embed');
    expect(calls.map((q) => (q.body as { input: string[] }).input.length)).toEqual([64, 36]);
    expect(calls[0]!.body).toMatchObject({ truncate: true, options: { num_ctx: 2048 } });
  });

  it('cancels a running chat: Ollama sees the request go away and the server gets failed/cancelled', async () => {
    const r = await activeRig();
    r.ollama.setTokensPerSecond(20);
    r.server.send({
      type: 'chat',
      jobId: 'j3',
      model: 'llama3.2:1b',
      messages: [{ role: 'user', content: 'long one' }],
      options: { num_ctx: 2048, num_predict: 500 },
    });
    await r.server.waitForFrame('chunk', (f) => f.jobId === 'j3');
    r.server.send({ type: 'cancel', jobId: 'j3' });
    await r.ollama.waitFor((q) => q.path === '/api/chat' && q.outcome === 'cancelled');
    const failed = await r.server.waitForFrame('failed', (f) => f.jobId === 'j3');
    expect(failed.code).toBe('cancelled');
    expect(framesOf(r, 'j3').some((f) => f.type === 'done')).toBe(false);
  });

  it('cancels a chat whose model is still loading (before the first byte)', async () => {
    const r = await activeRig();
    r.ollama.inject({ kind: 'slow-first-token', delayMs: 10_000 }, { times: 1 });
    r.server.send({ type: 'chat', jobId: 'j4', model: 'llama3.2:1b', messages: [{ role: 'user', content: 'hi' }], options: { num_ctx: 2048 } });
    await r.ollama.waitFor((q) => q.path === '/api/chat');
    r.server.send({ type: 'cancel', jobId: 'j4' });
    expect((await r.server.waitForFrame('failed', (f) => f.jobId === 'j4')).code).toBe('cancelled');
    await r.ollama.waitFor((q) => q.path === '/api/chat' && q.outcome === 'cancelled');
  });

  it('refuses jobs beyond capacity and reports failures with protocol codes', async () => {
    const r = await activeRig({ MINER_CAPACITY: '1' });
    r.ollama.setTokensPerSecond(20);
    const chat = (jobId: string, model = 'llama3.2:1b') =>
      r.server.send({ type: 'chat', jobId, model, messages: [{ role: 'user', content: 'x' }], options: { num_ctx: 2048, num_predict: 200 } });
    chat('busy');
    await r.server.waitForFrame('chunk', (f) => f.jobId === 'busy');
    chat('extra');
    expect(await r.server.waitForFrame('failed', (f) => f.jobId === 'extra')).toMatchObject({ code: 'bad_job', message: expect.stringMatching(/at capacity/) });
    r.server.send({ type: 'cancel', jobId: 'busy' });
    await r.server.waitForFrame('failed', (f) => f.jobId === 'busy');
    await until(() => r.ollama.active() === 0, 5000, 'idle Ollama');
    chat('missing', 'no-such-model:1b');
    expect((await r.server.waitForFrame('failed', (f) => f.jobId === 'missing')).code).toBe('model_missing');
    r.ollama.inject({ kind: 'error', status: 500, message: 'llama runner process has terminated' }, { times: 1 });
    chat('broken');
    expect(await r.server.waitForFrame('failed', (f) => f.jobId === 'broken')).toMatchObject({
      code: 'ollama_error',
      message: expect.stringMatching(/runner process has terminated/),
    });
    r.ollama.inject({ kind: 'drop', afterTokens: 2 }, { times: 1 });
    chat('dropped');
    expect((await r.server.waitForFrame('failed', (f) => f.jobId === 'dropped')).code).toBe('ollama_unreachable');
  });
});
