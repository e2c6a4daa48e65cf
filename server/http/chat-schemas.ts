import { z } from 'zod';

const modelName = z.string().trim().min(1).max(200);
const content = z.string().min(1, 'the message is empty').max(200_000);

/** An integer id of the knowledge base (collections and documents). */
export const kbId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** What a conversation grounds its answers in: collections to search, or one document given whole. */
export const knowledgeBody = z
  .object({ collectionIds: z.array(kbId).max(50).default([]), documentId: kbId.optional() })
  .strict()
  .refine((k) => k.documentId === undefined || k.collectionIds.length === 0, 'choose collections to search or one document, not both');
/** Body of a new conversation. */
export const createConversationBody = z.object({ title: z.string().trim().max(200).optional(), model: modelName.optional(), knowledge: knowledgeBody.optional() }).strict();
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

/** Body adding or replacing a catalog model. */
export const modelBody = z
  .object({
    name: modelName,
    kind: z.enum(['chat', 'embedding']),
    contextLength: z.coerce.number().int().min(256).max(1_048_576),
    dimensions: z.coerce.number().int().min(1).max(16_384).optional(),
    enabled: z.boolean().optional(),
    isDefault: z.boolean().optional(),
  })
  .strict();
/** Body changing a catalog model. */
export const modelPatchBody = z
  .object({
    contextLength: z.number().int().min(256).max(1_048_576).optional(),
    dimensions: z.number().int().min(1).max(16_384).optional(),
    enabled: z.boolean().optional(),
    isDefault: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

/** Body of a registration token for a remote miner. */
export const registrationTokenBody = z.object({ label: z.string().trim().min(1).max(100), ttlHours: z.number().int().min(1).max(168).default(24) }).strict();
/** Body confirming a remote miner's pairing key. */
export const pairingBody = z.object({ pairingKey: z.string().trim().min(4).max(64) }).strict();

/** Body setting a user's token budgets (null: the configured default; 0: unlimited). */
export const budgetBody = z.object({ daily: z.number().int().min(0).nullable(), monthly: z.number().int().min(0).nullable() }).strict();
/** Query of the usage summary. */
export const usageQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30), format: z.enum(['json', 'csv']).default('json') });
