/**
 * The extraction process's side (`onsite __extract`, or child-entry.ts in a
 * checkout): reads one document from stdin, extracts it, writes the result
 * to stdout as one JSON line and exits. It holds no secrets, no database
 * and no sockets; the server bounds its heap, time and output (isolate.ts).
 *
 * Input: a JSON line `{"hint", "limits", "size"}`, then `size` bytes.
 * stdin stays open while the server waits: its end means the server is
 * gone, and the process exits instead of working for nobody.
 */
import { isAppError } from '../../kernel/errors.ts';
import { extractDocument, type ExtractLimits, type FormatHint } from './extract.ts';

/** What the server sends before the document's bytes. */
export interface ExtractRequest {
  hint: FormatHint;
  limits: ExtractLimits;
  size: number;
}

const MAX_HEADER = 64 * 1024;

function readRequest(stdin: NodeJS.ReadableStream): Promise<{ request: ExtractRequest; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let request: ExtractRequest | undefined;
    let bytes = Buffer.alloc(0);
    let filled = 0;
    const onData = (chunk: Buffer) => {
      if (!request) {
        head = Buffer.concat([head, chunk]);
        const newline = head.indexOf(0x0a);
        if (newline < 0) {
          if (head.length > MAX_HEADER) reject(new Error('the request header is too long'));
          return;
        }
        request = JSON.parse(head.subarray(0, newline).toString('utf8')) as ExtractRequest;
        bytes = Buffer.alloc(request.size);
        chunk = head.subarray(newline + 1);
      }
      filled += chunk.copy(bytes, filled);
      if (filled >= request.size) {
        stdin.off('data', onData);
        resolve({ request, bytes });
      }
    };
    stdin.on('data', onData);
    stdin.once('end', () => reject(new Error('stdin ended before the document did')));
  });
}

/** Serves one extraction over stdin and stdout; resolves with the exit code once the answer is written. */
export async function runExtractChild(): Promise<number> {
  const { request, bytes } = await readRequest(process.stdin);
  // From here on, stdin ending means the server is gone (crashed, killed): stop at the next turn.
  process.stdin.once('end', () => process.exit(70));
  process.stdin.resume();
  let answer: unknown;
  try {
    answer = { ok: true, doc: await extractDocument(bytes, request.hint, request.limits) };
  } catch (error) {
    answer = isAppError(error)
      ? { ok: false, error: { code: error.code, message: error.message, details: error.details } }
      : { ok: false, error: { code: 'extract_failed', message: 'the document could not be read', details: { reason: 'damaged' } } };
  }
  await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(answer)}\n`, () => resolve()));
  return 0;
}
