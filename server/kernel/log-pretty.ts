/**
 * The log as a person reads it on a terminal: one line per entry, `time
 * LEVEL [module] message key=value…`, an error's stack indented below. It
 * formats the JSON line pino writes (after secrets were scrubbed from it),
 * so what it shows is exactly what the JSON log would have held. Written
 * here rather than taken from pino-pretty: a screenful of code instead of a
 * dozen packages, and it runs inside the single binary with no worker thread.
 */

const LEVEL_COLOURS: Record<string, string> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' };
// Fields every line has, shown in the line's head or not at all.
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'module', 'service', 'pid', 'hostname']);

const paint = (colour: boolean, code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Formats one JSON log line (as pino writes it) for a terminal; a line that is not a JSON object comes back as it was. */
export function prettyLine(line: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(entry.level ?? 'info');
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const head = [paint(colour, '90', time), paint(colour, LEVEL_COLOURS[level] ?? '0', level.toUpperCase().padEnd(5))];
  if (typeof entry.module === 'string') head.push(paint(colour, '90', `[${entry.module}]`));
  if (entry.msg !== undefined) head.push(String(entry.msg));
  const stacks: string[] = [];
  for (const [k, v] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(k)) continue;
    const stack = (v as { stack?: unknown } | null)?.stack;
    if (typeof stack === 'string') {
      stacks.push(stack.replace(/^/gm, '    '));
      continue;
    }
    head.push(paint(colour, '90', `${k}=`) + value(v));
  }
  return `${[head.join(' '), ...stacks].join('\n')}\n`;
}

/** A destination for pino that writes {@link prettyLine}s to `out` (the terminal). */
export function prettyDestination(out: { write(text: string): unknown }, colour: boolean): { write(line: string): void } {
  return { write: (line) => void out.write(prettyLine(line, colour)) };
}
