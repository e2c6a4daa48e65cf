/**
 * What reading one document may cost, and the errors for going past it.
 * The limits come from the configuration (EXTRACT_* in server/config.ts);
 * the defaults here are the same values, for code and tests that call the
 * extractors directly.
 */
import { AppError } from '../../kernel/errors.ts';

/** Bounds on the work of reading one document. */
export interface ExtractLimits {
  /** Most bytes one archive part (a .docx's word/document.xml above all) may inflate to. */
  maxPartBytes: number;
  /** Most bytes all the parts read from one archive may inflate to together. */
  maxTotalBytes: number;
  /** Most characters of text one document may yield. */
  maxChars: number;
  /** Heap of the process that reads the document, in MB. */
  memoryMb: number;
  /** Wall-clock time the reading may take. */
  timeoutMs: number;
}

const MB = 1024 * 1024;

/**
 * The defaults: a few MB of XML is a long Word document (mammoth needs about
 * 50 times its XML in heap); 5 million characters is some 2,500 pages.
 */
export const EXTRACT_LIMITS: ExtractLimits = { maxPartBytes: 8 * MB, maxTotalBytes: 24 * MB, maxChars: 5_000_000, memoryMb: 768, timeoutMs: 60_000 };

/** The limits from the configuration's EXTRACT_* variables. */
export function extractLimitsOf(config: {
  EXTRACT_MAX_PART_MB: number;
  EXTRACT_MAX_TOTAL_MB: number;
  EXTRACT_MAX_CHARS: number;
  EXTRACT_MEMORY_MB: number;
  EXTRACT_TIMEOUT_S: number;
}): ExtractLimits {
  return {
    maxPartBytes: config.EXTRACT_MAX_PART_MB * MB,
    maxTotalBytes: config.EXTRACT_MAX_TOTAL_MB * MB,
    maxChars: config.EXTRACT_MAX_CHARS,
    memoryMb: config.EXTRACT_MEMORY_MB,
    timeoutMs: config.EXTRACT_TIMEOUT_S * 1000,
  };
}

const mb = (bytes: number): string => `${Math.ceil(bytes / MB)} MB`;

/** `extract_too_large` for an archive part, or all of them, stated to inflate past a limit. */
export function tooLargeInflated(what: string, bytes: number, limit: number, variable: 'EXTRACT_MAX_PART_MB' | 'EXTRACT_MAX_TOTAL_MB'): AppError {
  return new AppError('extract_too_large', `${what} would inflate to ${mb(bytes)}, over the ${mb(limit)} limit (${variable})`, { limit: variable });
}

/** `extract_too_large` for text longer than the character limit. */
export function tooManyChars(limits: Pick<ExtractLimits, 'maxChars'>): AppError {
  return new AppError('extract_too_large', `the document's text is longer than ${limits.maxChars.toLocaleString('en-US')} characters (EXTRACT_MAX_CHARS)`, {
    limit: 'EXTRACT_MAX_CHARS',
  });
}

/** `extract_timeout`: reading took longer than the time limit. */
export function tookTooLong(limits: Pick<ExtractLimits, 'timeoutMs'>): AppError {
  return new AppError('extract_timeout', `reading the document took longer than ${limits.timeoutMs / 1000} s (EXTRACT_TIMEOUT_S)`, {
    limit: 'EXTRACT_TIMEOUT_S',
  });
}

/** `extract_out_of_memory`: the reading process ran out of its heap. */
export function outOfMemory(limits: Pick<ExtractLimits, 'memoryMb'>): AppError {
  return new AppError('extract_out_of_memory', `reading the document needed more than ${limits.memoryMb} MB of memory (EXTRACT_MEMORY_MB)`, {
    limit: 'EXTRACT_MEMORY_MB',
  });
}
