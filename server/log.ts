/** The logger factory lives in lib/ so every role (server, miner, browser) shares its redaction. */
export * from './lib/log.ts';
