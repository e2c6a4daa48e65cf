/** Features an admin can open to chosen groups only. */
export const FEATURES = ['web_pages', 'uploads', 'api_keys'] as const;

/** One of {@link FEATURES}: reading linked web pages in chat, uploading documents, API keys. */
export type Feature = (typeof FEATURES)[number];

/** Whether a user may use a feature: a port the groups feature implements for chat, knowledge and keys. */
export interface FeatureGate {
  allows(userId: string, feature: Feature): boolean;
}

/** Every feature open to everyone (no groups feature wired: tests of one feature alone). */
export const OPEN_FEATURES: FeatureGate = { allows: () => true };
