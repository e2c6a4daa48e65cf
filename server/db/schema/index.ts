/** The drizzle schema of the whole database, one file per domain. */
export * from './meta.ts';
export * from './identity.ts';
export * from './sign-in.ts';
export * from './license.ts';
export * from './miners.ts';
export * from './chat.ts';
export * from './knowledge.ts';
export * from './secrets.ts';
export * from './groups.ts';
