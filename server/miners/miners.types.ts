import type { minerRegistrationTokens, miners } from '../db/schema/index.ts';

/** A miner row (token and pairing key as hashes only). */
export type MinerRow = typeof miners.$inferSelect;

/** A registration-token row. */
export type RegistrationTokenRow = typeof minerRegistrationTokens.$inferSelect;

/** What a miner advertised. */
export type AdvertisedModels = NonNullable<MinerRow['models']>;
