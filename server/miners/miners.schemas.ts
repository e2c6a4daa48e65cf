import { z } from 'zod';

/** Body of a registration token for a remote miner. */
export const registrationTokenBody = z.object({ label: z.string().trim().min(1).max(100), ttlHours: z.number().int().min(1).max(168).default(24) }).strict();
/** Body confirming a remote miner's pairing key. */
export const pairingBody = z.object({ pairingKey: z.string().trim().min(4).max(64) }).strict();
