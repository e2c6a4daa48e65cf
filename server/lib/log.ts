import pino, { type DestinationStream, type Logger } from 'pino';

/** A pino logger; modules take children of it (`log.child({ module })`). */
export type Log = Logger;

// Field names that carry credentials wherever they appear in a log object.
const REDACT_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'secret',
  'apiKey',
  'authorization',
  'cookie',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-metrics-token"]',
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** Secret values that must never appear in a log line, whatever field carries them. */
  secrets?: readonly string[];
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

/**
 * Creates the JSON logger. Known credential fields are redacted by path, and
 * as a second line of defence every configured secret value is scrubbed from
 * each serialised line before it is written.
 */
export function createLogger(options: LoggerOptions = {}): Log {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'onsite' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: secrets.length
        ? {
            streamWrite: (line: string) => {
              let out = line;
              for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
              return out;
            },
          }
        : {},
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
