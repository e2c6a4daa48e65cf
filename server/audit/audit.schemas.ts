import { z } from 'zod';

/** Filters of the audit log. */
export const auditQuery = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(100).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});
/** Filters of the audit page's form (empty fields mean any). */
export const auditForm = z.object({
  action: z.string().max(100).optional(),
  outcome: z.enum(['success', 'failure']).or(z.literal('')).optional(),
  from: z.string().max(30).optional(),
  to: z.string().max(30).optional(),
});
