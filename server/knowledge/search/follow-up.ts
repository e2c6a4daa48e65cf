import type { ChatMessage } from '../../kernel/protocol/miner.ts';

/** Earlier questions joined to a follow-up for retrieval. */
const CONTEXT_QUESTIONS = 2;
const MAX_REWRITE_CHARS = 400;
const HISTORY_MESSAGES = 6;
const HISTORY_CHARS = 600;

/**
 * The follow-up with the conversation's previous questions in front
 * ("What is the warranty of the VX-220?" + "And how do I reset it?"), so
 * the topic the follow-up leaves out is searched too. Works without any
 * model; the model's rewrite (below) is fused with it when there is one.
 */
export function contextualQuery(previousQuestions: readonly string[], question: string): string {
  return [...previousQuestions.slice(-CONTEXT_QUESTIONS), question].join('\n');
}

/** The instructions for rewriting a follow-up into a standalone search query. */
export function rewriteMessages(history: readonly ChatMessage[], question: string): ChatMessage[] {
  const turns = history
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .slice(-HISTORY_MESSAGES)
    .map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content.replace(/\s+/g, ' ').slice(0, HISTORY_CHARS)}`)
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'You rewrite the last question of a conversation into one standalone search query for a document search engine. ' +
        'Replace pronouns and vague references with the names they refer to, keep product names, codes and numbers exactly, ' +
        'and answer with the query alone on one line: no explanation, no quotes.',
    },
    { role: 'user', content: `Conversation:\n${turns}\n\nLast question: ${question}\n\nStandalone search query:` },
  ];
}

/**
 * Cleans a model's rewrite: one line, no quotes or "Query:" prefix;
 * undefined when nothing usable is left or it rambles (a model that
 * answered the question instead of rewriting it).
 */
export function cleanRewrite(output: string): string | undefined {
  const line = output
    .trim()
    .split('\n')[0]!
    .replace(/^(standalone )?(search )?query:\s*/i, '')
    .replace(/^["'“”]+|["'“”]+$/g, '')
    .trim();
  if (!line || line.length > MAX_REWRITE_CHARS) return undefined;
  return line;
}
