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
  // A reply cut after `n` tokens: an error event with generation_failed, and the stored answer is what came, marked failed.
  const expectCut = async (stack: Stack, asked: { id: string; res: Response }, n: number, reason: RegExp) => {
    const { tokens, end, final } = await collectReply(asked.res);
    expect(tokens).toHaveLength(n);
    expect(end?.event).toBe('error');
    expect(final).toMatchObject({ code: 'generation_failed' });
    expect(final?.message).toMatch(reason);
    const msgs = (await stack.admin.get(`/api/conversations/${asked.id}`)).body.messages as Array<Record<string, unknown>>;
    expect(msgs[1]).toMatchObject({ status: 'failed', content: tokens.join('') });
    return msgs[1]!;
  };

  it('a miner lost before the first token: the request completes on the other miner', async () => {
    st = await startStack({ miners: 2, ollama: { firstTokenDelayMs: 60_000 } });
    const stack = st;
    // Only the first miner's Ollama is slow: the second answers at once.
    stack.ollamas[1]!.inject({ kind: 'slow-first-token', delayMs: 0 });
    const [a, b] = stack.miners;
    // Both are idle, so the tie goes to the miner used longest ago: make that A.
    const liveB = stack.s.registry.get(b!.minerId()!)!;
    liveB.lastAssignedAt = Date.now() + 60_000;
    const pending = ask(stack, 'who answers?');
    await until(() => stack.ollamas[0]!.active() === 1, 5000, 'the job to reach Ollama A');
    await a!.stop(); // the miner disappears before its first token
    const { tokens, final } = await collectReply((await pending).res);
    expect(tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'who answers?').join(''));
    expect(final?.message.status).toBe('complete');
    expect(stack.s.usage.recent(1)[0]!.minerId).toBe(b!.minerId());
  });

  it('a miner lost mid-stream: a clear error, the partial answer kept and marked failed', async () => {
    st = await startStack({ miners: 1 });
    const stack = st;
    stack.ollamas[0]!.inject({ kind: 'drop', afterTokens: 5 }, { times: 1 });
    const stored = await expectCut(stack, await ask(stack, 'break in the middle'), 5, /partial answer was kept/);
    expect(stored.error).toMatch(/mid-answer/);
    expect(stack.s.usage.recent(1)[0]!.outcome).toBe('failed');
  });

  it('an Ollama that goes silent mid-answer with its socket open: the job is given up, Ollama sees the cancel, the partial answer is kept and marked', async () => {
    st = await startStack({ miners: 1, silence: { beforeFirstMs: 60_000, afterFirstMs: 400 } });
    const stack = st;
    stack.ollamas[0]!.inject({ kind: 'stall', afterTokens: 3 }, { times: 1 });
    await expectCut(stack, await ask(stack, 'then nothing'), 3, /no output for 0.4 s.*partial answer was kept/);
    await stack.ollamas[0]!.waitFor((r) => r.outcome === 'cancelled', 5000);
    // The slot is free again: the next question is answered by the same miner.
    const next = await collectReply((await ask(stack, 'and now?')).res);
    expect(next.final?.message.status).toBe('complete');
  });

  it('an Ollama silent before its first token past the limit: the job moves to the other miner', async () => {
    st = await startStack({ miners: 2, ollama: { firstTokenDelayMs: 60_000 }, silence: { beforeFirstMs: 400, afterFirstMs: 60_000 } });
    const stack = st;
    stack.ollamas[1]!.inject({ kind: 'slow-first-token', delayMs: 0 });
    const [, b] = stack.miners;
    // Both are idle, so the tie goes to the miner used longest ago: make that A, whose Ollama never starts.
    stack.s.registry.get(b!.minerId()!)!.lastAssignedAt = Date.now() + 60_000;
    const { tokens, final } = await collectReply((await ask(stack, 'anyone there?')).res);
    expect(tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'anyone there?').join(''));
    expect(final?.message.status).toBe('complete');
    expect(stack.s.usage.recent(1)[0]!.minerId).toBe(b!.minerId());
    await stack.ollamas[0]!.waitFor((r) => r.outcome === 'cancelled', 5000);
  });

  it('a miner that takes jobs and never sends a first token: within MINER_FIRST_TOKEN_TIMEOUT_S the job moves on, the miner goes on probation (its healthy heartbeats do not lift it) until a probe job answers', async () => {
    st = await startStack({ miners: 2, env: { MINER_FIRST_TOKEN_TIMEOUT_S: '1' }, silence: { probeMs: 1500 } });
    const stack = st;
    const { registry } = stack.s;
    const [a, b] = stack.miners.map((m) => m.minerId()!);
    // A's Ollama accepts every generation and never starts it; its /api/tags still answers, so A reports healthy.
    stack.ollamas[0]!.inject({ kind: 'slow-first-token', delayMs: 120_000 });
    // Idle ties go to the miner used longest ago: make that A for every question below.
    const preferA = () => {
      registry.get(a!)!.lastAssignedAt = 0;
      registry.get(b!)!.lastAssignedAt = Date.now() + 600_000;
    };
    preferA();
    const first = await collectReply((await ask(stack, 'anyone there?')).res);
    expect(first.final?.message.status).toBe('complete');
    expect(stack.s.usage.recent(1)[0]!.minerId).toBe(b);
    expect(stack.ollamas[0]!.requests.find((r) => r.path === '/api/chat')?.outcome).toBe('cancelled');

    // On probation: shown to the admin, audited, and no user job however healthy its heartbeats say it is.
    expect(registry.probation(a!)?.reason).toMatch(/no first token within 1 s/);
    const row = ((await stack.admin.get('/api/miners')).body.miners as Array<Record<string, unknown>>).find((m) => m.id === a);
    expect(row).toMatchObject({ connected: true, healthy: false, probation: true });
    expect(row!.problem).toMatch(/probation.*no first token within 1 s/);
    expect(stack.s.identity.audit.list({ action: 'miner.probation' }).map((e) => e.target)).toEqual([a]);
    const heardAt = registry.get(a!)!.lastFrameAt;
    await until(() => registry.get(a!)!.lastFrameAt > heardAt, 5000, 'a heartbeat from A after the probation');
    expect(registry.get(a!)!.healthy).toBe(true);
    for (const q of ['second?', 'third?']) {
      preferA();
      expect((await collectReply((await ask(stack, q)).res)).final?.message.status).toBe('complete');
      expect(stack.s.usage.recent(1)[0]!.minerId).toBe(b);
    }
    const userChats = (i: number) => stack.ollamas[i]!.requests.filter((r) => r.path === '/api/chat' && !JSON.stringify(r.body).includes('single word: ready'));
    expect(userChats(0)).toHaveLength(1);
    // The probes, not user questions, went to A; they fail while its Ollama hangs.
    await until(() => stack.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').length >= 2, 5000, 'a probe job on A');
    expect(registry.probation(a!)?.reason).toMatch(/no first token within 1 s/);

    // Its Ollama recovers: the next probe answers and A takes user jobs again.
    stack.ollamas[0]!.clearFaults();
    await until(() => registry.probation(a!) === undefined, 10_000, 'a probe job to answer');
    expect(stack.s.identity.audit.list({ action: 'miner.probation_cleared' }).map((e) => e.target)).toEqual([a]);
    preferA();
    expect((await collectReply((await ask(stack, 'back?')).res)).final?.message.status).toBe('complete');
    expect(stack.s.usage.recent(1)[0]!.minerId).toBe(a);
    expect(userChats(0)).toHaveLength(2);
  });

  it('a probe that answers while the audit log cannot be written: the miner stays on probation, the failure is logged rather than thrown into nowhere, and a later probe clears it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      st = await startStack({ miners: 2, env: { MINER_FIRST_TOKEN_TIMEOUT_S: '1' }, silence: { probeMs: 1500 } });
      const stack = st;
      const { registry } = stack.s;
      const [a, b] = stack.miners.map((m) => m.minerId()!);
      stack.ollamas[0]!.inject({ kind: 'slow-first-token', delayMs: 120_000 });
      registry.get(a!)!.lastAssignedAt = 0;
      registry.get(b!)!.lastAssignedAt = Date.now() + 600_000;
      await collectReply((await ask(stack, 'anyone there?')).res);
      expect(registry.probation(a!)).toBeDefined();

      // A's Ollama recovers while the audit log refuses the entry that would clear the probation.
      stack.s.db.sqlite.exec(
        `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.action = 'miner.probation_cleared' BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
      );
      stack.ollamas[0]!.clearFaults();
      // A probe that answers is cancelled after its first token (it has proven the miner), so the audit write is what to wait for.
      await until(() => stack.s.logs.text().includes('disk full') || unhandled.length > 0, 10_000, 'a probe to answer and its audit entry to fail');
      expect(unhandled).toEqual([]);
      expect(registry.probation(a!)).toBeDefined();

      // The log can be written again: the next probe clears the probation, audited.
      stack.s.db.sqlite.exec('DROP TRIGGER fail_audit');
      await until(() => registry.probation(a!) === undefined, 10_000, 'a later probe to clear the probation');
      expect(stack.s.identity.audit.list({ action: 'miner.probation_cleared' }).map((e) => e.target)).toEqual([a]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a miner busy streaming another answer is not silent: a job queued behind it waits past MINER_FIRST_TOKEN_TIMEOUT_S and no probation follows', async () => {
    // One miner whose Ollama answers at 8 tokens/s; the second question's Ollama request waits 2 s for its first token, as behind a busy GPU.
    st = await startStack({ miners: 1, env: { MINER_FIRST_TOKEN_TIMEOUT_S: '1', MINER_QUEUE_SYNC_WAIT_S: '1' }, ollama: { tokensPerSecond: 8 } });
    const stack = st;
    const first = await ask(stack, 'keep talking');
    await until(() => stack.ollamas[0]!.active() === 1, 5000, 'the first answer to start');
    stack.ollamas[0]!.inject({ kind: 'slow-first-token', delayMs: 2000 }, { times: 1 });
    const second = await ask(stack, 'and me?');
    const [a, b] = await Promise.all([collectReply(first.res), collectReply(second.res)]);
    expect(a.final?.message.status).toBe('complete');
    expect(b.tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'and me?').join(''));
    expect(b.final?.message.status).toBe('complete');
    expect(stack.s.registry.probation(stack.miners[0]!.minerId()!)).toBeUndefined();
    expect(stack.s.identity.audit.list({ action: 'miner.probation' })).toHaveLength(0);
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
    await until(() => stack.s.registry.all()[0]!.healthy === false, 5000, 'the miner to report unhealthy');
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
    expect(codeOf(await stack.admin.post(`/api/conversations/${(await stack.admin.post('/api/conversations', {})).body.id}/messages`, { content: 'x' }))).toBe(
      'no_miner',
    );
    expect((await stack.admin.post(`/api/miners/${id}/enable`)).status).toBe(200);
    await stack.waitForMiners(1);
    expect((await stack.admin.delete(`/api/miners/${id}`)).status).toBe(200);
    await until(() => stack.miners[0]!.status() === 'revoked', 5000, 'the miner to stop as revoked');
    expect(stack.s.registry.all()).toHaveLength(0);
    expect(stack.s.identity.audit.list({}).map((e) => e.action)).toEqual(
      expect.arrayContaining(['miner.enroll', 'miner.disable', 'miner.enable', 'miner.revoke']),
    );
  });
});
