import { z } from 'zod';
import { kbId } from '../knowledge/collections.schemas.ts';
import { modelName } from '../models/models.schemas.ts';

const content = z.string().min(1, 'the message is empty').max(200_000);

/** What a conversation grounds its answers in: collections to search, or one document given whole. */
export const knowledgeBody = z
  .object({ collectionIds: z.array(kbId).max(50).default([]), documentId: kbId.optional() })
  .strict()
  .refine((k) => k.documentId === undefined || k.collectionIds.length === 0, 'choose collections to search or one document, not both');
/** Body of a new conversation. */
export const createConversationBody = z
  .object({ title: z.string().trim().max(200).optional(), model: modelName.optional(), knowledge: knowledgeBody.optional() })
  .strict();
/** Body of a change to a conversation: its title and/or what it grounds in. */
export const renameConversationBody = z
  .object({ title: z.string().trim().min(1).max(200).optional(), knowledge: knowledgeBody.optional() })
  .strict()
  .refine((b) => b.title !== undefined || b.knowledge !== undefined, 'nothing to change');
/** Body of a new message. */
export const sendMessageBody = z.object({ content, model: modelName.optional() }).strict();
/** Body of an edit-and-resend. */
export const editMessageBody = z.object({ content, model: modelName.optional() }).strict();
/** Body of a regenerate. */
export const regenerateBody = z.object({ model: modelName.optional() }).strict();
