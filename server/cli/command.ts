import type { Env } from '../config.ts';

/** Where a command writes: `out` for its results, `err` for problems (standard output and error in the binary). */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

/** One line of the usage text: how a command is called and what it does. */
export interface UsageLine {
  /** The call after `onsite`, e.g. `backup [FILE]`. */
  synopsis: string;
  /** What it does; `\n` starts another line of the description. */
  summary: string;
}

/**
 * A subcommand of the binary, in the one shape `main.ts` dispatches:
 * `run` gets the arguments after the command's name, the environment and
 * where to write, and resolves with the exit code. A command that keeps
 * running (serve, miner, browser, dev) resolves once it has stopped
 * (`untilSignal` in `until-signal.ts`).
 */
export interface Command {
  name: string;
  /** Other names that run it (`--version`). */
  aliases?: readonly string[];
  /** Its lines in the usage text; empty for a hidden command. */
  usage: readonly UsageLine[];
  run(args: string[], env: Env, io: CommandIo): Promise<number>;
}
