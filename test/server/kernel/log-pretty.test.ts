import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../server/kernel/log.ts';
import { prettyDestination, prettyLine } from '../../../server/kernel/log-pretty.ts';

afterEach(() => vi.restoreAllMocks());

describe('logs a person reads on a terminal', () => {
  it('one line per entry: time, level, module, message, then the other fields; an error’s stack below', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-01-02T03:04:05.678Z',
      service: 'onsite',
      module: 'miner',
      msg: 'no Ollama answers',
      ollama: 'http://127.0.0.1:11434',
      tries: 3,
      note: 'two words',
    });
    expect(prettyLine(`${line}\n`, false)).toBe('03:04:05.678 WARN  [miner] no Ollama answers ollama=http://127.0.0.1:11434 tries=3 note="two words"\n');
    const withErr = prettyLine(
      JSON.stringify({
        level: 'error',
        time: '2026-01-02T03:04:05.678Z',
        msg: 'boom',
        err: { type: 'Error', message: 'x', stack: 'Error: x\n    at f (a.ts:1)' },
      }),
      false,
    );
    expect(withErr).toBe('03:04:05.678 ERROR boom\n    Error: x\n        at f (a.ts:1)\n');
    expect(prettyLine('not json\n', false)).toBe('not json\n');
    expect(prettyLine(line, true)).toContain('\u001b[33mWARN \u001b[0m');
  });

  it('keeps secrets out: it formats the line after the logger scrubbed it', () => {
    const written: string[] = [];
    const secret = 'a-secret-value-of-some-length-0123456789';
    const log = createLogger({ secrets: [secret], destination: prettyDestination({ write: (t) => written.push(t) }, false) });
    log.info({ token: 'by-field-name', detail: `leaked ${secret}` }, `also ${secret} here`);
    expect(written.join('')).toContain('INFO  also [REDACTED] here token=[REDACTED] detail="leaked [REDACTED]"');
    expect(written.join('')).not.toContain(secret);
  });

  it('createLogger writes readable lines when standard output is a terminal, JSON otherwise', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    try {
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      createLogger().info({ port: 8000 }, 'onsite server listening');
      expect(written.join('')).toMatch(/^\S*\d\d:\d\d:\d\d\.\d{3}\S* \S*INFO \S* onsite server listening \S*port=\S*8000\n$/);
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  });
});
