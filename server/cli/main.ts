import { parseArgs } from 'node:util';
import { isAppError } from '../lib/errors.ts';
import { REVISION, VERSION } from '../version.ts';
import { runAdmin } from './admin.ts';
import { runBackup, runMigrate, runRestore } from './db-commands.ts';
import { runDoctor } from './doctor.ts';
import { runHealthcheck } from './healthcheck.ts';
import { runInitCommand } from './init.ts';
import { runLicense } from './license.ts';
import { startServer } from './serve.ts';
import { runKnowledge } from './knowledge-commands.ts';
import { runExtractChild } from '../knowledge/extract/child.ts';
import { EXTRACT_COMMAND } from '../knowledge/extract/isolate.ts';

const USAGE = `onsite ${VERSION}: the self-hosted AI appliance

usage: onsite <command> [options]

commands:
  serve [--dev]      run the server (--dev: generate local development secrets)
  init [--bundle DIR] [--ollama-dir DIR] [--docker-socket PATH] [--skip-images | --images-only] [--adopt-existing] [--host NAME]... [--server-gid GID]
                     install from a release bundle: verify its signature and checksums, load
                     its images, import its models, write .env (secrets) and tls/; rerun-safe
                     (--images-only: stop after the models, write nothing into the bundle; for updates)
  miner              run an inference worker: enroll with SERVER_URL, run jobs on OLLAMA_HOST
  browser            run the browser sidecar: POST /fetch with pooled headless Chromium behind an SSRF guard
  migrate            apply pending database migrations and exit (server stopped)
  backup [FILE]      write a verified online backup (default: DATA/backups/)
  restore FILE       replace the database with a verified backup (server stopped)
  admin reset-password EMAIL
                     print a one-time reset link and lift the account's lockout
  admin list         list accounts
  admin rotate-key [--forget-unreadable]
                     re-seal every stored secret under DB_ENCRYPTION_KEY, opening old ones with
                     DB_ENCRYPTION_KEY_PREVIOUS (server stopped; --forget-unreadable: delete
                     those no configured key opens)
  license status     show the license state, seats and expiry
  license request    print a request code for the vendor
  license install CODE
                     install an activation code from the vendor
  knowledge status   show each vector index: vectors, cells, and whether it needs retraining
  knowledge retrain  retrain the vector indexes for their current size (holds the database's
                     write lock meanwhile: about 46 s at 100,000 vectors; best with the server stopped)
  doctor             print the configuration (secrets redacted) and check it
  healthcheck URL [--auth-env NAME]
                     exit 0 when the loopback URL answers 200 (container health checks)
  version            print the version (also --version)

configuration comes from environment variables; see the README.`;

const out = (line: string) => process.stdout.write(`${line}\n`);

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { dev: { type: 'boolean', default: false } } });
  const server = await startServer(process.env, { dev: values.dev ?? false });
  const shutdown = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest);
      return -1; // keeps running
    case 'miner': {
      const { startMiner } = await import('../../miner/start.ts');
      const running = await startMiner(process.env, { version: VERSION });
      const shutdown = () => void running.stop().then(() => process.exit(0));
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      await running.finished; // rejects when the miner cannot start (a refused enrolment request)
      return 0;
    }
    case 'browser': {
      const { startBrowser } = await import('../../browser/start.ts');
      const running = await startBrowser(process.env, { version: VERSION });
      const shutdown = () => void running.stop().then(() => process.exit(0));
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      return -1; // keeps running
    }
    case 'init':
      return runInitCommand(process.env, rest, out, (line) => process.stderr.write(`${line}\n`));
    case 'migrate':
      await runMigrate({ env: process.env, out });
      return 0;
    case 'backup':
      await runBackup({ env: process.env, out }, rest[0]);
      return 0;
    case 'restore':
      if (!rest[0]) throw new UsageError('restore needs the backup FILE');
      await runRestore({ env: process.env, out }, rest[0]);
      return 0;
    case 'admin':
      return runAdmin(process.env, rest, out);
    case 'license':
      return runLicense(process.env, rest, out);
    case 'knowledge':
      return runKnowledge(process.env, rest, out);
    case 'doctor':
      return runDoctor(process.env, out) ? 0 : 1;
    case 'healthcheck':
      return runHealthcheck(rest, process.env, out);
    case EXTRACT_COMMAND:
      // Hidden: the process the server reads one untrusted document in (server/knowledge/extract/isolate.ts).
      return runExtractChild();
    case 'version':
    case '--version':
    case '-v':
      out(`onsite ${VERSION} (${REVISION})`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`onsite: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`onsite: ${isAppError(err) ? `${err.message} [${err.code}]` : String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
