import type { CommandIo } from '../../server/cli/command.ts';

/** A command's output captured in memory: `out` and `err` lines, and both as one text. */
export interface CapturedIo extends CommandIo {
  lines: string[];
  errors: string[];
  text(): string;
}

/** Where a command under test writes: each line is kept (standard output in `lines`, errors in `errors`). */
export function captureIo(): CapturedIo {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), text: () => [...lines, ...errors].join('\n') };
}
