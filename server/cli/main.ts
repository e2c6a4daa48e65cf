import { AppError, isAppError } from '../kernel/errors.ts';
import type { CommandIo } from './command.ts';
import { findCommand, usageText } from './commands.ts';

const io: CommandIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

// Dispatches argv to the table of commands (commands.ts); resolves with the exit code.
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usageText());
    return name === undefined ? 2 : 0;
  }
  const command = findCommand(name);
  if (!command) throw new AppError('usage', `unknown command: ${name}`);
  return command.run(rest, process.env, io);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A wrong call: the message and the usage text, exit 2.
    if (isAppError(err, 'usage')) {
      io.err(`onsite: ${err.message}\n\n${usageText()}`);
      process.exit(2);
    }
    io.err(`onsite: ${isAppError(err) ? `${err.message} [${err.code}]` : String((err as Error)?.stack ?? err)}`);
    process.exit(1);
  },
);
