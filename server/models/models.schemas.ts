import { z } from 'zod';

/** A model's name as the catalog and the backends know it. */
export const modelName = z.string().trim().min(1).max(200);

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
