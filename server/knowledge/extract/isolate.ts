/**
 * Text extraction in a process of its own: every upload the server reads
 * (pdf, docx, html, text, and whatever format comes later) is parsed by a
 * fresh child of this executable, so a hostile document can only fail
 * itself, never stop or exhaust the server.
 *
 * Why a child process and not a worker thread: the child's heap is capped
 * with `--max-old-space-size` (through NODE_OPTIONS, which the single
 * executable honours) and running out of it kills only the child; SIGKILL
 * ends even a parser stuck in a synchronous loop; the child gets an empty
 * environment (no secrets) and no database handle. It works the same in the
 * binary, which has no files beside it (the child is `dist/onsite __extract`,
 * the code already inside it), and in a checkout (child-entry.ts under tsx).
 * A worker thread would need a second bundle of the parsers embedded as a
 * string, and its resourceLimits leave ArrayBuffers uncounted.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isSingleExecutable } from '../../kernel/embedded.ts';
import { AppError, type ErrorCode } from '../../kernel/errors.ts';
import type { ExtractRequest } from './child.ts';
import type { DocumentFormat, ExtractedDocument, FormatHint } from './extract.ts';
import { outOfMemory, tookTooLong, tooManyChars, type ExtractLimits } from './limits.ts';

/** The binary's hidden subcommand that runs {@link runExtractChild}. */
export const EXTRACT_COMMAND = '__extract';

// Codes the child may answer with; anything else it says is not believed.
const CODES = new Set<ErrorCode>(['unsupported_type', 'extract_failed', 'extract_too_large', 'extract_timeout', 'extract_out_of_memory', 'bad_archive']);
const FORMATS: [DocumentFormat, ...DocumentFormat[]] = ['txt', 'md', 'html', 'pdf', 'docx'];

const answerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), doc: z.object({ format: z.enum(FORMATS), title: z.string().optional(), text: z.string() }) }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string().max(4000), details: z.record(z.string(), z.unknown()).optional() }),
  }),
]);

function command(): { file: string; args: string[]; cwd: string | undefined } {
  if (isSingleExecutable()) return { file: process.execPath, args: [EXTRACT_COMMAND], cwd: undefined };
  // A checkout: the entry under tsx, resolved from the repository root.
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return { file: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('./child-entry.ts', import.meta.url))], cwd: root };
}

const crashed = (exit: string, stderr: string): AppError =>
  new AppError('extract_failed', 'the document could not be read: the process reading it stopped unexpectedly', {
    reason: 'crashed',
    exit,
    stderr: stderr.slice(-2000),
  });

function understand(stdout: Buffer, limits: ExtractLimits, stderr: string): ExtractedDocument {
  let answer: z.infer<typeof answerSchema>;
  try {
    // The answer is the last line: anything a library printed before it is not the answer.
    const text = stdout.toString('utf8').trimEnd();
    answer = answerSchema.parse(JSON.parse(text.slice(text.lastIndexOf('\n') + 1)));
  } catch {
    throw crashed('bad answer', stderr);
  }
  if (!answer.ok) {
    const { code, message, details } = answer.error;
    throw CODES.has(code as ErrorCode) ? new AppError(code as ErrorCode, message, details) : crashed(`answered ${code}`, stderr);
  }
  if (answer.doc.text.length > limits.maxChars) throw tooManyChars(limits);
  return { format: answer.doc.format, title: answer.doc.title, text: answer.doc.text };
}

/**
 * Extracts a document (see {@link extractDocument}) in a child process
 * bounded by `limits`: heap `memoryMb`, time `timeoutMs`, output
 * `maxChars`. Rejects with the child's error, `extract_out_of_memory`,
 * `extract_timeout` or `extract_too_large` for a child stopped at a limit,
 * `extract_failed` (reason `crashed`) for one that died otherwise, and with
 * `signal`'s reason when aborted; the child is killed in every case.
 */
export function extractIsolated(bytes: Uint8Array, hint: FormatHint, limits: ExtractLimits, signal?: AbortSignal): Promise<ExtractedDocument> {
  signal?.throwIfAborted();
  const { file, args, cwd } = command();
  const child = spawn(file, args, { cwd, env: { NODE_OPTIONS: `--max-old-space-size=${limits.memoryMb}` }, stdio: ['pipe', 'pipe', 'pipe'] });
  // JSON of the text: at most 6 bytes a character (an escaped lone surrogate), and the title.
  const maxOutput = limits.maxChars * 6 + 1024 * 1024;
  const out: Buffer[] = [];
  let outBytes = 0;
  let stderr = '';
  let stop: 'timeout' | 'output' | 'abort' | undefined;
  const kill = (why: typeof stop) => {
    stop ??= why;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill('timeout'), limits.timeoutMs);
  const onAbort = () => kill('abort');
  signal?.addEventListener('abort', onAbort, { once: true });
  child.stdout.on('data', (d: Buffer) => {
    outBytes += d.length;
    if (outBytes > maxOutput) kill('output');
    else out.push(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 16_384) stderr += d;
  });
  // The child may die before reading everything; its exit says why, not this pipe.
  child.stdin.on('error', () => undefined);
  const request: ExtractRequest = { hint, limits, size: bytes.length };
  child.stdin.write(`${JSON.stringify(request)}\n`);
  child.stdin.write(bytes);
  return new Promise<ExtractedDocument>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => ExtractedDocument) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.stdin.destroy();
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    };
    child.once('error', (error) =>
      settle(() => {
        throw new AppError('extract_failed', 'the document could not be read: the process to read it did not start', {
          reason: 'crashed',
          cause: error.message,
        });
      }),
    );
    child.once('close', (code, exitSignal) =>
      settle(() => {
        if (stop === 'abort') throw signal?.reason ?? new Error('aborted');
        if (stop === 'timeout') throw tookTooLong(limits);
        if (stop === 'output') throw tooManyChars(limits);
        if (/heap out of memory|Allocation failed/i.test(stderr)) throw outOfMemory(limits);
        if (code !== 0) throw crashed(exitSignal ?? `exit ${code}`, stderr);
        return understand(Buffer.concat(out), limits, stderr);
      }),
    );
  });
}
