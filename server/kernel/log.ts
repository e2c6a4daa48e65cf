import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyDestination } from './log-pretty.ts';

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
  /** Where lines go; standard output by default: JSON, or readable lines when it is a terminal. */
  destination?: DestinationStream;
}

// A terminal gets lines a person reads; anything else (a pipe, a file, docker's log driver) the JSON lines.
function standardOutput(): DestinationStream {
  return process.stdout.isTTY ? prettyDestination(process.stdout, true) : pino.destination({ fd: 1, sync: true });
}

/**
 * Creates the logger (JSON lines; on a terminal, readable lines). Known credential fields are redacted by path, and
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
    options.destination ?? standardOutput(),
  );
}
