import { z } from 'zod';

const modelName = z.string().trim().min(1).max(200);
const content = z.string().min(1, 'the message is empty').max(200_000);

/** Body of a new conversation. */
export const createConversationBody = z.object({ title: z.string().trim().max(200).optional(), model: modelName.optional() }).strict();
/** Body of a rename. */
export const renameConversationBody = z.object({ title: z.string().trim().min(1).max(200) }).strict();
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
