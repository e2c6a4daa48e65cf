import type { AuditService } from '../audit/audit.service.ts';
import type { Log } from '../kernel/log.ts';
import type { ChatMessage, GenerationOptions } from '../kernel/protocol/miner.ts';

/** Tokens Ollama's chat template may add around the messages (role markers, a Modelfile's system prompt). */
export const TEMPLATE_TOKENS = 1_024;
/** Tokens that stream no text (end of sequence, a final empty part) a miner may count beyond the bytes it sent. */
export const SILENT_TOKENS = 16;
/** No request is charged more than this many tokens in or out, whatever was sent or streamed. */
export const MAX_CHARGED_TOKENS = 1_048_576;

/** Token counts as a miner reported them and as they are charged. */
export interface BoundedUsage {
  promptTokens: number;
  completionTokens: number;
  /** The reported counts and the bounds, when a count was outside them (and so clamped). */
  clamped?: { reported: { promptTokens: number; completionTokens: number }; bounds: { prompt: [number, number]; completion: [number, number] } };
}

/** What the server itself saw of a chat job: what it sent, and what was streamed back. */
export interface ChatSeen {
  messages: ChatMessage[];
  options: GenerationOptions;
  chunks: number;
  bytes: number;
}

const clamp = (n: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, n));
const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

// Every token decodes to at least one byte of text, so a prompt has no more tokens than its bytes
// plus the template's, nor more than the context it ran in; an answer no more than the bytes that
// streamed (plus a few silent ones) nor than num_predict; and at least one per chunk, since each
// chunk the miner forwards is an Ollama part carrying at least one token.
function chatBounds(seen: ChatSeen) {
  const promptBytes = seen.messages.reduce((n, m) => n + bytesOf(m.content), 0);
  const prompt: [number, number] = [0, Math.min(seen.options.num_ctx, promptBytes + TEMPLATE_TOKENS, MAX_CHARGED_TOKENS)];
  const predicted = seen.options.num_predict !== undefined && seen.options.num_predict > 0 ? seen.options.num_predict : Infinity;
  const low = Math.min(seen.chunks, MAX_CHARGED_TOKENS);
  const completion: [number, number] = [low, Math.max(low, Math.min(seen.bytes + SILENT_TOKENS, predicted, MAX_CHARGED_TOKENS))];
  return { prompt, completion };
}

function bounded(
  reported: { promptTokens: number; completionTokens: number },
  bounds: { prompt: [number, number]; completion: [number, number] },
): BoundedUsage {
  const promptTokens = clamp(reported.promptTokens, bounds.prompt);
  const completionTokens = clamp(reported.completionTokens, bounds.completion);
  const changed = promptTokens !== reported.promptTokens || completionTokens !== reported.completionTokens;
  return { promptTokens, completionTokens, ...(changed ? { clamped: { reported, bounds } } : {}) };
}

/** Bounds a chat job's reported token counts by what the server sent and saw streamed. */
export function boundChatUsage(reported: { promptTokens: number; completionTokens: number }, seen: ChatSeen): BoundedUsage {
  return bounded({ promptTokens: reported.promptTokens, completionTokens: reported.completionTokens }, chatBounds(seen));
}

/** Bounds an embedding job's reported prompt tokens: each input at most its bytes plus a few, and at most the context length. */
export function boundEmbedUsage(promptTokens: number, input: string[], numCtx: number | undefined): BoundedUsage {
  const most = input.reduce((n, text) => n + Math.min(numCtx ?? Infinity, bytesOf(text) + SILENT_TOKENS), 0);
  return bounded({ promptTokens, completionTokens: 0 }, { prompt: [0, Math.min(most, MAX_CHARGED_TOKENS)], completion: [0, 0] });
}

/** A clamped count, with who reported it. */
export interface UsageClamp {
  minerId: string;
  workerId: string;
  model: string;
  kind: 'chat' | 'embed';
  usage: BoundedUsage;
}

/** Logs and audits (`miner.usage_clamped`) a miner's token counts that were outside their bounds; the bound is what is charged. */
export function usageClampReporter(log: Log, audit: AuditService): (c: UsageClamp) => void {
  return (c) => {
    const details = {
      model: c.model,
      kind: c.kind,
      reported: c.usage.clamped?.reported,
      charged: { promptTokens: c.usage.promptTokens, completionTokens: c.usage.completionTokens },
      bounds: c.usage.clamped?.bounds,
    };
    log.warn({ minerId: c.minerId, workerId: c.workerId, ...details }, 'a miner reported token counts beyond what the server sent and saw; charged the bound');
    audit.record({ actor: { id: c.minerId, label: `miner:${c.workerId}` }, action: 'miner.usage_clamped', outcome: 'failure', target: c.minerId, details });
  };
}
