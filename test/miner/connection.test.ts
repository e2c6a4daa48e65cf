import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE } from '../../server/kernel/protocol/miner.ts';
import { createRig, until, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function health(r: Rig): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${r.miner!.port}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('miner connection', () => {
  it('reports health on its own port', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    await until(() => rig!.miner!.status() === 'active' && rig!.miner!.connected(), 5000, 'active');
    expect(await health(rig)).toEqual({
      status: 200,
      body: { ok: true, models: ['llama3.2:1b', 'nomic-embed-text:latest'], backend: 'ollama', status: 'active', connected: true },
    });
    const other = await fetch(`http://127.0.0.1:${rig.miner!.port}/metrics`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('sends heartbeats, and reports Ollama down as unhealthy (heartbeat, /health 503, jobs refused)', async () => {
    rig = await createRig();
    await rig.start();
    const first = await rig.server.waitForFrame('heartbeat');
    expect(first).toMatchObject({ healthy: true, inflight: 0 });
    expect(first.models).toHaveLength(2);
    rig.ollama.inject({ kind: 'down' });
    const sick = await rig.server.waitForFrame('heartbeat', (f) => !f.healthy, 5000);
    expect(sick.problem).toMatch(/unreachable/i);
    const h = await health(rig);
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ ok: false, backend: 'ollama', connected: true, problem: expect.stringMatching(/unreachable/i) });
    rig.server.send({ type: 'chat', jobId: 'j1', model: 'llama3.2:1b', messages: [{ role: 'user', content: 'hi' }], options: { num_ctx: 2048 } });
    expect((await rig.server.waitForFrame('failed', (f) => f.jobId === 'j1')).code).toBe('ollama_unreachable');
    rig.ollama.clearFaults();
    await rig.server.waitForFrame('heartbeat', (f) => f.healthy && rig!.server.frames.indexOf(f) > rig!.server.frames.indexOf(sick), 5000);
    expect((await health(rig)).status).toBe(200);
  });

  it('refuses jobs while the server says pending', async () => {
    rig = await createRig({ server: { welcomeStatus: 'pending' } });
    await rig.start();
    await until(() => rig!.miner!.status() === 'pending', 5000, 'pending');
    rig.server.send({ type: 'embed', jobId: 'e1', model: 'nomic-embed-text', input: ['x'] });
    expect(await rig.server.waitForFrame('failed', (f) => f.jobId === 'e1')).toMatchObject({ code: 'bad_job', message: expect.stringMatching(/pending/) });
    expect(rig.printed).toEqual([]); // a bundled miner has no pairing key to show
  });

  it('reconnects by itself after a server restart and aborts the jobs it could not deliver', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    rig.ollama.setTokensPerSecond(20);
    rig.server.send({
      type: 'chat',
      jobId: 'j1',
      model: 'llama3.2:1b',
      messages: [{ role: 'user', content: 'hi' }],
      options: { num_ctx: 2048, num_predict: 500 },
    });
    await rig.server.waitForFrame('chunk');
    await rig.server.restart(300);
    await rig.ollama.waitFor((q) => q.path === '/api/chat' && q.outcome === 'cancelled');
    await until(() => rig!.server.connections === 2 && rig!.miner!.connected(), 10_000, 'reconnection');
    expect(rig.server.frames.filter((f) => f.type === 'hello')).toHaveLength(2);
    expect(rig.server.enrollRequests).toHaveLength(1); // same identity, no second enrolment
  });

  it('drops a silent server after three heartbeat intervals and reconnects', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    rig.server.freeze();
    await until(() => rig!.server.connections === 2, 8000, 'reconnection after silence');
    expect(rig.logEntries().some((l) => l.level === 'warn' && /no sign of life/.test(String(l.msg)))).toBe(true);
  });

  it('stops reconnecting when the server closes with 4001 (revoked)', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    rig.server.closeSocket(CLOSE.revoked, 'revoked');
    await until(() => rig!.miner!.status() === 'revoked', 5000, 'revoked');
    await new Promise((r) => setTimeout(r, 600)); // several reconnect delays
    expect(rig.server.upgrades).toBe(1);
    expect(rig.logEntries().some((l) => l.level === 'error' && /revoked.*Delete the miner state folder/.test(String(l.msg)))).toBe(true);
    const h = await health(rig);
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ ok: false, status: 'revoked', connected: false });
  });

  it('closed with 4004 (too many heartbeats): says so in words and reconnects', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    rig.server.closeSocket(CLOSE.flooding, 'too many heartbeats');
    await until(() => rig!.server.connections === 2, 5000, 'a reconnect');
    expect(rig.logEntries().some((l) => l.level === 'error' && /too many heartbeats|far more heartbeats/.test(String(l.msg)))).toBe(true);
  });

  it('stops reconnecting when the upgrade is refused with 401', async () => {
    rig = await createRig();
    await rig.start();
    await rig.server.waitForFrame('hello');
    rig.server.credentials.clear();
    rig.server.closeSocket(1011, 'server error');
    await until(() => rig!.miner!.status() === 'revoked', 5000, 'revoked');
    await new Promise((r) => setTimeout(r, 600));
    expect(rig.server.upgrades).toBe(2);
  });

  it('keeps reconnecting after an ordinary close, and closes with 1000 on stop', async () => {
    rig = await createRig();
    const miner = await rig.start();
    await rig.server.waitForFrame('hello');
    rig.server.closeSocket(CLOSE.shutdown, 'restarting');
    await until(() => rig!.server.connections === 2 && miner.connected(), 10_000, 'reconnection');
    await miner.stop();
    expect(miner.status()).toBe('stopped');
    await until(() => rig!.server.closeCodes.length === 2, 2000, 'socket closed');
    expect(rig.server.closeCodes).toEqual([CLOSE.shutdown, 1000]);
    await expect(fetch(`http://127.0.0.1:${miner.port}/health`)).rejects.toThrow();
  });
});
