import type { ChatMessage, GenerationOptions } from '../kernel/protocol/miner.ts';

/** A chat generation request, already resolved against the catalog. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  options: GenerationOptions;
  signal?: AbortSignal | undefined;
}

/** How a generation ended, with its usage. */
export interface ChatDone {
  type: 'done';
  promptTokens: number;
  completionTokens: number;
  doneReason: string;
  /** The prompt did not fit the context window and was cut (never silent). */
  truncated: boolean;
  minerId: string | undefined;
  durationMs: number;
}

/** One event of a streaming generation. */
export type ChatEvent = { type: 'token'; delta: string } | ChatDone;

/** An embedding request. */
export interface EmbedRequest {
  model: string;
  input: string[];
  numCtx?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Vectors in input order, with usage. */
export interface EmbedResult {
  embeddings: number[][];
  promptTokens: number;
  minerId: string | undefined;
}

/**
 * Where models run: the miners (default) or an external OpenAI-compatible
 * endpoint. Failures are AppErrors: `generation_failed` after output began
 * (details.partial true), `miners_busy`/`no_miner` when nothing could run it.
 */
export interface ModelBackend {
  readonly name: 'miners' | 'openai';
  chat(req: ChatRequest): AsyncIterable<ChatEvent>;
  embed(req: EmbedRequest): Promise<EmbedResult>;
  /** Model names the backend can run now (for the catalog page). */
  available(): Promise<Array<{ name: string; kind?: 'chat' | 'embedding' | undefined; contextLength?: number | undefined; dimensions?: number | undefined }>>;
}
