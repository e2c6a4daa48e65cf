import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS, findCommand, usageText } from '../../../server/cli/commands.ts';
import { EXTRACT_COMMAND } from '../../../server/knowledge/extract/isolate.ts';
import { EXTRACT_LIMITS } from '../../../server/knowledge/extract/limits.ts';

// The binary's entry from the sources, as `npm run onsite -- …` runs it.
const onsite = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH },
    timeout: 30_000,
  });

describe('the table of commands', () => {
  it('names each command once, and its usage text lists every command but the hidden one', () => {
    const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    const usage = usageText();
    const hidden = COMMANDS.filter((c) => c.name === EXTRACT_COMMAND);
    expect(hidden.map((c) => c.usage)).toEqual([[]]);
    expect(usage).not.toContain(EXTRACT_COMMAND);
    const listed = COMMANDS.filter((c) => c.name !== EXTRACT_COMMAND);
    for (const c of listed) expect(c.usage.length, c.name).toBeGreaterThan(0);
    for (const line of listed.flatMap((c) => c.usage)) expect(usage).toMatch(new RegExp(`^ {2}${line.synopsis.replace(/[[\]|.()]/g, '\\$&')}( |$)`, 'm'));
    for (const name of [
      'serve',
      'dev',
      'init',
      'miner',
      'browser',
      'migrate',
      'backup',
      'restore',
      'admin',
      'license',
      'knowledge',
      'doctor',
      'healthcheck',
      'version',
    ]) {
      expect(findCommand(name)?.name).toBe(name);
    }
    expect(findCommand('--version')?.name).toBe('version');
    // Descriptions start in one column; a synopsis too long for it gets a line of its own.
    expect(usage).toContain('\n  serve [--dev]      run the server (--dev: generate local development secrets)\n');
    expect(usage).toContain('\n  license install CODE\n                     install an activation code from the vendor\n');
    expect(usage).toContain("\n  knowledge retrain  retrain the vector indexes for their current size (holds the database's\n                     write lock");
  });

  it('main.ts prints that usage for help, and exits 2 with it on stderr for an unknown command', () => {
    const help = onsite(['help']);
    expect(help.status).toBe(0);
    expect(help.stdout.trimEnd()).toBe(usageText());
    const unknown = onsite(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^onsite: unknown command: frobnicate\n\nonsite .*usage: onsite <command>/s);
    const restore = onsite(['restore']);
    expect(restore.status).toBe(2);
    expect(restore.stderr).toMatch(/^onsite: restore needs the backup FILE\n/);
    expect(onsite(['--version']).stdout).toMatch(/^onsite \d+\.\d+\.\d+ \(source\)\n$/);
  });

  it('dispatches the hidden extraction command the server’s reading process runs', () => {
    const text = 'hello from the extraction child';
    const request = JSON.stringify({ hint: { filename: 'a.txt' }, limits: EXTRACT_LIMITS, size: Buffer.byteLength(text) });
    const r = onsite([EXTRACT_COMMAND], `${request}\n${text}`);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!)).toEqual({ ok: true, doc: { format: 'txt', text } });
  });
});
