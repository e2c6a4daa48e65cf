import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMiner, type RunningMiner } from '../../../miner/start.ts';
import { loadConfig } from '../../../server/config.ts';
import { assertLocalEndpoint } from '../../../server/kernel/egress.ts';
import { createLogger } from '../../../server/kernel/log.ts';
import { expectedReply, startFakeOllama } from '../../fixtures/ollama/server.ts';
import { codeOf } from '../../helpers/client.ts';
import { tempDir, validEnv } from '../../helpers/env.ts';
import { collectReply } from '../../helpers/sse.ts';
import { CHAT_MODEL, startStack, until, type Stack } from '../../helpers/stack.ts';

describe('remote miner: registration token and pairing key', () => {
  let st: Stack;
  const started: RunningMiner[] = [];
  const state = tempDir('onsite-remote-miner-');
  beforeAll(async () => {
    st = await startStack({ miners: 0, env: { MINER_QUEUE_SYNC_WAIT_S: '1' } });
  });
  afterAll(async () => {
    await Promise.all(started.map((m) => m.stop()));
    await st?.close();
    state.cleanup();
  });

  const launch = async (env: Record<string, string>, printed: string[], ollamaUrl: string) => {
    const m = await startMiner(
      {
        SERVER_URL: st.url,
        OLLAMA_HOST: ollamaUrl,
        MINER_STATE_DIR: state.dir,
        MINER_HEARTBEAT_INTERVAL: '1',
        WORKER_ID: 'gpu-host-7',
        PORT: '0',
        HOST: '127.0.0.1',
        ...env,
      },
      {
        log: createLogger({ level: 'silent', secrets: [] }),
        version: 'test',
        print: (l) => printed.push(l),
        backoff: { reconnect: { baseMs: 50, maxMs: 500 } },
      },
    );
    started.push(m);
    return m;
  };

  it('connects but gets no job until the admin confirms its key; a wrong key is refused; a restart keeps its identity', async () => {
    const ollama = await startFakeOllama({ tokensPerSecond: 0 });
    try {
      const made = await st.admin.post('/api/miners/registration-tokens', { label: 'gpu-host-7', ttlHours: 1 });
      expect(made.status).toBe(201);
      const printed: string[] = [];
      const miner = await launch({ MINER_REGISTRATION_TOKEN: made.body.token as string }, printed, ollama.url);
      await until(() => miner.status() === 'pending' && st.s.registry.get(miner.minerId()!) !== undefined, 10_000, 'the miner to connect as pending');
      const line = printed.find((l) => /PAIRING KEY/.test(l))!;
      const key = /([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})/.exec(line)![1]!;
      const id = miner.minerId()!;

      // Connected, pending: the scheduler never picks it.
      const view = (await st.admin.get('/api/miners')).body.miners as Array<Record<string, unknown>>;
      expect(view.find((m) => m.id === id)).toMatchObject({ status: 'pending', connected: true });
      const conv = await st.admin.post('/api/conversations', {});
      const waited = await st.admin.post(`/api/conversations/${conv.body.id}/messages`, { content: 'anyone?' }, {});
      expect(codeOf(waited)).toBe('no_miner');
      expect(ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);

      // The token is single-use.
      const again = await fetch(`${st.url}/api/miners/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ workerId: 'thief', registrationToken: made.body.token, pairingKeyHash: 'a'.repeat(64) }),
      });
      expect(again.status).toBe(401);

      const wrong = await st.admin.post(`/api/miners/${id}/confirm`, { pairingKey: 'ABCD-EFGH-JKMN-PQRS-TVWX' });
      expect(wrong.status).toBe(400);
      expect(codeOf(wrong)).toBe('pairing_key_mismatch');
      expect(miner.status()).toBe('pending');

      // A restart before confirmation: same identity, same key printed again.
      await miner.stop();
      const printedAgain: string[] = [];
      const restarted = await launch({}, printedAgain, ollama.url);
      expect(restarted.minerId()).toBe(id);
      await until(() => restarted.status() === 'pending' && st.s.registry.get(id) !== undefined, 10_000, 'the restarted miner to connect');
      expect(printedAgain.join('\n')).toContain(key);

      const ok = await st.admin.post(`/api/miners/${id}/confirm`, { pairingKey: key.toLowerCase() });
      expect(ok.status).toBe(200);
      await until(() => restarted.status() === 'active', 5000, 'the miner to hear it is active');
      await st.waitForMiners(1);
      const res = await st.admin.raw('POST', `/api/conversations/${conv.body.id}/messages`, { content: 'now?' });
      expect(res.status, await res.clone().text()).toBe(200);
      const answer = await collectReply(res);
      expect(answer.tokens).toEqual(expectedReply(CHAT_MODEL, 'now?'));
      expect(st.s.identity.audit.list({}).map((e) => `${e.action}:${e.outcome}`)).toEqual(
        expect.arrayContaining(['miner.enroll:success', 'miner.confirm:failure', 'miner.confirm:success']),
      );
    } finally {
      await ollama.close();
    }
  });

  it('refuses a wrong enrolment secret and a malformed request, with stable codes', async () => {
    const post = (body: unknown) =>
      fetch(`${st.url}/api/miners/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const wrong = await post({ workerId: 'w', secret: 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    for (const body of [
      { workerId: 'w' },
      { workerId: 'w', secret: 's', registrationToken: 't', pairingKeyHash: 'a'.repeat(64) },
      { workerId: 'bad id!', secret: 's' },
      { workerId: 'w', registrationToken: 't' },
    ]) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
    expect(st.s.identity.audit.list({ action: 'miner.enroll', outcome: 'failure' }).length).toBeGreaterThan(0);
  });
});

describe('bundled miner: the enrolment secret', () => {
  let st: Stack;
  const started: RunningMiner[] = [];
  const dirs: Array<() => void> = [];
  beforeAll(async () => {
    st = await startStack({ miners: 1, env: { MINER_QUEUE_SYNC_WAIT_S: '1' } });
  });
  afterAll(async () => {
    await Promise.all(started.map((m) => m.stop()));
    await st?.close();
    for (const d of dirs) d();
  });

  const enroll = (body: unknown) =>
    fetch(`${st.url}/api/miners/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // The bundled miner started again on an empty state folder (as after `docker volume rm`), so it enrols again with the secret.
  const restartFresh = async () => {
    const state = tempDir('onsite-bundled-again-');
    dirs.push(state.cleanup);
    const m = await startMiner(
      {
        SERVER_URL: st.url,
        OLLAMA_HOST: st.ollamas[0]!.url,
        MINER_ENROLLMENT_SECRET: st.s.config.MINER_ENROLLMENT_SECRET,
        MINER_STATE_DIR: state.dir,
        MINER_HEARTBEAT_INTERVAL: '1',
        WORKER_ID: 'worker-1',
        PORT: '0',
        HOST: '127.0.0.1',
      },
      { log: createLogger({ level: 'silent', secrets: [] }), version: 'test', backoff: { reconnect: { baseMs: 50, maxMs: 500 } } },
    );
    started.push(m);
    return m;
  };
  const ask = async (content: string) => {
    const conv = await st.admin.post('/api/conversations', {});
    return st.admin.post(`/api/conversations/${conv.body.id}/messages`, { content });
  };

  it('binds the secret to the bundled worker id: another worker id is refused with enrollment_secret_bound and audited', async () => {
    const other = await enroll({ workerId: 'intruder', secret: st.s.config.MINER_ENROLLMENT_SECRET });
    expect(other.status).toBe(403);
    const body = (await other.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('enrollment_secret_bound');
    expect(body.error.message).toMatch(/registration token/);
    expect(st.s.miners.list().map((m) => m.workerId)).toEqual(['worker-1']);
    const failures = st.s.identity.audit.list({ action: 'miner.enroll', outcome: 'failure' });
    expect(failures.some((e) => e.actorLabel === 'miner:intruder' && (e.details as { boundTo?: string }).boundTo === 'worker-1')).toBe(true);
  });

  it('a disabled bundled miner that enrols again with the secret stays disabled', async () => {
    const id = st.miners[0]!.minerId()!;
    expect((await st.admin.post(`/api/miners/${id}/disable`)).status).toBe(200);
    const again = await enroll({ workerId: 'worker-1', secret: st.s.config.MINER_ENROLLMENT_SECRET });
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ minerId: id, status: 'pending' });
    expect(st.s.miners.get(id)!.status).toBe('disabled');
    expect(codeOf(await ask('disabled?'))).toBe('no_miner');
    // Its saved token was replaced by the new enrolment: the running miner is refused and stops as revoked.
    await until(() => st.miners[0]!.status() === 'revoked' || st.s.registry.get(id) === undefined, 10_000, 'the old connection to go');
    expect((await st.admin.post(`/api/miners/${id}/enable`)).status).toBe(200);
  });

  it('revoking it sticks: enrolling again with the secret, it comes back pending and gets no job until an admin approves it', async () => {
    const first = st.s.miners.list().find((m) => m.workerId === 'worker-1')!;
    expect((await st.admin.delete(`/api/miners/${first.id}`)).status).toBe(200);
    const back = await restartFresh();
    await until(() => back.status() === 'pending' && st.s.registry.get(back.minerId()!) !== undefined, 10_000, 'the re-enrolled miner to connect as pending');
    expect(back.minerId()).not.toBe(first.id);
    const row = (await st.admin.get('/api/miners')).body.miners as Array<Record<string, unknown>>;
    expect(row.find((m) => m.id === back.minerId())).toMatchObject({ status: 'pending', enrolledVia: 'secret', connected: true });
    const chatsBefore = st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat').length;
    expect(codeOf(await ask('revoked and back?'))).toBe('no_miner');
    expect(st.ollamas[0]!.requests.filter((r) => r.path === '/api/chat')).toHaveLength(chatsBefore);
    // Enrolling again while pending does not get round the approval either.
    const retry = await enroll({ workerId: 'worker-1', secret: st.s.config.MINER_ENROLLMENT_SECRET });
    expect(((await retry.json()) as { status: string }).status).toBe('pending');
    await until(() => back.status() === 'revoked' || st.s.registry.get(back.minerId()!) === undefined, 10_000, 'the replaced token to be refused');
    const again = await restartFresh();
    await until(() => again.status() === 'pending', 10_000, 'the miner to wait for approval');

    expect(codeOf(await st.admin.post(`/api/miners/${again.minerId()}/confirm`, { pairingKey: 'ABCD-EFGH-JKMN-PQRS-TVWX' }))).toBe('miner_state');
    // The Miners page offers Approve for it (no pairing-key form: it never printed one).
    const page = await (await st.admin.raw('GET', '/admin/miners')).text();
    expect(page).toContain(`action="/admin/miners/${again.minerId()}/approve"`);
    expect(page).not.toContain(`action="/admin/miners/${again.minerId()}/confirm"`);
    const approved = await st.admin.post(`/api/miners/${again.minerId()}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'active', enrolledVia: 'secret' });
    await until(() => again.status() === 'active', 5000, 'the miner to hear it is active');
    await st.waitForMiners(1);
    const res = await st.admin.raw('POST', `/api/conversations/${(await st.admin.post('/api/conversations', {})).body.id}/messages`, { content: 'approved' });
    expect((await collectReply(res)).final?.message.status).toBe('complete');
    expect(st.s.identity.audit.list({ action: 'miner.approve' }).map((e) => e.target)).toEqual([again.minerId()]);
  });
});

describe('ORCH_MODEL_BACKEND=openai', () => {
  it('runs chat and embeddings on an external OpenAI-compatible endpoint (here: Ollama’s own /v1 on loopback)', async () => {
    const ollama = await startFakeOllama({ tokensPerSecond: 0 });
    let st: Stack | undefined;
    try {
      st = await startStack({
        miners: 0,
        env: { ORCH_MODEL_BACKEND: 'openai', OPENAI_BASE_URL: `${ollama.url}/v1`, OPENAI_API_KEY: 'ollama-local-key-not-checked', NO_EXTERNAL_EGRESS: '1' },
      }).catch((e: unknown) => {
        throw e;
      });
      const conv = await st.admin.post('/api/conversations', {});
      const r = await collectReply(await st.admin.raw('POST', `/api/conversations/${conv.body.id}/messages`, { content: 'via openai' }));
      expect(r.tokens.join('')).toBe(expectedReply(CHAT_MODEL, 'via openai').join(''));
      expect(r.final?.message.status).toBe('complete');
      expect(st.s.usage.recent(1)[0]).toMatchObject({ outcome: 'ok', minerId: null });
      const chats = ollama.requests.filter((x) => x.path === '/v1/chat/completions');
      expect(chats).toHaveLength(1);
      expect(st.s.logs.text()).not.toContain('ollama-local-key-not-checked');
    } finally {
      await st?.close();
      await ollama.close();
    }
  });

  it('is refused with NO_EXTERNAL_EGRESS=1 when the endpoint is outside the local network (checked without connecting)', async () => {
    const dir = tempDir();
    try {
      expect(() => loadConfig(validEnv(dir.dir, { ORCH_MODEL_BACKEND: 'openai', OPENAI_BASE_URL: 'https://203.0.113.7/v1', NO_EXTERNAL_EGRESS: '1' }))).toThrow(
        /NO_EXTERNAL_EGRESS=1 allows only loopback or private/,
      );
      expect(() => loadConfig(validEnv(dir.dir, { ORCH_MODEL_BACKEND: 'openai' }))).toThrow(/OPENAI_BASE_URL: required/);
      // Host names are resolved; a fake resolver stands in for DNS so no packet leaves.
      await expect(assertLocalEndpoint('https://api.example.com/v1', async () => ['93.184.216.34'])).rejects.toMatchObject({ code: 'egress_refused' });
      await expect(assertLocalEndpoint('https://llm.internal/v1', async () => ['10.1.2.3', '93.184.216.34'])).rejects.toMatchObject({ code: 'egress_refused' });
      await expect(assertLocalEndpoint('http://vllm.lan:8000/v1', async () => ['192.168.1.20'])).resolves.toBeUndefined();
      await expect(assertLocalEndpoint('http://[::1]:8000/v1')).resolves.toBeUndefined();
      await expect(assertLocalEndpoint('http://169.254.169.254/v1')).rejects.toMatchObject({ code: 'egress_refused' });
    } finally {
      dir.cleanup();
    }
  });
});
