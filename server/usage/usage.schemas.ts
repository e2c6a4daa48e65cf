import { z } from 'zod';

/** Body setting a user's token budgets (null: the configured default; 0: unlimited). */
export const budgetBody = z.object({ daily: z.number().int().min(0).nullable(), monthly: z.number().int().min(0).nullable() }).strict();
/** Query of the usage summary. */
export const usageQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30), format: z.enum(['json', 'csv']).default('json') });
