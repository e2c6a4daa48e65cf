import { z } from 'zod';
import { FEATURES } from '../kernel/features.ts';

const name = z.string().trim().min(1).max(100);
const description = z.string().trim().max(500);
const directoryGroup = z.string().trim().min(1).max(500);

/** Body of a new group: local, or synced from a directory group. */
export const createGroupBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), name, description: description.optional() }),
  z.object({ kind: z.literal('synced'), name, description: description.optional(), directory: z.enum(['oidc', 'ldap']), directoryGroup }),
]);

const budget = z.number().int().min(0).max(1_000_000_000_000).nullable().optional();

/** Body of a group change; a budget of null removes it, 0 is unlimited. */
export const updateGroupBody = z
  .object({ name: name.optional(), description: description.optional(), directoryGroup: directoryGroup.optional(), budgetDaily: budget, budgetMonthly: budget })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

/** Body of a membership (optional: whether the member manages the group, admins only). */
export const memberBody = z.object({ manager: z.boolean().optional() }).default({});

/** Body choosing the groups a model is open to; an empty list (or Everyone) opens it to all. */
export const modelAccessBody = z.object({ groups: z.array(z.string().min(1).max(100)).max(500) });

/** A feature's name in a path (`web_pages`, `uploads`, `api_keys`). */
export const featureName = z.enum(FEATURES, { error: 'feature' });
