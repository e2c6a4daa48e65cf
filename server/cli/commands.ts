import { runExtractChild } from '../knowledge/extract/child.ts';
import { EXTRACT_COMMAND } from '../knowledge/extract/isolate.ts';
import { REVISION, VERSION } from '../version.ts';
import { adminCommand } from './admin.ts';
import type { Command, UsageLine } from './command.ts';
import { backupCommand, migrateCommand, restoreCommand } from './db-commands.ts';
import { devCommand } from './dev.ts';
import { doctorCommand } from './doctor.ts';
import { healthcheckCommand } from './healthcheck.ts';
import { initCommand } from './init.ts';
import { knowledgeCommand } from './knowledge-commands.ts';
import { licenseCommand } from './license.ts';
import { browserCommand, minerCommand } from './roles.ts';
import { serveCommand } from './serve.ts';

const versionCommand: Command = {
  name: 'version',
  aliases: ['--version', '-v'],
  usage: [{ synopsis: 'version', summary: 'print the version (also --version)' }],
  run: (_args, _env, io) => {
    io.out(`onsite ${VERSION} (${REVISION})`);
    return Promise.resolve(0);
  },
};

// Hidden: the process the server reads one untrusted document in (server/knowledge/extract/isolate.ts).
const extractCommand: Command = { name: EXTRACT_COMMAND, usage: [], run: () => runExtractChild() };

/** Every subcommand of the binary, in the order the usage text lists them. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  devCommand,
  initCommand,
  minerCommand,
  browserCommand,
  migrateCommand,
  backupCommand,
  restoreCommand,
  adminCommand,
  licenseCommand,
  knowledgeCommand,
  doctorCommand,
  healthcheckCommand,
  versionCommand,
  extractCommand,
];

/** The command called `name` (or by one of its aliases), if any. */
export function findCommand(name: string, commands: readonly Command[] = COMMANDS): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

const COLUMN = 21; // where descriptions start

function usageLine({ synopsis, summary }: UsageLine): string[] {
  const [first = '', ...more] = summary.split('\n');
  const indent = ' '.repeat(COLUMN);
  // A synopsis too long for its column gets a line of its own.
  const head = synopsis.length <= COLUMN - 4 ? [`  ${synopsis.padEnd(COLUMN - 2)}${first}`] : [`  ${synopsis}`, `${indent}${first}`];
  return [...head, ...more.map((line) => `${indent}${line}`)];
}

/** The usage text, made from the table: every command with usage lines, hidden ones left out. */
export function usageText(commands: readonly Command[] = COMMANDS): string {
  return [
    `onsite ${VERSION}: the self-hosted AI appliance`,
    '',
    'usage: onsite <command> [options]',
    '',
    'commands:',
    ...commands.flatMap((c) => c.usage.flatMap(usageLine)),
    '',
    'configuration comes from environment variables; see the README.',
  ].join('\n');
}
