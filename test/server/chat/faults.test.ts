import { afterEach, describe, expect, it } from 'vitest';
import { expectedReply } from '../../fixtures/ollama/server.ts';
import { codeOf } from '../../helpers/client.ts';
import { collectReply, readSse } from '../../helpers/sse.ts';
import { CHAT_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

// Fault tests: each builds its own stack so a broken miner never leaks into another test.
describe('miner faults', () => {
  let st: Stack | undefined;
  afterEach(async () => {
    await st?.close();
    st = undefined;
  });

  const ask = async (stack: Stack, content: string) => {
    const conv = await stack.admin.post('/api/conversations', {});
    return { id: conv.body.id as string, res: await stack.admin.raw('POST', `/api/conversations/${conv.body.id}/messages`, { content }) };
  };

  it('a miner lost before the first token: the request completes on the other miner', async () => {
    st = await startStack({ miners: 2, ollama: { firstTokenDelayMs: 60_000 } });
    const stack = st;
    // Only the first miner's Ollama is slow: the second answers at once.
    stack.ollamas[1]!.inject({ kind: 'slow-first-token', delayMs: 0 });
    const [a, b] = stack.miners;
    // Both are idle, so the tie goes to the miner used longest ago: make that A.
    const liveB = stack.s.models.registry.get(b!.minerId()!)!;
    liveB.lastAssignedAt = Date.now() + 60_000;
    const pending = ask(stack, 'who answers?');
    await until(() => stack.ollamas[0]!.active() === 1, 5000, 'the job to reach Ollama A');
    await a!.stop(); // the miner disappears before its first token
    const { tokens, final } = await collectReply((await pending).res);
    expect(tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'who answers?').join(''));
    expect(final?.message.status).toBe('complete');
    expect(stack.s.models.usage.recent(1)[0]!.minerId).toBe(b!.minerId());
  });

  it('a miner lost mid-stream: a clear error, the partial answer kept and marked failed', async () => {
    st = await startStack({ miners: 1 });
    const stack = st;
    stack.ollamas[0]!.inject({ kind: 'drop', afterTokens: 5 }, { times: 1 });
    const { id, res } = await ask(stack, 'break in the middle');
    const { tokens, end, final } = await collectReply(res);
    expect(tokens).toHaveLength(5);
    expect(end?.event).toBe('error');
    expect(final).toMatchObject({ code: 'generation_failed' });
    expect(final?.message).toMatch(/partial answer was kept/);
    const msgs = (await stack.admin.get(`/api/conversations/${id}`)).body.messages as Array<Record<string, unknown>>;
    expect(msgs[1]).toMatchObject({ status: 'failed', content: tokens.join('') });
    expect(msgs[1]!.error).toMatch(/mid-answer/);
    expect(stack.s.models.usage.recent(1)[0]!.outcome).toBe('failed');
  });

  it('all miners busy beyond MINER_QUEUE_SYNC_WAIT_S: 503 miners_busy, and nothing half-made is left streaming', async () => {
    st = await startStack({ miners: 1, env: { MINER_QUEUE_SYNC_WAIT_S: '1' }, minerEnv: { MINER_CAPACITY: '1' } });
    const stack = st;
    stack.ollamas[0]!.inject({ kind: 'stall', afterTokens: 1 }, { times: 1 });
    const first = await ask(stack, 'occupy the miner');
    const reader = readSse(first.res);
    await reader.next(); // started
    const second = await ask(stack, 'wait in line');
    expect(second.res.status).toBe(503);
    const body = (await second.res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('miners_busy');
    expect(body.error.message).toMatch(/busy/);
    const msgs = (await stack.admin.get(`/api/conversations/${second.id}`)).body.messages as Array<{ status: string }>;
    expect(msgs.map((m) => m.status)).toEqual(['complete', 'failed']);
    await stack.admin.post(`/api/conversations/${first.id}/stop`);
  });

  it('Ollama down: the miner reports unhealthy and gets no job', async () => {
    st = await startStack({ miners: 1, env: { MINER_QUEUE_SYNC_WAIT_S: '1' } });
    const stack = st;
    stack.ollamas[0]!.inject({ kind: 'down' }, { path: '*' });
    await until(() => stack.s.models.registry.all()[0]!.healthy === false, 5000, 'the miner to report unhealthy');
    const before = stack.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').length;
    const { res } = await ask(stack, 'anyone?');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_miner');
    expect(stack.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').length).toBe(before);
    const view = await stack.admin.get('/api/miners');
    expect((view.body.miners as Array<Record<string, unknown>>)[0]).toMatchObject({ connected: true, healthy: false });
    stack.ollamas[0]!.clearFaults();
    await stack.waitForMiners(1);
    expect((await collectReply((await ask(stack, 'back again')).res)).final?.message.status).toBe('complete');
  });

  it('a disabled miner gets no job; revoking closes its connection for good', async () => {
    st = await startStack({ miners: 1, env: { MINER_QUEUE_SYNC_WAIT_S: '1' } });
    const stack = st;
    const id = stack.miners[0]!.minerId()!;
    expect((await stack.admin.post(`/api/miners/${id}/disable`)).status).toBe(200);
    await until(() => stack.miners[0]!.status() === 'disabled', 5000, 'the miner to hear it is disabled');
    expect(codeOf(await stack.admin.post(`/api/conversations/${(await stack.admin.post('/api/conversations', {})).body.id}/messages`, { content: 'x' }))).toBe('no_miner');
    expect((await stack.admin.post(`/api/miners/${id}/enable`)).status).toBe(200);
    await stack.waitForMiners(1);
    expect((await stack.admin.delete(`/api/miners/${id}`)).status).toBe(200);
    await until(() => stack.miners[0]!.status() === 'revoked', 5000, 'the miner to stop as revoked');
    expect(stack.s.models.registry.all()).toHaveLength(0);
    expect(stack.s.identity.audit.list({}).map((e) => e.action)).toEqual(expect.arrayContaining(['miner.enroll', 'miner.disable', 'miner.enable', 'miner.revoke']));
  });
});
