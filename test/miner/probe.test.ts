import { afterEach, describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../miner/models.ts';
import { createOllamaProbe } from '../../miner/probe.ts';
import { startFakeOllama, type FakeOllama } from '../fixtures/ollama/server.ts';
import { freePort } from '../helpers/processes.ts';
import { captureLog } from '../helpers/server.ts';

let ollama: FakeOllama | undefined;
afterEach(async () => {
  await ollama?.close();
  ollama = undefined;
});

describe('the miner’s Ollama probe', () => {
  it('says in plain words that no Ollama answers and what to do, once, and notices when one answers later', async () => {
    const port = await freePort(); // nothing listens there yet
    const host = `http://127.0.0.1:${port}`;
    const logs = captureLog([], 'info');
    const probe = createOllamaProbe(host, createModelCatalog(undefined, logs.log), logs.log, { retryEveryS: 7 });
    expect((await probe.check()).healthy).toBe(false);
    expect((await probe.check()).healthy).toBe(false);
    const said = logs.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(said).toEqual([
      `no Ollama answers at ${host}: start Ollama (\`ollama serve\`) or set OLLAMA_HOST; jobs are refused until it answers, retrying every 7 s`,
    ]);

    ollama = await startFakeOllama({ port, tokensPerSecond: 0 });
    expect((await probe.check()).healthy).toBe(true);
    expect(logs.text()).toMatch(/"msg":"Ollama reachable"/);
  });
});
