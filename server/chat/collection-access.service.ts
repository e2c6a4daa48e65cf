import { AppError } from '../kernel/errors.ts';
import type { ChatMessage } from '../kernel/protocol/miner.ts';
import type { Engine } from './engine.service.ts';
import { promptWithKnowledge, type GroundedPrompt, type Grounding } from './knowledge-prompt.ts';

/**
 * Checks that a user may ground an answer in these collections (duplicates
 * dropped): `unavailable` without a knowledge base, `not_found` naming the
 * ones they may not read. The one permission check of the chat UI and `/v1`.
 */
export function readableCollectionIds(grounding: Grounding | undefined, userId: string, asked: readonly number[]): { grounding: Grounding; ids: number[] } {
  if (!grounding) throw new AppError('unavailable', 'the knowledge base is not available on this server');
  const ids = [...new Set(asked)];
  const readable = grounding.readableCollections(userId, ids);
  if (readable.length !== ids.length) throw new AppError('not_found', `no such collection: ${ids.filter((id) => !readable.includes(id)).join(', ')}`);
  return { grounding, ids };
}

/**
 * Grounds a program's messages in collections (the `/v1` `onsite.collections`
 * extension): checks access and the model, then adds the retrieved passages
 * within the model's window.
 */
export async function groundInCollections(
  deps: { engine: Engine; knowledge?: Grounding | undefined },
  userId: string,
  model: string,
  collections: readonly number[],
  messages: ChatMessage[],
  signal: AbortSignal,
): Promise<GroundedPrompt> {
  const { grounding, ids } = readableCollectionIds(deps.knowledge, userId, collections);
  const contextLength = deps.engine.precheck(userId, model).contextLength;
  return promptWithKnowledge(grounding, undefined, userId, { collectionIds: ids }, { messages, sources: [] }, messages, contextLength, signal);
}

export type { Grounding } from './knowledge-prompt.ts';
