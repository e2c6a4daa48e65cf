import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSseData } from '../../server/kernel/sse.ts';
import { freePort, median, rssMiB, spawn, stop, waitFor200 } from './lib.ts';

const BINARY = resolve('dist/onsite');
const MODEL = 'llama3.2:1b';
const TOKENS = 100; // per answer
const RATE = 50; // tokens per second per stream, like a mid-size model on one GPU
const FIRST_TOKEN_MS = 20; // simulated prompt evaluation

/** Timings of one stream: time to first token and steady tokens per second. */
interface StreamTiming {
  ttftMs: number;
  tokensPerS: number;
}

const secret = () => randomBytes(32).toString('base64url');

// One stream straight to the test Ollama (NDJSON), as a client of Ollama would read it.
async function direct(ollamaUrl: string, i: number): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await fetch(`${ollamaUrl}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `bench ${i}` }], stream: true, options: { num_predict: TOKENS } }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const arrivals: number[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl)) as { done: boolean; message: { content: string } };
      buffer = buffer.slice(nl + 1);
      if (!line.done && line.message.content) arrivals.push(performance.now());
    }
  }
  return timing(t0, arrivals);
}

// One stream through the appliance: OpenAI-compatible SSE, server → miner → test Ollama.
async function through(serverUrl: string, key: string, i: number): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await fetch(`${serverUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `bench ${i}` }], stream: true, max_tokens: TOKENS }),
  });
  if (res.status !== 200) throw new Error(`through: ${res.status} ${await res.text()}`);
  const arrivals: number[] = [];
  for await (const data of readSseData(res.body!)) {
    if (data === '[DONE]') break;
    const chunk = JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> };
    if (chunk.choices[0]?.delta.content) arrivals.push(performance.now());
  }
  return timing(t0, arrivals);
}

function timing(t0: number, arrivals: number[]): StreamTiming {
  if (arrivals.length !== TOKENS) throw new Error(`expected ${TOKENS} tokens, got ${arrivals.length}`);
  return { ttftMs: arrivals[0]! - t0, tokensPerS: (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000) };
}

async function wave(n: number, one: (i: number) => Promise<StreamTiming>) {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const wallS = (performance.now() - started) / 1000;
  return { ttft: median(results.map((r) => r.ttftMs)), perStream: median(results.map((r) => r.tokensPerS)), aggregate: (n * TOKENS) / wallS };
}

/**
 * `n` streams kept in flight: stream k starts k/n of an answer's length after
 * the first, and each one is followed by the next as soon as it ends, for
 * `rounds` answers each. Only answers started once all `n` were running and
 * while the others still were are timed, so each one starts beside n − 1
 * streams mid-answer, as when many people use the appliance at once rather
 * than pressing Enter in the same millisecond.
 */
async function sustained(n: number, rounds: number, one: (i: number) => Promise<StreamTiming>) {
  const answerMs = (TOKENS / RATE) * 1000;
  const started = performance.now();
  const answers: Array<StreamTiming & { at: number; last: boolean; endedAt: number }> = [];
  await Promise.all(
    Array.from({ length: n }, async (_, k) => {
      await new Promise((r) => setTimeout(r, (k * answerMs) / n));
      for (let round = 0; round < rounds; round++) {
        const at = performance.now();
        const t = await one(k * rounds + round);
        answers.push({ ...t, at, last: round === rounds - 1, endedAt: performance.now() });
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  // All n running: after the last first start, before the first stream's last answer ended.
  const from = Math.max(...answers.filter((a) => a.at - started < answerMs).map((a) => a.at));
  const to = Math.min(...answers.filter((a) => a.last).map((a) => a.endedAt));
  const timed = answers.filter((a) => a.at > from && a.at < to);
  if (timed.length < n) throw new Error(`only ${timed.length} answers started with ${n} in flight`);
  return { ttft: median(timed.map((r) => r.ttftMs)), perStream: median(timed.map((r) => r.tokensPerS)), aggregate: (answers.length * TOKENS) / wallS };
}

async function json(url: string, init: RequestInit & { cookie?: string; csrf?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: new URL(url).origin };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.csrf) headers['x-csrf-token'] = init.csrf;
  const res = await fetch(url, { ...init, headers });
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Time to first token and tokens/s through server + miner against straight
 * to the test Ollama: one stream; 50 streams kept in flight (each answer
 * starts while 49 others are mid-answer); 50 streams started in the same
 * instant (a burst: every request queues behind the others on each hop).
 * Server RSS at 50. Every process runs on loopback; the test Ollama paces
 * 50 tokens/s.
 */
export async function benchStreams(rounds = 5): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'onsite-bench-streams-'));
  const children: Array<ReturnType<typeof spawn>> = [];
  try {
    const ollama = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'test/fixtures/ollama/main.ts'], {
      env: {
        PATH: process.env.PATH,
        FAKE_OLLAMA_PORT: '0',
        FAKE_OLLAMA_TOKENS_PER_SECOND: String(RATE),
        FAKE_OLLAMA_FIRST_TOKEN_DELAY_MS: String(FIRST_TOKEN_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(ollama);
    const ollamaUrl = await new Promise<string>((ok) =>
      ollama.stdout.on('data', (d: Buffer) => {
        const m = /listening on (\S+)/.exec(d.toString());
        if (m) ok(m[1]!);
      }),
    );

    const port = await freePort();
    const serverUrl = `http://127.0.0.1:${port}`;
    const enrollment = secret();
    const bootstrap = secret();
    const server = spawn(BINARY, ['serve'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH,
        ONSITE_DATA_DIR: join(dir, 'data'),
        HOST: '127.0.0.1',
        PORT: String(port),
        APP_BASE_URL: serverUrl,
        LOG_LEVEL: 'warn',
        SESSION_SECRET: secret(),
        DB_ENCRYPTION_KEY: secret(),
        MINER_ENROLLMENT_SECRET: enrollment,
        BROWSER_SERVICE_AUTH_TOKEN: secret(),
        ONSITE_BOOTSTRAP_TOKEN: bootstrap,
        RATE_LIMIT_PER_MINUTE: '100000',
        MFA_REQUIRED: 'off', // the admin goes on with a password alone
      },
    });
    children.push(server);
    await waitFor200(`${serverUrl}/health/ready`);
    const claim = await json(`${serverUrl}/api/setup/claim`, {
      method: 'POST',
      body: JSON.stringify({ token: bootstrap, name: 'Bench', email: 'bench@example.test', password: 'correct-Horse-staple-9' }),
    });
    const auth = { cookie: claim.res.headers.get('set-cookie')!.split(';')[0]!, csrf: claim.body.csrfToken as string };
    await json(`${serverUrl}/api/models`, {
      method: 'POST',
      ...auth,
      body: JSON.stringify({ name: MODEL, kind: 'chat', contextLength: 4096, isDefault: true }),
    });
    const key = (await json(`${serverUrl}/api/keys`, { method: 'POST', ...auth, body: JSON.stringify({ name: 'bench' }) })).body.key as string;

    const miner = spawn(BINARY, ['miner'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH,
        SERVER_URL: serverUrl,
        OLLAMA_HOST: ollamaUrl,
        MINER_ENROLLMENT_SECRET: enrollment,
        MINER_STATE_DIR: join(dir, 'miner'),
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        MINER_CAPACITY: '64',
        LOG_LEVEL: 'warn',
      },
    });
    children.push(miner);
    // The miners check, not the overall status: no browser sidecar runs here, so `/health` stays degraded.
    for (let t = 0; ; t++) {
      const h = await fetch(`${serverUrl}/health/ready`).then((r) => r.json() as Promise<{ checks: Record<string, { ok: boolean }> }>);
      if (h.checks.miners?.ok) break;
      if (t > 200) throw new Error('the miner did not connect');
      await new Promise((r) => setTimeout(r, 50));
    }

    // Warm-up: JIT, connection pools, model "load".
    await wave(4, (i) => direct(ollamaUrl, i));
    await wave(4, (i) => through(serverUrl, key, i));

    const rows: Record<string, string> = {};
    type Run = (one: (i: number) => Promise<StreamTiming>) => Promise<{ ttft: number; perStream: number; aggregate: number }>;
    const cases: Array<[label: string, runs: number, run: Run]> = [
      ['1 stream', rounds * 2, (one) => wave(1, one)],
      ['50 streams in flight', Math.max(1, Math.ceil(rounds / 2)), (one) => sustained(50, 3, one)],
      ['50 streams started together', rounds, (one) => wave(50, one)],
    ];
    for (const [label, runs, run] of cases) {
      const d: Array<Awaited<ReturnType<Run>>> = [];
      const t: typeof d = [];
      const rss: number[] = [];
      for (let r = 0; r < runs; r++) {
        d.push(await run((i) => direct(ollamaUrl, i)));
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid!))), 100);
        t.push(await run((i) => through(serverUrl, key, i)));
        clearInterval(sampler);
        rss.push(peak);
      }
      const m = (xs: typeof d, k: 'ttft' | 'perStream' | 'aggregate') => median(xs.map((x) => x[k]));
      rows[`${label}: time to first token, direct / through (median ms)`] = `${m(d, 'ttft').toFixed(1)} / ${m(t, 'ttft').toFixed(1)}`;
      rows[`${label}: first-token overhead (median ms)`] = (m(t, 'ttft') - m(d, 'ttft')).toFixed(1);
      rows[`${label}: tokens/s per stream, direct / through (median)`] = `${m(d, 'perStream').toFixed(1)} / ${m(t, 'perStream').toFixed(1)}`;
      rows[`${label}: per-stream throughput ratio through / direct`] = (m(t, 'perStream') / m(d, 'perStream')).toFixed(3);
      rows[`${label}: aggregate tokens/s, direct / through (median)`] = `${m(d, 'aggregate').toFixed(0)} / ${m(t, 'aggregate').toFixed(0)}`;
      rows[`${label}: aggregate throughput ratio through / direct`] = (m(t, 'aggregate') / m(d, 'aggregate')).toFixed(3);
      if (label !== '1 stream') rows[`${label}: server RSS (median of peaks, MiB)`] = median(rss).toFixed(1);
    }
    return rows;
  } finally {
    await Promise.all(children.reverse().map((c) => stop(c)));
    rmSync(dir, { recursive: true, force: true });
  }
}
