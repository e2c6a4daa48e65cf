import type { ShowResponse } from 'ollama';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../miner/backoff.ts';
import { describeModel, wantedModel } from '../../miner/models.ts';
import { classifyOllamaError, createOllamaClient } from '../../miner/ollama.ts';
import { startFakeOllama } from '../fixtures/ollama/server.ts';

const show = (fields: Partial<Record<string, unknown>>): ShowResponse => fields as unknown as ShowResponse;

describe('model description', () => {
  it('takes the kind from capabilities and sizes from model_info', () => {
    expect(
      describeModel(
        'llama3.2:1b',
        show({
          capabilities: ['completion', 'tools'],
          model_info: { 'general.architecture': 'llama', 'llama.context_length': 131072, 'llama.embedding_length': 2048 },
        }),
      ),
    ).toEqual({
      name: 'llama3.2:1b',
      kind: 'chat',
      contextLength: 131072,
    });
    expect(
      describeModel(
        'nomic-embed-text:latest',
        show({
          capabilities: ['embedding'],
          model_info: { 'general.architecture': 'nomic-bert', 'nomic-bert.context_length': 2048, 'nomic-bert.embedding_length': 768 },
        }),
      ),
    ).toEqual({
      name: 'nomic-embed-text:latest',
      kind: 'embedding',
      contextLength: 2048,
      dimensions: 768,
    });
  });

  it('falls back on the pooling type or the name when capabilities are missing (older Ollama)', () => {
    expect(describeModel('custom:1', show({ model_info: { 'general.architecture': 'bert', 'bert.pooling_type': 1, 'bert.embedding_length': 384 } })).kind).toBe(
      'embedding',
    );
    expect(describeModel('bge-m3:latest', show({ model_info: {} })).kind).toBe('embedding');
    expect(describeModel('all-minilm:l6-v2', show({})).kind).toBe('embedding');
    expect(describeModel('qwen2.5:7b', show({ model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': 32768 } }))).toEqual({
      name: 'qwen2.5:7b',
      kind: 'chat',
      contextLength: 32768,
    });
  });

  it('matches MODELS with or without the :latest tag', () => {
    expect(wantedModel('nomic-embed-text:latest', ['nomic-embed-text'])).toBe(true);
    expect(wantedModel('llama3.2:1b', ['llama3.2:1b'])).toBe(true);
    expect(wantedModel('llama3.2:3b', ['llama3.2:1b'])).toBe(false);
    expect(wantedModel('anything', undefined)).toBe(true);
  });
});

describe('backoff', () => {
  it('uses full jitter under a doubling, capped bound', () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBeLessThan(500);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(3996);
    expect(backoffDelay(20, policy, () => 0.999)).toBe(29970);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});

describe('Ollama errors', () => {
  it('maps a missing model, an HTTP error and a dead server to protocol codes', async () => {
    const ollama = await startFakeOllama({ tokensPerSecond: 0 });
    try {
      const client = createOllamaClient(ollama.url);
      const missing = await client.embed({ model: 'nope', input: ['x'] }).catch((e: unknown) => e);
      expect(classifyOllamaError(missing).code).toBe('model_missing');
      ollama.inject({ kind: 'error', status: 500, message: 'llama runner crashed' }, { path: '/api/embed', times: 1 });
      const failed = await client.embed({ model: 'nomic-embed-text', input: ['x'] }).catch((e: unknown) => e);
      expect(classifyOllamaError(failed)).toEqual({ code: 'ollama_error', message: 'Ollama answered HTTP 500: llama runner crashed' });
      ollama.inject({ kind: 'down' }, { times: 1 });
      const down = await client.list().catch((e: unknown) => e);
      expect(classifyOllamaError(down).code).toBe('ollama_unreachable');
      // A stalled Ollama: the client's timeout is a timeout, not a stop asked for by the server.
      ollama.inject({ kind: 'stall', afterTokens: 0 }, { path: '/api/tags', times: 1 });
      const stalled = await createOllamaClient(ollama.url, { timeoutMs: 200 })
        .list()
        .catch((e: unknown) => e);
      expect(classifyOllamaError(stalled)).toMatchObject({ code: 'ollama_unreachable', message: expect.stringMatching(/did not answer in time/) });
      // A stop from the server while the request waits is a cancel.
      ollama.inject({ kind: 'stall', afterTokens: 0 }, { path: '/api/tags', times: 1 });
      const stop = new AbortController();
      const pending = createOllamaClient(ollama.url, { signal: stop.signal })
        .list()
        .catch((e: unknown) => e);
      setTimeout(() => stop.abort(), 50);
      expect(classifyOllamaError(await pending, stop.signal).code).toBe('cancelled');
    } finally {
      await ollama.close();
    }
    const refused = await createOllamaClient(ollama.url)
      .list()
      .catch((e: unknown) => e);
    expect(classifyOllamaError(refused).code).toBe('ollama_unreachable');
  });
});
